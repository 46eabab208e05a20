"""The seed chapter's custom training loop step on a Fashion-MNIST-shaped MLP."""

from __future__ import annotations

import keras

from graphlab import examples
from graphlab.bench import training


def test_mlp_train_step(graph_benchmark):
    keras.utils.set_random_seed(42)
    x, y = examples.fashion_mnist_like(32)
    setup = training.build_setup(
        examples.make_mlp,
        lambda: keras.optimizers.Nadam(learning_rate=1e-2),
        keras.losses.sparse_categorical_crossentropy,
        (x, y),
        metrics_fn=lambda: [keras.metrics.SparseCategoricalAccuracy()],
    )
    graph_benchmark(setup.step_function(), x, y)
