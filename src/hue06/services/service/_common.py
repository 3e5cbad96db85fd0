"""What every action of the dossier lifecycle shares: the statuses, the calendar, the one 409 for a
stale version, the history line, the status check, and cancelling a payment intent whose answers
changed. Private to the service package."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hue06.core import audit
from hue06.core.calendar import WorkingCalendar
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden
from hue06.core.security import Actor
from hue06.services.models import Dossier, DossierEvent, Payment

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Status → (Vietnamese, English, tag colour)
STATUSES: dict[str, tuple[str, str, str]] = {
    "draft": ("Đang soạn", "Draft", ""),
    "awaiting_payment": ("Chờ thanh toán", "Awaiting payment", "yellow"),
    "submitted": ("Đã nộp, chờ tiếp nhận", "Submitted, awaiting receipt", "yellow"),
    "received": ("Đang giải quyết", "Being processed", "yellow"),
    "supplement_requested": ("Cần bổ sung hồ sơ", "More documents needed", "red"),
    "approved": ("Đã duyệt, chờ ký kết quả", "Approved, result being signed", "green"),
    "result_issued": ("Đã có kết quả, chờ trả", "Result ready", "green"),
    "returned": ("Đã trả kết quả", "Result returned", "green"),
    "refused": ("Từ chối", "Refused", "red"),
}
OPEN_STATUSES = ("submitted", "received", "supplement_requested", "approved", "result_issued")
FINISHED_STATUSES = ("returned", "refused")
EDITABLE_STATUSES = ("draft", "awaiting_payment")

_calendar = WorkingCalendar()


def status_label(status: str, lang: str) -> str:
    """A status's name in the reader's language. The table carries both languages (a refused action's
    error needs both), and the catalogue could not: "Từ chối" is already the officer's "Refuse" button."""
    vi, en, _ = STATUSES.get(status, (status, status, ""))
    return {"vi": vi, "en": en}.get(lang, vi)


def calendar() -> WorkingCalendar:
    return _calendar


def local_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(VN_TZ)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _stale() -> Conflict:
    return Conflict(
        "services.stale",
        "Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem thay đổi rồi làm lại.",
        "Someone else has just updated this dossier. Reload the page to see the change, then try again.",
    )


def _check_version(d: Dossier, expected: int | None) -> None:
    if expected is None or int(expected) != d.version:
        raise _stale()


def _flush(session: Session) -> None:
    """Flush, turning a lost race on the version column into the same clear 409."""
    try:
        session.flush()
    except StaleDataError:
        raise _stale() from None


def _event(
    session: Session,
    d: Dossier,
    actor: Actor | str,
    action: str,
    from_status: str,
    note: str = "",
    visible: bool = True,
) -> None:
    label = actor.label if isinstance(actor, Actor) else actor
    session.add(
        DossierEvent(
            dossier_id=d.id,
            actor=label,
            action=action,
            from_status=from_status,
            to_status=d.status,
            note=note,
            visible_to_citizen=visible,
        )
    )


def _require_status(d: Dossier, *allowed: str) -> None:
    if d.status not in allowed:
        vi, en, _ = STATUSES.get(d.status, (d.status, d.status, ""))
        raise Conflict(
            "services.status",
            f"Không thể thực hiện khi hồ sơ đang ở trạng thái “{vi}”.",
            f"This cannot be done while the dossier is “{en}”.",
        )


def _cancel_pending_payments(session: Session, d: Dossier, actor: Actor) -> None:
    for p in session.scalars(select(Payment).where(Payment.dossier_id == d.id, Payment.state == "pending")):
        p.state = "cancelled"
        p.note = "answers changed"
        audit.record(session, actor, "payment.cancelled", "dossier", str(d.id), {"payment": p.ref})


def _own_editable(session: Session, actor: Actor, d: Dossier) -> Dossier:
    """The dossier, checked editable by this actor; editing one awaiting payment cancels the intent."""
    if actor.kind == "official" and d.channel != "desk":
        raise Forbidden(
            "services.not_desk",
            "Cán bộ chỉ sửa hồ sơ nộp tại Bộ phận Một cửa.",
            "Officers edit only dossiers opened at the one-stop desk.",
        )
    _require_status(d, *EDITABLE_STATUSES)
    if d.status == "awaiting_payment":
        _cancel_pending_payments(session, d, actor)
        prev = d.status
        d.status = "draft"
        _event(session, d, actor, "edited_after_payment_started", prev, visible=False)
    return d
