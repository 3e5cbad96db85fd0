"""Searching the register by name or ID, always within the actor's communes, audited as one entry
listing the IDs returned.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.errors import InvalidInput
from hue06.core.personal_id import parse_vn_date
from hue06.core.security import Actor
from hue06.core.text import fold
from hue06.registry.models import Resident
from hue06.registry.schemas import ResidentOut, SearchPage
from hue06.registry.service._common import (
    COUNT_CAP,
    MAX_OFFSET,
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    RESIDENTS,
    admin_units_unknown,
    require_register_official,
    rows,
    to_out,
    with_household,
)


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
    require_register_official(session, actor)
    q = q or ""
    if len(q) > MAX_QUERY_LENGTH:
        raise _query_too_long()
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, min(int(offset), MAX_OFFSET))
    scope = _scope(actor, commune)
    if scope is not None and not scope:
        return _empty_page(session, actor, limit, offset)
    filters = _filters(scope, dob, year)
    branches = _branches(q.strip())
    ordered, complete = _matching_ids(session, filters, branches, want=offset + limit + 1)
    items = _page_items(session, ordered[offset : offset + limit])
    if complete:
        total, capped = len(ordered), False
    else:
        total, capped = _count(session, filters, branches)
    used = sorted(k for k, v in (("q", q), ("dob", dob), ("year", year), ("commune", commune)) if v)
    audit.record(
        session,
        actor,
        "resident.search",
        "resident",
        "",
        {"ids": [i.personal_id for i in items], "returned": len(items), "filters": used},
    )
    return SearchPage(
        items=items,
        total_estimate=total,
        total_capped=capped,
        has_more=len(ordered) > offset + limit,
        limit=limit,
        offset=offset,
    )


def _filters(scope: frozenset[str] | None, dob: date | str | None, year: int | str | None) -> list[Any]:
    """The conditions every branch shares: the communes in scope, the date or year of birth."""
    filters: list[Any] = []
    if scope is not None:
        filters.append(Resident.commune_code.in_(sorted(scope)))
    if dob not in (None, ""):
        day = dob if isinstance(dob, date) else parse_vn_date(str(dob)[:40])
        filters.append(Resident.date_of_birth == day)
    if year not in (None, ""):
        y = _parse_year(year)
        filters.append(
            and_(Resident.date_of_birth >= date(y, 1, 1), Resident.date_of_birth <= date(y, 12, 31))
        )
    return filters


def _branches(text: str) -> list[Any]:
    """What the query text matches, in the order shown: an ID, or the name branches (a) and (b);
    `[None]` when there is no text (the filters alone decide)."""
    digits = text.replace(" ", "").replace(".", "")
    if digits and digits.isascii() and digits.isdigit():
        return [or_(Resident.personal_id == digits, Resident.old_id == digits)]
    key = fold(text)
    tokens = key.split()
    if not tokens:
        return [None]
    branches = [_range(key)]
    if len(tokens) == 1:
        branches.append(Resident.given_key == tokens[0])
    else:
        branches.append(and_(Resident.given_key == tokens[-1], _range(" ".join(tokens[:-1]) + " ")))
    return branches


def _matching_ids(
    session: Session, filters: list[Any], branches: list[Any], *, want: int
) -> tuple[list[int], bool]:
    """Up to `want` IDs per branch, first branch first, without repeats; and whether that was all.
    Keys first (index-only where the database can), whole rows only for the page shown."""
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
    return ordered, complete


def _page_items(session: Session, window: list[int]) -> list[ResidentOut]:
    """The residents of the page shown, in the window's order."""
    if not window:
        return []
    found = {r.id: r for r in rows(session, with_household().where(RESIDENTS.c.id.in_(window)))}
    return [to_out(found[i], found[i].household_code) for i in window if i in found]


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
