"""Graphs out of graphlab: XLA's IR, pbtxt, DOT (and svg/png through Graphviz),
TensorBoard logs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from typing import Any

from graphlab import _tf
from graphlab._tf import graphs as tf_graphs
from graphlab.graphs.inspection import InspectError, as_tf_function, first_lines
from graphlab.graphs.records import Export

#: Stages of ``experimental_get_compiler_ir`` that return text.
XLA_STAGES = ("hlo", "optimized_hlo", "stablehlo", "optimized_hlo_dot")
#: What ``export_graph`` writes.
EXPORT_FORMATS = ("pbtxt", "dot", "svg", "png", "tensorboard", *XLA_STAGES[:3])


class XlaError(RuntimeError):
    """XLA could not compile the function.

    Attributes:
        unsupported_ops: Op types XLA has no kernel for, when that is the reason.
    """

    def __init__(self, message: str, unsupported_ops: tuple[str, ...] = ()):
        super().__init__(message)
        self.unsupported_ops = unsupported_ops


# ---------------------------------------------------------------------------
# XLA


def compiler_ir(target: Any, *args: Any, stage: str = "hlo", **kwargs: Any) -> str:
    """XLA's IR for ``target`` called with these concrete inputs.

    ``target`` need not be ``jit_compile=True``: a copy with XLA on is made, since
    ``experimental_get_compiler_ir`` requires it. Inputs must have fully known shapes.

    Raises:
        InspectError: an unknown stage, one this TensorFlow lacks, or inputs with
            unknown dimensions.
        XlaError: XLA cannot compile the function; ``unsupported_ops`` names the ops.
    """
    if stage not in XLA_STAGES:
        raise InspectError(f"unknown XLA stage {stage!r}; use one of {', '.join(XLA_STAGES)}")
    function = as_tf_function(target)
    if _tf.is_concrete_function(function):
        raise InspectError(
            "XLA IR needs the tf.function or Python function and concrete inputs, not a "
            "ConcreteFunction"
        )
    try:
        return tf_graphs.compiler_ir(function, tuple(args), dict(kwargs), stage)
    except ValueError as error:
        message = str(error)
        if "Invalid stage" in message:
            raise InspectError(
                f"TensorFlow {_tf.TF_VERSION} has no XLA stage {stage!r}: {first_lines(message)}"
            ) from None
        if "static input shape" in message:
            raise InspectError(
                "XLA IR needs inputs with known shapes; give concrete sizes instead of None"
            ) from None
        unsupported = tuple(dict.fromkeys(re.findall(r"(\w+) \(No registered", message)))
        if unsupported:
            device = re.search(r"on (XLA_\w+)", message)
            raise XlaError(
                f"XLA cannot compile {function.__name__}: unsupported op"
                f"{'s' if len(unsupported) > 1 else ''} {', '.join(unsupported)}"
                f"{' on ' + device.group(1) if device else ''}",
                unsupported,
            ) from None
        raise XlaError(f"XLA cannot compile {function.__name__}: {first_lines(message)}") from None


# ---------------------------------------------------------------------------
# Exports


def export_graph(concrete: Any, fmt: str, path: str) -> Export:
    """Write one concrete function's graph as ``pbtxt``, ``dot``, ``svg``/``png`` (needs
    Graphviz's ``dot`` program; without it, DOT text is written and the note says so) or
    a ``tensorboard`` log directory. XLA stages go through :func:`compiler_ir`."""
    if fmt not in ("pbtxt", "dot", "svg", "png", "tensorboard"):
        raise InspectError(
            f"unknown export format {fmt!r}; use one of pbtxt, dot, svg, png, tensorboard "
            "(or an XLA stage: hlo, optimized_hlo, stablehlo)"
        )
    graph = concrete.graph
    if fmt == "tensorboard":
        tf_graphs.write_graph_summary(graph, path)
        return Export(fmt, path, f"run: tensorboard --logdir {path}  (Graphs dashboard)")
    graph_def = graph.as_graph_def()
    if fmt == "pbtxt":
        _write(path, str(graph_def))
        return Export(fmt, path)
    dot_text = to_dot(graph_def)
    if fmt == "dot":
        _write(path, dot_text)
        return Export(fmt, path)
    dot_program = shutil.which("dot")
    if dot_program is None:
        dot_path = os.path.splitext(path)[0] + ".dot"
        _write(dot_path, dot_text)
        return Export(
            "dot",
            dot_path,
            f"Graphviz's `dot` program is not installed, so no {fmt} was made; wrote DOT "
            f"text to {dot_path} instead (install graphviz, then: dot -T{fmt} {dot_path} "
            f"-o {path})",
        )
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as handle:
        handle.write(dot_text)
    try:
        subprocess.run([dot_program, f"-T{fmt}", handle.name, "-o", path], check=True)
    finally:
        os.unlink(handle.name)
    return Export(fmt, path)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def to_dot(graph_def: Any) -> str:
    """Graphviz DOT for a GraphDef: the top level, and one cluster per nested body with a
    dashed edge from the op that runs it."""
    out = ["digraph G {", "  rankdir=TB;", "  node [shape=box, fontsize=10, style=rounded];"]

    def nodes(prefix: str, node_defs: Iterable[Any], indent: str) -> None:
        names = {node.name for node in node_defs}
        for node in node_defs:
            out.append(f'{indent}"{prefix}{node.name}" [label="{node.name}\\n{node.op}"];')
        for node in node_defs:
            for source in node.input:
                if source.startswith("^"):
                    name, style = source[1:], " [style=dotted]"
                else:
                    name, style = source.split(":")[0], ""
                if name in names:
                    out.append(f'{indent}"{prefix}{name}" -> "{prefix}{node.name}"{style};')

    nodes("", graph_def.node, "  ")
    for function in graph_def.library.function:
        name = function.signature.name
        out.append(f'  subgraph "cluster_{name}" {{')
        out.append(f'    label="{name}"; style=dashed;')
        out.append(f'    "{name}/" [label="{name}", shape=note];')
        nodes(f"{name}/", function.node_def, "    ")
        out.append("  }")
    runs = [("", node) for node in graph_def.node] + [
        (f"{f.signature.name}/", node) for f in graph_def.library.function for node in f.node_def
    ]
    for prefix, node in runs:
        for attribute, body in tf_graphs.node_bodies(node):
            out.append(f'  "{prefix}{node.name}" -> "{body}/" [style=dashed, label="{attribute}"];')
    out.append("}")
    return "\n".join(out) + "\n"
