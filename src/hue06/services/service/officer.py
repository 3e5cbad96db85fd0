"""Officers' actions on a dossier: receive, ask for more documents (the clock stops until the
applicant answers), approve or refuse, issue the signed result and return it. Each carries the
version of the dossier the officer saw: a stale version is a 409, never a silent overwrite.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.core.text import fold
from hue06.services import eform
from hue06.services.models import Blob, Dossier, DossierPause, Procedure, WalletDocument
from hue06.services.service._common import (
    _check_version,
    _event,
    _flush,
    _require_status,
    local_now,
)
from hue06.services.service._submission import _receive, _recompute_due, _snapshot
from hue06.services.service.access import get_dossier, may_act
from hue06.services.service.catalogue import agency_name, procedure_form
from hue06.services.service.filling import active_files
from hue06.services.signing import ProvinceSigner, render_result_pdf


def run_officer_action(
    session: Session,
    actor: Actor,
    dossier_id: int,
    action: str,
    version: int | None,
    note: str,
    signer: ProvinceSigner,
    base_url: str = "",
) -> Dossier:
    """An officer's action by its name, as the officer's page and the JSON API post it: receive,
    supplement, approve, refuse, issue or return; any other name is a 404. Returns the dossier as
    it now is."""
    if action == "receive":
        return receive_dossier(session, actor, dossier_id, version)
    if action == "supplement":
        return request_supplement(session, actor, dossier_id, version, note)
    if action == "approve":
        return approve_dossier(session, actor, dossier_id, version, note)
    if action == "refuse":
        return refuse_dossier(session, actor, dossier_id, version, note)
    if action == "issue":
        issue_result(session, actor, dossier_id, version, signer, base_url)
        return get_dossier(session, actor, dossier_id)
    if action == "return":
        return return_result(session, actor, dossier_id, version)
    raise not_found("thao tác", "action")


def _officer_action(
    session: Session, actor: Actor, dossier_id: int, version: int | None, *allowed: str
) -> Dossier:
    d = get_dossier(session, actor, dossier_id, lock=True)  # first: a 404 alike for unknown and refused
    if not may_act(actor):
        raise Forbidden("services.officer", "Chỉ cán bộ xử lý hồ sơ.", "Only officers handle dossiers.")
    _check_version(d, version)
    _require_status(d, *allowed)
    return d


def receive_dossier(session: Session, actor: Actor, dossier_id: int, version: int | None) -> Dossier:
    d = _officer_action(session, actor, dossier_id, version, "submitted")
    _receive(session, d, actor)
    d.updated_at = utcnow()
    _flush(session)
    return d


def request_supplement(
    session: Session, actor: Actor, dossier_id: int, version: int | None, reason: str
) -> Dossier:
    """Ask the applicant for more documents: the legal clock stops until they answer."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "services.reason", "Nêu rõ giấy tờ cần bổ sung.", "Say which documents are needed."
        )
    d = _officer_action(session, actor, dossier_id, version, "received")
    prev = d.status
    now = utcnow()
    session.add(DossierPause(dossier_id=d.id, started_at=now, reason=reason[:2000]))
    d.status = "supplement_requested"
    d.updated_at = now
    session.flush()
    _recompute_due(session, d)
    _event(session, d, actor, "supplement_requested", prev, reason[:2000])
    audit.record(session, actor, "dossier.supplement_requested", "dossier", d.code)
    _flush(session)
    return d


def answer_supplement(session: Session, actor: Actor, dossier_id: int, note: str = "") -> Dossier:
    """The applicant answers: the new files are frozen in a snapshot and the clock restarts."""
    if actor.kind != "citizen":
        raise Forbidden(
            "services.citizen",
            "Chỉ người nộp hồ sơ trả lời yêu cầu bổ sung.",
            "Only the applicant answers a request for documents.",
        )
    d = get_dossier(session, actor, dossier_id, lock=True)
    _require_status(d, "supplement_requested")
    new_files = active_files(session, d, "supplement")
    note = (note or "").strip()[:2000]
    if not new_files and not note:
        raise InvalidInput(
            "services.supplement_empty",
            "Đính kèm giấy tờ hoặc ghi nội dung bổ sung.",
            "Attach documents or write what you are adding.",
        )
    now = utcnow()
    pause = session.scalar(
        select(DossierPause).where(DossierPause.dossier_id == d.id, DossierPause.ended_at.is_(None))
    )
    if pause is not None:
        pause.ended_at = now
    prev = d.status
    d.status = "received"
    d.updated_at = now
    d.reused_documents = sum(1 for f in active_files(session, d) if f.source == "wallet")
    session.flush()
    _recompute_due(session, d)
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    _snapshot(session, d, "supplement", proc, "supplement")
    for f in new_files:
        f.phase = f"sup-{now:%y%m%d%H%M%S}"  # later supplements get a snapshot of their own files
    _event(session, d, actor, "supplemented", prev, note)
    audit.record(session, actor, "dossier.supplemented", "dossier", d.code, {"files": len(new_files)})
    _flush(session)
    return d


def approve_dossier(
    session: Session, actor: Actor, dossier_id: int, version: int | None, note: str = ""
) -> Dossier:
    d = _officer_action(session, actor, dossier_id, version, "received")
    prev = d.status
    d.status = "approved"
    d.decision = "approved"
    d.decision_note = (note or "").strip()[:2000]
    d.decided_at = utcnow()
    d.updated_at = d.decided_at
    _event(session, d, actor, "approved", prev, d.decision_note)
    audit.record(session, actor, "dossier.approved", "dossier", d.code)
    _flush(session)
    return d


def refuse_dossier(
    session: Session, actor: Actor, dossier_id: int, version: int | None, reason: str
) -> Dossier:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise InvalidInput("services.reason", "Nêu rõ lý do từ chối.", "Give the reason for refusing.")
    d = _officer_action(session, actor, dossier_id, version, "received", "submitted")
    prev = d.status
    now = utcnow()
    d.status = "refused"
    d.decision = "refused"
    d.decision_note = reason[:2000]
    d.decided_at = d.finished_at = now
    d.finished_on = local_now(now).date()
    d.updated_at = now
    _event(session, d, actor, "refused", prev, reason[:2000])
    audit.record(session, actor, "dossier.refused", "dossier", d.code)
    _flush(session)
    return d


def _result_items(proc: Procedure, d: Dossier) -> list[str]:
    """One signed document per certificate asked for: LLTP form 1 and form 2 are two certificates."""
    per = (proc.fee_rules or {}).get("per_option")
    if per:
        chosen = d.form_data.get(per.get("field")) or []
        form = procedure_form(proc)
        f = form.field(per.get("field"))
        if chosen and f is not None:
            return [f"{proc.result_name} — {f.option_label(v, 'vi').split(' (')[0]}" for v in chosen]
    return [proc.result_name or proc.name]


def issue_result(
    session: Session,
    actor: Actor,
    dossier_id: int,
    version: int | None,
    signer: ProvinceSigner,
    base_url: str = "",
) -> list[WalletDocument]:
    """Render the result as PDF, sign it with the province's key, keep it ready to return."""
    d = _officer_action(session, actor, dossier_id, version, "approved")
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    now = utcnow()
    rows = _result_rows(proc, d)
    docs = [
        _signed_result(session, d, proc, title, rows, signer, now, base_url)
        for title in _result_items(proc, d)
    ]
    session.flush()
    prev = d.status
    d.status = "result_issued"
    d.result_document_id = docs[0].id
    d.result_electronic = True
    d.updated_at = now
    _event(session, d, actor, "result_issued", prev, "; ".join(x.title for x in docs))
    audit.record(
        session,
        actor,
        "dossier.result_issued",
        "dossier",
        d.code,
        {"documents": [x.id for x in docs], "key": signer.key_id},
    )
    _flush(session)
    return docs


def return_result(session: Session, actor: Actor, dossier_id: int, version: int | None) -> Dossier:
    """Hand the signed result over: it appears in the applicant's wallet and the dossier is finished."""
    d = _officer_action(session, actor, dossier_id, version, "result_issued")
    now = utcnow()
    for doc in session.scalars(
        select(WalletDocument).where(WalletDocument.dossier_id == d.id, WalletDocument.kind == "result")
    ):
        doc.released_at = now
    prev = d.status
    d.status = "returned"
    d.finished_at = now
    d.finished_on = local_now(now).date()
    d.updated_at = now
    _event(session, d, actor, "returned", prev)
    audit.record(session, actor, "dossier.returned", "dossier", d.code)
    _flush(session)
    return d


def _result_rows(proc: Procedure, d: Dossier) -> list[tuple[str, str]]:
    """The dossier's facts printed on the result: the register's fields, then the answers given."""
    form = procedure_form(proc)
    rows: list[tuple[str, str]] = []
    for f in form.bound:
        rows.append((f.label, eform.display_value(f, d.register_data.get(f.name), "vi")))
    for f in form.typed:
        if f.name in d.form_data:
            rows.append((f.label, eform.display_value(f, d.form_data[f.name], "vi")))
    return rows


def _signed_result(
    session: Session,
    d: Dossier,
    proc: Procedure,
    title: str,
    rows: list[tuple[str, str]],
    signer: ProvinceSigner,
    now: datetime,
    base_url: str,
) -> WalletDocument:
    """One result document: rendered, signed, its bytes stored once by hash, not yet released."""
    pdf = render_result_pdf(
        title=title,
        agency=agency_name(d.agency_code),
        dossier_code=d.code or "",
        procedure=proc.name,
        rows=rows,
        decision_text=d.decision_note or "Hồ sơ đã được giải quyết theo quy định.",
        signer=signer,
        signed_at=now,
        verify_url=f"{base_url}/services/verify",
    )
    sig = signer.sign(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(pdf), content_type="application/pdf", data=pdf))
        session.flush()
    safe = fold(title).replace(" ", "-")[:60] or "ket-qua"
    doc = WalletDocument(
        resident_id=d.resident_id,
        kind="result",
        title=title,
        filename=f"{d.code}-{safe}.pdf",
        content_type="application/pdf",
        size=len(pdf),
        sha256=digest,
        dossier_id=d.id,
        signature=sig.value,
        signature_alg=sig.algorithm,
        key_id=sig.key_id,
        signed_at=now,
    )
    session.add(doc)
    return doc
