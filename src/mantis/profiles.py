"""Browser profiles: one persistent Chromium user-data-dir per (tenant, profile_id, plane).

Folders are named by hashes, never by the strings a client sent: `profiles/<tenant>/<profile>/<plane>/`,
where <tenant> is a hash of the tenant id and <profile> one of the profile id, so no profile_id (`../x`,
an absolute path, a NUL) can reach outside its tenant's folder, and one tenant's ids never name
another's folders. `profile.json` beside the planes' folders keeps the id as given, for listing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mantis.runner.files import write_json

PLANES = ("browser_use_plane", "computer_plane")
META = "profile.json"
# Chromium's caches: rebuilt as needed, and no part of who the browser is (cookies and storage are not
# in them), so they are what goes first when a profile is over its cap.
CACHES = ("Cache", "Code Cache", "GPUCache", "DawnCache", "GrShaderCache", "ShaderCache")


class ProfileTooLarge(Exception):
    code = "profile_too_large"


@dataclass(frozen=True)
class Profile:
    profile_id: str
    bytes: dict[str, int]  # per plane
    last_used_at: str | None

    def view(self) -> dict[str, Any]:
        return {
            "profile_id": self.profile_id,
            "planes": sorted(self.bytes),
            "bytes": sum(self.bytes.values()),
            "last_used_at": self.last_used_at,
        }


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Profiles:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _tenant(self, tenant_id: str) -> Path:
        return self.root / _digest(tenant_id)

    def folder(self, tenant_id: str, profile_id: str) -> Path:
        return self._tenant(tenant_id) / _digest(profile_id)

    def user_data_dir(self, tenant_id: str, profile_id: str, plane: str) -> Path:
        """The plane's user-data-dir, made (0700) on first use; refused when the profile is over its cap."""
        if plane not in PLANES:
            raise ValueError(f"no profiles on {plane!r}")
        self.check_size(tenant_id, profile_id)
        folder = self.folder(tenant_id, profile_id)
        (folder / plane).mkdir(mode=0o700, parents=True, exist_ok=True)
        meta = self._meta(folder)
        write_json(folder / META, {**meta, "profile_id": profile_id, "last_used_at": _now()})
        return folder / plane

    def check_size(self, tenant_id: str, profile_id: str) -> None:
        folder = self.folder(tenant_id, profile_id)
        if not folder.is_dir():
            return
        size = sum(self._sizes(folder).values())
        if size > self.max_bytes:
            raise ProfileTooLarge(
                f"profile {profile_id!r} holds {size / 2**20:.1f} MB, over this server's cap of "
                f"{self.max_bytes / 2**20:.0f} MB per profile; delete it (action delete_profile) to start "
                "afresh"
            )

    def after_run(self, tenant_id: str, profile_id: str, plane: str) -> int:
        """Drops the plane's caches when the profile is over its cap; returns the bytes it holds after."""
        folder = self.folder(tenant_id, profile_id)
        if sum(self._sizes(folder).values()) > self.max_bytes:
            for base in (folder / plane, folder / plane / "Default"):
                for cache in CACHES:
                    shutil.rmtree(base / cache, ignore_errors=True)
        return sum(self._sizes(folder).values())

    def list(self, tenant_id: str) -> list[Profile]:
        tenant = self._tenant(tenant_id)
        found = []
        for folder in sorted(tenant.iterdir()) if tenant.is_dir() else []:
            meta = self._meta(folder)
            if "profile_id" in meta and folder.name == _digest(str(meta["profile_id"])):
                found.append(Profile(str(meta["profile_id"]), self._sizes(folder), meta.get("last_used_at")))
        return sorted(found, key=lambda p: p.profile_id)

    def delete(self, tenant_id: str, profile_id: str) -> bool:
        folder = self.folder(tenant_id, profile_id)
        if not folder.is_dir():
            return False
        shutil.rmtree(folder)
        return True

    @staticmethod
    def _meta(folder: Path) -> dict[str, Any]:
        try:
            meta = json.loads((folder / META).read_text())
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    @staticmethod
    def _sizes(folder: Path) -> dict[str, int]:
        return {plane: _du(folder / plane) for plane in PLANES if (folder / plane).is_dir()}


def _du(path: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(base) / name).lstat().st_size
            except OSError:
                continue
    return total


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
