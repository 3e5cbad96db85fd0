"""Tables of the public-service module: catalogue, dossiers and their history, files, payments, wallet.

A dossier keeps three kinds of record that never change once written: its events (history), its
snapshots (exactly what the citizen submitted, with hashes) and its file blobs (content-addressed
by SHA-256). So an officer can always re-open what was submitted, and nothing is silently edited.
Columns the statistics read (procedure_no, channel, submitted_on, due_date, finished_on, …) are
stored on the dossier itself so that a year of dossiers aggregates in one index scan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hue06.core.db import Base, UTCDateTime, utcnow


class Procedure(Base):
    """One administrative procedure (TTHC) in the catalogue, editable by an administrator."""

    __tablename__ = "svc_procedures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    essential_no: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1..25 of Decision 06
    name: Mapped[str] = mapped_column(String(400))
    name_en: Mapped[str] = mapped_column(String(400), default="")
    field: Mapped[str] = mapped_column(String(120), default="")
    agency_code: Mapped[str] = mapped_column(String(20), index=True)
    agency_name: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(10), default="province")  # province / district / commune
    assurance_level: Mapped[int] = mapped_column(Integer, default=2)  # e-ID level the citizen needs
    time_limit: Mapped[int] = mapped_column(Integer, default=0)
    time_unit: Mapped[str] = mapped_column(String(10), default="working")  # working / calendar (task 87)
    fee: Mapped[int] = mapped_column(Integer, default=0)  # VND, before fee rules
    fee_rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fee_note: Mapped[str] = mapped_column(String(400), default="")
    result_name: Mapped[str] = mapped_column(String(300), default="")
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    online: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class Dossier(Base):
    """One person's request for one procedure (hồ sơ)."""

    __tablename__ = "svc_dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)  # given on submission
    procedure_id: Mapped[int] = mapped_column(ForeignKey("svc_procedures.id"))
    procedure_no: Mapped[int] = mapped_column(Integer, default=0)  # essential_no, 0 for others
    agency_code: Mapped[str] = mapped_column(String(20))
    resident_id: Mapped[int] = mapped_column(Integer)  # applicant in the register
    commune_code: Mapped[str] = mapped_column(String(10), default="")  # applicant's commune (2024 grid)
    channel: Mapped[str] = mapped_column(String(10), default="online")  # online / desk
    status: Mapped[str] = mapped_column(String(24), default="draft")
    form_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the applicant typed
    register_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # filled from the register
    fee: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    time_limit: Mapped[int] = mapped_column(Integer, default=0)  # copied on submission: rules in force then
    time_unit: Mapped[str] = mapped_column(String(10), default="working")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # local (Asia/Ho_Chi_Minh) day
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # None while the clock is stopped
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(10), nullable=True)  # approved / refused
    decision_note: Mapped[str] = mapped_column(Text, default="")
    result_document_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result_electronic: Mapped[bool] = mapped_column(Boolean, default=False)
    digitised: Mapped[bool] = mapped_column(Boolean, default=False)  # every component held electronically
    reused_documents: Mapped[int] = mapped_column(Integer, default=0)  # components taken from the wallet
    prefilled_fields: Mapped[int] = mapped_column(Integer, default=0)  # fields filled from the register
    assigned_to: Mapped[str] = mapped_column(String(120), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration
    __table_args__ = (
        # The statistics scan: a period of submissions, grouped by service.
        Index("ix_svc_dossiers_stats", "submitted_on", "procedure_id", "channel", "finished_on", "due_date"),
        Index("ix_svc_dossiers_inbox", "agency_code", "status", "due_date"),
        Index("ix_svc_dossiers_resident", "resident_id", "created_at"),
        Index("ix_svc_dossiers_commune", "commune_code", "submitted_on"),
    )


class DossierEvent(Base):
    """One step in a dossier's life: who, when, from which status to which, and why."""

    __tablename__ = "svc_dossier_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("svc_dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str] = mapped_column(String(24), default="")
    to_status: Mapped[str] = mapped_column(String(24), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    visible_to_citizen: Mapped[bool] = mapped_column(Boolean, default=True)


class DossierPause(Base):
    """A stop of the legal clock while the applicant supplements the dossier."""

    __tablename__ = "svc_dossier_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("svc_dossiers.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class DossierSnapshot(Base):
    """Exactly what was submitted (or supplemented): form, register data and files with hashes."""

    __tablename__ = "svc_dossier_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("svc_dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # submission / supplement
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON
    sha256: Mapped[str] = mapped_column(String(64))


class Blob(Base):
    """File content, stored once per SHA-256: in the same transaction as the dossier, so a
    crash never leaves a dossier pointing at a missing file."""

    __tablename__ = "svc_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DossierFile(Base):
    """A component attached to a dossier: an upload or a document picked from the wallet."""

    __tablename__ = "svc_dossier_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("svc_dossiers.id"), index=True)
    component_code: Mapped[str] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(ForeignKey("svc_blobs.sha256"))
    source: Mapped[str] = mapped_column(String(10), default="upload")  # upload / wallet / desk
    wallet_document_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    phase: Mapped[str] = mapped_column(String(20), default="initial")  # initial / supplement
    removed: Mapped[bool] = mapped_column(Boolean, default=False)  # drafts only; submitted files stay
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WalletDocument(Base):
    """A document in a person's e-document wallet (kho dữ liệu điện tử cá nhân)."""

    __tablename__ = "svc_wallet_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(30))  # upload / result / digitised
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(ForeignKey("svc_blobs.sha256"))
    dossier_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the dossier it resulted from
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)  # detached signature (base64)
    signature_alg: Mapped[str | None] = mapped_column(String(20), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True
    )  # results: when returned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Payment(Base):
    """A payment intent tied to one dossier; the idempotency key makes a retried start the same intent."""

    __tablename__ = "svc_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)  # what the gateway knows the intent by
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("svc_dossiers.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending/captured/failed/refunded
    gateway_txn: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="")


class PaymentCallback(Base):
    """Every correctly signed callback, once per event id: a replay is a no-op. Forged callbacks are
    not stored here (a forger must not be able to claim an event id first); they go to the audit log."""

    __tablename__ = "svc_payment_callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(80))
    payment_ref: Mapped[str] = mapped_column(String(40), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(30))  # captured / failed / duplicate / refunded / …

    __table_args__ = (UniqueConstraint("gateway", "event_id", name="uq_svc_payment_callback_event"),)
