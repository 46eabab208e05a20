"""Benchmarking: is graph mode (or XLA) worth it, measured fairly.

- :mod:`~graphlab.bench.records`: Measurement, Comparison, RunDiff and their schemas.
- :mod:`~graphlab.bench.stats`: medians, intervals, significance (pure).
- :mod:`~graphlab.bench.timer`: the one timing loop, with pluggable sample sources.
- :mod:`~graphlab.bench.modes` / :mod:`~graphlab.bench.parity`: what is compared, and
  whether every mode computes the same thing.
- :mod:`~graphlab.bench.settings`: ``BenchSettings``, the settings as one record.
- :mod:`~graphlab.bench.compare`: ``graphlab.compare``; :mod:`~graphlab.bench.isolate`
  (tasks: :mod:`~graphlab.bench.worker_task`, run by :mod:`graphlab._workers`,
  targets checked first by :mod:`~graphlab.bench.preflight`): the same in fresh processes;
  :mod:`~graphlab.bench.environments` and :mod:`~graphlab.bench.turns`: in other Python
  environments, their workers taking turns round by round (``bench --python``).
- :mod:`~graphlab.bench.training` and :mod:`~graphlab.bench.fit`: whole training steps;
  :mod:`~graphlab.bench.scaling`: their scaling table over worker processes.
- :mod:`~graphlab.bench.runs`: diffs of saved runs and the CI gate.
- :mod:`~graphlab.bench.fixture`: the pytest plugin's ``graph_benchmark``.
- :mod:`~graphlab.bench.render`, :mod:`~graphlab.bench.render_plugin`: tables and pages.

Importing this package imports no TensorFlow.
"""
