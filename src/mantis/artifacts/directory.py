"""Artifacts in a directory: one folder a run, written in place by the worker.

The default (`MANTIS_HOME/runs`), and in a cluster a shared mount that the API and every worker see at
the same path (`MANTIS_ARTIFACTS=/mnt/mantis-runs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mantis.artifacts.base import is_artifact_name
from mantis.runner.files import write_json


class DirectoryArtifacts:
    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def workdir(self, run_id: str) -> Path:
        folder = self._root / run_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, run_id: str, final: bool = True) -> None:
        """Nothing to move: the worker wrote into the store's own folder."""

    def put_json(self, run_id: str, name: str, data: Any) -> None:
        write_json(self.workdir(run_id) / name, data)

    def read(self, run_id: str, name: str) -> bytes | None:
        path = self.local_file(run_id, name)
        return path.read_bytes() if path is not None else None

    def sizes(self, run_id: str) -> dict[str, int]:
        folder = self._root / run_id
        if not folder.is_dir():
            return {}
        files = (p for p in folder.iterdir() if is_artifact_name(p.name) and p.is_file())
        return {p.name: p.stat().st_size for p in files}

    def local_file(self, run_id: str, name: str) -> Path | None:
        """The file, if it is one directly in the run's folder (a link out of it is none)."""
        if not is_artifact_name(name):
            return None
        folder = self._root / run_id
        try:
            path = (folder / name).resolve()
            inside = path.parent == folder.resolve() and path.is_file()
        except (OSError, ValueError, RuntimeError):  # an over-long name, a link loop: no artifact
            return None
        return path if inside else None

    def location(self, run_id: str, name: str) -> str:
        return str(self._root / run_id / name)
