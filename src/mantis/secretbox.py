"""Webhook secrets at rest: sealed with Fernet (AES-128-CBC and HMAC-SHA256, from `cryptography`) under a
server key that is not in the database, so a copy of the database alone signs no webhook.

The keys come from `MANTIS_SECRET_KEYS` (Fernet keys, comma-separated, the newest first: it seals, the
others still open), else from `secret.key` in MANTIS_HOME (0600, made on first start). A sealed value is
`fernet:<token>`; `mantis secrets rotate` seals every one again under the newest key. docs/operator/secrets.md
says how to move the key out of MANTIS_HOME and how to rotate it.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from mantis.keyfile import read_or_create

KEY_FILE = "secret.key"
PREFIX = "fernet:"


class SecretUnreadable(Exception):
    """A sealed value none of the configured keys opens (a key was dropped too soon, or is wrong)."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("a secret box needs at least one key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def for_server(cls, home: Path, keys_env: str) -> SecretBox:
        """The operator's keys when `MANTIS_SECRET_KEYS` gives them, else the key file in MANTIS_HOME."""
        keys = [key.strip() for key in keys_env.split(",") if key.strip()]
        if not keys:
            keys = [read_or_create(home / KEY_FILE, lambda: Fernet.generate_key().decode())]
        return cls(keys)

    @staticmethod
    def sealed(stored: str) -> bool:
        return stored.startswith(PREFIX)

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not self.sealed(stored):
            raise SecretUnreadable("the stored secret is not sealed")
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured key opens the stored secret") from None

    def reseal(self, stored: str) -> str:
        """The same secret sealed under the newest key (for key rotation)."""
        try:
            return PREFIX + self._fernet.rotate(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured key opens the stored secret") from None
