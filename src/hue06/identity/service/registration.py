"""Level-1 self-registration and the password reset: both prove the phone with a one-time code
sent by text message, and neither reveals who has an account."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import InvalidInput
from hue06.core.personal_id import parse_vn_date
from hue06.core.security import constant_equals, hash_password, new_token, token_hash
from hue06.core.text import fold, normalize_text
from hue06.identity.models import CitizenAccount, OneTimeCode
from hue06.identity.service._common import _keep
from hue06.identity.service.actors import citizen_actor
from hue06.identity.service.citizens import get_citizen_by_personal_id, normalize_phone
from hue06.identity.service.credentials import check_new_password
from hue06.identity.service.sessions import end_all_sessions
from hue06.identity.service.throttle import check_throttle, record_failure, reset_throttle
from hue06.identity.sms import SmsSender
from hue06.registry import service as registry

CODE_MINUTES = 10
CODE_ATTEMPTS = 5


def _same_name(typed: str, registered: str) -> bool:
    """Case and tone style never matter; typed without any diacritics, the folded forms are compared."""
    typed_n = normalize_text(typed).lower()
    if typed_n == normalize_text(registered).lower():
        return True
    return typed_n.isascii() and fold(typed) == fold(registered)


def _mismatch() -> InvalidInput:
    return InvalidInput(
        "identity.register_mismatch",
        "Thông tin không khớp với Cơ sở dữ liệu dân cư. Kiểm tra lại số định danh, họ tên, ngày sinh và số điện thoại.",
        "The details do not match the population register. Check the ID number, full name, date of birth and phone.",
    )


def _code_hash(flow: str, code: str) -> str:
    return hashlib.sha256(f"{flow}:{code}".encode()).hexdigest()


def _new_code(session: Session, purpose: str, account_id: int | None) -> tuple[str, str]:
    flow, code = new_token(), f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        OneTimeCode(
            flow_hash=token_hash(flow),
            purpose=purpose,
            account_id=account_id,
            code_hash=_code_hash(flow, code),
            expires_at=utcnow() + timedelta(minutes=CODE_MINUTES),
        )
    )
    session.flush()
    return flow, code


def _code_text(code: str) -> str:
    return (
        f"hue06: Ma xac thuc cua ban la {code}. Hieu luc {CODE_MINUTES} phut. "
        "Khong chia se ma nay cho bat ky ai."
    )


def start_registration(
    session: Session,
    sender: SmsSender,
    personal_id: str,
    full_name: str,
    date_of_birth: date | str,
    phone: str,
    password: str,
    ip: str = "",
) -> str:
    """Level-1 self-registration: details must match the register; a code goes to the phone.

    Returns the flow token the browser keeps to enter the code. When the person already has an
    account, the answer looks the same but the text message tells the account's phone instead, so
    the form does not reveal who has an account.
    """
    pid = (personal_id or "").strip()
    check_throttle(session, "register", pid, ip)
    phone_n = normalize_phone(phone)
    if phone_n is None:
        raise InvalidInput(
            "identity.phone",
            "Số điện thoại di động không hợp lệ (10 chữ số, ví dụ 0912345678).",
            "The mobile number is not valid (10 digits, e.g. 0912345678).",
        )
    dob = date_of_birth if isinstance(date_of_birth, date) else parse_vn_date(str(date_of_birth))
    check_new_password(password, pid, dob.strftime("%d%m%Y"))
    resident = registry.match_identity(session, pid)
    ok = (
        resident is not None
        and resident.status == "alive"
        and resident.date_of_birth == dob
        and _same_name(full_name, resident.full_name)
        and (not resident.phone or normalize_phone(resident.phone) == phone_n)
    )
    if not ok or resident is None:
        record_failure(session, "register", pid, ip)
        audit.record(
            session, f"ip:{ip}", "citizen.registration_refused", "citizen", "", {"reason": "mismatch"}
        )
        raise _keep(_mismatch())
    account = session.scalar(select(CitizenAccount).where(CitizenAccount.resident_id == resident.id))
    if account is not None and account.status != "pending":
        flow, _code = _new_code(session, "register", None)
        sender.send(
            account.phone or phone_n,
            "hue06: Co nguoi vua dang ky tai khoan bang so dinh danh cua ban. "
            "Neu la ban, hay dung chuc nang Quen mat khau.",
        )
        audit.record(session, f"ip:{ip}", "citizen.registration_repeated", "citizen", str(account.id))
        return flow
    if account is None:
        account = CitizenAccount(
            subject=secrets.token_hex(16),
            resident_id=resident.id,
            personal_id=resident.personal_id,
            password_hash=hash_password(password),
            phone=phone_n,
            status="pending",
            level=1,
        )
        session.add(account)
        session.flush()
    else:
        account.password_hash = hash_password(password)
        account.phone = phone_n
    flow, code = _new_code(session, "register", account.id)
    sender.send(phone_n, _code_text(code))
    audit.record(session, f"ip:{ip}", "citizen.registration_started", "citizen", str(account.id))
    return flow


def _use_code(session: Session, flow: str, code: str, purpose: str, ip: str) -> OneTimeCode:
    bad = InvalidInput(
        "identity.code", "Mã xác thực không đúng hoặc đã hết hạn.", "The code is wrong or has expired."
    )
    row = session.scalar(select(OneTimeCode).where(OneTimeCode.flow_hash == token_hash(flow or "")))
    if (
        row is None
        or row.purpose != purpose
        or row.used_at is not None
        or row.expires_at <= utcnow()
        or row.attempts >= CODE_ATTEMPTS
    ):
        raise bad
    code = re.sub(r"\s", "", code or "")
    if row.account_id is None or not constant_equals(_code_hash(flow, code), row.code_hash):
        row.attempts += 1
        audit.record(
            session,
            f"ip:{ip}",
            "citizen.code_failed",
            "citizen",
            str(row.account_id or ""),
            {"purpose": purpose},
        )
        raise _keep(bad)
    row.used_at = utcnow()
    return row


def verify_registration(session: Session, flow: str, code: str, ip: str = "") -> CitizenAccount:
    row = _use_code(session, flow, code, "register", ip)
    account = session.get(CitizenAccount, row.account_id)
    assert account is not None
    account.status = "active"
    account.phone_verified_at = utcnow()
    reset_throttle(session, "register", account.personal_id)
    audit.record(
        session, citizen_actor(account, ip), "citizen.registered", "citizen", str(account.id), {"level": 1}
    )
    return account


def start_password_reset(session: Session, sender: SmsSender, personal_id: str, ip: str = "") -> str:
    """Always answers with a flow token; a code is sent only when an active account exists."""
    pid = (personal_id or "").strip()
    check_throttle(session, "reset", pid, ip)
    record_failure(session, "reset", pid, "")  # at most a few codes per name before the back-off
    account = get_citizen_by_personal_id(session, pid) if pid else None
    if account is None or account.status != "active":
        flow, _ = _new_code(session, "reset", None)
        audit.record(session, f"ip:{ip}", "password.reset_requested", "citizen", "")
        return flow
    flow, code = _new_code(session, "reset", account.id)
    sender.send(account.phone, _code_text(code))
    audit.record(session, f"ip:{ip}", "password.reset_requested", "citizen", str(account.id))
    return flow


def finish_password_reset(
    session: Session, flow: str, code: str, new_password: str, ip: str = ""
) -> CitizenAccount:
    row = _use_code(session, flow, code, "reset", ip)
    account = session.get(CitizenAccount, row.account_id)
    assert account is not None
    check_new_password(new_password, account.personal_id)
    account.password_hash = hash_password(new_password)
    reset_throttle(session, "citizen", account.personal_id)
    reset_throttle(session, "reset", account.personal_id)
    ended = end_all_sessions(session, "citizen", account.id)
    audit.record(
        session,
        citizen_actor(account, ip),
        "password.reset",
        "citizen",
        str(account.id),
        {"sessions_ended": ended},
    )
    return account
