"""Households, a resident's history and digital addresses, and a commune's map: each read checks
the actor's jurisdiction and is audited like a resident's.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.errors import InvalidInput, not_found
from hue06.core.security import Actor
from hue06.registry.geo import commune_bbox
from hue06.registry.models import DigitalAddress, Household, Resident, ResidentChange
from hue06.registry.schemas import (
    CommuneAddressesOut,
    DigitalAddressOut,
    HouseholdMemberOut,
    HouseholdOut,
    ResidentChangeOut,
    ResidentOut,
)
from hue06.registry.service._common import (
    BASE_VERSION,
    admin_units_unknown,
    full_address,
    place,
    require_register_official,
)
from hue06.registry.service.reads import get_resident


def _household_or_404(session: Session, household_id: int, actor: Actor) -> Household:
    require_register_official(session, actor)
    household = session.get(Household, int(household_id))
    if household is None or not _may_see_household(session, actor, household):
        err = not_found("hộ gia đình", "household")
        if household is not None:
            audit.record(session, actor, "household.read_refused", "household", str(household.id), {})
            err.kept()
        raise err
    return household


def _may_see_household(session: Session, actor: Actor, household: Household) -> bool:
    if actor.kind == "system":
        return True
    if actor.kind == "citizen":
        if actor.resident_id is None:
            return False
        member = session.scalar(select(Resident.household_id).where(Resident.id == actor.resident_id))
        return member == household.id
    return actor.can_see_commune(household.commune_code)


def household_view(session: Session, household_id: int, actor: Actor) -> HouseholdOut:
    """A household with its members (relation to the head) and its digital addresses."""
    household = _household_or_404(session, household_id, actor)
    members = list(session.scalars(select(Resident).where(Resident.household_id == household.id)))
    head_id = household.head_resident_id
    members.sort(key=lambda r: (r.id != head_id, r.date_of_birth, r.id))
    addresses = list(
        session.scalars(
            select(DigitalAddress)
            .where(DigitalAddress.household_id == household.id)
            .order_by(DigitalAddress.id)
        )
    )
    p = place(household.commune_code)
    out = HouseholdOut(
        id=household.id,
        code=household.code,
        commune_code=household.commune_code,
        commune_name=p.commune_name,
        current_commune_code=p.current_code,
        current_commune_name=p.current_name,
        address_detail=household.address_detail,
        address=full_address(household.address_detail, household.commune_code),
        head_resident_id=head_id,
        members=[
            HouseholdMemberOut(
                id=m.id,
                personal_id=m.personal_id,
                full_name=m.full_name,
                gender=m.gender,
                date_of_birth=m.date_of_birth,
                relation_to_head=m.relation_to_head,
                status=m.status,
                date_of_death=m.date_of_death,
                is_head=m.id == head_id,
            )
            for m in members
        ],
        addresses=[DigitalAddressOut.model_validate(a) for a in addresses],
    )
    audit.record(
        session,
        actor,
        "household.read",
        "household",
        str(household.id),
        {"members": [m.personal_id for m in members]},
    )
    return out


def resident_history(session: Session, resident: ResidentOut, limit: int = 100) -> list[ResidentChangeOut]:
    """The change history of a resident the caller has already been allowed to read."""
    rows = session.scalars(
        select(ResidentChange)
        .where(ResidentChange.resident_id == resident.id)
        .order_by(ResidentChange.at.desc(), ResidentChange.id.desc())
        .limit(limit)
    )
    return [
        ResidentChangeOut(
            id=c.id,
            at=c.at,
            actor=c.actor,
            action=c.action,
            source=c.source,
            changes=json.loads(c.changes or "{}"),
        )
        for c in rows
    ]


def history_of(session: Session, actor: Actor, personal_id: str) -> list[ResidentChangeOut]:
    """A resident's change history, for whoever may read the record (the read is audited)."""
    resident = get_resident(session, personal_id, actor, purpose="history")
    return resident_history(session, resident)


def digital_addresses_of(session: Session, resident: ResidentOut) -> list[DigitalAddressOut]:
    if resident.household_id is None:
        return []
    rows = session.scalars(select(DigitalAddress).where(DigitalAddress.household_id == resident.household_id))
    return [DigitalAddressOut.model_validate(a) for a in rows]


def commune_addresses(
    session: Session, actor: Actor, commune_code: str, limit: int = 5000
) -> CommuneAddressesOut:
    """A 2024 commune's digital addresses (for the map page), if the actor may see the commune."""
    require_register_official(session, actor)
    code = (commune_code or "").strip()
    try:
        unit = admin_units.get_unit(code, BASE_VERSION)
    except InvalidInput:
        raise admin_units_unknown(code[:10]) from None
    if unit.level != "commune":
        raise admin_units_unknown(code[:10])
    if not (actor.kind == "system" or (actor.kind == "official" and actor.can_see_commune(code))):
        raise not_found("xã/phường", "commune")
    rows = list(
        session.scalars(
            select(DigitalAddress)
            .where(DigitalAddress.commune_code == code)
            .order_by(DigitalAddress.id)
            .limit(limit)
        )
    )
    total = session.scalar(
        select(func.count()).select_from(DigitalAddress).where(DigitalAddress.commune_code == code)
    )
    box = commune_bbox(code)
    if rows:
        lats = [a.lat for a in rows]
        lons = [a.lon for a in rows]
        box = (min(lats), min(lons), max(lats), max(lons))
    audit.record(session, actor, "digital_address.list", "commune", code, {"returned": len(rows)})
    return CommuneAddressesOut(
        commune_code=code,
        commune_name=unit.name,
        bbox=box,
        addresses=[DigitalAddressOut.model_validate(a) for a in rows],
        total=int(total or 0),
    )
