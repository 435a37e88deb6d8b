"""Where the client connects and as whom: arguments first, then the environment the seed's client reads."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mantis import __version__
from mantis.client.errors import MantisError
from mantis.client.retry import RetryPolicy

DEFAULT_ENDPOINT = "http://127.0.0.1:8000"


def local_token() -> str | None:
    """The embedded server's own token (`$MANTIS_HOME/local-token`), so a local `mantis serve` just works."""
    path = Path(os.environ.get("MANTIS_HOME") or Path.cwd() / ".mantis") / "local-token"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@dataclass(frozen=True)
class Config:
    endpoint: str
    token: str
    platform_key: str | None = None
    timeout_s: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def resolve(
        cls,
        endpoint: str | None = None,
        token: str | None = None,
        platform_key: str | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> Config:
        """Fills what the caller left out from `MANTIS_ENDPOINT`, `MANTIS_API_TOKEN` and
        `MANTIS_PLATFORM_API_KEY` (or the seed's `BASETEN_API_KEY`); an empty platform key means none."""
        env = os.environ
        token = token or env.get("MANTIS_API_TOKEN") or local_token()
        if not token:
            raise MantisError(
                None, "missing_token", "no tenant token: pass token=, set MANTIS_API_TOKEN, or use --token"
            )
        key = platform_key or env.get("MANTIS_PLATFORM_API_KEY") or env.get("BASETEN_API_KEY") or None
        return cls(
            endpoint=(endpoint or env.get("MANTIS_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"),
            token=token,
            platform_key=key,
            timeout_s=timeout_s,
            retry=retry or RetryPolicy(),
        )

    def headers(self) -> dict[str, str]:
        headers = {"X-Mantis-Token": self.token, "User-Agent": f"mantis-client/{__version__}"}
        if self.platform_key:
            headers["Authorization"] = f"Api-Key {self.platform_key}"
        return headers
