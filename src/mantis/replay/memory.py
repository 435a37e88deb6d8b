"""What one run knows of its plan's earlier runs, and what it did with it.

The executor builds a `Memory` from the store when the run starts (the records of its tenant and plan
fingerprint, and where to write what it learns); the runner's step handlers ask it before they ask a
model (`recall`), tell it what a model answered (`learn`), and say how each step went (`outcome`), which
the trace marks `model`, `replayed` or `healed`. A run without records (the default) recalls nothing and
learns nothing, so the runner needs no store to run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mantis.replay import policy
from mantis.replay.policy import Mode

Mark = Literal["model", "replayed", "healed"]
Key = tuple[str, str]  # (step path, kind)
# Writes a record for (step path, kind); `None` data drops it; the flag says it replaces one that no
# longer fitted the page.
Saver = Callable[[str, str, dict[str, Any] | None, bool], None]

# Record kinds: who reads a record's data.
DOM_ACTION = "dom_action"  # mantis.replay.actions
SCREEN_ACTION = "screen_action"  # mantis.replay.vision
EXTRACTION = "extraction"  # mantis.replay.extraction
PLAN_TEXT = "plan_text"  # mantis.replay.plans


@dataclass
class Memory:
    mode: Mode = "off"
    models: bool = False  # the run's brain asks models; an offline run's steps are marked nothing
    records: dict[Key, dict[str, Any]] = field(default_factory=dict)
    save: Saver | None = None
    task: int = 0  # the task the interpreter is in, for step paths

    def path(self, index: int) -> str:
        """A step's path in the plan: its task and its index there, as the interpreter numbers them."""
        return f"{self.task}/{index}"

    def recall(self, step: str, kind: str) -> dict[str, Any] | None:
        """The record to try before asking a model; None in `refresh` and `off`, or when there is none."""
        return self.records.get((step, kind)) if policy.recalls(self.mode) else None

    def had(self, step: str, kind: str) -> bool:
        """Whether a record was there to try (a model answer then heals it)."""
        return policy.recalls(self.mode) and (step, kind) in self.records

    @property
    def learning(self) -> bool:
        return policy.learns(self.mode)

    def learn(self, step: str, kind: str, data: dict[str, Any], healed: bool = False) -> None:
        """Keeps what a model answered, for this run's later passes and the next runs."""
        if not self.learning:
            return
        self.records[(step, kind)] = data
        if self.save is not None:
            self.save(step, kind, data, healed)

    def forget(self, step: str, kind: str) -> None:
        """Drops a record that no longer fits and that nothing replaced."""
        if self.records.pop((step, kind), None) is not None and self.save is not None:
            self.save(step, kind, None, False)

    def outcome(self, replayed: bool, had_record: bool) -> Mark | None:
        """The trace's mark for a step: acted from a record, or answered by a model (healing a record
        that was there but did not fit), none without a model. The run's `replayed_steps` are counted
        from these marks in its trace, so a resumed run counts the steps its checkpoint kept."""
        if not self.models:
            return None
        if replayed:
            return "replayed"
        return "healed" if had_record else "model"


def usage(model_calls: int, replayed_steps: int, cost_usd: float) -> dict[str, Any]:
    """What a run asked of models and what it replayed instead, as its result and its status say it."""
    return {"model_calls": model_calls, "replayed_steps": replayed_steps, "cost_usd": round(cost_usd, 6)}
