"""One trace, four XLA compilations: a [None] signature takes every length."""

import tensorflow as tf


@tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None], tf.float32)])
def f(x):
    return tf.reduce_sum(x * x + 1.0)


for n in (3, 4, 5, 4, 3, 6):
    f(tf.ones([n]))
