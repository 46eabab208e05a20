"""Pure readings of profile events (:class:`~graphlab._types.Event`): which
events nest in which, and the XLA compilations they hold.

What a profile of ``f(x)`` for a ``jit_compile=True`` function shows on the calling
thread (TF 2.16 - 2.21, CPU)::

    f                                   tf_function_call=traced-xla | notTraced-xla
      tf.function-graph_building        (only when the call traced)
      TFE_Py_ExecuteCancelable > EagerExecute > EagerLocalExecute: __inference_f_12
        EagerKernelExecute
          __inference_f_12:__inference_f_12      the kernel: compile if needed, then run
            HLO passes ...
            CpuCompiler::RunBackend   name=a_inference_f_12__XlaMustCompile_...
              CpuCompiler::CompileCpuExecutable > ... JitCompiler::Compile

A compilation lasts from the start of the kernel that compiled (tf2xla lowering and the
HLO passes come first) to the end of ``RunBackend``; the run that follows, tens of
microseconds, is left out. Measured against the wall time of the calls that compiled,
this holds within ~10% (``benchmarks/bench_compiles.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from graphlab._types import CALL_EVENT, Event
from graphlab.profiling.records import Compilation, Shape

#: A compiler backend finishing one executable (``CpuCompiler::RunBackend``, ``Gpu...``).
_BACKEND = re.compile(r"Compiler::RunBackend$")
#: A kernel's own event is ``name:type`` (``__inference_f_12:__inference_f_12``).
_KERNEL = re.compile(r"^[^\s:]+:[^\s:]+$")
#: The module XLA compiles is named after the function: ``a_inference_f_12__XlaMust...``.
_MODULE_FUNCTION = re.compile(r"inference_(.+?_\d+)(?:__|$)")
_SHAPE = re.compile(r"\[([^\]]*)\]")
#: What XLA's module names cannot hold: ``__inference_<lambda>_6`` compiles as
#: ``a_inference__lambda__6__XlaMustCompile...``.
_NOT_IN_MODULE_NAMES = re.compile(r"[^A-Za-z0-9_]")


def is_compilation(name: str) -> bool:
    """Whether an event's name is a compiler backend finishing an executable."""
    return bool(_BACKEND.search(name))


def parents(events: Sequence[Event]) -> list[int | None]:
    """For each event, the index of the innermost event that encloses it on its line."""
    order = sorted(range(len(events)), key=lambda i: (events[i].start_ps, -events[i].duration_ps))
    found: list[int | None] = [None] * len(events)
    stacks: dict[str, list[int]] = {}
    for index in order:
        event = events[index]
        stack = stacks.setdefault(event.line, [])
        while stack and events[stack[-1]].end_ps < event.end_ps:
            stack.pop()
        found[index] = stack[-1] if stack else None
        stack.append(index)
    return found


def ancestors(index: int, parent: Sequence[int | None]) -> list[int]:
    """Enclosing events of ``index``, innermost first."""
    chain = []
    current = parent[index]
    while current is not None:
        chain.append(current)
        current = parent[current]
    return chain


def parse_shapes(text: str) -> tuple[Shape, ...]:
    """``[3][4x?][]`` -> ``((3,), (4, None), ())``."""
    shapes = []
    for inside in _SHAPE.findall(text):
        dims = [d for d in inside.split("x") if d]
        shapes.append(tuple(None if d == "?" else int(d) for d in dims))
    return tuple(shapes)


def function_of_module(module: str) -> str:
    """``a_inference_f_12__XlaMustCompile_true_...`` -> ``__inference_f_12`` (or '')."""
    match = _MODULE_FUNCTION.search(module)
    return f"__inference_{match.group(1)}" if match else ""


def _as_in_module(inference_name: str) -> str:
    """A concrete function's name as an XLA module name spells it."""
    return _NOT_IN_MODULE_NAMES.sub("_", inference_name)


def plain_name(inference_name: str) -> str:
    """``__inference_train_step_12`` -> ``train_step``."""
    name = inference_name.removeprefix("__inference_")
    return re.sub(r"_\d+$", "", name)


def compilations(
    events: Sequence[Event],
    *,
    functions: Mapping[str, str] | None = None,
    traced_shapes: Mapping[str, tuple[Shape, ...]] | None = None,
    pending_shapes: Mapping[str, tuple[Shape, ...]] | None = None,
    traced: set[str] | None = None,
) -> list[Compilation]:
    """Every XLA compilation in a profile, in order.

    A concrete function's first compilation is the one its trace caused
    (``after_trace``); later ones are XLA's cache missing on a new input shape.

    Args:
        events: The profile's host events.
        functions: ``__inference_f_12`` -> the name a trace report gives that function;
            other functions are named from the module (``f``).
        traced_shapes: ``__inference_f_12`` -> the input shapes of that trace, for
            compilations no call probe saw (made inside another graph).
        pending_shapes: ``__inference_f_12`` -> the shapes of the call that was running
            when the profile started (its probe event was missed): they go to that
            function's first compilation without a probe event.
        traced: The concrete functions traced while recording, when known: a first
            compilation of any other is not ``after_trace`` (it was traced before).
    """
    functions = {_as_in_module(k): v for k, v in (functions or {}).items()}
    traced_shapes = {_as_in_module(k): v for k, v in (traced_shapes or {}).items()}
    pending = {_as_in_module(k): v for k, v in (pending_shapes or {}).items()}
    traced = None if traced is None else {_as_in_module(name) for name in traced}
    parent = parents(events)
    origin = min((e.start_ps for e in events), default=0)
    probes = [e for e in events if e.name == CALL_EVENT]
    found = []
    seen: set[str] = set()
    last_end: dict[int, int] = {}  # kernel event -> end of its last compilation
    for index, event in sorted(enumerate(events), key=lambda item: item[1].start_ps):
        if not _BACKEND.search(event.name):
            continue
        chain = ancestors(index, parent)
        kernel = next((i for i in chain if _KERNEL.match(events[i].name)), None)
        anchor = kernel if kernel is not None else (chain[0] if chain else index)
        start = max(events[anchor].start_ps, last_end.get(anchor, 0))
        last_end[anchor] = event.end_ps
        inference = function_of_module(str(event.stats.get("name", "")))
        if not inference and kernel is not None:
            inference = _as_in_module(events[kernel].name.split(":")[0])
        probe = _innermost(probes, event.start_ps, lambda e: "input_shapes" in e.stats)
        if probe is not None:
            shapes = parse_shapes(str(probe.stats["input_shapes"]))
        elif inference in pending:
            shapes = pending.pop(inference)
        else:
            shapes = traced_shapes.get(inference, ())
        found.append(
            Compilation(
                function=functions.get(inference) or plain_name(inference) or "(unknown)",
                compiler="xla",
                duration=(event.end_ps - start) / 1e12,
                input_shapes=shapes,
                after_trace=inference not in seen and (traced is None or inference in traced),
                at=(start - origin) / 1e12,
            )
        )
        seen.add(inference)
    found.sort(key=lambda c: c.at)
    return found


def _innermost(candidates: Iterable[Event], at_ps: int, accept) -> Event | None:
    """The latest-starting accepted event that spans ``at_ps``."""
    best = None
    for event in candidates:
        if event.start_ps <= at_ps <= event.end_ps and accept(event):
            if best is None or event.start_ps > best.start_ps:
                best = event
    return best
