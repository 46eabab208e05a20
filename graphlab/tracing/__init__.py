"""Trace recording: every ``tf.function`` trace, when, how long, and why it happened.

- :mod:`~graphlab.tracing.records`: the records and the ``graphlab.tracelog`` schema;
  :mod:`~graphlab.tracing.records_memory` (its ``memory`` field) and
  :mod:`~graphlab.tracing.records_merge` (``graphlab.merged_traces``) beside it.
- :mod:`~graphlab.tracing.options`: :class:`WatchOptions`, what a watch records.
- :mod:`~graphlab.tracing.explain`: why a trace happened (pure, over the neutral types
  of :mod:`graphlab._types`).
- :mod:`~graphlab.tracing.recorder`: the process-wide listener behind the trace hook.
- :mod:`~graphlab.tracing.api`: ``graphlab.function``, ``graphlab.watch`` and test guards.
- :mod:`~graphlab.tracing.runner`: run a whole program under a watch (``graphlab watch``).
- :mod:`~graphlab.tracing.render`: reports as text, markdown, JSON and HTML.
- :mod:`~graphlab.tracing.ranks`: which worker a process is (``TF_CONFIG``, ``--rank``).
- :mod:`~graphlab.tracing.memory`: the verdict on memory growth (pure);
  :mod:`~graphlab.tracing.sampler` samples it.
- :mod:`~graphlab.tracing.merge`: several workers' reports merged (pure), and
  :mod:`~graphlab.tracing.render_merge` to show them.

Importing this package imports nothing: records name their renderer by a string,
imported when one is first shown (:mod:`graphlab._display`).
"""
