"""Units: who a task is assigned to, read from its "responsible unit" text, and their focal points."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.errors import not_found
from hue06.core.security import SYSTEM, Actor
from hue06.core.text import fold
from hue06.steering.models import SteeringUnit, SteeringUnitMember

_UNIT_START = (
    r"Sở|Công an|UBND|Ủy ban|Ban |Văn phòng|Cục|Bảo hiểm|Ngân hàng|Tòa án|Viện|Thanh tra|Bộ Chỉ huy|Bưu điện|"
    r"Điện lực|Trường|Bệnh viện|Đài|Báo |Liên đoàn|Hội |Tỉnh đoàn|Tổ "
)
_SPLIT_UNITS = re.compile(rf";|,\s+(?=(?:{_UNIT_START}))")


def responsible_units(text: str) -> list[str]:
    """'Sở Y tế, Sở Giáo dục và Đào tạo' -> two units; 'Các sở, ngành, địa phương' stays one."""
    parts = [p.strip(" .;,") for p in _SPLIT_UNITS.split(text or "")]
    return [p for p in parts if p]


def unit_kind(name: str) -> str:
    low = name.lower()
    if low.startswith("các "):
        return "collective"
    if low.startswith("công an"):
        return "police"
    if low.startswith(("ubnd", "ủy ban")) and any(w in low for w in ("huyện", "thị xã", "thành phố")):
        return "district"
    if low.startswith(
        ("sở ", "văn phòng", "ban ", "thanh tra", "cục ", "bảo hiểm", "ngân hàng", "tòa án", "viện ")
    ):
        return "department"
    return "other"


def unit_named(session: Session, name: str, cache: dict[str, SteeringUnit]) -> SteeringUnit:
    """The unit of that name (whatever its capitals), added the first time a report names it."""
    code = fold(name)[:120]
    unit = cache.get(code) or session.scalar(select(SteeringUnit).where(SteeringUnit.code == code))
    if unit is None:
        unit = SteeringUnit(code=code, name=name[:300], kind=unit_kind(name))
        session.add(unit)
        session.flush()
    cache[code] = unit
    return unit


def list_units(session: Session) -> list[SteeringUnit]:
    return list(session.scalars(select(SteeringUnit).order_by(SteeringUnit.name)))


def get_unit(session: Session, unit_id_or_code: int | str) -> SteeringUnit:
    if isinstance(unit_id_or_code, int) or str(unit_id_or_code).isdigit():
        unit = session.get(SteeringUnit, int(unit_id_or_code))
    else:
        unit = session.scalar(select(SteeringUnit).where(SteeringUnit.code == fold(str(unit_id_or_code))))
    if unit is None:
        raise not_found("đơn vị", "unit")
    return unit


def add_member(
    session: Session, unit_id_or_code: int | str, username: str, actor: Actor = SYSTEM
) -> SteeringUnitMember:
    """Let an official update the tasks of a unit (the unit's focal point for Đề án 06)."""
    unit = get_unit(session, unit_id_or_code)
    existing = session.scalar(
        select(SteeringUnitMember).where(
            SteeringUnitMember.unit_id == unit.id, SteeringUnitMember.username == username
        )
    )
    if existing is not None:
        return existing
    member = SteeringUnitMember(unit_id=unit.id, username=username)
    session.add(member)
    session.flush()
    audit.record(session, actor, "steering.member_added", "steering_unit", unit.code, {"username": username})
    return member


def units_of(session: Session, username: str) -> list[SteeringUnit]:
    stmt = (
        select(SteeringUnit)
        .join(SteeringUnitMember, SteeringUnitMember.unit_id == SteeringUnit.id)
        .where(SteeringUnitMember.username == username)
        .order_by(SteeringUnit.name)
    )
    return list(session.scalars(stmt))
