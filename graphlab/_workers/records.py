"""The request a worker process carries out: a versioned record written as JSON by the
parent and read by :mod:`graphlab._workers.child`. No TensorFlow.

Schema history:

* ``graphlab.worker_request/1`` (2026-12-06): ``{"schema", "task", "payload", "result",
  "parent_pid", "sys_path", "main_path", "main_module", "timeout", "rank"}``. A child
  refuses any other version (a stale graphlab on its path).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: The request's schema; a child refuses another (a stale graphlab on its path).
SCHEMA = "graphlab.worker_request/1"
#: Set in every child: starting workers from a worker is an error, not a fork bomb.
WORKER_ENV = "GRAPHLAB_WORKER"


class RequestError(ValueError):
    """A request file a child cannot carry out."""


@dataclass(frozen=True, slots=True)
class Request:
    """One child's work.

    Attributes:
        task: ``"module:function"`` the child calls with ``payload`` (a higher layer's
            code, named by a string: this package imports none of it).
        payload: The task's input, JSON-able (a settings record's ``to_dict``).
        result: Path of the file the child writes the task's JSON result to.
        parent_pid: The parent's pid; the child exits when the parent goes away.
        sys_path: The parent's ``sys.path`` (empty: the child's own, as for another
            Python environment), restored ahead of the child's.
        main_path: The parent's script, imported in the child as ``__mp_main__`` and
            aliased as ``__main__`` so that what it defines unpickles (empty: none).
        main_module: The parent's ``__main__`` module name when it ran as
            ``python -m NAME`` (imported by name then, as multiprocessing's spawn does).
        timeout: Seconds the parent gives the child (informational in the child).
        rank: The child's index among those started together.
    """

    task: str
    payload: dict[str, Any]
    result: str
    parent_pid: int
    sys_path: tuple[str, ...] = ()
    main_path: str = ""
    main_module: str = ""
    timeout: float | None = None
    rank: int = 0
    schema: str = field(default=SCHEMA)

    def __post_init__(self) -> None:
        module, sep, function = self.task.partition(":")
        if not (module and sep and function):
            raise RequestError(f"task must be 'module:function', got {self.task!r}")
        if self.schema != SCHEMA:
            raise RequestError(f"request schema {self.schema!r}, this graphlab reads {SCHEMA!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "task": self.task,
            "payload": self.payload,
            "result": self.result,
            "parent_pid": self.parent_pid,
            "sys_path": list(self.sys_path),
            "main_path": self.main_path,
            "main_module": self.main_module,
            "timeout": self.timeout,
            "rank": self.rank,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        return cls(
            task=data["task"],
            payload=dict(data["payload"]),
            result=data["result"],
            parent_pid=int(data["parent_pid"]),
            sys_path=tuple(data.get("sys_path", ())),
            main_path=data.get("main_path", "") or "",
            main_module=data.get("main_module", "") or "",
            timeout=data.get("timeout"),
            rank=int(data.get("rank", 0)),
            schema=data.get("schema", ""),
        )

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle)

    @classmethod
    def read(cls, path: str) -> Request:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))
