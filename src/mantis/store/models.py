"""The run store's tables. The store is the truth: the queue, the runs and their logs live here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scopes: Mapped[list[str]]
    allowed_domains: Mapped[list[str]]
    max_cost_per_run: Mapped[float | None] = mapped_column(Float)
    max_time_minutes_per_run: Mapped[float | None] = mapped_column(Float)
    max_concurrent_runs: Mapped[int | None] = mapped_column(Integer)
    callback_url: Mapped[str | None] = mapped_column(Text)
    replay: Mapped[str] = mapped_column(String(8), default="auto")  # "auto" | "off" (mantis.replay.policy)
    webhook_secret: Mapped[str] = mapped_column(Text)  # sealed (mantis.secretbox), never plain
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_runs_idempotency"),
        Index("ix_runs_status_created", "status", "created_at"),
        Index("ix_runs_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]]
    plan: Mapped[dict[str, Any]]
    effective: Mapped[dict[str, Any]]
    profile_id: Mapped[str | None] = mapped_column(String(200))
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    steps_total: Mapped[int] = mapped_column(Integer, default=0)
    current_intent: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    viable: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None]
    # Where the run took up from (`{run_id, task_index, step_index, rows}`), and how many times a dead
    # worker's run was put back to resume.
    resumed_from: Mapped[dict[str, Any] | None]
    auto_resumes: Mapped[int] = mapped_column(Integer, default=0)
    # What the run asked of models and what it did from replay records instead (mantis.replay).
    model_calls: Mapped[int] = mapped_column(Integer, default=0)
    replayed_steps: Mapped[int] = mapped_column(Integer, default=0)


class RunEvent(Base):
    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    ts: Mapped[datetime]
    level: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(40))
    step_index: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class RunCheckpoint(Base):
    """A run's position after its last finished step; a workflow's newest one is what a resume takes up."""

    __tablename__ = "checkpoints"
    __table_args__ = (Index("ix_checkpoints_workflow", "tenant_id", "workflow_id"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class ReplayRecord(Base):
    """What a model resolved for one step of one plan, kept so the tenant's next run of it needs no model.

    `kind` says who reads `data` (mantis.replay: a DOM action, a screen action, an extraction program, a
    decomposed plan text); `run_id` is the run that wrote it last, for operators, not a foreign key, so
    records outlive the retention of their runs."""

    __tablename__ = "replay_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint", "step", "kind", name="uq_replay_records_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]
    run_id: Mapped[str | None] = mapped_column(String(40))
    heals: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
