"""Shared fixtures: every test leaves graphlab and TensorFlow as it found them."""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _leaves_no_trace():
    """No watch left active and run_functions_eagerly unchanged after each test."""
    import tensorflow as tf

    from graphlab.tracing import recorder as tracing

    eager_before = tf.config.functions_run_eagerly()
    logger = logging.getLogger("graphlab")
    level_before = logger.level
    yield
    leftover = tracing.active_watches()
    for watch in leftover:
        watch.stop()
    assert not leftover, f"a test left {len(leftover)} graphlab.watch() active"
    assert tf.config.functions_run_eagerly() == eager_before, "run_functions_eagerly changed"
    assert logger.level == level_before, "the graphlab logger's level changed"
    from graphlab._tf import profiler

    assert not profiler.probe_installed(), "the XLA call probe was left installed"
    from graphlab.tracing.sampler import sampling_threads

    assert not sampling_threads(), "a graphlab memory sampler thread is still running"
    # The hook stays in TensorFlow only while something needs it.
    assert not tracing.hook_installed() or tracing.live_functions() > 0, "trace hook leaked"
