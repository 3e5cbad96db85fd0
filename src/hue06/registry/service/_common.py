"""What the register's reads, search and changes share: its limits, the names of a recorded
commune, a resident as shown (`ResidentOut`), the prepared Core reads, the jurisdiction rule, and
the row lock and history entry every change to a resident takes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hue06.core import admin_units
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput, not_found
from hue06.core.personal_id import has_id_shape
from hue06.core.security import Actor
from hue06.identity import service as identity
from hue06.registry.models import Household, Resident, ResidentChange
from hue06.registry.schemas import ResidentOut

BASE_VERSION = "2024"
PROVINCE_BIRTH_CODE = "046"
MAX_QUERY_LENGTH = 100
MAX_PAGE = 100
MAX_OFFSET = 2000
COUNT_CAP = 1000
WRITER_ROLES = frozenset({"province", "district", "commune"})
MOVE_KINDS = ("permanent", "temporary", "absence")


# --------------------------------------------------------------------------- units and output


@dataclass(frozen=True)
class _Place:
    commune_name: str
    district_name: str
    province_name: str
    current_code: str
    current_name: str


@cache
def place(commune_code: str) -> _Place:
    """Names of a recorded (2024) commune and of the unit it belongs to today; cached per code."""
    try:
        unit = admin_units.get_unit(commune_code, BASE_VERSION)
        district = admin_units.get_unit(unit.parent_code or "", BASE_VERSION)
        province = admin_units.get_unit(admin_units.DEFAULT_PROVINCE, BASE_VERSION)
        current = admin_units.current_unit(commune_code)
    except InvalidInput:
        return _Place(commune_code, "", "", commune_code, commune_code)
    return _Place(unit.name, district.name, province.name, current.code, current.name)


def current_commune_of(commune_code: str) -> str:
    """Today's unit code for a recorded 2024 commune code (cheap: cached)."""
    return place(commune_code).current_code


def full_address(detail: str, commune_code: str) -> str:
    p = place(commune_code)
    return ", ".join(part for part in (detail, p.commune_name, p.district_name, p.province_name) if part)


def to_out(r: Any, household_code: str | None) -> ResidentOut:
    """From a Resident object or a Core row of the residents table (same attribute names)."""
    p = place(r.commune_code)
    return ResidentOut(
        id=r.id,
        personal_id=r.personal_id,
        old_id=r.old_id,
        family_name=r.family_name,
        middle_name=r.middle_name,
        given_name=r.given_name,
        full_name=r.full_name,
        gender=r.gender,
        date_of_birth=r.date_of_birth,
        place_of_birth=r.place_of_birth,
        ethnicity=r.ethnicity,
        nationality=r.nationality,
        status=r.status,
        date_of_death=r.date_of_death,
        commune_code=r.commune_code,
        commune_name=p.commune_name,
        current_commune_code=p.current_code,
        current_commune_name=p.current_name,
        address=full_address(r.address_detail, r.commune_code),
        address_detail=r.address_detail,
        household_id=r.household_id,
        household_code=household_code,
        relation_to_head=r.relation_to_head,
        phone=r.phone,
        temp_commune_code=r.temp_commune_code,
        temp_address=r.temp_address,
        temp_from=r.temp_from,
        temp_to=r.temp_to,
        absent_from=r.absent_from,
        absent_to=r.absent_to,
        absent_destination=r.absent_destination,
        version=r.version,
    )


RESIDENTS = Resident.__table__
HOUSEHOLDS = Household.__table__


def with_household() -> Any:
    """Residents' columns plus their household's code, as Core rows: reads that only show a
    record need no ORM objects (the single-record API answers hundreds of these a second)."""
    return select(RESIDENTS, HOUSEHOLDS.c.code.label("household_code")).select_from(
        RESIDENTS.outerjoin(HOUSEHOLDS, HOUSEHOLDS.c.id == RESIDENTS.c.household_id)
    )


def rows(session: Session, stmt: Any, params: dict[str, Any] | None = None) -> Any:
    return session.connection().execute(stmt, params or {})


# Built once: constructing a statement per call costs more CPU than running it.
BY_PERSONAL_ID = with_household().where(RESIDENTS.c.personal_id == bindparam("key"))
BY_ID = with_household().where(RESIDENTS.c.id == bindparam("key"))


def household_code(session: Session, household_id: int | None) -> str | None:
    if household_id is None:
        return None
    return session.scalar(select(Household.code).where(Household.id == household_id))


# --------------------------------------------------------------------------- jurisdiction


def may_see(actor: Actor, resident: Any) -> bool:
    if actor.kind == "system":
        return True
    if actor.kind == "citizen":
        return actor.resident_id is not None and actor.resident_id == resident.id
    return actor.can_see_commune(resident.commune_code)


def require_register_official(session: Session, actor: Actor) -> None:
    """Least privilege: a department's clerk (an official whose account names an agency, such as
    the Department of Justice's) handles that agency's dossiers, which carry the register fields
    its procedures need. The register itself (search, records, households, the map, changes) is
    for the population officials, so the clerk is refused there — the same 403 for every ID,
    known or not. Looked up once per unit of work."""
    if actor.kind != "official":
        return
    agencies = session.info.setdefault("hue06.registry.agency", {})
    if actor.id not in agencies:
        official = identity.get_official_by_username(session, actor.id)
        agencies[actor.id] = ((official.agency if official else "") or "").strip()
    if agencies[actor.id]:
        raise Forbidden(
            "registry.agency",
            "Tài khoản của cơ quan chuyên môn chỉ xem thông tin dân cư trong hồ sơ được giao xử lý.",
            "An agency's account sees register data only in the dossiers it handles.",
        )


def admin_units_unknown(code: str) -> InvalidInput:
    return InvalidInput(
        "admin_unit.unknown",
        "Mã đơn vị hành chính không hợp lệ.",
        "That is not a known administrative unit code.",
        unit_code=code,
    )


# --------------------------------------------------------------------------- changes


def resident_for_change(session: Session, actor: Actor, personal_id: str) -> Resident:
    """The resident to change, row-locked until commit; a 404 alike for unknown and refused
    (an agency's clerk is refused before: the register is not theirs)."""
    require_register_official(session, actor)
    key = (personal_id or "").strip()
    resident = None
    if has_id_shape(key):
        resident = session.scalar(select(Resident).where(Resident.personal_id == key).with_for_update())
    if resident is None or not may_see(actor, resident):
        raise not_found("cư dân", "resident")
    return resident


def write_history(
    session: Session,
    actor: Actor,
    resident: Resident,
    action: str,
    changes: dict[str, list[Any]],
    source: str,
) -> None:
    session.add(
        ResidentChange(
            resident_id=resident.id,
            at=utcnow(),
            actor=actor.label,
            action=action,
            source=source[:120],
            changes=json.dumps(changes, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


def bump(resident: Resident) -> None:
    """A changed row gets the next version (optimistic locking) and today's update time."""
    resident.version += 1
    resident.updated_at = utcnow()
