"""Who holds a run, and whether that holder is gone.

A worker id is `host:pid:boot/index`. A run whose holder stopped heartbeating for `LEASE` is lost,
whatever host it was on; on this host a holder whose process is dead (or whose pid now belongs to
another boot of a server) is lost at once, so a restart settles a crashed server's runs without waiting.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from mantis.processes import pid_alive
from mantis.store.runs import Claim

LEASE = timedelta(seconds=60)

HOST = socket.gethostname()
BOOT = secrets.token_hex(4)


def process_id() -> str:
    """This process, as its workers' ids begin."""
    return f"{HOST}:{os.getpid()}:{BOOT}"


def is_lost(claim: Claim, now: datetime) -> bool:
    if claim.heartbeat_at is None or now - claim.heartbeat_at > LEASE:
        return True
    return process_gone(claim.worker_id)


def process_gone(worker_id: str | None) -> bool:
    """Whether the process a worker id (or `process_id()`) names is known dead: only this host can tell."""
    host, pid, boot = _parse(worker_id)
    if host != HOST or pid is None:
        return False
    if pid == os.getpid():
        return boot != BOOT
    return not pid_alive(pid)


def _parse(worker_id: str | None) -> tuple[str, int | None, str]:
    process = (worker_id or "").split("/", 1)[0]
    host, _, rest = process.partition(":")
    pid, _, boot = rest.partition(":")
    return host, int(pid) if pid.isdigit() else None, boot

    return True
