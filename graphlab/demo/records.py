"""The JSON document of ``python -m graphlab demo --format json``.

Schema history:

* ``graphlab.demo/1`` (2026-11-30): ``{"schema", "traces", "inspection", "bench",
  "training"}``, each section the document its own command writes: a tracelog, the
  two inspections of ``add_10`` with their diff (``{"add_10_range", "add_10_tf_range",
  "diff"}``), and two comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphlab import _schema
from graphlab.bench.records import Comparison
from graphlab.graphs.records import GraphDiff, Inspection
from graphlab.tracing.records import TraceReport

#: The schema of ``demo --format json``.
DEMO_SCHEMA = "graphlab.demo/1"


def document(sections: dict[str, Any]) -> dict[str, object]:
    """The JSON document of the walkthrough: its schema, then each section's own."""
    return {"schema": DEMO_SCHEMA, **sections}


@dataclass(frozen=True, slots=True)
class Walkthrough:
    """A loaded ``graphlab.demo`` document: each section as its own record."""

    traces: TraceReport
    unrolled: Inspection
    looped: Inspection
    diff: GraphDiff
    bench: Comparison
    training: Comparison

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Walkthrough:
        """Load a ``graphlab.demo/1`` document, each section through its own loader.

        Raises:
            ValueError: not a demo document, or a section missing.
        """
        _schema.check(data, (DEMO_SCHEMA,), "demo document")
        missing = [k for k in ("traces", "inspection", "bench", "training") if k not in data]
        if missing:
            raise ValueError(f"demo document without {', '.join(missing)}")
        inspection = data["inspection"]
        return cls(
            traces=TraceReport.from_dict(data["traces"]),
            unrolled=Inspection.from_dict(inspection["add_10_range"]),
            looped=Inspection.from_dict(inspection["add_10_tf_range"]),
            diff=GraphDiff.from_dict(inspection["diff"]),
            bench=Comparison.from_dict(data["bench"]),
            training=Comparison.from_dict(data["training"]),
        )

    def to_dict(self) -> dict[str, object]:
        """The document as ``demo --format json`` writes it."""
        return document(
            {
                "traces": self.traces.to_dict(),
                "inspection": {
                    "add_10_range": self.unrolled.to_dict(),
                    "add_10_tf_range": self.looped.to_dict(),
                    "diff": self.diff.to_dict(),
                },
                "bench": self.bench.to_dict(),
                "training": self.training.to_dict(),
            }
        )
