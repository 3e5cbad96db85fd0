"""How a dossier becomes submitted and received, shared by the online flow, the payment's capture
and the one-stop desk: the frozen snapshot, the due date on the working-day calendar (with the
pauses of requests for documents), the history line and the audit entry. Private to the package.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import InvalidInput
from hue06.core.security import Actor
from hue06.services.models import Dossier, DossierFile, DossierPause, DossierSnapshot, Procedure
from hue06.services.service._common import VN_TZ, _calendar, _canonical, _event
from hue06.services.service.filling import active_files, problems


def _snapshot(
    session: Session,
    d: Dossier,
    kind: str,
    proc: Procedure,
    phase: str,
    attached: list[DossierFile] | None = None,
) -> DossierSnapshot:
    attached = active_files(session, d) if attached is None else attached
    entries = [f for f in attached if phase == "initial" or f.phase == phase]
    content = {
        "dossier": d.code,
        "kind": kind,
        "procedure": {"code": proc.code, "name": proc.name, "version": proc.version},
        "register_data": d.register_data,
        "form_data": d.form_data,
        "fee": d.fee,
        "channel": d.channel,
        "files": [
            {
                "id": f.id,
                "component": f.component_code,
                "filename": f.filename,
                "size": f.size,
                "sha256": f.sha256,
                "source": f.source,
                "phase": f.phase,
            }
            for f in entries
        ],
        "at": utcnow().isoformat(),
    }
    text = _canonical(content)
    snap = DossierSnapshot(
        dossier_id=d.id, kind=kind, content=text, sha256=hashlib.sha256(text.encode()).hexdigest()
    )
    session.add(snap)
    return snap


def _pauses(session: Session, d: Dossier) -> list[tuple[datetime, datetime | None]]:
    rows = session.scalars(
        select(DossierPause).where(DossierPause.dossier_id == d.id).order_by(DossierPause.id)
    )
    return [
        (p.started_at.astimezone(VN_TZ), p.ended_at.astimezone(VN_TZ) if p.ended_at else None) for p in rows
    ]


def _recompute_due(
    session: Session, d: Dossier, pauses: list[tuple[datetime, datetime | None]] | None = None
) -> None:
    if d.submitted_at is None:
        return
    d.due_date = _calendar.due_date_with_pauses(
        d.submitted_at.astimezone(VN_TZ),
        d.time_limit,
        d.time_unit,
        _pauses(session, d) if pauses is None else pauses,
    )


def _finalize_submission(
    session: Session, d: Dossier, actor: Actor | str, now: datetime, attached: list[DossierFile] | None = None
) -> None:
    """The one place a dossier becomes submitted: code, frozen snapshot, due date, history, audit."""
    with session.no_autoflush:
        _finalize(session, d, actor, now, active_files(session, d) if attached is None else attached)


def _finalize(
    session: Session, d: Dossier, actor: Actor | str, now: datetime, attached: list[DossierFile]
) -> None:
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    local = now.astimezone(VN_TZ)
    prev = d.status
    d.code = f"{d.agency_code}-{local:%y%m%d}-{d.id:06d}"
    d.submitted_at = now
    d.submitted_on = local.date()
    d.time_limit = proc.time_limit
    d.time_unit = proc.time_unit
    d.status = "submitted"
    d.reused_documents = sum(1 for f in attached if f.source == "wallet")
    d.digitised = True  # every component is held electronically, online or scanned at the desk
    _recompute_due(session, d, [])  # a draft has never been paused
    d.updated_at = now
    _snapshot(session, d, "submission", proc, "initial", attached)
    _event(session, d, actor, "submitted", prev)
    audit.record(
        session,
        actor,
        "dossier.submitted",
        "dossier",
        d.code,
        {"procedure": proc.code, "channel": d.channel, "fee": d.fee, "due": str(d.due_date)},
    )


def _ready_or_raise(session: Session, d: Dossier, attached: list[DossierFile] | None = None) -> None:
    found = problems(session, d, attached)
    if found:
        err = InvalidInput(
            "services.incomplete",
            "Hồ sơ chưa đủ để nộp: " + "; ".join(p.message["vi"] for p in found),
            "The dossier is not complete: " + "; ".join(p.message["en"] for p in found),
        )
        err.ctx["problems"] = [p.field for p in found]
        raise err


def _receive(session: Session, d: Dossier, actor: Actor) -> None:
    prev = d.status
    d.status = "received"
    d.received_at = utcnow()
    d.assigned_to = actor.label
    _event(session, d, actor, "received", prev)
    audit.record(session, actor, "dossier.received", "dossier", d.code)
