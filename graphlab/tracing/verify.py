"""Advice verified by re-running the program with it applied.

For each function whose report suggests a code fix (an ``input_signature``, or
``reduce_retracing=True``), the program runs again in a fresh process with that fix
applied to that function, and the two runs are compared: the function's traces, the
program's exit status and the function's outputs (a fingerprint of each eager call's
result). A fix is *verified* when the program still runs as before and the function
traces fewer times; otherwise the report keeps the fix out of its advice and says why.

The fix is applied through graphlab's own wrapper (:mod:`graphlab._tf.override`, where
every tf.function is created), not by editing a copy of the source: the program runs
from its own files, folder, ``__file__`` and ``sys.path``, and a function defined in an
imported module, by a factory or with ``tf.function(f)`` gets it the same way. The
source edit ``graphlab fix`` prints adds the same keyword arguments.

The re-run is a worker (:mod:`graphlab._workers`): its own session, stdin from
``/dev/null`` (a program that asks for input fails and says so), a timeout, killed
with everything it started when it runs past it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from graphlab import _text
from graphlab.tracing.explain import (
    DATASET_ADVICE,
    GENERALIZE_ADVICE,
    LAST_BATCH_ADVICE,
    SIGNATURE_ADVICE,
)
from graphlab.tracing.options import WatchOptions
from graphlab.tracing.records import FunctionSummary, TraceReport
from graphlab.tracing.runner import Program, RunResult, run_watched

#: The task a verifying worker runs.
TASK = "graphlab.tracing.verify:replay"
#: Seconds a re-run gets on top of three times the watched run (TensorFlow's start-up).
BASE_TIMEOUT_S = 60.0

_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*")


@dataclass(frozen=True, slots=True)
class Fix:
    """A code change the advice suggests for one function.

    Attributes:
        function: Its name; qualname and defined_at identify it.
        keywords: The ``tf.function`` keyword arguments to add, as Python
            (``input_signature=[tf.TensorSpec(...)]``, ``reduce_retracing=True``).
    """

    function: str
    qualname: str
    defined_at: str
    keywords: str
    traces: int


def fixes_in(report: TraceReport) -> list[Fix]:
    """The code fixes a report's advice suggests, one per function at most."""
    fixes = []
    for summary in report.summaries:
        keywords = _keywords(summary)
        if keywords and not summary.internal:
            fixes.append(
                Fix(
                    summary.function, summary.qualname, summary.defined_at, keywords, summary.traces
                )
            )
    return fixes


def _keywords(summary: FunctionSummary) -> str:
    lines = summary.advice.splitlines()
    for index, line in enumerate(lines[:-1]):
        following = lines[index + 1]
        if line.startswith(SIGNATURE_ADVICE) and following.startswith("@tf.function("):
            return following.removeprefix("@tf.function(").removesuffix(")")
    if any(
        line.startswith(GENERALIZE_ADVICE) and "pass reduce_retracing=True" in line
        for line in lines
    ):
        return "reduce_retracing=True"
    return ""


@dataclass(frozen=True, slots=True)
class Verification:
    """What re-running the program with one fix applied showed.

    Attributes:
        fix: The fix tried.
        verified: It ran as before and the function traced fewer times.
        traces_after: The function's traces in the re-run (-1 when it did not finish).
        outputs: ``equal``, ``differ`` or ``not compared`` (no eager call recorded).
        difference: How they differ (a call's dtype or shape, or ``values``).
        why: Why it is not verified ('' when it is).
        seconds: How long the re-run took.
    """

    fix: Fix
    verified: bool
    traces_after: int = -1
    outputs: str = "not compared"
    why: str = ""
    seconds: float = 0.0
    difference: str = ""

    def line(self) -> str:
        """``verified: traces 3 -> 1, outputs equal`` or ``not verified: <why>``."""
        if self.verified and self.outputs == "differ" and self.difference != "values":
            return (
                f"verified: traces {self.fix.traces} -> {self.traces_after}, outputs "
                f"changed: {self.difference}; check that the program wants that"
            )
        if self.verified:
            outputs = {
                "equal": "outputs equal",
                "differ": "outputs differ from the watched run's (a program that is not "
                "seeded differs from run to run; check the results)",
            }.get(self.outputs, "outputs not compared (no eager call returned tensors)")
            return f"verified: traces {self.fix.traces} -> {self.traces_after}, {outputs}"
        return f"not verified: {self.why}"


@contextlib.contextmanager
def _outputs_recorded(store: dict[Any, list[Any]]) -> Iterator[None]:
    from graphlab._tf.override import recorded_outputs  # TensorFlow is imported by now

    with recorded_outputs(store):
        yield


def watch_program(
    program: Program | str,
    options: WatchOptions | None = None,
    *,
    args: Sequence[str] = (),
    verify_advice: bool = False,
    timeout: float | None = None,
    **run_options: Any,
) -> tuple[RunResult, list[Verification]]:
    """Run a program as ``graphlab watch [--verify-advice] script.py`` does.

    Args:
        program: A script's path (with ``args``), or a
            :class:`graphlab.tracing.runner.Program` (a script or a module).
        options: What to record (:class:`graphlab.tracing.options.WatchOptions`).
        verify_advice: Verify each code fix the report suggests (an
            ``input_signature``, ``reduce_retracing=True``) by running the program again
            in a fresh process with the fix applied to its function: one extra run per
            fixed function. The returned report then keeps only fixes that ran and
            reduced the traces, each followed by what the re-run showed.
        timeout: Seconds each re-run gets (default: 60 plus three times the watched
            run); one that runs past it is killed and the fix reported not verified.

    Returns:
        The watched run (its exit status and report) and one :class:`Verification`
        per fix tried, whose ``line()`` reads ``verified: traces 3 -> 1, outputs
        equal`` or ``not verified: <why>``.
    """
    if isinstance(program, str):
        program = Program.script(program, list(args))
    outputs: dict[Any, list[Any]] | None = {} if verify_advice else None
    start = time.perf_counter()
    result = run_watched(
        program,
        options,
        with_tensorflow=(lambda: _outputs_recorded(outputs)) if outputs is not None else None,
        **run_options,
    )
    elapsed = time.perf_counter() - start
    if not verify_advice:
        return result, []
    limit = timeout if timeout is not None else BASE_TIMEOUT_S + 3 * elapsed
    verifications = verify(program, result, outputs or {}, timeout=limit)
    report = annotate(result.report, verifications)
    return dataclasses.replace(result, report=report), verifications


def verify(
    program: Program, result: RunResult, outputs: dict[Any, list[Any]], *, timeout: float
) -> list[Verification]:
    """Re-run ``program`` once per fix its watched ``result`` suggests."""
    from graphlab._workers.parent import WorkerError, Workers

    verifications = []
    for fix in fixes_in(result.report):
        start = time.perf_counter()
        payload = {
            "path": program.path,
            "module": program.module_name,
            "argv": list(program.argv),
            "fix": [fix.qualname, fix.defined_at, fix.keywords],
        }
        with Workers(prefix="graphlab-verify-") as workers:
            child = workers.start(TASK, payload, name="verify", timeout=timeout)
            try:
                workers.wait([child], timeout)
            except WorkerError as error:
                seconds = time.perf_counter() - start
                limit = f"{timeout:.0f}" if timeout >= 10 else f"{timeout:.1f}"
                why = (
                    f"the re-run did not finish in {limit} s (the program may wait for "
                    "input or a network, or take long; give it more time)"
                    if child.timed_out
                    else f"the re-run ended before reporting ({error})"
                )
                verifications.append(Verification(fix, False, why=why, seconds=seconds))
                continue
            answer = json.loads(child.result_text())
            errors = [line for line in child.lines() if _ERROR_LINE.match(line)]
        seconds = time.perf_counter() - start
        verifications.append(_judge(fix, result, outputs, answer, errors, seconds))
    return verifications


def _judge(
    fix: Fix,
    result: RunResult,
    outputs: dict[Any, list[Any]],
    answer: dict[str, Any],
    errors: list[str],
    seconds: float,
) -> Verification:
    from graphlab._tf.override import output_difference

    name = (fix.qualname, fix.defined_at)
    after = answer["traces"].get("|".join(name), 0)
    if answer.get("error"):
        return Verification(
            fix, False, why=f"the fix does not apply: {answer['error']}", seconds=seconds
        )
    if not answer["applied"]:
        return Verification(
            fix,
            False,
            why="the re-run never created this tf.function (it depends on input?)",
            seconds=seconds,
        )
    if answer["exit_code"] != result.exit_code:
        error = errors[-1] if errors else f"exit status {answer['exit_code']}"
        why = f"the program fails with it ({error})"
        if "EOFError" in error:
            why += "; it reads input, which a re-run cannot give"
        return Verification(fix, False, after, why=why, seconds=seconds)
    if after >= fix.traces:
        return Verification(
            fix,
            False,
            after,
            why=f"it does not reduce the traces ({fix.traces} -> {after})",
            seconds=seconds,
        )
    before_out, after_out = outputs.get(name), answer["outputs"]
    compared, difference = "not compared", ""
    if before_out and after_out:
        difference = output_difference(before_out, after_out)
        compared = "differ" if difference else "equal"
    return Verification(fix, True, after, compared, seconds=seconds, difference=difference)


@contextlib.contextmanager
def _fix_applied(
    fixes: dict[Any, str], applied: dict[Any, int], outputs: dict[Any, list[Any]]
) -> Iterator[None]:
    """The fix applied to every tf.function made from here on, and their outputs kept;
    entered as the program imports TensorFlow, as :func:`_outputs_recorded` is."""
    from graphlab._tf.override import fixed_functions, recorded_outputs

    with fixed_functions(fixes, applied), recorded_outputs(outputs):
        yield


def replay(payload: dict[str, Any]) -> dict[str, Any]:
    """The worker's side: run the program with one fix applied, say what it traced."""
    qualname, defined_at, keywords = payload["fix"]
    name = (qualname, defined_at)
    program = Program(payload["path"], payload["module"], tuple(payload["argv"]))
    applied: dict[Any, int] = {}
    outputs: dict[Any, list[Any]] = {}
    error = ""
    try:
        result = run_watched(
            program,
            WatchOptions(),
            process_ends=True,
            with_tensorflow=lambda: _fix_applied({name: keywords}, applied, outputs),
        )
    except Exception as failure:  # pragma: no cover - run_watched reports the program's own
        error = f"{type(failure).__name__}: {failure}"
        result = None
    traces = {}
    if result is not None:
        for summary in result.report.summaries:
            key = f"{summary.qualname}|{summary.defined_at}"
            traces[key] = traces.get(key, 0) + summary.traces
    return {
        "exit_code": result.exit_code if result is not None else 1,
        "traces": traces,
        "applied": applied.get(name, 0),
        "outputs": outputs.get(name, []),
        "error": error,
    }


# ---------------------------------------------------------------------------
# The report, with only verified fixes


def annotate(report: TraceReport, verifications: Sequence[Verification]) -> TraceReport:
    """``report`` with each tried fix's advice followed by what the re-run showed, and
    a fix that did not verify taken out of the advice."""
    by_name = {(v.fix.qualname, v.fix.defined_at): v for v in verifications}
    summaries = []
    for summary in report.summaries:
        verification = by_name.get((summary.qualname, summary.defined_at))
        if verification is not None:
            summary = dataclasses.replace(
                summary, advice=_advice_with(summary.advice, verification)
            )
        summaries.append(summary)
    events = []
    for event in report.events:  # each trace's own advice: without a fix that failed
        verification = by_name.get((event.qualname, event.defined_at))
        if verification is not None and not verification.verified and event.cause.advice:
            cause = dataclasses.replace(
                event.cause, advice=_advice_with(event.cause.advice, verification)
            )
            event = dataclasses.replace(event, cause=cause)
        events.append(event)
    return dataclasses.replace(report, summaries=tuple(summaries), events=tuple(events))


def _advice_with(advice: str, verification: Verification) -> str:
    if verification.verified:
        shown = verification.line().removeprefix("verified: ")
        # The re-run applied the specs: not the dataset's name, nor drop_remainder.
        advice = advice.replace(
            DATASET_ADVICE, DATASET_ADVICE.removesuffix(":") + " (the same specs, not re-run):"
        ).replace(LAST_BATCH_ADVICE, LAST_BATCH_ADVICE.removesuffix(":") + " (not re-run):")
        return f"{advice}\nVerified by re-running the program with it: {shown}."
    kept = []
    lines = advice.splitlines()
    skip = False
    for line in lines:
        if line.startswith(SIGNATURE_ADVICE):
            skip = True  # the signature, its dataset form and its last-batch alternative
            continue
        if skip and not line.startswith(("@tf.function(", "Or ")):
            skip = False
        if skip:
            continue
        if line.startswith(GENERALIZE_ADVICE):
            line = line.split("; pass reduce_retracing=True")[0] + "."
        kept.append(line)
    kept.append(
        f"graphlab tried tf.function({verification.fix.keywords}) by re-running the program: "
        f"{verification.line()}."
    )
    return "\n".join(kept)


def render(verifications: Sequence[Verification], width: int = 80) -> str:
    """One entry per function tried, wrapped to ``width`` columns without splitting a
    name or ``file:line``: the text the CLI prints after the report."""
    if not verifications:
        return "\n".join(
            _text.flow(
                "graphlab: --verify-advice: no code fix to verify (no signature or "
                "reduce_retracing advice in this run)",
                width,
            )
        )
    lines = ["Advice verified by re-running the program (one run per fixed function):"]
    for v in verifications:
        lines.append(f"  {v.fix.function} ({v.fix.defined_at}):")
        lines += _text.flow(f"{v.line()} [{v.seconds:.1f} s]", width, "    ")
    return "\n".join(lines)
