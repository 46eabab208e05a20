"""Training steps beyond one process: where a row ran and how workers agree.

``records`` (where a row ran: workers, replicas, the spread across workers), ``sync``
(workers agree on every decision of the timing loop), ``cluster`` (free loopback ports,
``TF_CONFIG``). Starting worker processes is :mod:`graphlab._workers`' job; the scaling
table of ``bench_training_step(workers=N)`` is :mod:`graphlab.bench.scaling`. This
package imports nothing of :mod:`graphlab.bench`.
"""
