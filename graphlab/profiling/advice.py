"""What a list of XLA compilations means for the user: pure functions over records.

Two things are worth saying. A function that compiles again and again without tracing
again is XLA's cache missing on new input shapes (the tf.function cache, with a
``[None]`` signature, takes them all): bucket or pad the shapes, fix the dims, or drop
``jit_compile``. A function that asked for XLA and never compiled ran without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphlab._text import plural
from graphlab.profiling.records import Compilation, Shape

#: The kinds of note, in the order they are shown.
NOTE_KINDS = ("xla_recompiles", "xla_not_used")

#: The step function Keras 3 wraps in ``tf.function(jit_compile=model.jit_compile)``
#: (its loops around it, ``multi_step_on_iterator``, never use XLA).
KERAS_STEPS = frozenset({"one_step_on_data"})


@dataclass(frozen=True, slots=True)
class CompileNote:
    """One thing to know about a function's compilations, with what to do."""

    kind: str
    function: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "function": self.function, "message": self.message}


def notes(
    compilations: Sequence[Compilation], jit_functions: dict[str, bool]
) -> tuple[CompileNote, ...]:
    """Notes for a recording.

    Args:
        compilations: Every compilation seen.
        jit_functions: Function name -> whether its traces asked for XLA
            (``jit_compile=True``), for every function that traced while recording.
    """
    found = []
    by_function: dict[str, list[Compilation]] = {}
    for compilation in compilations:
        by_function.setdefault(compilation.function, []).append(compilation)
    for function, seen in by_function.items():
        repeats = [c for c in seen if not c.after_trace]
        if not repeats:
            continue
        traces = len(seen) - len(repeats)
        total_ms = sum(c.duration for c in seen) * 1e3
        shapes = list(dict.fromkeys(c.input_shapes for c in seen))
        varying = varying_dims(shapes)
        message = (
            f"{function} was compiled by XLA {plural(len(seen), 'time')} "
            f"({total_ms:.0f} ms in all) for {plural(len(shapes), 'input shape')}"
            f" with {plural(traces, 'trace')}: XLA compiles once per concrete shape, below "
            "the tf.function cache"
        )
        if varying:
            message += f" (what differs: {', '.join(varying)})"
        message += (
            ". Bucket or pad the inputs to a few sizes, fix those dims in the "
            "input_signature, or drop jit_compile for this function."
        )
        found.append(CompileNote("xla_recompiles", function, message))
    for function, jit in jit_functions.items():
        if jit and function not in by_function:
            found.append(
                CompileNote(
                    "xla_not_used",
                    function,
                    f"{function} asked for XLA (jit_compile=True) and traced, but no XLA "
                    "compilation of it was seen: it ran without XLA (or never ran).",
                )
            )
        elif not jit and is_keras_step(function) and function not in by_function:
            found.append(
                CompileNote(
                    "xla_not_used",
                    function,
                    f"Keras's {function} ran without XLA (jit_compile=False). "
                    "Model.compile(jit_compile='auto'), the default, turns XLA off on "
                    "machines without a GPU; pass jit_compile=True to compile with XLA.",
                )
            )
    return tuple(found)


def is_keras_step(function: str) -> bool:
    """``one_step_on_data`` or ``Sequential.train_function (one_step_on_data)``."""
    return any(function == step or function.endswith(f"({step})") for step in KERAS_STEPS)


def varying_dims(shapes: Sequence[tuple[Shape, ...]]) -> list[str]:
    """``["input 1 dim 0"]``: the dims that differ between the shapes of several calls."""
    if len(shapes) < 2 or len({len(s) for s in shapes}) != 1:
        return []
    found = []
    for position in range(len(shapes[0])):
        ranks = {len(s[position]) for s in shapes}
        if len(ranks) != 1:
            found.append(f"the rank of input {position + 1}")
            continue
        for dim in range(ranks.pop()):
            if len({s[position][dim] for s in shapes}) > 1:
                found.append(f"input {position + 1} dim {dim}")
    return found
