"""A user program for `graphlab watch` tests: prints to stdout, retraces, exits."""

import sys

import tensorflow as tf


@tf.function
def tf_cube(x):
    return x**3


print("args:", sys.argv[1:])
print("main:", __name__)
tf_cube(tf.constant(2.0))
tf_cube(2)
tf_cube(3)
if "--fail" in sys.argv:
    raise ValueError("the user's own error")
if "--exit" in sys.argv:
    sys.exit(int(sys.argv[-1]))
