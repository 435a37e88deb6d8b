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

    @property
    def runs_dir(self) -> Path:
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
        )
