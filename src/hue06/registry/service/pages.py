"""What the officials' pages need beyond one read: the communes they may pick, and a resident's
whole dossier (record, household, addresses, history, audit trail) gathered in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.personal_id import BIRTH_PROVINCE_CODES
from hue06.core.security import Actor
from hue06.core.text import fold
from hue06.registry.schemas import DigitalAddressOut, HouseholdOut, ResidentChangeOut, ResidentOut
from hue06.registry.service._common import BASE_VERSION, place
from hue06.registry.service.households import digital_addresses_of, household_view, resident_history
from hue06.registry.service.reads import get_resident

AUDIT_READERS = frozenset({"auditor", "admin"})


@dataclass(frozen=True)
class CommuneChoice:
    code: str  # 2024
    name: str
    district: str
    current_name: str


def communes_for(actor: Actor) -> list[CommuneChoice]:
    """The 2024 communes an actor may see, for filters and forms, by district then name."""
    allowed = actor.communes if actor.kind in ("official", "system") else frozenset()
    out = []
    for unit in admin_units.communes(BASE_VERSION):
        if allowed is None or unit.code in allowed:
            p = place(unit.code)
            out.append(CommuneChoice(unit.code, unit.name, p.district_name, p.current_name))
    return sorted(out, key=lambda c: (c.district, fold(c.name)))


def audit_trail(
    session: Session, actor: Actor, resident: ResidentOut, limit: int = 20
) -> list[audit.AuditEntry]:
    """Recent audit entries about a resident, for auditors only (others get an empty list)."""
    if actor.kind != "official" or actor.role not in AUDIT_READERS:
        return []
    return audit.entries_for(session, "resident", resident.personal_id, limit=limit)


def birth_province_name(personal_id: str) -> str:
    return BIRTH_PROVINCE_CODES.get(personal_id[:3], "")


@dataclass(frozen=True)
class ResidentDossier:
    resident: ResidentOut
    household: HouseholdOut | None
    addresses: list[DigitalAddressOut]
    history: list[ResidentChangeOut]
    trail: list[audit.AuditEntry]
    birth_province: str


def resident_dossier(session: Session, actor: Actor, personal_id: str) -> ResidentDossier:
    """A resident's page: the record (a 404 alike for unknown and refused), then their household,
    addresses, history and — for auditors — the audit trail; each read audited as on its own."""
    resident = get_resident(session, personal_id, actor, purpose="xem hồ sơ")
    household = household_view(session, resident.household_id, actor) if resident.household_id else None
    return ResidentDossier(
        resident=resident,
        household=household,
        addresses=digital_addresses_of(session, resident),
        history=resident_history(session, resident),
        trail=audit_trail(session, actor, resident),
        birth_province=birth_province_name(resident.personal_id),
    )
