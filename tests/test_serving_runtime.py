"""What the embedded server's process is set up with for answering under load: startup's objects out of
the collector's way."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mantis.api import serving


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_settling_the_heap_leaves_what_startup_made_alone_and_still_collects_what_comes_later(
    unfrozen: None,
) -> None:
    made_at_startup = _Cycle()
    frozen_before = gc.get_freeze_count()
    serving.settle_heap()
    assert gc.get_freeze_count() > frozen_before
    assert not any(made_at_startup is o for generation in range(3) for o in gc.get_objects(generation))
    later = _Cycle()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None
