"""A worker of a pretend multi-worker job, for `graphlab watch --rank` / merge-traces
tests: every rank runs the same step; rank 1 also gets a last, shorter batch (a new
shape: a retrace no other worker makes). ``--dtype`` makes rank 1's extra call change
the dtype instead while rank 0 changes the shape: as many traces, different causes."""

import json
import os
import sys

import tensorflow as tf


@tf.function
def train_step(batch):
    return tf.reduce_sum(batch * 2.0)


def my_rank():
    if len(sys.argv) > 1 and sys.argv[1].isdigit():
        return int(sys.argv[1])
    return int(json.loads(os.environ["TF_CONFIG"])["task"]["index"])


rank = my_rank()
train_step(tf.ones([4]))
train_step(tf.ones([4]))
if "--dtype" in sys.argv:
    train_step(tf.ones([5]) if rank == 0 else tf.ones([4], tf.float64))
elif rank == 1:
    train_step(tf.ones([3]))
print(f"rank {rank} done")
