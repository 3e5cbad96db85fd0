"""Reading residents: one by key with jurisdiction and audit, unchecked matches for identity, bulk
lookups and the streamed register for system jobs, and the headline counts.

Every read that shows a person to an official or a citizen checks jurisdiction here, not in the
route, and writes the audit entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.errors import not_found
from hue06.core.personal_id import has_id_shape
from hue06.core.security import Actor
from hue06.registry.models import DigitalAddress, Household, Resident
from hue06.registry.schemas import ResidentOut
from hue06.registry.service._common import (
    BY_ID,
    BY_PERSONAL_ID,
    current_commune_of,
    may_see,
    require_register_official,
    rows,
    to_out,
    with_household,
)


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
    if not may_see(actor, resident):
        audit.record(
            session,
            actor,
            "resident.read_refused",
            "resident",
            resident.personal_id,
            {"reason": "jurisdiction", "purpose": purpose[:200]},
        )
        raise not_found("cư dân", "resident").kept()
    out = to_out(resident, household_code)  # before the audit entry: its lock is held until commit
    audit.record(
        session, actor, "resident.read", "resident", resident.personal_id, {"purpose": purpose[:200]}
    )
    return out


def get_resident(session: Session, personal_id: str, actor: Actor, purpose: str = "") -> ResidentOut:
    """One resident by personal ID, if the actor may see them; 404 alike for unknown and refused."""
    require_register_official(session, actor)
    key = (personal_id or "").strip()
    row = None
    if has_id_shape(key):
        row = rows(session, BY_PERSONAL_ID, {"key": key}).first()
    return _read(session, actor, row, key, purpose)


def get_resident_by_id(session: Session, resident_id: int, actor: Actor, purpose: str = "") -> ResidentOut:
    require_register_official(session, actor)
    row = rows(session, BY_ID, {"key": int(resident_id)}).first()
    return _read(session, actor, row, str(resident_id) if row is None else "", purpose)


def match_identity(session: Session, personal_id: str) -> ResidentOut | None:
    """The register's entry for a personal ID, unchecked and unaudited: the caller (identity,
    checking a self-registration or a CCCD QR) decides what to reveal and writes the audit entry."""
    key = (personal_id or "").strip()
    if not has_id_shape(key):
        return None
    row = rows(session, BY_PERSONAL_ID, {"key": key}).first()
    return to_out(row, row.household_code) if row else None


def _lookup(session: Session, column: Any, keys: Iterable[str]) -> dict[str, ResidentOut]:
    wanted = sorted({k.strip() for k in keys if isinstance(k, str) and k.strip()})
    found: dict[str, ResidentOut] = {}
    for i in range(0, len(wanted), 900):
        chunk = wanted[i : i + 900]
        for row in rows(session, with_household().where(column.in_(chunk))):
            key = getattr(row, column.key)
            if key not in found or row.status == "alive":
                found[key] = to_out(row, row.household_code)
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
        got = session.connection().execute(stmt, {"after": after}).all()
        if not got:
            return
        out = []
        for row in got:
            d = dict(zip(REGISTER_COLUMNS, row, strict=True))
            code = d["commune_code"]
            cur = current.get(code)
            if cur is None:
                cur = current[code] = current_commune_of(code)
            d["current_commune_code"] = cur
            out.append(d)
        yield out
        after = got[-1][0]


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
