"""Where a run's files (screenshots, recordings, CSVs, result.json) live once a worker has made them."""

from mantis.artifacts.base import ArtifactStore, artifact_store, is_artifact_name

__all__ = ["ArtifactStore", "artifact_store", "is_artifact_name"]
