"""The one way graphlab runs work in other processes (pyperf's ``_manager`` /
``_worker`` split is the model). A neutral leaf: it imports no feature package and
starts a task named by a ``"module:function"`` string, so that higher layers
(:mod:`graphlab.bench`) define the tasks it runs.

- :mod:`~graphlab._workers.records`: the versioned request record a child reads.
- :mod:`~graphlab._workers.parent`: start N children, wait, time out, kill, collect
  each child's result file and error tail; a scratch folder that is always removed.
- :mod:`~graphlab._workers.child`: ``python -m graphlab._workers.child REQUEST``: its
  own session, dies with its parent, the parent's ``sys.path`` and script restored.
- :mod:`~graphlab._workers.sendable`: what can reach a child, refused up front.
- :mod:`~graphlab._workers.tracker`: removes what a parent killed outright left.

No TensorFlow anywhere here.
"""
