"""The failure a step raises; its own module so step definitions can raise it without the runner."""

from __future__ import annotations


class StepFailure(Exception):
    """A step could not do its job; `code` is the run's error code when the failure ends the run."""

    def __init__(self, message: str, code: str = "step_failed") -> None:
        super().__init__(message)
        self.code = code
