"""``python -m graphlab demo``: the seed chapter's walkthrough.

- :mod:`~graphlab.demo.walkthrough`: the sections (traces, inspection, benchmarks,
  training), each as text and as its own command's JSON.
- :mod:`~graphlab.demo.records`: the ``graphlab.demo`` document and its loader.
"""
