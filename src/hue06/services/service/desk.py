"""The one-stop desk: the applicant in person, identified by their card's QR code against the
register; the officer fills the dossier in with them and takes the fee in cash.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.cccd import parse_cccd_qr
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput
from hue06.core.security import Actor, new_token
from hue06.core.text import fold, normalize_text, remove_marks
from hue06.registry import service as registry
from hue06.services.models import Dossier, Payment
from hue06.services.service._common import _flush, _require_status
from hue06.services.service._submission import _finalize_submission, _ready_or_raise, _receive
from hue06.services.service.access import get_dossier
from hue06.services.service.filling import current_fee, start_dossier


def desk_identify(session: Session, actor: Actor, qr_string: str) -> Any:
    """The applicant in person: the card's QR is read, checked, and matched with the register."""
    if actor.kind != "official":
        raise Forbidden(
            "services.desk", "Chỉ cán bộ Một cửa dùng chức năng này.", "Only desk officers may do this."
        )
    qr = parse_cccd_qr(qr_string)
    resident = registry.match_identity(session, qr.personal_id)
    if (
        resident is None
        or not _same_name(qr.full_name, resident.full_name)
        or resident.date_of_birth != qr.date_of_birth
    ):
        audit.record(session, actor, "desk.identity_mismatch", "resident", qr.personal_id)
        err = InvalidInput(
            "services.desk_mismatch",
            "Thông tin trên thẻ không khớp với CSDL dân cư; không mở được hồ sơ.",
            "The card's details do not match the population register; no dossier was opened.",
            keep_changes=True,
        )
        raise err
    audit.record(session, actor, "desk.identity_checked", "resident", qr.personal_id)
    return resident


def _same_name(on_card: str, registered: str) -> bool:
    """Case and tone-mark style never matter; a card read without diacritics is compared folded."""
    if remove_marks(on_card) == on_card:
        return fold(on_card) == fold(registered)
    return normalize_text(on_card).casefold() == normalize_text(registered).casefold()


def desk_start(session: Session, actor: Actor, qr_string: str, procedure_code: str) -> Dossier:
    resident = desk_identify(session, actor, qr_string)
    return start_dossier(session, actor, procedure_code, resident=resident, channel="desk")


def desk_take_cash(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """The desk officer takes the fee in cash (or by the desk's card reader) and receives the dossier."""
    d = get_dossier(session, actor, dossier_id, lock=True)
    if actor.kind != "official" or d.channel != "desk":
        raise Forbidden("services.desk", "Không được phép.", "Not allowed.")
    _require_status(d, "draft")
    _ready_or_raise(session, d)
    d.fee = current_fee(session, d)
    if d.fee > 0:
        session.add(
            Payment(
                ref="CASH" + new_token(10)[:14],
                idempotency_key=f"cash:{d.id}",
                dossier_id=d.id,
                gateway="cash",
                amount=d.fee,
                state="captured",
                captured_at=utcnow(),
                note=f"received by {actor.label}",
            )
        )
        d.paid = True
    _finalize_submission(session, d, actor, utcnow())
    _receive(session, d, actor)
    _flush(session)
    return d
