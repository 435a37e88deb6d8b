"""Whether a run replays: the submission's `replay` field under the tenant's setting.

`auto` acts from the records of earlier runs where they still fit and learns where a model answered;
`refresh` asks the models again for every step and replaces the records; `off` neither reads nor writes
them. A tenant set to `off` keeps every run of its own `off`, as a tenant's caps clamp a run's.
"""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["auto", "off", "refresh"]
TenantMode = Literal["auto", "off"]
TENANT_MODES: tuple[str, ...] = get_args(TenantMode)
DEFAULT: Mode = "auto"


def effective(asked: Mode | None, tenant: str | None) -> Mode:
    """The mode a run goes by: what it asked for (else `auto`), unless its tenant has replay off."""
    if tenant == "off":
        return "off"
    return asked or DEFAULT


def recalls(mode: str) -> bool:
    """Records are read (and acted from) only in `auto`."""
    return mode == "auto"


def learns(mode: str) -> bool:
    """A model's answer becomes a record in `auto` and `refresh`."""
    return mode in ("auto", "refresh")
