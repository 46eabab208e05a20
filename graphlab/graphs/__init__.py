"""Graph inspection: what ``tf.function`` makes of a function.

- :mod:`~graphlab.graphs.records`: the records and the ``graphlab.inspect`` schema.
- :mod:`~graphlab.graphs.summarize`: one graph's ops (nested bodies included), lines,
  captures, control flow; graph diffs.
- :mod:`~graphlab.graphs.inspection`: ``graphlab.inspect`` (trace, then summarize).
- :mod:`~graphlab.graphs.autograph`: the AutoGraph-generated code.
- :mod:`~graphlab.graphs.export`: XLA IR, pbtxt, DOT, TensorBoard.
- :mod:`~graphlab.graphs.render`: reports as text, markdown, JSON and HTML.

Importing this package imports no TensorFlow.
"""
