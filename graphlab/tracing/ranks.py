"""Which worker a process is: its rank, from ``TF_CONFIG`` or given by the user.

A multi-worker TensorFlow job runs one process per worker, each told its place by the
``TF_CONFIG`` environment variable (``{"cluster": {...}, "task": {"type": "worker",
"index": 1}}``). A trace report carries the rank so that reports of several workers can
be merged (``graphlab merge-traces``). The numbering is TensorFlow's own
(``multi_worker_util.id_in_cluster``): the chief is rank 0 and the workers follow it,
so worker ``i`` is rank ``i`` without a chief and ``i + 1`` with one. Other tasks
(``ps``, ``evaluator``) replicate no training step and get no rank; their task is
still recorded.

No TensorFlow needed: ``TF_CONFIG`` is plain JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The placeholder ``watch -o`` replaces by the rank.
RANK_PLACEHOLDER = "{rank}"


@dataclass(frozen=True, slots=True)
class Worker:
    """A process's place in a job.

    Attributes:
        rank: Unique per worker, from 0; None when unknown (no ``TF_CONFIG``, no
            ``--rank``) or for a task that replicates no step (``ps``, ``evaluator``).
        task: ``worker:1`` as ``TF_CONFIG`` names it; "" when not from ``TF_CONFIG``.
    """

    rank: int | None = None
    task: str = ""


def check_rank(rank: object, what: str = "rank") -> int | None:
    """``rank`` when it is None or an int >= 0; else a ValueError that says so."""
    if rank is None:
        return None
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
        raise ValueError(f"{what} must be a whole number >= 0 (0 for the chief), got {rank!r}")
    return rank


def from_tf_config(text: str | None) -> Worker:
    """The worker ``TF_CONFIG`` describes; ``Worker()`` when it is unset or names no task.

    Raises:
        ValueError: ``TF_CONFIG`` is not JSON, or its task is malformed.
    """
    if not text or not text.strip():
        return Worker()
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}); fix it or unset it") from None
    except RecursionError:
        raise ValueError("TF_CONFIG is JSON nested too deeply; fix it or unset it") from None
    if not isinstance(config, Mapping):
        raise ValueError("TF_CONFIG must be a JSON object with 'cluster' and 'task'")
    task = config.get("task") or {}
    if not isinstance(task, Mapping) or not task.get("type"):
        return Worker()
    kind = str(task["type"])
    index = task.get("index", 0)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"TF_CONFIG's task index must be a whole number >= 0, got {index!r}")
    cluster = config.get("cluster") or {}
    chiefs = cluster.get("chief", []) if isinstance(cluster, Mapping) else []
    if not isinstance(chiefs, (list, type(None))):
        raise ValueError(f"TF_CONFIG's cluster chief must be a list of addresses, got {chiefs!r}")
    name = f"{kind}:{index}"
    if kind == "chief":
        return Worker(0, name)
    if kind == "worker":
        return Worker(index + len(chiefs or ()), name)
    return Worker(None, name)


def current(rank: int | None = None, environ: Mapping[str, str] | None = None) -> Worker:
    """This process: ``rank`` when given (it wins over ``TF_CONFIG``), with the task
    from ``TF_CONFIG`` when set.

    Raises:
        ValueError: ``rank`` is not a whole number >= 0, or it is not given and
            ``TF_CONFIG`` is malformed.
    """
    env: Mapping[str, Any] = os.environ if environ is None else environ
    if rank is None:
        return from_tf_config(env.get("TF_CONFIG"))
    check_rank(rank)
    try:
        task = from_tf_config(env.get("TF_CONFIG")).task
    except ValueError:  # the rank is given: a TF_CONFIG we do not need is not our error
        task = ""
    return Worker(rank, task)


def fill_rank(path: str, rank: int | None) -> str:
    """``path`` with ``{rank}`` replaced (``traces-{rank}.json`` -> ``traces-1.json``).

    Raises:
        ValueError: the path has the placeholder and the rank is unknown.
    """
    if RANK_PLACEHOLDER not in path:
        return path
    if rank is None:
        raise ValueError(
            f"{path} has {RANK_PLACEHOLDER} but the process had no rank: pass --rank N "
            "or run it with TF_CONFIG naming a chief or worker task"
        )
    return path.replace(RANK_PLACEHOLDER, str(rank))
