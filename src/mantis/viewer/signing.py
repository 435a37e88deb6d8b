"""Viewer and artifact URLs are signed, not authenticated: whoever holds one may watch, or open the file,
until it expires, without the tenant's token (it is meant to be opened in a browser or shared). The key
never leaves MANTIS_HOME."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

KEY_FILE = "viewer.key"


def artifact_subject(run_id: str, name: str) -> str:
    """What an artifact link signs: one file of one run, never a viewer (whose subject is a bare run id)."""
    return f"artifact:{run_id}/{name}"


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

    def sign(self, subject: str, exp: int) -> str:
        return hmac.new(self._key, f"{subject}.{exp}".encode(), hashlib.sha256).hexdigest()

    def query(self, subject: str, ttl_s: int) -> str:
        exp = int(time.time()) + ttl_s
        return f"exp={exp}&sig={self.sign(subject, exp)}"

    def valid(self, subject: str, exp: str, sig: str) -> bool:
        """A signature of ours over this subject and expiry, not yet expired; compared in constant time."""
        if not (exp.isascii() and exp.isdigit() and len(exp) <= 12) or int(exp) < time.time():
            return False
        return hmac.compare_digest(self.sign(subject, int(exp)).encode(), sig.lower().encode())
