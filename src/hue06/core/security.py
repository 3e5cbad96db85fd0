"""Who is acting, what they may see, and how secrets are hashed.

`Actor` travels from the web layer into every service function that touches personal data, so
the service — not the route — enforces jurisdiction and writes the audit entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("province", "district", "commune", "auditor", "admin")

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# A hash of a random password, verified when an account does not exist so timing does not tell.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-ish time whether or not the account exists."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored only as SHA-256: they are random, so no slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Actor:
    """The person or system behind a request.

    kind: "official", "citizen", "client" (an agency's system) or "system" (CLI, jobs).
    unit_code: the official's jurisdiction (province "46", a district or a commune code of any version).
    """

    kind: str
    id: str
    name: str = ""
    role: str = ""
    unit_code: str = ""
    ip: str = ""
    resident_id: int | None = None  # for citizens: the register entry they are bound to
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        """How the audit log names the actor: never a personal ID or a name."""
        return f"{self.kind}:{self.id}"

    @cached_property
    def communes(self) -> frozenset[str] | None:
        """2024 commune codes the actor may see; None means no limit (province-wide)."""
        from hue06.core import admin_units  # loaded on first use: the data file is read once

        if self.kind == "system":
            return None
        if self.kind == "official":
            if self.role in ("province", "auditor", "admin"):
                return None
            if not self.unit_code:
                return frozenset()
            return admin_units.communes_within(self.unit_code)
        return frozenset()

    def can_see_commune(self, commune_code: str | None) -> bool:
        allowed = self.communes
        return allowed is None or (commune_code is not None and commune_code in allowed)


SYSTEM = Actor(kind="system", id="cli", name="hue06")
