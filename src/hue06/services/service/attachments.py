"""Files and the e-document wallet: uploads checked for size, type and content, documents reused
from the applicant's wallet (the same hash, no copy), and every read checked against its hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.services import files
from hue06.services.models import Blob, Dossier, DossierFile, Procedure, WalletDocument
from hue06.services.service._common import EDITABLE_STATUSES, _flush, _own_editable, _require_status
from hue06.services.service.access import get_dossier
from hue06.services.signing import ProvinceSigner


def _store_blob(session: Session, checked: files.CheckedFile) -> None:
    if session.get(Blob, checked.sha256) is None:
        session.add(
            Blob(
                sha256=checked.sha256, size=checked.size, content_type=checked.content_type, data=checked.data
            )
        )
        session.flush()


def _component(proc: Procedure, code: str) -> dict[str, Any]:
    for c in proc.components or []:
        if c["code"] == code:
            return c
    raise not_found("thành phần hồ sơ", "component")


def attach_upload(
    session: Session, actor: Actor, dossier_id: int, component_code: str, filename: str, data: bytes
) -> DossierFile:
    """Attach an uploaded file to a component, after the size, type and content checks."""
    d = get_dossier(session, actor, dossier_id)
    phase = _upload_phase(actor, d)
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    comp = _component(proc, component_code)
    checked = files.check_upload(filename, data, comp.get("types", ["pdf"]))
    _store_blob(session, checked)
    f = DossierFile(
        dossier_id=d.id,
        component_code=component_code,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        source="desk" if actor.kind == "official" else "upload",
        phase=phase,
    )
    session.add(f)
    d.updated_at = utcnow()
    _flush(session)
    audit.record(
        session,
        actor,
        "dossier.file_attached",
        "dossier",
        d.code or str(d.id),
        {"component": component_code, "sha256": checked.sha256, "size": checked.size},
    )
    return f


def _upload_phase(actor: Actor, d: Dossier) -> str:
    if d.status in EDITABLE_STATUSES:
        return "initial"
    if d.status == "supplement_requested" and actor.kind == "citizen":
        return "supplement"
    _require_status(d, *EDITABLE_STATUSES)
    return "initial"


def attach_from_wallet(
    session: Session, actor: Actor, dossier_id: int, component_code: str, wallet_document_id: int
) -> DossierFile:
    """Reuse a document already in the applicant's wallet: no upload, no copy, the same hash."""
    d = get_dossier(session, actor, dossier_id)
    phase = _upload_phase(actor, d)
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    _component(proc, component_code)
    doc = session.get(WalletDocument, int(wallet_document_id))
    if doc is None or doc.resident_id != d.resident_id or (doc.kind == "result" and doc.released_at is None):
        raise not_found("giấy tờ trong kho", "wallet document")
    f = DossierFile(
        dossier_id=d.id,
        component_code=component_code,
        filename=doc.filename,
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.sha256,
        source="wallet",
        wallet_document_id=doc.id,
        phase=phase,
    )
    session.add(f)
    d.updated_at = utcnow()
    _flush(session)
    audit.record(
        session,
        actor,
        "dossier.wallet_reused",
        "dossier",
        d.code or str(d.id),
        {"component": component_code, "wallet_document": doc.id},
    )
    return f


def remove_file(session: Session, actor: Actor, dossier_id: int, file_id: int) -> None:
    d = _own_editable(session, actor, get_dossier(session, actor, dossier_id))
    f = session.get(DossierFile, int(file_id))
    if f is None or f.dossier_id != d.id or f.removed:
        raise not_found("tệp", "file")
    f.removed = True
    d.updated_at = utcnow()
    _flush(session)


def wallet_documents(session: Session, actor: Actor) -> list[WalletDocument]:
    if actor.kind != "citizen" or actor.resident_id is None:
        raise Forbidden(
            "services.wallet", "Chỉ chủ kho dữ liệu xem được kho.", "Only the wallet's owner can open it."
        )
    stmt = (
        select(WalletDocument)
        .where(WalletDocument.resident_id == actor.resident_id)
        .where((WalletDocument.kind != "result") | WalletDocument.released_at.is_not(None))
        .order_by(WalletDocument.created_at.desc(), WalletDocument.id.desc())
    )
    return list(session.scalars(stmt))


def wallet_upload(
    session: Session, actor: Actor, title: str, filename: str, data: bytes, resident_id: int | None = None
) -> WalletDocument:
    """A citizen puts a document in their own wallet (or the system digitises one for them)."""
    if actor.kind == "citizen":
        resident_id = actor.resident_id
    elif actor.kind != "system":
        raise Forbidden(
            "services.wallet", "Chỉ chủ kho dữ liệu được thêm giấy tờ.", "Only the owner adds documents."
        )
    if resident_id is None:
        raise Forbidden(
            "services.wallet", "Tài khoản chưa gắn với CSDL dân cư.", "Not linked to the register."
        )
    title = " ".join((title or "").split())[:300]
    if not title:
        raise InvalidInput("wallet.title", "Nhập tên giấy tờ.", "Enter the document's name.")
    checked = files.check_upload(filename, data, ["pdf", "jpg", "png", "docx", "xlsx"])
    _store_blob(session, checked)
    doc = WalletDocument(
        resident_id=resident_id,
        kind="upload" if actor.kind == "citizen" else "digitised",
        title=title,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    session.add(doc)
    session.flush()
    audit.record(session, actor, "wallet.added", "wallet_document", str(doc.id), {"sha256": checked.sha256})
    return doc


def get_wallet_document(session: Session, actor: Actor, doc_id: int) -> WalletDocument:
    doc = session.get(WalletDocument, int(doc_id))
    if (
        doc is None
        or actor.kind != "citizen"
        or doc.resident_id != actor.resident_id
        or (doc.kind == "result" and doc.released_at is None)
    ):
        raise not_found("giấy tờ", "document")
    return doc


def blob_data(session: Session, sha256: str) -> bytes:
    """File content, checked against its hash on every read (a tampered row is refused, not served)."""
    b = session.get(Blob, sha256)
    if b is None or hashlib.sha256(b.data).hexdigest() != sha256:
        raise not_found("tệp", "file")
    return bytes(b.data)


def get_dossier_file(
    session: Session, actor: Actor, dossier_id: int, file_id: int
) -> tuple[DossierFile, bytes]:
    d = get_dossier(session, actor, dossier_id)
    f = session.get(DossierFile, int(file_id))
    if f is None or f.dossier_id != d.id:
        raise not_found("tệp", "file")
    if actor.kind == "official":
        audit.record(session, actor, "dossier.file_read", "dossier", d.code or str(d.id), {"file": f.id})
    return f, blob_data(session, f.sha256)


def verify_document(session: Session, signer: ProvinceSigner, doc: WalletDocument) -> bool:
    """Whether a result's detached signature matches its bytes and the province's key."""
    if not doc.signature:
        return False
    return signer.verify(blob_data(session, doc.sha256), doc.signature, doc.key_id)
