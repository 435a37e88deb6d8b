"""The workspace (MANTIS_HOME) is the server's alone: runs' rows, screenshots and recordings, the SQLite
database and the server's keys are other tenants' data to anyone else on the machine.

A process that opens the workspace sets its umask to 077, so that every folder it or its children
(Chromium, ffmpeg, Xvfb) make is 0700 and every file 0600, and it takes those modes back from a workspace
an older version left open. Files kept in a deeper folder from before are guarded by their 0700 parents.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

OWNER_ONLY = 0o077  # umask: no bits for group or others
FOLDER = 0o700
FILE = 0o600
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


def open_workspace(home: Path, runs_dir: Path, database_url: str) -> None:
    os.umask(OWNER_ONLY)
    for folder in (home, runs_dir):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(FOLDER)
    for entry in home.iterdir():
        if entry.is_file() and not entry.is_symlink():
            entry.chmod(FILE)
    database = sqlite_file(database_url)
    if database is not None:
        for suffix in SQLITE_SIDECARS:
            path = database.with_name(database.name + suffix)
            if path.is_file():
                path.chmod(FILE)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL (None for PostgreSQL and in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)
