"""Reading dossiers: an officer's view (audited), the history, the frozen snapshots (checked
byte for byte), the results, a citizen's own dossiers and an officer's inbox.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.errors import Conflict, Forbidden, not_found
from hue06.core.security import Actor
from hue06.services.models import (
    Dossier,
    DossierEvent,
    DossierPause,
    DossierSnapshot,
    Procedure,
    WalletDocument,
)
from hue06.services.service._common import EDITABLE_STATUSES, OPEN_STATUSES, STATUSES, local_now
from hue06.services.service.access import get_dossier, official_agency


def results_of(session: Session, d: Dossier, *, released_only: bool = True) -> list[WalletDocument]:
    stmt = select(WalletDocument).where(WalletDocument.dossier_id == d.id, WalletDocument.kind == "result")
    if released_only:
        stmt = stmt.where(WalletDocument.released_at.is_not(None))
    return list(session.scalars(stmt.order_by(WalletDocument.id)))


def view_for_officer(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """An officer opens a dossier: the read of personal data is audited."""
    d = get_dossier(session, actor, dossier_id)
    if d.status in EDITABLE_STATUSES and d.channel != "desk":
        raise not_found("hồ sơ", "dossier")  # a citizen's draft is theirs alone
    audit.record(session, actor, "dossier.viewed", "dossier", d.code or str(d.id))
    return d


def history(session: Session, d: Dossier, *, citizen: bool = False) -> list[DossierEvent]:
    stmt = select(DossierEvent).where(DossierEvent.dossier_id == d.id)
    if citizen:
        stmt = stmt.where(DossierEvent.visible_to_citizen.is_(True))
    return list(session.scalars(stmt.order_by(DossierEvent.id)))


def snapshots(session: Session, d: Dossier) -> list[DossierSnapshot]:
    return list(
        session.scalars(
            select(DossierSnapshot).where(DossierSnapshot.dossier_id == d.id).order_by(DossierSnapshot.id)
        )
    )


def snapshot_content(snap: DossierSnapshot) -> dict[str, Any]:
    """A snapshot's content, after checking it is byte for byte what was frozen."""
    if hashlib.sha256(snap.content.encode()).hexdigest() != snap.sha256:
        raise Conflict(
            "services.snapshot_tampered",
            "Bản lưu hồ sơ đã bị thay đổi sau khi nộp.",
            "The stored copy of the dossier was changed after submission.",
        )
    return json.loads(snap.content)


def pauses_of(session: Session, d: Dossier) -> list[DossierPause]:
    return list(
        session.scalars(select(DossierPause).where(DossierPause.dossier_id == d.id).order_by(DossierPause.id))
    )


def my_dossiers(session: Session, actor: Actor) -> list[tuple[Dossier, Procedure]]:
    if actor.kind != "citizen" or actor.resident_id is None:
        raise Forbidden("services.citizen", "Cần đăng nhập bằng tài khoản công dân.", "Sign in as a citizen.")
    rows = session.execute(
        select(Dossier, Procedure)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(Dossier.resident_id == actor.resident_id)
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .limit(200)
    )
    return [(d, p) for d, p in rows]


@dataclass
class InboxPage:
    rows: list[tuple[Dossier, str]]  # dossier, procedure name
    total: int
    counts: dict[str, int]
    page: int
    per_page: int
    agency: str | None
    status: str


def inbox(
    session: Session,
    actor: Actor,
    *,
    status: str = "open",
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> InboxPage:
    """An officer's dossiers: their agency's, in their area, soonest due first (overdue on top)."""
    if actor.kind != "official":
        raise Forbidden("services.officer", "Chỉ cán bộ xem hộp hồ sơ.", "Only officers have an inbox.")
    agency = official_agency(session, actor)
    filters = []
    if agency is not None:
        filters.append(Dossier.agency_code == agency)
    communes = actor.communes
    if communes is not None:
        filters.append(Dossier.commune_code.in_(sorted(communes)))
    count_stmt = (
        select(Dossier.status, func.count())
        .where(*filters, Dossier.status.in_(OPEN_STATUSES))
        .group_by(Dossier.status)
    )
    counts = {s: int(n) for s, n in session.execute(count_stmt)}
    wanted: Sequence[str] = OPEN_STATUSES if status == "open" else (status,)
    if status not in ("open", *STATUSES):
        wanted = OPEN_STATUSES
        status = "open"
    if status == "overdue":
        wanted = OPEN_STATUSES
    page = max(1, int(page))
    per_page = min(max(10, int(per_page)), 200)
    q = (
        select(Dossier, Procedure.name)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(*filters, Dossier.status.in_(wanted))
    )
    total = (
        sum(counts.get(s, 0) for s in wanted)
        if status in ("open", *OPEN_STATUSES)
        else int(
            session.scalar(
                select(func.count()).select_from(Dossier).where(*filters, Dossier.status.in_(wanted))
            )
            or 0
        )
    )
    q = (
        q.order_by(Dossier.due_date.is_(None), Dossier.due_date, Dossier.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [(d, name) for d, name in session.execute(q)]
    return InboxPage(rows, total, counts, page, per_page, agency, status)


def is_overdue(d: Dossier, today: date | None = None) -> bool:
    if d.due_date is None:
        return False
    if d.finished_on is not None:
        return d.finished_on > d.due_date
    return (today or local_now().date()) > d.due_date
