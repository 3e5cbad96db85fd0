"""Level 2: an official checked the card and its holder in person, and the card's QR code agrees
with the population register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.cccd import CccdQr, parse_cccd_qr
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput
from hue06.core.security import Actor
from hue06.core.text import normalize_text
from hue06.identity.models import CitizenAccount
from hue06.identity.service._common import _keep
from hue06.identity.service.sessions import end_all_sessions
from hue06.registry import service as registry


@dataclass(frozen=True)
class LevelCheck:
    account_id: int
    level: int
    checked_by: str
    checked_at: datetime


# The register's entry as `registry.service.match_identity` returns it.
Resident = Any

_FIELD_LABELS_VI = {
    "full_name": "họ tên",
    "date_of_birth": "ngày sinh",
    "gender": "giới tính",
    "old_id": "số CMND cũ",
    "status": "tình trạng (đã mất)",
}


def raise_assurance_level(session: Session, qr_string: str, actor: Actor) -> LevelCheck:
    """Level 2: an official checked the card in person; its QR code must agree with the register.

    ID, full name, date of birth and gender are compared; any disagreement is refused (and
    logged, naming the fields but not their values). The check (who, when) is recorded.
    """
    _refuse_unless_desk(actor)
    qr = _read_card(session, qr_string, actor)
    resident = _resident_of_card(session, qr, actor)
    _refuse_if_card_differs(session, qr, resident, actor)
    account = _active_account(session, resident, actor)
    return _raise_to_level2(session, account, actor)


def _refuse_unless_desk(actor: Actor) -> None:
    if actor.kind != "official" or actor.role == "auditor":
        raise Forbidden(
            "identity.level_role",
            "Chỉ cán bộ tiếp nhận mới được nâng mức tài khoản.",
            "Only a desk official may raise an account's level.",
        )


def _read_card(session: Session, qr_string: str, actor: Actor) -> CccdQr:
    try:
        return parse_cccd_qr(qr_string)
    except InvalidInput:
        audit.record(session, actor, "level.raise_refused", "citizen", "", {"reason": "qr_format"})
        raise


def _resident_of_card(session: Session, qr: CccdQr, actor: Actor) -> Resident:
    resident = registry.match_identity(session, qr.personal_id)
    if resident is None:
        audit.record(session, actor, "level.raise_refused", "citizen", "", {"reason": "not_in_register"})
        raise _keep(
            InvalidInput(
                "cccd_qr.mismatch",
                "Số định danh trên thẻ không có trong Cơ sở dữ liệu dân cư.",
                "The card's ID number is not in the population register.",
            )
        )
    return resident


def _differing_fields(qr: CccdQr, resident: Resident) -> list[str]:
    """The fields on which the card and the register disagree (a deceased person's card counts)."""
    differ = [
        name
        for name, ok in (
            ("full_name", normalize_text(qr.full_name).lower() == normalize_text(resident.full_name).lower()),
            ("date_of_birth", qr.date_of_birth == resident.date_of_birth),
            ("gender", qr.gender == resident.gender),
            ("old_id", not qr.old_id or not resident.old_id or qr.old_id == resident.old_id),
        )
        if not ok
    ]
    if resident.status != "alive":
        differ.append("status")
    return differ


def _refuse_if_card_differs(session: Session, qr: CccdQr, resident: Resident, actor: Actor) -> None:
    differ = _differing_fields(qr, resident)
    if not differ:
        return
    audit.record(
        session,
        actor,
        "level.raise_refused",
        "resident",
        resident.personal_id,
        {"reason": "mismatch", "fields": differ},
    )
    raise _keep(
        InvalidInput(
            "cccd_qr.mismatch",
            "Mã QR trên thẻ không khớp với Cơ sở dữ liệu dân cư: "
            + ", ".join(_FIELD_LABELS_VI[f] for f in differ)
            + ".",
            "The card's QR code disagrees with the population register: " + ", ".join(differ) + ".",
            fields=differ,
        )
    )


def _active_account(session: Session, resident: Resident, actor: Actor) -> CitizenAccount:
    account = session.scalar(select(CitizenAccount).where(CitizenAccount.resident_id == resident.id))
    if account is None or account.status != "active":
        audit.record(
            session, actor, "level.raise_refused", "resident", resident.personal_id, {"reason": "no_account"}
        )
        raise _keep(
            InvalidInput(
                "identity.no_account",
                "Công dân chưa có tài khoản đã kích hoạt. Hướng dẫn công dân đăng ký mức 1 trước.",
                "The citizen has no activated account yet. Help them register (level 1) first.",
            )
        )
    return account


def _raise_to_level2(session: Session, account: CitizenAccount, actor: Actor) -> LevelCheck:
    """Record who checked and when; a first raise ends the sessions and asks for a fresh second factor."""
    now = utcnow()
    previous = account.level
    account.level = 2
    account.level2_by = actor.id
    account.level2_at = now
    if previous < 2:
        account.totp_secret = None  # the citizen enrols a fresh second factor at the next sign-in
        account.totp_last_step = None
        end_all_sessions(session, "citizen", account.id)
    audit.record(session, actor, "level.raised", "citizen", str(account.id), {"from": previous, "to": 2})
    return LevelCheck(account.id, 2, actor.id, now)
