"""Output parity across modes: every mode of a function must compute what its first
mode computed, up to a tolerance (float reordering in XLA, fused ops). A mismatch is a
finding to report, next to the timing.

NumPy only: the parent of isolated workers checks parity without TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

from graphlab.bench.records import ComparisonRow

#: ``check(reference, candidate) -> (ok, text)``.
Check = Callable[[Any, Any], tuple[bool, str]]


def check_outputs(
    reference: Sequence[Any], candidate: Sequence[Any], rtol: float, atol: float
) -> tuple[bool, str]:
    """Compare two outputs given as lists of numpy arrays. A mismatch is a finding to
    report (a bug, a different algorithm, float reordering beyond the tolerance)."""
    import numpy as np

    if len(reference) != len(candidate):
        return False, f"mismatch: {len(candidate)} outputs vs {len(reference)}"
    for index, (ref, cand) in enumerate(zip(reference, candidate)):
        ref, cand = np.asarray(ref), np.asarray(cand)
        if ref.shape != cand.shape:
            return False, f"mismatch: output {index} has shape {cand.shape} vs {ref.shape}"
        if ref.dtype.kind in "fc" or cand.dtype.kind in "fc":
            if not np.allclose(cand, ref, rtol=rtol, atol=atol, equal_nan=True):
                diff = np.abs(cand.astype(np.complex128) - ref.astype(np.complex128))
                worst = float(np.nanmax(diff)) if diff.size else 0.0
                return False, (
                    f"mismatch: output {index} differs by up to {worst:.3g} "
                    f"(rtol={rtol:g}, atol={atol:g})"
                )
        elif not np.array_equal(ref, cand):
            return False, f"mismatch: output {index} differs ({int((ref != cand).sum())} values)"
    return True, "ok"


def check_losses(rtol: float, atol: float) -> Check:
    """A check of the first training losses of two modes: identical initial weights and
    batches must give the same losses."""

    def check(reference: Sequence[float], losses: Sequence[float]) -> tuple[bool, str]:
        for step, (ref, loss) in enumerate(zip(reference, losses), 1):
            if not math.isclose(ref, loss, rel_tol=rtol, abs_tol=atol):
                return False, f"mismatch: step {step} loss {loss:.6g} vs {ref:.6g}"
        return True, f"ok (first {len(losses)} losses)"

    return check


class Parity:
    """Checks each row's output against the first output of the same function.

    Args:
        check: Compares a reference output with a candidate.
        first_label: The parity text of the reference row itself (``""``: none).
    """

    def __init__(self, check: Check, first_label: str = "") -> None:
        self.check = check
        self.first_label = first_label
        self._references: dict[str, Any] = {}

    def apply(self, row: ComparisonRow, output: Any) -> ComparisonRow:
        """``row`` with its parity filled in (the first row of a function becomes the
        reference)."""
        reference = self._references.get(row.function)
        if reference is None:
            self._references[row.function] = output
            return dataclasses.replace(row, parity=self.first_label) if self.first_label else row
        ok, text = self.check(reference, output)
        return dataclasses.replace(row, parity=text, parity_ok=ok)


def output_parity(rtol: float, atol: float) -> Parity:
    """Parity of outputs given as lists of NumPy arrays (``compare``, ``bench``)."""
    return Parity(lambda reference, output: check_outputs(reference, output, rtol, atol))
