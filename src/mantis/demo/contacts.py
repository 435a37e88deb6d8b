"""The CRM's data: seeded contacts and the in-memory sessions that each own a private copy of them.

Every sign-in starts from the same seeded contacts, and edits only touch that session's copy, so
concurrent plan runs never see each other's changes.
"""

from __future__ import annotations

import random
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

SEED = 4_2025
CONTACT_COUNT = 25
MAX_SESSIONS = 500
DEMO_EMAIL = "demo@mantis.test"
DEMO_PASSWORD = "demo1234"
STATUSES = ("Lead", "Qualified", "Customer", "Churned")
TODAY = date(2025, 6, 2)  # the seed's fixed "today", so creation dates never drift

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas", "Mia", "Aiden",
    "Harper", "Elijah", "Amelia", "Mateo", "Chloe", "Jackson", "Priya", "Kenji", "Fatima", "Diego", "Hannah",
)
LAST_NAMES = (
    "Bennett", "Okafor", "Schmidt", "Tanaka", "Rossi", "Patel", "Kowalski", "Fernandez", "Lindqvist",
    "Murphy", "Nakamura", "Dubois", "Haddad", "Morales", "Chen", "Adeyemi", "Novak", "Sullivan", "Ivanova",
    "Reyes",
)
# (company, email domain, area code)
COMPANIES = (
    ("Northwind Traders", "northwind.example", "206"),
    ("Contoso Ltd", "contoso.example", "425"),
    ("Fabrikam Inc", "fabrikam.example", "312"),
    ("Tailspin Toys", "tailspintoys.example", "503"),
    ("Wide World Importers", "wideworldimporters.example", "415"),
    ("Adventure Works", "adventure-works.example", "720"),
    ("Lakeshore Dental Group", "lakeshoredental.example", "773"),
    ("Bluebird Logistics", "bluebirdlogistics.example", "214"),
    ("Summit Ridge Realty", "summitridge.example", "801"),
    ("Coastal Coffee Roasters", "coastalcoffee.example", "619"),
)


@dataclass(frozen=True)
class Contact:
    """One person in the CRM; immutable, so a session's copy is just a dict of shared objects."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    status: str
    created: date

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def matches(self, query: str) -> bool:
        """Case-insensitive search over name, email and company."""
        needle = query.casefold()
        return any(needle in text.casefold() for text in (self.name, self.email, self.company))


@dataclass
class Workspace:
    """What one signed-in session sees: its own contacts and a one-shot flash message."""

    email: str
    contacts: dict[int, Contact] = field(default_factory=dict)
    next_id: int = 1
    flash: str = ""

    def pop_flash(self) -> str:
        message, self.flash = self.flash, ""
        return message


@cache
def seed_contacts() -> tuple[Contact, ...]:
    """The 25 contacts every session starts with."""
    rng = random.Random(SEED)
    people = rng.sample([(first, last) for first in FIRST_NAMES for last in LAST_NAMES], CONTACT_COUNT)
    contacts = []
    for index, (first, last) in enumerate(people, start=1):
        company, domain, area = rng.choice(COMPANIES)
        contacts.append(
            Contact(
                id=index,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@{domain}",
                phone=f"({area}) 555-01{rng.randint(0, 99):02d}",
                company=company,
                status=rng.choices(STATUSES, weights=(5, 3, 4, 1))[0],
                created=TODAY - timedelta(days=rng.randint(3, 400)),
            )
        )
    return tuple(contacts)


class SessionStore:
    """Sessions by random id, least recently used dropped first once there are more than ``limit``."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self._limit = limit
        self._sessions: OrderedDict[str, Workspace] = OrderedDict()

    def create(self, email: str) -> str:
        session_id = secrets.token_urlsafe(24)
        contacts = {contact.id: contact for contact in seed_contacts()}
        self._sessions[session_id] = Workspace(email=email, contacts=contacts, next_id=max(contacts) + 1)
        while len(self._sessions) > self._limit:
            self._sessions.popitem(last=False)
        return session_id

    def get(self, session_id: str | None) -> Workspace | None:
        workspace = self._sessions.get(session_id or "")
        if workspace is not None:
            self._sessions.move_to_end(session_id or "")
        return workspace

    def drop(self, session_id: str | None) -> None:
        self._sessions.pop(session_id or "", None)

    def __len__(self) -> int:
        return len(self._sessions)


SESSIONS = SessionStore()
