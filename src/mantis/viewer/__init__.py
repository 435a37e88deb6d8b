"""The live viewer: a run's screen streamed to a signed, expiring URL while the run lasts."""

from mantis.viewer.hub import ViewerHub

__all__ = ["ViewerHub"]
