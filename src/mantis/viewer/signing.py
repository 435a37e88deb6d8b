"""Viewer and artifact URLs are signed, not authenticated: whoever holds one may watch, or open the file,
until it expires, without the tenant's token (it is meant to be opened in a browser or shared). The key
never leaves MANTIS_HOME."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path

from mantis.keyfile import read_or_create

KEY_FILE = "viewer.key"


def artifact_subject(run_id: str, name: str) -> str:
    """What an artifact link signs: one file of one run, never a viewer (whose subject is a bare run id)."""
    return f"artifact:{run_id}/{name}"


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_home(cls, home: Path) -> Signer:
        """The server's viewer key, created (0600) on first use."""
        return cls(bytes.fromhex(read_or_create(home / KEY_FILE, lambda: secrets.token_hex(32))))

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
