"""What model calls cost a run, and the check that keeps a run inside `max_cost`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class CostCapReached(Exception):
    """The next model call could cost more than the run has left; the run ends `cost_cap_reached`."""


@dataclass(frozen=True)
class ModelCall:
    provider: str
    model: str
    purpose: str
    input_tokens: int = 0
    output_tokens: int = 0
    images: int = 0
    usd: float = 0.0
    duration_ms: int = 0
    cached: bool = False


@dataclass
class Meter:
    """One per run: brains `reserve` a call's worst case before making it and `charge` what it cost."""

    cap_usd: float
    on_call: Callable[[ModelCall], None] | None = None
    spent_usd: float = 0.0
    calls: list[ModelCall] = field(default_factory=list)

    def reserve(self, worst_case_usd: float) -> None:
        if self.spent_usd + worst_case_usd > self.cap_usd + 1e-12:
            raise CostCapReached(
                f"a model call could cost up to ${worst_case_usd:.4f}; the run has spent "
                f"${self.spent_usd:.4f} of its ${self.cap_usd:.2f} cap"
            )

    def charge(self, call: ModelCall) -> None:
        self.spent_usd += call.usd
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
