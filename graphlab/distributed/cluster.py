"""A loopback cluster: free ports and each worker's ``TF_CONFIG``. Starting the
processes is :mod:`graphlab._workers`' job; this only says where they meet. No
TensorFlow here.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (bound together, then released)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports: Sequence[int], rank: int) -> str:
    """The ``TF_CONFIG`` of worker ``rank`` of a loopback cluster."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": rank}})
