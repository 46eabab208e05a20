"""pytest-benchmark suites over the seed chapter's and TensorFlow's guide examples.

Run with ``make bench`` (all modes, full timing) or, as CI does through
``tests/test_benchmarks_smoke.py``, with tiny time budgets.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
