"""Who signed in, as the rest of hue06 sees them: an `Actor` for an official or a citizen, and the
assurance level (`acr`) a citizen's sign-in reached."""

from __future__ import annotations

from hue06.core.security import Actor
from hue06.identity.models import CitizenAccount, Official

# Authentication context classes (the `acr` claim). Documented in docs/decisions/0005-identity-oidc.md.
ACR_LOA1 = "urn:hue06:loa:1"  # self-registered account, password (and any second factor)
ACR_LOA2 = "urn:hue06:loa:2"  # card checked in person by an official, password + TOTP
ACR_VALUES = (ACR_LOA1, ACR_LOA2)


def official_actor(official: Official, ip: str = "") -> Actor:
    return Actor(
        kind="official",
        id=official.username,
        name=official.full_name,
        role=official.role,
        unit_code=official.unit_code,
        ip=ip,
    )


def citizen_actor(account: CitizenAccount, ip: str = "") -> Actor:
    return Actor(
        kind="citizen",
        id=str(account.id),
        name="",
        ip=ip,
        resident_id=account.resident_id,
        extra={"level": str(account.level)},
    )


def citizen_acr(account: CitizenAccount, amr: str) -> str:
    return ACR_LOA2 if account.level >= 2 and "otp" in amr.split() else ACR_LOA1
