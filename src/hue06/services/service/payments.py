"""Submission and payment: a dossier that owes no fee is submitted at once; one with a fee gets a
payment intent, and the gateway's signed callback captures the money and submits the dossier in
the same transaction. A callback is applied exactly once; money that cannot be matched to a
dossier awaiting it is refunded at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden, Hue06Error, InvalidInput, not_found
from hue06.core.security import Actor, new_token
from hue06.services.models import Dossier, Payment, PaymentCallback
from hue06.services.payments import CallbackEvent, Gateway
from hue06.services.service._common import (
    EDITABLE_STATUSES,
    _canonical,
    _event,
    _flush,
    _require_status,
)
from hue06.services.service._submission import _finalize_submission, _ready_or_raise, _receive
from hue06.services.service.access import get_dossier
from hue06.services.service.filling import active_files, current_fee


def submit_dossier(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """Submit a dossier that owes no fee (dossiers with a fee are submitted by their payment's capture)."""
    d = get_dossier(session, actor, dossier_id, lock=True)
    if actor.kind == "official" and d.channel != "desk":
        raise Forbidden("services.not_desk", "Không được phép.", "Not allowed.")
    _require_status(d, "draft")
    attached = active_files(session, d)
    _ready_or_raise(session, d, attached)
    d.fee = current_fee(session, d)
    if d.fee > 0:
        raise Conflict(
            "services.fee_due",
            "Hồ sơ có lệ phí: hãy thanh toán để nộp.",
            "This dossier has a fee: pay it to submit.",
        )
    _finalize_submission(session, d, actor, utcnow(), attached)
    if d.channel == "desk":
        _receive(session, d, actor)
    _flush(session)
    return d


def payment_key(d: Dossier, fee: int, attempt: int) -> str:
    """Same dossier, same answers, same files, same attempt → same key → the same payment intent."""
    basis = _canonical({"d": d.id, "fee": fee, "form": d.form_data, "attempt": attempt})
    return hashlib.sha256(basis.encode()).hexdigest()[:48]


def begin_payment(
    session: Session, actor: Actor, dossier_id: int, gateway: Gateway, idempotency_key: str | None = None
) -> Payment:
    """Create (or find again) the payment intent for a dossier's fee. No money moves here."""
    d = get_dossier(session, actor, dossier_id, lock=True)
    fee = _payable_fee(session, actor, d)
    idempotency_key = _intent_key(session, d, fee, idempotency_key)
    same = _same_intent(session, d, fee, idempotency_key)
    if same is not None:
        return same
    for old in session.scalars(select(Payment).where(Payment.dossier_id == d.id, Payment.state == "pending")):
        old.state = "cancelled"
        old.note = "superseded"
    pay = Payment(
        ref="PAY" + new_token(12).replace("-", "x").replace("_", "y")[:16],
        idempotency_key=idempotency_key,
        dossier_id=d.id,
        gateway=gateway.name,
        amount=fee,
        state="pending",
    )
    session.add(pay)
    prev = d.status
    d.fee = fee
    d.status = "awaiting_payment"
    d.payment_key = idempotency_key
    d.updated_at = utcnow()
    _flush(session)
    if prev != d.status:
        _event(session, d, actor, "payment_started", prev)
    audit.record(session, actor, "payment.started", "dossier", str(d.id), {"payment": pay.ref, "amount": fee})
    return pay


def _payable_fee(session: Session, actor: Actor, d: Dossier) -> int:
    """The fee the applicant is to pay now: refused when already paid, not ready, or free."""
    if actor.kind != "citizen":
        raise Forbidden(
            "services.payment",
            "Chỉ người nộp hồ sơ thanh toán trực tuyến.",
            "Only the applicant pays online.",
        )
    existing_paid = session.scalar(
        select(Payment).where(Payment.dossier_id == d.id, Payment.state == "captured")
    )
    if existing_paid is not None or d.paid:
        raise Conflict(
            "services.already_paid", "Hồ sơ này đã được thanh toán.", "This dossier is already paid."
        )
    _require_status(d, *EDITABLE_STATUSES)
    _ready_or_raise(session, d)
    fee = current_fee(session, d)
    if fee <= 0:
        raise Conflict("services.no_fee", "Hồ sơ này không có lệ phí.", "This dossier has no fee.")
    return fee


def _intent_key(session: Session, d: Dossier, fee: int, idempotency_key: str | None) -> str:
    """The caller's idempotency key, or one derived from the dossier and its count of ended attempts."""
    if idempotency_key is None:
        attempts = (
            session.scalar(
                select(func.count(Payment.id)).where(
                    Payment.dossier_id == d.id, Payment.state.in_(("failed", "cancelled", "refunded"))
                )
            )
            or 0
        )
        idempotency_key = payment_key(d, fee, int(attempts))
    idempotency_key = idempotency_key.strip()[:64]
    if not idempotency_key:
        raise InvalidInput("payment.key", "Thiếu khóa chống trùng.", "The idempotency key is missing.")
    return idempotency_key


def _same_intent(session: Session, d: Dossier, fee: int, idempotency_key: str) -> Payment | None:
    """The pending intent this key already made (asked again), or None; a key used otherwise is a 409."""
    same = session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if same is None:
        return None
    if same.dossier_id != d.id or same.amount != fee:
        raise Conflict(
            "payment.key_reused",
            "Khóa chống trùng đã dùng cho một khoản khác.",
            "The idempotency key was used for another payment.",
        )
    if same.state == "pending":
        return same
    raise Conflict(
        "payment.key_used",
        "Khoản thanh toán này đã kết thúc; hãy bắt đầu lại.",
        "That payment has ended; start again.",
    )


def _refund(session: Session, gateway: Gateway, pay: Payment, why: str) -> str:
    pay.gateway_txn = pay.gateway_txn or ""
    refund_ref = gateway.refund(pay.ref, pay.gateway_txn, pay.amount)
    pay.state = "refunded"
    pay.refunded_at = utcnow()
    pay.note = f"{why}; refund {refund_ref}"[:300]
    audit.record(
        session,
        "system:payments",
        "payment.refunded",
        "payment",
        pay.ref,
        {"reason": why, "amount": pay.amount},
    )
    return "refunded"


@dataclass(frozen=True)
class CallbackResult:
    outcome: str  # captured / failed / duplicate / refunded / ignored
    dossier_id: int | None
    dossier_code: str | None


def handle_payment_callback(
    session: Session, gateway: Gateway, body: bytes, signature: str
) -> CallbackResult:
    """A gateway's notice, applied exactly once. Capture and submission commit together.

    Forged → refused (and audited); an event id seen before → no-op; money for a dossier that
    cannot be submitted (cancelled intent, already paid, wrong amount) → refunded at once.
    """
    event = _parse_or_refuse(session, gateway, body, signature)
    record = _record_once(session, gateway, event)
    if record is None:
        return _result_for(session, event.payment_ref, "duplicate")
    pay = session.scalar(
        select(Payment)
        .where(Payment.ref == event.payment_ref, Payment.gateway == gateway.name)
        .with_for_update()
    )
    if pay is None:
        record.outcome = "unknown_payment"
        audit.record(
            session, "system:payments", "payment.callback_unknown", "payment", event.payment_ref[:40]
        )
        return CallbackResult("ignored", None, None)
    d = session.get(Dossier, pay.dossier_id, with_for_update=True)
    assert d is not None
    if event.status == "failed":
        if pay.state == "pending":
            pay.state = "failed"
            pay.note = "declined by the gateway"
        record.outcome = "failed"
        audit.record(session, "system:payments", "payment.failed", "dossier", str(d.id), {"payment": pay.ref})
        return CallbackResult("failed", d.id, d.code)
    return _capture(session, gateway, event, record, pay, d)


def _parse_or_refuse(session: Session, gateway: Gateway, body: bytes, signature: str) -> CallbackEvent:
    """The checked notice; a forged or malformed one is refused, and the refusal's audit entry kept."""
    try:
        return gateway.parse_callback(body, signature)
    except InvalidInput as exc:
        audit.record(
            session,
            "system:payments",
            "payment.callback_refused",
            "payment",
            "",
            {"gateway": gateway.name, "reason": exc.code},
        )
        exc.kept()
        raise


def _record_once(session: Session, gateway: Gateway, event: CallbackEvent) -> PaymentCallback | None:
    """The notice's row, or None when its event id was seen before (also when a concurrent delivery
    of the same notice wins the unique index)."""
    seen = session.scalar(
        select(PaymentCallback.id).where(
            PaymentCallback.gateway == gateway.name, PaymentCallback.event_id == event.event_id
        )
    )
    if seen is not None:
        return None
    record = PaymentCallback(
        gateway=gateway.name, event_id=event.event_id, payment_ref=event.payment_ref, outcome="received"
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return None
    return record


def _capture(
    session: Session,
    gateway: Gateway,
    event: CallbackEvent,
    record: PaymentCallback,
    pay: Payment,
    d: Dossier,
) -> CallbackResult:
    """Money arrived: submit the dossier with it, or refund it when the dossier cannot take it."""
    if pay.state in ("captured", "refunded"):
        record.outcome = "duplicate"
        return CallbackResult("duplicate", d.id, d.code)
    pay.gateway_txn = event.gateway_txn
    pay.captured_at = utcnow()
    if event.amount != pay.amount or event.currency != pay.currency:
        record.outcome = _refund(session, gateway, pay, "amount mismatch")
        return CallbackResult("refunded", d.id, d.code)
    if (
        pay.state != "pending"
        or d.paid
        or d.status != "awaiting_payment"
        or d.payment_key != pay.idempotency_key
    ):
        record.outcome = _refund(
            session, gateway, pay, f"dossier not awaiting this payment ({pay.state}/{d.status})"
        )
        return CallbackResult("refunded", d.id, d.code)
    try:
        with session.begin_nested():
            pay.state = "captured"
            d.paid = True
            _finalize_submission(session, d, "system:payments", utcnow())
            session.flush()
    except (Hue06Error, StaleDataError):
        record.outcome = _refund(session, gateway, pay, "submission failed")
        return CallbackResult("refunded", d.id, d.code)
    record.outcome = "captured"
    audit.record(
        session,
        "system:payments",
        "payment.captured",
        "dossier",
        d.code or str(d.id),
        {"payment": pay.ref, "amount": pay.amount},
    )
    return CallbackResult("captured", d.id, d.code)


def _result_for(session: Session, ref: str, outcome: str) -> CallbackResult:
    pay = session.scalar(select(Payment).where(Payment.ref == ref))
    d = session.get(Dossier, pay.dossier_id) if pay else None
    return CallbackResult(outcome, d.id if d else None, d.code if d else None)


def get_payment(session: Session, actor: Actor, ref: str) -> tuple[Payment, Dossier]:
    pay = session.scalar(select(Payment).where(Payment.ref == ref))
    if pay is None:
        raise not_found("khoản thanh toán", "payment")
    d = get_dossier(session, actor, pay.dossier_id)
    return pay, d


def payments_of(session: Session, d: Dossier) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.dossier_id == d.id).order_by(Payment.id)))
