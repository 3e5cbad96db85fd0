"""A change of residence: permanent (thường trú), temporary residence (tạm trú) or temporary
absence (tạm vắng). Validated whole before the first write, like every change.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, InvalidInput, not_found
from hue06.core.personal_id import parse_vn_date
from hue06.core.security import Actor
from hue06.registry.models import Household, Resident
from hue06.registry.schemas import ResidentOut
from hue06.registry.service._checks import (
    commune_2024,
    past_date,
    require_commune,
    require_writer,
    short_text,
    source_text,
)
from hue06.registry.service._common import (
    MOVE_KINDS,
    bump,
    household_code,
    resident_for_change,
    to_out,
    write_history,
)


def record_move(
    session: Session,
    actor: Actor,
    personal_id: str,
    *,
    to_commune_code: str,
    address_detail: str,
    household_id: int | None = None,
    kind: str = "permanent",
    date_from: date | str,
    date_to: date | str | None = None,
    source: str = "",
) -> ResidentOut:
    """A change of residence: permanent (thường trú, joins or founds a household), temporary
    residence (tạm trú) or temporary absence (tạm vắng, destination free text).

    The resident must be within the officer's jurisdiction, and a permanent or temporary move's
    destination too. The resident is looked up first: outside the jurisdiction the answer is the
    unknown ID's 404 whatever the body, so a refused move tells nothing (not even whether the
    start date is before the birth).
    """
    require_writer(actor)
    resident = _resident_to_move(session, actor, personal_id)
    if kind not in MOVE_KINDS:
        raise InvalidInput(
            "move.kind",
            "Loại thay đổi phải là thường trú, tạm trú hoặc tạm vắng.",
            "The kind must be permanent, temporary or absence.",
            field="kind",
        )
    start, end = _period(date_from, date_to)
    detail = short_text(address_detail, "address_detail", 300, "Địa chỉ", "address")
    src = source_text(source)
    if start < resident.date_of_birth:
        raise InvalidInput(
            "date.order",
            "Ngày bắt đầu trước ngày sinh.",
            "The start date is before the date of birth.",
            field="date_from",
        )

    household: Household | None = None  # a permanent move without one founds a household
    if kind == "absence":
        updates = _absence(detail, start, end)
    else:
        commune = commune_2024(to_commune_code)
        require_commune(actor, commune)
        if not detail and household_id in (None, ""):
            raise InvalidInput(
                "address_detail.missing",
                "Chưa nhập địa chỉ (số nhà, thôn, tổ).",
                "Enter the address (house number, hamlet).",
                field="address_detail",
            )
        if kind == "temporary":
            updates = {
                "temp_commune_code": commune,
                "temp_address": detail,
                "temp_from": start,
                "temp_to": end,
            }
        else:
            household, updates = _permanent(session, resident, commune, detail, household_id)

    # Everything is valid: write.
    if kind == "permanent":
        updates["household_id"] = _rehouse(session, resident, household, updates)
    changes = _apply(resident, updates)
    changes["effective_from"] = [None, start]
    bump(resident)
    write_history(session, actor, resident, f"move.{kind}", changes, src)
    audit.record(
        session,
        actor,
        f"resident.move.{kind}",
        "resident",
        resident.personal_id,
        {"fields": sorted(changes), "source": src},
    )
    session.flush()
    return to_out(resident, household_code(session, resident.household_id))


def _period(date_from: date | str, date_to: date | str | None) -> tuple[date, date | None]:
    """The move's start (not in the future) and optional end (may be, but after the start)."""
    start = past_date(date_from, "date_from", not_before=date(1900, 1, 1))
    end = None
    if date_to not in (None, ""):
        end = date_to if isinstance(date_to, date) else parse_vn_date(str(date_to)[:40], allow_future=True)
        if end <= start:
            raise InvalidInput(
                "date.order",
                "Ngày kết thúc phải sau ngày bắt đầu.",
                "The end date must be after the start.",
                field="date_to",
            )
    return start, end


def _resident_to_move(session: Session, actor: Actor, personal_id: str) -> Resident:
    """The living resident in the actor's jurisdiction, locked; a 404 alike for the unknown, the
    refused and the dead."""
    resident = resident_for_change(session, actor, personal_id)
    if resident.status != "alive":
        raise not_found("cư dân", "resident")
    return resident


def _absence(detail: str, start: date, end: date | None) -> dict[str, Any]:
    """A temporary absence, registered in the resident's own commune, to a destination in words."""
    if not detail:
        raise InvalidInput(
            "address_detail.missing",
            "Chưa nhập nơi đến.",
            "Enter the destination.",
            field="address_detail",
        )
    return {"absent_from": start, "absent_to": end, "absent_destination": detail}


def _permanent(
    session: Session, resident: Resident, commune: str, detail: str, household_id: int | None
) -> tuple[Household | None, dict[str, Any]]:
    """A permanent move's new values: joining the given household of the destination (its address
    unless one is given), or founding one (None) as its head. Ends any absence."""
    household = None
    if household_id not in (None, ""):
        household = session.get(Household, int(household_id))
        if household is None or household.commune_code != commune:
            raise InvalidInput(
                "household.unknown",
                "Không tìm thấy hộ gia đình này ở xã/phường đến.",
                "No such household in the destination commune.",
                field="household_id",
            )
        detail = detail or household.address_detail
    if commune == resident.commune_code and household is not None and household.id == resident.household_id:
        raise InvalidInput(
            "move.same",
            "Cư dân đã thường trú tại hộ này.",
            "The resident already lives in this household.",
            field="household_id",
        )
    return household, {
        "commune_code": commune,
        "address_detail": detail,
        "relation_to_head": "Chủ hộ" if household is None else "Thành viên",
        "absent_from": None,
        "absent_to": None,
        "absent_destination": None,
    }


def _rehouse(
    session: Session, resident: Resident, household: Household | None, updates: dict[str, Any]
) -> int:
    """Found the new household (None given) with the resident as head, and stop them heading the
    old one. Returns the household the resident now belongs to."""
    old_household_id = resident.household_id
    if household is None:
        household = Household(
            code=_new_household_code(session, updates["commune_code"]),
            commune_code=updates["commune_code"],
            address_detail=updates["address_detail"],
            created_at=utcnow(),
        )
        session.add(household)
        session.flush()
        household.head_resident_id = resident.id
    if old_household_id is not None:
        session.execute(
            update(Household)
            .where(Household.id == old_household_id, Household.head_resident_id == resident.id)
            .values(head_resident_id=None)
        )
    return household.id


def _new_household_code(session: Session, commune_code: str) -> str:
    for _ in range(50):
        code = f"HK{commune_code}{secrets.randbelow(10**8):08d}"
        if session.scalar(select(Household.id).where(Household.code == code)) is None:
            return code
    raise Conflict("household.code", "Không cấp được mã hộ mới.", "Could not assign a household code.")


def _apply(resident: Resident, updates: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values that differ; the history records each as [old, new]."""
    changes: dict[str, list[Any]] = {}
    for field, value in updates.items():
        old = getattr(resident, field)
        if old != value:
            changes[field] = [old, value]
            setattr(resident, field, value)
    return changes
