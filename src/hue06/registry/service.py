"""The population register's logic: reads with jurisdiction and audit, search, and the four
changes that keep the register alive (birth, death, move, correction).

Every function that shows a person to an official or a citizen checks jurisdiction here, not in
the route, and writes the audit entry in the caller's transaction. Changes are one atomic
function each: everything is validated before the first write, then the row, its history
(`ResidentChange`) and the audit entry are written together.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden, InvalidInput, not_found
from hue06.core.personal_id import (
    BIRTH_PROVINCE_CODES,
    check_personal_id,
    is_cmnd,
    make_personal_id,
    parse_gender,
    parse_vn_date,
)
from hue06.core.security import Actor
from hue06.core.text import fold, normalize_text, title_case_name
from hue06.registry.geo import commune_bbox
from hue06.registry.models import DigitalAddress, Household, Resident, ResidentChange
from hue06.registry.schemas import (
    CommuneAddressesOut,
    DigitalAddressOut,
    HouseholdMemberOut,
    HouseholdOut,
    ResidentChangeOut,
    ResidentOut,
    SearchPage,
)

BASE_VERSION = "2024"
PROVINCE_BIRTH_CODE = "046"
MAX_QUERY_LENGTH = 100
MAX_PAGE = 100
MAX_OFFSET = 2000
COUNT_CAP = 1000
WRITER_ROLES = frozenset({"province", "district", "commune"})
MOVE_KINDS = ("permanent", "temporary", "absence")

__all__ = [
    "SearchPage",
    "commune_addresses",
    "correct_resident",
    "get_resident",
    "get_resident_by_id",
    "household_view",
    "iter_register",
    "lookup_many",
    "lookup_many_by_old_id",
    "match_identity",
    "record_death",
    "record_move",
    "register_birth",
    "register_counts",
    "resident_history",
    "search_residents",
]


# --------------------------------------------------------------------------- units and output


@dataclass(frozen=True)
class _Place:
    commune_name: str
    district_name: str
    province_name: str
    current_code: str
    current_name: str


@cache
def _place(commune_code: str) -> _Place:
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
    return _place(commune_code).current_code


def full_address(detail: str, commune_code: str) -> str:
    p = _place(commune_code)
    return ", ".join(part for part in (detail, p.commune_name, p.district_name, p.province_name) if part)


def _to_out(r: Any, household_code: str | None) -> ResidentOut:
    """From a Resident object or a Core row of the residents table (same attribute names)."""
    p = _place(r.commune_code)
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


_RESIDENTS = Resident.__table__
_HOUSEHOLDS = Household.__table__


def _with_household() -> Any:
    """Residents' columns plus their household's code, as Core rows: reads that only show a
    record need no ORM objects (the single-record API answers hundreds of these a second)."""
    return select(_RESIDENTS, _HOUSEHOLDS.c.code.label("household_code")).select_from(
        _RESIDENTS.outerjoin(_HOUSEHOLDS, _HOUSEHOLDS.c.id == _RESIDENTS.c.household_id)
    )


def _rows(session: Session, stmt: Any, params: dict[str, Any] | None = None) -> Any:
    return session.connection().execute(stmt, params or {})


# Built once: constructing a statement per call costs more CPU than running it.
_BY_PERSONAL_ID = _with_household().where(_RESIDENTS.c.personal_id == bindparam("key"))
_BY_ID = _with_household().where(_RESIDENTS.c.id == bindparam("key"))


# --------------------------------------------------------------------------- jurisdiction


def _may_see(actor: Actor, resident: Any) -> bool:
    if actor.kind == "system":
        return True
    if actor.kind == "citizen":
        return actor.resident_id is not None and actor.resident_id == resident.id
    return actor.can_see_commune(resident.commune_code)


def _subject(key: str) -> str:
    """A subject ID fit for the audit log: a well-formed number as is, anything else replaced."""
    key = (key or "").strip()
    return key if key.isascii() and key.isdigit() and len(key) <= 12 else "(invalid)"


def _read(session: Session, actor: Actor, row: Any, key: str, purpose: str) -> ResidentOut:
    if row is None:
        audit.record(
            session,
            actor,
            "resident.read_refused",
            "resident",
            _subject(key),
            {"reason": "unknown", "purpose": purpose[:200]},
        )
        raise not_found("cư dân", "resident").kept()
    resident, household_code = row, row.household_code
    if not _may_see(actor, resident):
        audit.record(
            session,
            actor,
            "resident.read_refused",
            "resident",
            resident.personal_id,
            {"reason": "jurisdiction", "purpose": purpose[:200]},
        )
        raise not_found("cư dân", "resident").kept()
    out = _to_out(resident, household_code)  # before the audit entry: its lock is held until commit
    audit.record(
        session, actor, "resident.read", "resident", resident.personal_id, {"purpose": purpose[:200]}
    )
    return out


def get_resident(session: Session, personal_id: str, actor: Actor, purpose: str = "") -> ResidentOut:
    """One resident by personal ID, if the actor may see them; 404 alike for unknown and refused."""
    key = (personal_id or "").strip()
    row = None
    if len(key) == 12 and key.isascii() and key.isdigit():
        row = _rows(session, _BY_PERSONAL_ID, {"key": key}).first()
    return _read(session, actor, row, key, purpose)


def get_resident_by_id(session: Session, resident_id: int, actor: Actor, purpose: str = "") -> ResidentOut:
    row = _rows(session, _BY_ID, {"key": int(resident_id)}).first()
    return _read(session, actor, row, str(resident_id) if row is None else "", purpose)


def match_identity(session: Session, personal_id: str) -> ResidentOut | None:
    """The register's entry for a personal ID, unchecked and unaudited: the caller (identity,
    checking a self-registration or a CCCD QR) decides what to reveal and writes the audit entry."""
    key = (personal_id or "").strip()
    if not (len(key) == 12 and key.isascii() and key.isdigit()):
        return None
    row = _rows(session, _BY_PERSONAL_ID, {"key": key}).first()
    return _to_out(row, row.household_code) if row else None


def _lookup(session: Session, column: Any, keys: Iterable[str]) -> dict[str, ResidentOut]:
    wanted = sorted({k.strip() for k in keys if isinstance(k, str) and k.strip()})
    found: dict[str, ResidentOut] = {}
    for i in range(0, len(wanted), 900):
        chunk = wanted[i : i + 900]
        for row in _rows(session, _with_household().where(column.in_(chunk))):
            key = getattr(row, column.key)
            if key not in found or row.status == "alive":
                found[key] = _to_out(row, row.household_code)
    return found


def lookup_many(session: Session, personal_ids: Iterable[str]) -> dict[str, ResidentOut]:
    """Bulk lookup for system jobs (the quality module); the caller audits one entry per batch."""
    return _lookup(session, Resident.personal_id, personal_ids)


def lookup_many_by_old_id(session: Session, old_ids: Iterable[str]) -> dict[str, ResidentOut]:
    """Bulk lookup by old CMND number; where two residents share one, the living one wins."""
    return _lookup(session, Resident.old_id, old_ids)


REGISTER_COLUMNS = (
    "id",
    "personal_id",
    "old_id",
    "family_name",
    "middle_name",
    "given_name",
    "full_name",
    "search_key",
    "gender",
    "date_of_birth",
    "commune_code",
    "household_id",
    "status",
    "date_of_death",
)


def iter_register(session: Session, batch: int = 50_000) -> Iterator[list[dict[str, Any]]]:
    """Every resident as plain dicts, in batches, by keyset on id: Core rows, no ORM objects."""
    cols = [Resident.__table__.c[c] for c in REGISTER_COLUMNS]
    stmt = (
        select(*cols)
        .where(Resident.__table__.c.id > bindparam("after"))
        .order_by(Resident.__table__.c.id)
        .limit(batch)
    )
    current: dict[str, str] = {}
    after = 0
    while True:
        rows = session.connection().execute(stmt, {"after": after}).all()
        if not rows:
            return
        out = []
        for row in rows:
            d = dict(zip(REGISTER_COLUMNS, row, strict=True))
            code = d["commune_code"]
            cur = current.get(code)
            if cur is None:
                cur = current[code] = current_commune_of(code)
            d["current_commune_code"] = cur
            out.append(d)
        yield out
        after = rows[-1][0]


def register_counts(session: Session, as_of: date | None = None) -> dict[str, Any]:
    """Headline figures: residents, alive, deceased, households, digital addresses, by commune.

    With `as_of`, alive means born on or before that day and not dead by then.
    """
    alive_cond: Any
    if as_of is None:
        alive_cond = Resident.status == "alive"
        dead_cond: Any = Resident.status == "deceased"
    else:
        alive_cond = and_(
            Resident.date_of_birth <= as_of,
            or_(Resident.date_of_death.is_(None), Resident.date_of_death > as_of),
        )
        dead_cond = and_(Resident.date_of_death.is_not(None), Resident.date_of_death <= as_of)
    by_2024: dict[str, int] = {}
    for code, n in session.execute(
        select(Resident.commune_code, func.count()).where(alive_cond).group_by(Resident.commune_code)
    ):
        by_2024[code] = int(n)
    by_current: dict[str, int] = {}
    for code, n in by_2024.items():
        cur = current_commune_of(code)
        by_current[cur] = by_current.get(cur, 0) + n
    total = session.scalar(select(func.count()).select_from(Resident)) or 0
    deceased = session.scalar(select(func.count()).select_from(Resident).where(dead_cond)) or 0
    households = session.scalar(select(func.count()).select_from(Household)) or 0
    addresses = session.scalar(select(func.count()).select_from(DigitalAddress)) or 0
    return {
        "as_of": as_of,
        "residents": int(total),
        "alive": sum(by_2024.values()),
        "deceased": int(deceased),
        "households": int(households),
        "digital_addresses": int(addresses),
        "by_commune": dict(sorted(by_current.items())),
        "by_commune_2024": dict(sorted(by_2024.items())),
    }


# --------------------------------------------------------------------------- search


def _query_too_long() -> InvalidInput:
    return InvalidInput(
        "search.too_long",
        f"Từ khóa tìm kiếm quá dài (tối đa {MAX_QUERY_LENGTH} ký tự).",
        f"The search text is too long (at most {MAX_QUERY_LENGTH} characters).",
    )


def _scope(actor: Actor, commune: str | None) -> frozenset[str] | None:
    """2024 communes to search: the actor's jurisdiction, narrowed by the commune filter."""
    if actor.kind == "system":
        allowed: frozenset[str] | None = None
    elif actor.kind == "official":
        allowed = actor.communes
    else:
        allowed = frozenset()  # citizens and client systems do not search the register
    if commune:
        code = commune.strip()
        if not (code.isascii() and code.isdigit() and len(code) <= 10):
            raise admin_units_unknown(code[:10])
        wanted = admin_units.communes_within(code)
        allowed = wanted if allowed is None else allowed & wanted
    return allowed


def admin_units_unknown(code: str) -> InvalidInput:
    return InvalidInput(
        "admin_unit.unknown",
        "Mã đơn vị hành chính không hợp lệ.",
        "That is not a known administrative unit code.",
        unit_code=code,
    )


def _range(prefix: str) -> Any:
    """search_key starts with `prefix`, as a range both databases answer from the index."""
    return and_(Resident.search_key >= prefix, Resident.search_key < prefix + "~")


def search_residents(
    session: Session,
    actor: Actor,
    q: str = "",
    dob: date | str | None = None,
    year: int | str | None = None,
    commune: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Find residents by name (any diacritics, any tone style, legacy fonts) or by ID.

    A name query matches (a) full names starting with it ("nguyen thi l"), listed first, then
    (b) names whose given name is the last word and which start with the other words
    ("nguyen lan" finds "Nguyễn Thị Lan"; "lan" finds every Lan). Digits match a personal ID or
    an old CMND. Both are range scans on folded keys, so they stay fast on 1 M residents.
    Always restricted to the actor's communes. Audited as one entry listing the IDs returned.
    """
    q = q or ""
    if len(q) > MAX_QUERY_LENGTH:
        raise _query_too_long()
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, min(int(offset), MAX_OFFSET))
    filters: list[Any] = []
    scope = _scope(actor, commune)
    if scope is not None:
        if not scope:
            return _empty_page(session, actor, limit, offset)
        filters.append(Resident.commune_code.in_(sorted(scope)))
    if dob not in (None, ""):
        day = dob if isinstance(dob, date) else parse_vn_date(str(dob)[:40])
        filters.append(Resident.date_of_birth == day)
    if year not in (None, ""):
        y = _parse_year(year)
        filters.append(
            and_(Resident.date_of_birth >= date(y, 1, 1), Resident.date_of_birth <= date(y, 12, 31))
        )

    text = q.strip()
    digits = text.replace(" ", "").replace(".", "")
    branches: list[Any]
    if digits and digits.isascii() and digits.isdigit():
        branches = [or_(Resident.personal_id == digits, Resident.old_id == digits)]
    else:
        key = fold(text)
        tokens = key.split()
        if not tokens:
            branches = [None]
        else:
            branches = [_range(key)]
            if len(tokens) == 1:
                branches.append(Resident.given_key == tokens[0])
            else:
                branches.append(and_(Resident.given_key == tokens[-1], _range(" ".join(tokens[:-1]) + " ")))

    # Keys first (index-only where the database can), whole rows only for the page shown.
    want = offset + limit + 1
    seen: set[int] = set()
    ordered: list[int] = []
    complete = True
    for branch in branches:
        cond = [*filters, branch] if branch is not None else filters
        stmt = select(Resident.id).where(*cond).order_by(Resident.search_key, Resident.id).limit(want)
        got = session.scalars(stmt).all()
        complete = complete and len(got) < want
        ordered.extend(i for i in got if i not in seen)
        seen.update(got)
    window = ordered[offset : offset + limit]
    has_more = len(ordered) > offset + limit
    rows = (
        {r.id: r for r in _rows(session, _with_household().where(_RESIDENTS.c.id.in_(window)))}
        if window
        else {}
    )
    items = [_to_out(rows[i], rows[i].household_code) for i in window if i in rows]
    if complete:
        total, capped = len(ordered), False
    else:
        total, capped = _count(session, filters, branches)
    audit.record(
        session,
        actor,
        "resident.search",
        "resident",
        "",
        {
            "ids": [i.personal_id for i in items],
            "returned": len(items),
            "filters": sorted(
                k for k, v in (("q", q), ("dob", dob), ("year", year), ("commune", commune)) if v
            ),
        },
    )
    return SearchPage(
        items=items, total_estimate=total, total_capped=capped, has_more=has_more, limit=limit, offset=offset
    )


def _count(session: Session, filters: list[Any], branches: list[Any]) -> tuple[int, bool]:
    """How many match, counted per branch up to COUNT_CAP so a broad query ("nguyen") stays cheap.
    A name matching both branches is counted twice: the figure is an estimate, and says so."""
    total = 0
    for branch in branches:
        cond = [*filters, branch] if branch is not None else filters
        inner = select(Resident.id).where(*cond).limit(COUNT_CAP + 1).subquery()
        total += session.scalar(select(func.count()).select_from(inner)) or 0
        if total > COUNT_CAP:
            return COUNT_CAP, True
    return total, False


def _empty_page(session: Session, actor: Actor, limit: int, offset: int) -> SearchPage:
    audit.record(session, actor, "resident.search", "resident", "", {"ids": [], "returned": 0})
    return SearchPage(items=[], total_estimate=0, has_more=False, limit=limit, offset=offset)


def _parse_year(year: int | str) -> int:
    try:
        y = int(str(year).strip())
    except ValueError:
        y = 0
    if not 1850 <= y <= date.today().year:
        raise InvalidInput(
            "search.year",
            f"Năm sinh phải là số có 4 chữ số, từ 1850 đến {date.today().year}.",
            f"The year of birth must be a 4-digit number from 1850 to {date.today().year}.",
        )
    return y


# --------------------------------------------------------------------------- households, history, map


def _household_or_404(session: Session, household_id: int, actor: Actor) -> Household:
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
    p = _place(household.commune_code)
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


def digital_addresses_of(session: Session, resident: ResidentOut) -> list[DigitalAddressOut]:
    if resident.household_id is None:
        return []
    rows = session.scalars(select(DigitalAddress).where(DigitalAddress.household_id == resident.household_id))
    return [DigitalAddressOut.model_validate(a) for a in rows]


def commune_addresses(
    session: Session, actor: Actor, commune_code: str, limit: int = 5000
) -> CommuneAddressesOut:
    """A 2024 commune's digital addresses (for the map page), if the actor may see the commune."""
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


# --------------------------------------------------------------------------- changes


def _require_writer(actor: Actor) -> None:
    if actor.kind == "system":
        return
    if actor.kind != "official" or actor.role not in WRITER_ROLES:
        raise Forbidden(
            "registry.role",
            "Chỉ cán bộ cấp xã, huyện, tỉnh được cập nhật dữ liệu dân cư.",
            "Only commune, district and province officers may change the register.",
        )


def _require_commune(actor: Actor, commune_code: str) -> None:
    if not actor.can_see_commune(commune_code):
        raise Forbidden(
            "registry.jurisdiction",
            "Đơn vị hành chính này ngoài phạm vi quản lý của bạn.",
            "That administrative unit is outside your jurisdiction.",
        )


def _resident_for_change(session: Session, actor: Actor, personal_id: str) -> Resident:
    key = (personal_id or "").strip()
    resident = None
    if len(key) == 12 and key.isascii() and key.isdigit():
        resident = session.scalar(select(Resident).where(Resident.personal_id == key).with_for_update())
    if resident is None or not _may_see(actor, resident):
        raise not_found("cư dân", "resident")
    return resident


_NAME_RE = re.compile(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*")
_NAME_LIMITS = {"family_name": 40, "middle_name": 80, "given_name": 40}
_NAME_LABELS = {
    "family_name": ("Họ", "Family name"),
    "middle_name": ("Tên đệm", "Middle name"),
    "given_name": ("Tên", "Given name"),
}


def clean_name_part(value: str, field: str, *, required: bool = True) -> str:
    """A name part as stored: legacy fonts fixed, NFC, one tone style, title case; letters only."""
    vi, en = _NAME_LABELS[field]
    raw = value or ""
    if len(raw) > 4 * _NAME_LIMITS[field]:
        raise _name_too_long(field, vi, en)
    text = title_case_name(normalize_text(raw)) if raw.strip() else ""
    if not text:
        if required:
            raise InvalidInput(
                f"{field}.missing", f"Chưa nhập {vi.lower()}.", f"Enter the {en.lower()}.", field=field
            )
        return ""
    if len(text) > _NAME_LIMITS[field]:
        raise _name_too_long(field, vi, en)
    if not _NAME_RE.fullmatch(text):
        raise InvalidInput(
            f"{field}.invalid",
            f"{vi} chỉ được gồm chữ cái và khoảng trắng.",
            f"The {en.lower()} may contain only letters and spaces.",
            field=field,
        )
    return text


def _name_too_long(field: str, vi: str, en: str) -> InvalidInput:
    limit = _NAME_LIMITS[field]
    return InvalidInput(
        f"{field}.too_long",
        f"{vi} quá dài (tối đa {limit} ký tự).",
        f"The {en.lower()} is too long (at most {limit} characters).",
        field=field,
    )


def _short_text(value: str | None, field: str, limit: int, vi: str, en: str) -> str:
    text = normalize_text(value or "")
    if len(text) > limit:
        raise InvalidInput(
            f"{field}.too_long",
            f"{vi} quá dài (tối đa {limit} ký tự).",
            f"The {en} is too long (at most {limit} characters).",
            field=field,
        )
    return text


def _date(value: date | str, field: str, *, not_before: date | None = None) -> date:
    try:
        d = value if isinstance(value, date) else parse_vn_date(str(value)[:40])
    except InvalidInput as exc:
        exc.ctx["field"] = field
        raise
    if d > date.today():
        raise InvalidInput(
            "date.future", "Ngày không được ở tương lai.", "The date cannot be in the future.", field=field
        )
    if not_before is not None and d < not_before:
        raise InvalidInput(
            "date.order",
            f"Ngày không được trước ngày {not_before:%d/%m/%Y}.",
            f"The date cannot be before {not_before:%d/%m/%Y}.",
            field=field,
        )
    return d


def _gender(value: str) -> str:
    g = parse_gender(value or "")
    if g is None:
        raise InvalidInput(
            "gender.invalid",
            "Giới tính phải là Nam hoặc Nữ.",
            "Gender must be male or female.",
            field="gender",
        )
    return g


def _commune_2024(code: str, field: str = "to_commune_code") -> str:
    """A 2024 commune code, or a later unit's code that covers exactly one 2024 commune."""
    text = (code or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise InvalidInput(
            "admin_unit.unknown",
            "Mã xã/phường không hợp lệ.",
            "That is not a valid commune code.",
            field=field,
        )
    try:
        if admin_units.get_unit(text, BASE_VERSION).level == "commune":
            return text  # records are kept on the 2024 grid: a 2024 code is read as such
    except InvalidInput:
        pass
    try:
        within = admin_units.communes_within(text)
    except InvalidInput as exc:
        exc.ctx["field"] = field
        raise
    if len(within) != 1:
        raise InvalidInput(
            "admin_unit.ambiguous",
            "Mã này gồm nhiều xã/phường cũ; hãy chọn xã/phường (trước 2025) nơi cư trú.",
            "That code covers several former communes; choose the commune (before 2025) of residence.",
            field=field,
        )
    return next(iter(within))


def _write_history(
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


def _new_personal_id(session: Session, gender: str, year: int) -> str:
    for _ in range(50):
        candidate = make_personal_id(PROVINCE_BIRTH_CODE, gender, year, secrets.randbelow(1_000_000))
        if session.scalar(select(Resident.id).where(Resident.personal_id == candidate)) is None:
            return candidate
    raise Conflict(
        "personal_id.exhausted", "Không cấp được số định danh mới.", "Could not assign a new personal ID."
    )


def _parent(session: Session, personal_id: str | None, field: str, gender: str) -> Resident | None:
    if not personal_id:
        return None
    key = personal_id.strip()
    parent = None
    if len(key) == 12 and key.isdigit():
        parent = session.scalar(select(Resident).where(Resident.personal_id == key))
    vi, en = ("mẹ", "mother") if gender == "female" else ("cha", "father")
    if parent is None:
        raise InvalidInput(
            f"{field}.unknown",
            f"Không tìm thấy {vi} trong CSDL dân cư.",
            f"The {en} is not in the register.",
            field=field,
        )
    if parent.gender != gender:
        raise InvalidInput(
            f"{field}.gender",
            f"Người được ghi là {vi} có giới tính không phù hợp.",
            f"The person given as {en} has the other gender.",
            field=field,
        )
    return parent


def register_birth(
    session: Session,
    actor: Actor,
    *,
    family_name: str,
    middle_name: str,
    given_name: str,
    gender: str,
    date_of_birth: date | str,
    place_of_birth: str,
    household_id: int,
    relation_to_head: str,
    mother_id: str | None = None,
    father_id: str | None = None,
    source: str = "",
) -> ResidentOut:
    """Register a birth into an existing household and assign a personal ID (046, gender, year).

    `mother_id`/`father_id` are the parents' personal IDs (optional; checked against the register).
    """
    _require_writer(actor)
    family = clean_name_part(family_name, "family_name")
    middle = clean_name_part(middle_name, "middle_name", required=False)
    given = clean_name_part(given_name, "given_name")
    g = _gender(gender)
    dob = _date(date_of_birth, "date_of_birth", not_before=date(1900, 1, 1))
    place = _short_text(place_of_birth, "place_of_birth", 200, "Nơi sinh", "place of birth")
    relation = _short_text(
        relation_to_head, "relation_to_head", 40, "Quan hệ với chủ hộ", "relation to the head"
    )
    if not relation:
        raise InvalidInput(
            "relation_to_head.missing",
            "Chưa nhập quan hệ với chủ hộ.",
            "Enter the relation to the head of household.",
            field="relation_to_head",
        )
    src = _short_text(source, "source", 120, "Nguồn", "source")
    try:
        hid = int(household_id)
    except (TypeError, ValueError):
        hid = -1
    household = session.get(Household, hid) if hid > 0 else None
    if household is None or not actor.can_see_commune(household.commune_code):
        raise InvalidInput(
            "household.unknown",
            "Không tìm thấy hộ gia đình trong phạm vi quản lý của bạn.",
            "No such household within your jurisdiction.",
            field="household_id",
        )
    mother = _parent(session, mother_id, "mother_id", "female")
    father = _parent(session, father_id, "father_id", "male")
    for parent in (mother, father):
        if parent is not None and parent.date_of_birth >= dob:
            raise InvalidInput(
                "parent.younger",
                "Cha/mẹ phải sinh trước con.",
                "A parent must be born before the child.",
                field="mother_id" if parent is mother else "father_id",
            )

    pid = _new_personal_id(session, g, dob.year)
    full = " ".join(p for p in (family, middle, given) if p)
    raw_full = " ".join(p for p in (family_name, middle_name, given_name) if p and p.strip())
    now = utcnow()
    resident = Resident(
        personal_id=pid,
        family_name=family,
        middle_name=middle,
        given_name=given,
        full_name=full,
        full_name_raw=raw_full if " ".join(raw_full.split()) != full else None,
        search_key=fold(full),
        given_key=fold(given),
        gender=g,
        date_of_birth=dob,
        place_of_birth=place,
        ethnicity=(mother or father).ethnicity if (mother or father) else "Kinh",
        nationality="Việt Nam",
        status="alive",
        commune_code=household.commune_code,
        address_detail=household.address_detail,
        household_id=household.id,
        relation_to_head=relation,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(resident)
    session.flush()
    changes: dict[str, list[Any]] = {
        f: [None, getattr(resident, f)]
        for f in (
            "personal_id",
            "family_name",
            "middle_name",
            "given_name",
            "gender",
            "date_of_birth",
            "place_of_birth",
            "commune_code",
            "household_id",
            "relation_to_head",
        )
    }
    if mother:
        changes["mother_id"] = [None, mother.personal_id]
    if father:
        changes["father_id"] = [None, father.personal_id]
    _write_history(session, actor, resident, "birth", changes, src)
    audit.record(
        session, actor, "resident.birth", "resident", pid, {"household": household.id, "source": src}
    )
    return _to_out(resident, household.code)


def record_death(
    session: Session, actor: Actor, personal_id: str, date_of_death: date | str, source: str = ""
) -> ResidentOut:
    """Mark a resident deceased; the row stays (history, other agencies' records point at it)."""
    _require_writer(actor)
    resident = _resident_for_change(session, actor, personal_id)
    dod = _date(date_of_death, "date_of_death", not_before=resident.date_of_birth)
    src = _short_text(source, "source", 120, "Nguồn", "source")
    if resident.status == "deceased":
        raise Conflict(
            "resident.already_deceased",
            "Cư dân này đã được ghi nhận là đã mất.",
            "This resident is already recorded as deceased.",
        )
    changes = {"status": [resident.status, "deceased"], "date_of_death": [None, dod]}
    resident.status = "deceased"
    resident.date_of_death = dod
    resident.version += 1
    resident.updated_at = utcnow()
    _write_history(session, actor, resident, "death", changes, src)
    audit.record(session, actor, "resident.death", "resident", resident.personal_id, {"source": src})
    session.flush()
    return _to_out(resident, _household_code(session, resident.household_id))


def _household_code(session: Session, household_id: int | None) -> str | None:
    if household_id is None:
        return None
    return session.scalar(select(Household.code).where(Household.id == household_id))


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

    Permanent and temporary moves are registered by an officer of the destination; an absence by
    an officer of the resident's commune.
    """
    _require_writer(actor)
    if kind not in MOVE_KINDS:
        raise InvalidInput(
            "move.kind",
            "Loại thay đổi phải là thường trú, tạm trú hoặc tạm vắng.",
            "The kind must be permanent, temporary or absence.",
            field="kind",
        )
    start = _date(date_from, "date_from", not_before=date(1900, 1, 1))
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
    detail = _short_text(address_detail, "address_detail", 300, "Địa chỉ", "address")
    src = _short_text(source, "source", 120, "Nguồn", "source")
    key = (personal_id or "").strip()
    resident = None
    if len(key) == 12 and key.isascii() and key.isdigit():
        resident = session.scalar(select(Resident).where(Resident.personal_id == key).with_for_update())
    if resident is None or resident.status != "alive":
        raise not_found("cư dân", "resident")
    if actor.kind == "citizen":
        raise not_found("cư dân", "resident")
    if start < resident.date_of_birth:
        raise InvalidInput(
            "date.order",
            "Ngày bắt đầu trước ngày sinh.",
            "The start date is before the date of birth.",
            field="date_from",
        )

    changes: dict[str, list[Any]] = {}
    household: Household | None = None
    new_household = False
    if kind == "absence":
        if not _may_see(actor, resident):
            raise not_found("cư dân", "resident")
        if not detail:
            raise InvalidInput(
                "address_detail.missing",
                "Chưa nhập nơi đến.",
                "Enter the destination.",
                field="address_detail",
            )
        updates = {"absent_from": start, "absent_to": end, "absent_destination": detail}
    else:
        commune = _commune_2024(to_commune_code)
        _require_commune(actor, commune)
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
            else:
                new_household = True
            if (
                commune == resident.commune_code
                and household is not None
                and household.id == resident.household_id
            ):
                raise InvalidInput(
                    "move.same",
                    "Cư dân đã thường trú tại hộ này.",
                    "The resident already lives in this household.",
                    field="household_id",
                )
            updates = {
                "commune_code": commune,
                "address_detail": detail,
                "relation_to_head": "Chủ hộ" if new_household else "Thành viên",
                "absent_from": None,
                "absent_to": None,
                "absent_destination": None,
            }

    # Everything is valid: write.
    if kind == "permanent":
        old_household_id = resident.household_id
        if new_household:
            household = Household(
                code=_new_household_code(session, updates["commune_code"]),
                commune_code=updates["commune_code"],
                address_detail=detail,
                created_at=utcnow(),
            )
            session.add(household)
            session.flush()
            household.head_resident_id = resident.id
        assert household is not None
        updates["household_id"] = household.id
        if old_household_id is not None:
            session.execute(
                update(Household)
                .where(Household.id == old_household_id, Household.head_resident_id == resident.id)
                .values(head_resident_id=None)
            )
    for field, value in updates.items():
        old = getattr(resident, field)
        if old != value:
            changes[field] = [old, value]
            setattr(resident, field, value)
    changes["effective_from"] = [None, start]
    resident.version += 1
    resident.updated_at = utcnow()
    _write_history(session, actor, resident, f"move.{kind}", changes, src)
    audit.record(
        session,
        actor,
        f"resident.move.{kind}",
        "resident",
        resident.personal_id,
        {"fields": sorted(changes), "source": src},
    )
    session.flush()
    return _to_out(resident, _household_code(session, resident.household_id))


def _new_household_code(session: Session, commune_code: str) -> str:
    for _ in range(50):
        code = f"HK{commune_code}{secrets.randbelow(10**8):08d}"
        if session.scalar(select(Household.id).where(Household.code == code)) is None:
            return code
    raise Conflict("household.code", "Không cấp được mã hộ mới.", "Could not assign a household code.")


CORRECTABLE = (
    "family_name",
    "middle_name",
    "given_name",
    "gender",
    "date_of_birth",
    "place_of_birth",
    "ethnicity",
    "nationality",
    "phone",
    "address_detail",
    "old_id",
    "relation_to_head",
)


def correct_resident(
    session: Session,
    actor: Actor,
    personal_id: str,
    changes: dict[str, Any],
    expected_version: int,
    source: str,
) -> ResidentOut:
    """Correct recorded facts (a misspelt name, a wrong place of birth) with optimistic locking:
    the caller sends the version it saw, and a concurrent change makes this one a Conflict.

    Gender and date of birth can be corrected only where the personal ID still agrees with them.
    """
    _require_writer(actor)
    resident = _resident_for_change(session, actor, personal_id)
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown or not changes:
        raise InvalidInput(
            "correction.fields",
            "Chỉ sửa được: " + ", ".join(CORRECTABLE) + ".",
            "Only these fields can be corrected: " + ", ".join(CORRECTABLE) + ".",
            fields=unknown,
        )
    src = _short_text(source, "source", 120, "Nguồn", "source")
    if not src:
        raise InvalidInput(
            "source.missing",
            "Cần ghi căn cứ (nguồn) của việc sửa.",
            "Give the source (document) of the correction.",
            field="source",
        )
    if int(expected_version) != resident.version:
        raise Conflict(
            "resident.stale",
            "Hồ sơ đã được người khác cập nhật. Vui lòng tải lại và sửa lại.",
            "Someone else changed this record meanwhile. Reload it and correct it again.",
        )
    new: dict[str, Any] = {}
    for field, value in changes.items():
        if field in _NAME_LIMITS:
            new[field] = clean_name_part(str(value or ""), field, required=field != "middle_name")
        elif field == "gender":
            new[field] = _gender(str(value))
        elif field == "date_of_birth":
            new[field] = _date(value, field, not_before=date(1900, 1, 1))
        elif field == "old_id":
            text = str(value or "").strip()
            if text and not is_cmnd(text):
                raise InvalidInput(
                    "old_id.format",
                    "Số CMND cũ phải gồm đúng 9 chữ số.",
                    "An old CMND number has exactly 9 digits.",
                    field="old_id",
                )
            new[field] = text or None
        elif field == "phone":
            text = re.sub(r"[\s.\-]", "", str(value or ""))
            if text and not re.fullmatch(r"\+?\d{9,12}", text):
                raise InvalidInput(
                    "phone.format",
                    "Số điện thoại không hợp lệ.",
                    "That is not a valid phone number.",
                    field="phone",
                )
            new[field] = text or None
        else:
            new[field] = _short_text(str(value or ""), field, 200, "Giá trị", "value")
    check_personal_id(
        resident.personal_id,
        new.get("date_of_birth", resident.date_of_birth),
        new.get("gender", resident.gender),
    )
    diff = {f: [getattr(resident, f), v] for f, v in new.items() if getattr(resident, f) != v}
    if not diff:
        return _to_out(resident, _household_code(session, resident.household_id))
    for field, (_, value) in diff.items():
        setattr(resident, field, value)
    if {"family_name", "middle_name", "given_name"} & set(diff):
        full = " ".join(p for p in (resident.family_name, resident.middle_name, resident.given_name) if p)
        diff["full_name"] = [resident.full_name, full]
        resident.full_name = full
        resident.search_key = fold(full)
        resident.given_key = fold(resident.given_name)
    resident.version += 1
    resident.updated_at = utcnow()
    _write_history(session, actor, resident, "correction", diff, src)
    audit.record(
        session,
        actor,
        "resident.correct",
        "resident",
        resident.personal_id,
        {"fields": sorted(diff), "source": src},
    )
    session.flush()
    return _to_out(resident, _household_code(session, resident.household_id))


def birth_province_name(personal_id: str) -> str:
    return BIRTH_PROVINCE_CODES.get(personal_id[:3], "")


# --------------------------------------------------------------------------- for the pages


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
            p = _place(unit.code)
            out.append(CommuneChoice(unit.code, unit.name, p.district_name, p.current_name))
    return sorted(out, key=lambda c: (c.district, fold(c.name)))


AUDIT_READERS = frozenset({"auditor", "admin"})


def audit_trail(
    session: Session, actor: Actor, resident: ResidentOut, limit: int = 20
) -> list[audit.AuditEntry]:
    """Recent audit entries about a resident, for auditors only (others get an empty list)."""
    if actor.kind != "official" or actor.role not in AUDIT_READERS:
        return []
    return audit.entries_for(session, "resident", resident.personal_id, limit=limit)
