"""A parent of local workers for the cleanup test: times the seed chapter's MLP step in
2 workers for a long time, so that the test can kill this process mid-run."""

import sys

import keras

import graphlab
from graphlab import examples


def sgd():
    return keras.optimizers.SGD(0.01)


if __name__ == "__main__":
    x, y = examples.fashion_mnist_like(64)
    print("starting", flush=True)
    graphlab.bench_training_step(
        examples.make_mlp,
        sgd,
        keras.losses.sparse_categorical_crossentropy,
        (x, y),
        32,
        modes=["graph"],
        workers=2,
        layouts=["multi_worker"],
        max_time=float(sys.argv[1]) if len(sys.argv) > 1 else 120.0,
    )
