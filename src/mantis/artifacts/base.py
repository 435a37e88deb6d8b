"""The artifact store's interface: workers write a run's files through it, the API reads them back.

A worker makes a run's files in a working folder (`workdir`) as the runner always has, then `publish`es
them; the API never looks at a worker's disk, only at the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mantis.config import Settings


class ArtifactStore(Protocol):
    def workdir(self, run_id: str) -> Path:
        """The folder a worker writes the run's files into while it runs (made if missing)."""
        ...

    def publish(self, run_id: str, final: bool = True) -> None:
        """Makes the files of the run's workdir readable through the store; `final`: frees the workdir
        (not while files are still being made there, such as recordings polished after the run)."""
        ...

    def put_json(self, run_id: str, name: str, data: Any) -> None:
        """Writes one JSON file of the run straight into the store, replaced whole."""
        ...

    def read(self, run_id: str, name: str) -> bytes | None:
        """The artifact's bytes, or None if the run has none of that name."""
        ...

    def sizes(self, run_id: str) -> dict[str, int]:
        """Every artifact of the run, by name, with its size in bytes."""
        ...

    def local_file(self, run_id: str, name: str) -> Path | None:
        """The artifact as a file on this machine, when the store keeps it as one."""
        ...

    def location(self, run_id: str, name: str) -> str:
        """Where the artifact is (or will be), as an operator would look for it: a path or a URL."""
        ...


def is_artifact_name(name: str) -> bool:
    """A file directly in the run's folder, not hidden and not half-written."""
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and not name.startswith(".")
        and not name.endswith(".tmp")
    )


def artifact_store(settings: Settings) -> ArtifactStore:
    """The store `MANTIS_ARTIFACTS` names: S3 for an s3:// URL, else a directory (by default in home)."""
    if settings.artifacts_in_s3:
        from mantis.artifacts.s3 import S3Artifacts

        return S3Artifacts.from_settings(settings)
    from mantis.artifacts.directory import DirectoryArtifacts

    return DirectoryArtifacts(settings.runs_dir)
