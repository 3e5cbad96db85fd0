"""A small hand-made register: a few households in known communes with known names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core.audit import AuditEntry
from hue06.core.personal_id import make_personal_id
from hue06.core.security import Actor
from hue06.core.text import fold, normalize_text, split_name
from hue06.registry.models import DigitalAddress, Household, Resident


def official(role: str, unit: str, name: str = "canbo") -> Actor:
    return Actor(kind="official", id=name, role=role, unit_code=unit)


PROVINCE = official("province", "46", "tinh")
TAY_LOC = official("commune", "19750", "xa_tayloc")  # Phường Tây Lộc (2024)
KIM_LONG = official("commune", "19774", "xa_kimlong")  # Phường Kim Long (2024 and 2025-07)
PHU_XUAN_DISTRICT = official(
    "district", "475", "q_phuxuan"
)  # Quận Phú Xuân (2025-01): Tây Lộc, Kim Long, ...
PHU_XUAN_2025 = official("commune", "19753", "px")  # 2025-07 Phường Phú Xuân: Tây Lộc, Thuận Lộc, ...
A_LUOI = official("district", "481", "aluoi")


class Register:
    """Adds households and residents the way the register stores them (normalised, folded)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.serial = 100

    def household(self, commune: str, detail: str = "12 Lê Lợi", code: str | None = None) -> Household:
        self.serial += 1
        hh = Household(
            code=code or f"HK{commune}{self.serial:06d}", commune_code=commune, address_detail=detail
        )
        self.session.add(hh)
        self.session.flush()
        return hh

    def resident(
        self,
        full_name: str,
        *,
        gender: str = "female",
        dob: date = date(1990, 5, 12),
        household: Household | None = None,
        commune: str | None = None,
        relation: str = "Chủ hộ",
        personal_id: str | None = None,
        old_id: str | None = None,
        status: str = "alive",
        **extra: Any,
    ) -> Resident:
        self.serial += 1
        parts = split_name(full_name)
        full = parts.full
        commune = commune or (household.commune_code if household else "19750")
        r = Resident(
            personal_id=personal_id or make_personal_id("046", gender, dob.year, self.serial),
            old_id=old_id,
            family_name=parts.family,
            middle_name=parts.middle,
            given_name=parts.given,
            full_name=full,
            full_name_raw=full_name if normalize_text(full_name) != full_name else None,
            search_key=fold(full),
            given_key=fold(parts.given),
            gender=gender,
            date_of_birth=dob,
            place_of_birth="Thừa Thiên Huế",
            commune_code=commune,
            address_detail=household.address_detail if household else "",
            household_id=household.id if household else None,
            relation_to_head=relation,
            status=status,
            version=1,
            **extra,
        )
        self.session.add(r)
        self.session.flush()
        if household is not None and relation == "Chủ hộ":
            household.head_resident_id = r.id
        return r

    def address(self, household: Household, lat: float, lon: float) -> DigitalAddress:
        self.serial += 1
        a = DigitalAddress(
            code=f"DC{self.serial}",
            household_id=household.id,
            commune_code=household.commune_code,
            label=household.address_detail,
            lat=lat,
            lon=lon,
        )
        self.session.add(a)
        self.session.flush()
        return a


@pytest.fixture
def register(session: Session) -> Register:
    return Register(session)


@pytest.fixture
def family(register: Register, session: Session) -> dict[str, Any]:
    """Two households in Tây Lộc, one in Kim Long, one in A Lưới; committed."""
    tl = register.household("19750", "12 Lê Lợi")
    head = register.resident(
        "Nguyễn Văn Hùng", gender="male", dob=date(1975, 3, 2), household=tl, old_id="191234567"
    )
    wife = register.resident("Trần Thị Thuý", dob=date(1978, 7, 9), household=tl, relation="Vợ")
    child = register.resident("Nguyễn Thị Thuý Lan", dob=date(2005, 1, 20), household=tl, relation="Con")
    register.address(tl, 16.478, 107.58)
    tl2 = register.household("19750", "3 Chi Lăng")
    other = register.resident("Tôn Nữ Diệu Hương", dob=date(1960, 12, 1), household=tl2)
    kl = register.household("19774", "Kim Long")
    far = register.resident("Lê Thị Thúy", dob=date(1990, 5, 12), household=kl)
    al = register.household("20044", "Thôn 1")
    mountain = register.resident(
        "Hồ Văn Kăn", gender="male", dob=date(1985, 6, 6), household=al, ethnicity="Tà Ôi"
    )
    session.commit()
    return {
        "tl": tl,
        "tl2": tl2,
        "kl": kl,
        "al": al,
        "head": head,
        "wife": wife,
        "child": child,
        "other": other,
        "far": far,
        "mountain": mountain,
    }


@pytest.fixture
def entries(session: Session) -> Callable[..., list[Any]]:
    """Audit entries, newest first, optionally of one action."""

    def _entries(action: str | None = None) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return list(session.scalars(stmt))

    return _entries
