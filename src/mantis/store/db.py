"""Engine and sessions for SQLite (embedded) and PostgreSQL (production), with migrations applied."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from mantis.secretbox import SecretBox

MIGRATIONS = Path(__file__).parent / "migrations"

# PostgreSQL advisory lock keys: one per job that must run in one process at a time.
MIGRATE_LOCK = 0x6D616E7469730001
CLAIM_LOCK = 0x6D616E7469730002
# Threads for the API's store calls. A status request's queries take well under a millisecond, so a few
# threads keep up with hundreds of requests a second; more would only contend for the GIL and for the
# connection pool (SQLAlchemy's default for SQLite is 5 + 10 overflow, ours for PostgreSQL 10 + 20).
STORE_THREADS = 8
# Connections SQLite keeps open. Past the pool, SQLAlchemy opens an overflow connection (the file, its
# WAL index, three PRAGMAs) and closes it again on return: with the default 5, the store threads (8), the
# runners' `to_thread` pool (6 on 2 cores) and one writer thread per run (4) opened 23-38 connections in
# one `bench/status_load.py` run, most in the windows, just when a pause had queued requests. Enough for
# all of them at once, with room for the lifespan's few: an idle SQLite connection costs a file handle.
SQLITE_POOL_SIZE = 24

P = ParamSpec("P")
T = TypeVar("T")
_store_pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="store")


async def off_loop(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Runs a blocking store call on the store's threads and waits for it without holding the loop.

    A plain executor rather than `run_in_threadpool` (anyio's worker threads, capacity limiter and
    cancel scope per call): on this 2-core machine a status request cost 4.2 ms of CPU through anyio
    and 2.9 ms through this pool, median of 10 rounds of 300 (bench/README.md, "status_load").
    """
    return await asyncio.get_running_loop().run_in_executor(_store_pool, partial(call, *args, **kwargs))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, pool_size=SQLITE_POOL_SIZE, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine, secrets: SecretBox | None = None) -> None:
    """Brings the schema to the newest revision; safe to call on every start, from several processes.
    `secrets` seals webhook secrets that an older version stored in plain text (revision 0004)."""
    cfg = alembic_config()
    cfg.attributes["secret_box"] = secrets
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def exclusive(sessions: sessionmaker[Session], lock: int) -> Iterator[Session]:
    """A transaction that no other holder of `lock` runs beside, in any process on the same database.

    PostgreSQL takes the advisory lock `lock` until commit; SQLite has one lock for the whole file, taken
    up front with BEGIN IMMEDIATE (a plain BEGIN would let two readers decide before either writes).
    """
    with sessions() as session:
        connection: Connection
        if session.get_bind().dialect.name == "sqlite":
            connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection = session.connection()
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()
