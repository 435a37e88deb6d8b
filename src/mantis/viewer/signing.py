"""Viewer URLs are signed, not authenticated: whoever holds one may watch until it expires, without the
tenant's token (it is meant to be opened in a browser or shared). The key never leaves MANTIS_HOME."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

KEY_FILE = "viewer.key"


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_home(cls, home: Path) -> Signer:
        """The server's viewer key, created (0600) on first use; a concurrent first start keeps one key:
        the file appears whole through a hard link, or not at all."""
        path = home / KEY_FILE
        if not path.exists():
            draft = home / f".{KEY_FILE}.{secrets.token_hex(4)}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as sink:
                sink.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
            draft.unlink()
        return cls(bytes.fromhex(path.read_text().strip()))

    def sign(self, run_id: str, exp: int) -> str:
        return hmac.new(self._key, f"{run_id}.{exp}".encode(), hashlib.sha256).hexdigest()

    def query(self, run_id: str, ttl_s: int) -> str:
        exp = int(time.time()) + ttl_s
        return f"exp={exp}&sig={self.sign(run_id, exp)}"

    def valid(self, run_id: str, exp: str, sig: str) -> bool:
        """A signature of ours over this run and expiry, not yet expired; compared in constant time."""
        if not (exp.isascii() and exp.isdigit() and len(exp) <= 12) or int(exp) < time.time():
            return False
        return hmac.compare_digest(self.sign(run_id, int(exp)).encode(), sig.lower().encode())
