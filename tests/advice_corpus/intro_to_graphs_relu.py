"""TensorFlow's "Introduction to graphs and tf.function" guide
(site/en/guide/intro_to_graphs.ipynb): my_relu called with a scalar, a list and a
rank-1 tensor, three traces."""

import tensorflow as tf


@tf.function
def my_relu(x):
    return tf.maximum(0.0, x)


print(my_relu(tf.constant(5.5)))
print(my_relu([1, -1]))
print(my_relu(tf.constant([3.0, -3.0])))
