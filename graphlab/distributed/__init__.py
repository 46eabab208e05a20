"""Training steps beyond one process: ``bench_training_step(workers=N)`` on local worker
processes, ``strategy="multi_worker"`` inside workers a user launched.

``records`` (where a row ran: workers, replicas, the spread across workers), ``sync``
(workers agree on every decision of the timing loop), ``launch`` (the parent: ports,
``TF_CONFIG``, processes, cleanup; no TensorFlow), ``worker`` (one worker process),
``scaling`` (the scaling table: 1 device, MirroredStrategy, N workers).
"""
