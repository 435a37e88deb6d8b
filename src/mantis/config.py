"""Server settings, read once from the environment so every part sees the same values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mantis.planes.proxy import ProxyProvider
from mantis.plans.library import default_plans_dir


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _default_chromium() -> str:
    for candidate in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if Path(candidate).exists():
            return candidate
    return "chromium"


@dataclass(frozen=True)
class Caps:
    """The server's hard caps (the seed's "Caps and clamping" table)."""

    max_cost_usd: float = 25.0
    max_runtime_minutes: float = 60.0
    max_steps_per_plan: int = 200
    max_loop_iterations: int = 50


@dataclass(frozen=True)
class TemporalSettings:
    """Where the Temporal executor finds its cluster; namespace and task queue default to Temporal's own
    `default` namespace and a queue named for Mantis, so a dev server needs no setup."""

    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = "mantis-runs"


@dataclass(frozen=True)
class Settings:
    home: Path
    plans_dir: Path
    database_url: str
    caps: Caps = field(default_factory=Caps)
    workers: int = 2
    chromium: str = field(default_factory=_default_chromium)
    default_compute_backend: str = "computer_plane"
    public_url: str = ""
    platform_api_key: str = ""
    max_queued_runs: int = 1000
    tenants_file: Path | None = None
    shutdown_grace_s: float = 20.0
    rate_limit_per_s: float = 50.0
    auth_failures_per_min: float = 10.0  # refill of each address's failed-authentication budget; 0: off
    proxy: ProxyProvider | None = None
    retention_days: float = 0.0  # 0 keeps every run
    prune_interval_s: float = 3600.0
    auto_resume: int = 1  # times a run whose worker died is put back to go on from its checkpoint
    # A fresh Chromium profile is 2.5 MB (see /work/shared/notes/browsers.md); 200 MB leaves room for
    # the cookies, storage and caches of many sites.
    profile_max_mb: float = 200.0
    allow_private_browsing: bool = False  # MANTIS_ALLOW_PRIVATE_BROWSING=1: local development and tests
    secret_keys: str = field(default="", repr=False)  # MANTIS_SECRET_KEYS; see mantis.secretbox
    executor: str = "inprocess"
    temporal: TemporalSettings = field(default_factory=TemporalSettings)
    artifacts: str = ""  # a directory, or s3://bucket/prefix; empty: the runs' folders in `home`
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    @property
    def artifacts_in_s3(self) -> bool:
        return self.artifacts.startswith("s3://")

    @property
    def runs_dir(self) -> Path:
        """The runs' folders on this machine: the artifact directory, or a scratch folder before S3."""
        if self.artifacts and not self.artifacts_in_s3:
            return Path(self.artifacts)
        return self.home / "runs"

    @classmethod
    def from_env(cls, public_url: str = "") -> Settings:
        home = Path(os.environ.get("MANTIS_HOME") or Path.cwd() / ".mantis").resolve()
        return cls(
            home=home,
            plans_dir=default_plans_dir(),
            database_url=os.environ.get("MANTIS_DATABASE_URL") or f"sqlite:///{home / 'mantis.db'}",
            caps=Caps(
                max_cost_usd=_env_float("MANTIS_MAX_COST_USD", 25.0),
                max_runtime_minutes=_env_float("MANTIS_MAX_RUNTIME_MINUTES", 60.0),
                max_steps_per_plan=_env_int("MANTIS_MAX_STEPS_PER_PLAN", 200),
                max_loop_iterations=_env_int("MANTIS_MAX_LOOP_ITERATIONS", 50),
            ),
            workers=_env_int("MANTIS_WORKERS", 2),
            chromium=os.environ.get("MANTIS_CHROMIUM") or _default_chromium(),
            default_compute_backend=os.environ.get("MANTIS_DEFAULT_COMPUTE_BACKEND") or "computer_plane",
            public_url=(os.environ.get("MANTIS_PUBLIC_URL") or public_url).rstrip("/"),
            platform_api_key=os.environ.get("MANTIS_PLATFORM_API_KEY", ""),
            max_queued_runs=_env_int("MANTIS_MAX_QUEUED_RUNS", 1000),
            tenants_file=Path(tenants) if (tenants := os.environ.get("MANTIS_TENANTS_FILE")) else None,
            shutdown_grace_s=_env_float("MANTIS_SHUTDOWN_GRACE_S", 20.0),
            rate_limit_per_s=_env_float("MANTIS_RATE_LIMIT_PER_S", 50.0),
            auth_failures_per_min=_env_float("MANTIS_AUTH_FAILURES_PER_MIN", 10.0),
            retention_days=_env_float("MANTIS_RETENTION_DAYS", 0.0),
            prune_interval_s=_env_float("MANTIS_PRUNE_INTERVAL_S", 3600.0),
            auto_resume=max(_env_int("MANTIS_AUTO_RESUME", 1), 0),
            secret_keys=os.environ.get("MANTIS_SECRET_KEYS", ""),
            profile_max_mb=_env_float("MANTIS_PROFILE_MAX_MB", 200.0),
            proxy=ProxyProvider(
                proxy_url,
                os.environ.get("MANTIS_PROXY_USERNAME_TEMPLATE", ""),
                os.environ.get("MANTIS_PROXY_PASSWORD", ""),
            )
            if (proxy_url := os.environ.get("MANTIS_PROXY_URL", "").strip())
            else None,
            allow_private_browsing=os.environ.get("MANTIS_ALLOW_PRIVATE_BROWSING", "").strip() == "1",
            executor=(os.environ.get("MANTIS_EXECUTOR") or "inprocess").strip().lower(),
            temporal=TemporalSettings(
                address=os.environ.get("MANTIS_TEMPORAL_ADDRESS") or TemporalSettings.address,
                namespace=os.environ.get("MANTIS_TEMPORAL_NAMESPACE") or TemporalSettings.namespace,
                task_queue=os.environ.get("MANTIS_TEMPORAL_TASK_QUEUE") or TemporalSettings.task_queue,
            ),
            artifacts=_artifacts_location(os.environ.get("MANTIS_ARTIFACTS", "").strip()),
            s3_endpoint_url=os.environ.get("MANTIS_S3_ENDPOINT_URL") or None,
            s3_region=os.environ.get("MANTIS_S3_REGION") or None,
        )


def _artifacts_location(raw: str) -> str:
    """An S3 URL as given; a directory made absolute, so every part of the process sees one path."""
    if not raw or raw.startswith("s3://"):
        return raw
    return str(Path(raw).expanduser().resolve())
