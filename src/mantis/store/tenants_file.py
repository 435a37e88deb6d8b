"""The tenants file (`MANTIS_TENANTS_FILE`, TOML) the server loads at start: tenants as configuration.

[[tenant]]
name = "acme"
token_sha256 = "<sha256 hex of the token>"   # or token = "..." (hashed on load)
allowed_domains = ["*.acme.com"]
max_cost_per_run = 5.0
max_time_minutes_per_run = 30
max_concurrent_runs = 2
callback_url = "https://hooks.acme.com/mantis"
replay = "auto"                              # or "off": no run of the tenant replays or learns
scopes = ["runs:submit", "runs:read"]
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mantis.store.tenants import ALL_SCOPES, TenantCaps, TenantStore, hash_token


class TenantEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    token: str | None = Field(None, min_length=16)
    token_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    scopes: list[str] = Field(default_factory=lambda: list(ALL_SCOPES))
    allowed_domains: list[str] = Field(default_factory=list)
    max_cost_per_run: float | None = Field(None, ge=0)
    max_time_minutes_per_run: float | None = Field(None, gt=0)
    max_concurrent_runs: int | None = Field(None, ge=1)
    callback_url: str | None = None
    replay: Literal["auto", "off"] = "auto"


class TenantsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: list[TenantEntry] = Field(default_factory=list)


def load(path: Path, tenants: TenantStore) -> list[str]:
    """Creates or updates every tenant the file declares; returns their names."""
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = TenantsFile.model_validate(data).tenant
    for entry in entries:
        unknown = set(entry.scopes) - set(ALL_SCOPES)
        if unknown:
            raise ValueError(f"tenant {entry.name}: unknown scopes {sorted(unknown)}")
        existing = tenants.by_name(entry.name)
        fields = {
            "scopes": entry.scopes,
            "allowed_domains": entry.allowed_domains,
            "max_cost_per_run": entry.max_cost_per_run,
            "max_time_minutes_per_run": entry.max_time_minutes_per_run,
            "max_concurrent_runs": entry.max_concurrent_runs,
            "callback_url": entry.callback_url,
            "replay": entry.replay,
        }
        if existing is None:
            existing, _unshown = tenants.create(
                entry.name,
                scopes=entry.scopes,
                allowed_domains=entry.allowed_domains,
                caps=TenantCaps(
                    entry.max_cost_per_run, entry.max_time_minutes_per_run, entry.max_concurrent_runs
                ),
                callback_url=entry.callback_url,
                replay=entry.replay,
            )
            tenants.revoke_tokens(existing.id)  # only the file's tokens count for a file-declared tenant
        else:
            tenants.update(existing.id, **fields)
        for digest in filter(None, (entry.token_sha256, entry.token and hash_token(entry.token))):
            tenants.add_token_hash(existing.id, digest)
    return [entry.name for entry in entries]
