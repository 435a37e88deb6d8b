"""What the embedded server's process is set up with for answering under load: the store's connections
kept rather than reopened, startup's objects out of the collector's way, uvloop and httptools."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvloop
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mantis.api import serving
from mantis.store.db import STORE_THREADS, make_engine

AT_ONCE = STORE_THREADS + 6  # the store threads and the runners' to_thread pool on 2 cores


def test_sqlite_connections_held_at_once_are_kept_for_the_next_calls(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    opened: list[object] = []
    real_connect = sqlite3.connect
    all_in = threading.Barrier(AT_ONCE)

    def hold_one() -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            all_in.wait(timeout=30)

    def counting(*args: object, **kwargs: object) -> sqlite3.Connection:
        connection = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(connection)
        return connection

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite3, "connect", counting)
        patch.setattr(sqlite3.dbapi2, "connect", counting)
        for _round in range(2):
            threads = [threading.Thread(target=hold_one) for _ in range(AT_ONCE)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert len(opened) == AT_ONCE  # the second round reused the first round's connections
    engine.dispose()


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


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


def test_the_server_runs_on_uvloop_and_httptools() -> None:
    config = serving.config(FastAPI(), "127.0.0.1", 0)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    api_loop, runners_loop = config.get_loop_factory()(), asyncio.new_event_loop()
    try:
        assert isinstance(api_loop, uvloop.Loop)
        assert not isinstance(runners_loop, uvloop.Loop)  # workers.loops makes its own, asyncio's
    finally:
        api_loop.close()
        runners_loop.close()


@pytest.fixture
def switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)
    gc.unfreeze()


async def test_once_started_the_server_hands_the_gil_over_sooner(switch_interval: None) -> None:
    sys.setswitchinterval(0.005)  # CPython's default
    server = serving._Server(serving.config(FastAPI(), "127.0.0.1", 0), executor=None)  # type: ignore[arg-type]
    serving_task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                assert not serving_task.done(), "the server did not start"
                await asyncio.sleep(0.01)
        assert sys.getswitchinterval() < 0.005  # sooner than CPython's default
        assert sys.getswitchinterval() == pytest.approx(serving.GIL_SWITCH_S)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving_task, 30)


def test_after_settling_the_oldest_generation_is_collected_rarely(unfrozen: None) -> None:
    full: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    serving.settle_heap()
    young, middle, _ = gc.get_threshold()
    gc.callbacks.append(count)
    try:
        # objects kept long enough to reach the oldest generation (what runs leave), enough for 30
        # collections of the middle one: three full collections at CPython's 10
        kept = [_Cycle() for _ in range(young * middle * 30)]
    finally:
        gc.callbacks.remove(count)
    del kept
    assert len(full) <= 30 // serving.FULL_COLLECTION_AFTER, f"{len(full)} full collections"
