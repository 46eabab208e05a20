"""The version, and what to do without TensorFlow: the facts every layer may import
(a leaf; the root package re-exports both)."""

__version__ = "0.1.0"


#: What to do when TensorFlow is missing (it is an extra: users pick their build).
NEEDS_TENSORFLOW = (
    "graphlab needs TensorFlow >= 2.16. Install it with one of the extras: "
    "pip install 'graphlab[cpu]' (tensorflow-cpu), 'graphlab[gpu]' "
    "(tensorflow[and-cuda]) or 'graphlab[tf]' (tensorflow)."
)
