"""The second factor: a short-lived challenge between the password and the session, checked with a
TOTP code (or the first code of a new enrolment)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Unauthenticated
from hue06.core.security import Actor, constant_equals, new_token, token_hash
from hue06.identity.models import CitizenAccount, LoginChallenge, Official
from hue06.identity.service._common import _keep
from hue06.identity.service.actors import citizen_acr, citizen_actor, official_actor
from hue06.identity.service.credentials import new_totp_secret
from hue06.identity.service.officials import finish_official_login
from hue06.identity.service.throttle import check_throttle, record_failure, reset_throttle

CHALLENGE_MINUTES = 5
CHALLENGE_ATTEMPTS = 5


@dataclass(frozen=True)
class Challenge:
    token: str
    purpose: str  # "totp" / "enrol"
    secret: str | None = None  # for enrolment: shown once to the person enrolling


@dataclass(frozen=True)
class Authenticated:
    subject_kind: str
    subject_id: int
    acr: str
    amr: str


def begin_challenge(
    session: Session, subject_kind: str, subject_id: int, purpose: str, ip: str = ""
) -> Challenge:
    token = new_token()
    secret = new_totp_secret() if purpose == "enrol" else None
    session.add(
        LoginChallenge(
            token_hash=token_hash(token),
            subject_kind=subject_kind,
            subject_id=subject_id,
            purpose=purpose,
            pending_secret=secret,
            ip=ip[:64],
            expires_at=utcnow() + timedelta(minutes=CHALLENGE_MINUTES),
        )
    )
    session.flush()
    return Challenge(token, purpose, secret)


def load_challenge(session: Session, token: str | None) -> LoginChallenge | None:
    if not token:
        return None
    ch = session.scalar(select(LoginChallenge).where(LoginChallenge.token_hash == token_hash(token)))
    if ch is None or ch.used_at is not None or ch.expires_at <= utcnow() or ch.attempts >= CHALLENGE_ATTEMPTS:
        return None
    return ch


def challenge_label(session: Session, ch: LoginChallenge) -> str:
    """The account name an authenticator app shows: the official's username or "công dân <id>"."""
    if ch.subject_kind == "official":
        official = session.get(Official, ch.subject_id)
        return official.username if official else "hue06"
    return f"cong-dan-{ch.subject_id}"


def _subject_row(session: Session, kind: str, subject_id: int) -> Official | CitizenAccount | None:
    return session.get(Official if kind == "official" else CitizenAccount, subject_id)


def _login_name(row: Official | CitizenAccount) -> str:
    return row.username if isinstance(row, Official) else row.personal_id


def _check_totp(secret: str, code: str, last_step: int | None) -> int | None:
    """The accepted 30-second step, or None. One step of clock drift either way; never a step twice."""
    code = re.sub(r"\s", "", code or "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // 30
    for step in (now_step - 1, now_step, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if constant_equals(totp.at(step * 30), code):
            return step
    return None


def complete_challenge(session: Session, token: str | None, code: str, ip: str = "") -> Authenticated:
    """Check the TOTP code (or the first code of a new enrolment) and say who signed in."""
    ch = load_challenge(session, token)
    expired = Unauthenticated(
        "mfa.expired",
        "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
        "The sign-in has expired. Please sign in again.",
    )
    if ch is None:
        raise expired
    row = _subject_row(session, ch.subject_kind, ch.subject_id)
    if row is None:
        raise expired
    name = _login_name(row)
    check_throttle(session, ch.subject_kind, name, ip)
    secret = ch.pending_secret if ch.purpose == "enrol" else row.totp_secret
    step = _check_totp(secret or "", code, None if ch.purpose == "enrol" else row.totp_last_step)
    if step is None:
        ch.attempts += 1
        failures = record_failure(session, ch.subject_kind, name, ip)
        if isinstance(row, Official):
            row.failed_logins = failures
        who = row.username if isinstance(row, Official) else str(row.id)
        audit.record(session, f"ip:{ip}", "login.failed", ch.subject_kind, who, {"factor": "totp"})
        raise _keep(
            Unauthenticated(
                "mfa.failed",
                "Mã xác thực không đúng hoặc đã dùng.",
                "The verification code is wrong or was already used.",
            )
        )
    ch.used_at = utcnow()
    reset_throttle(session, ch.subject_kind, name)
    if ch.purpose == "enrol":
        row.totp_secret = ch.pending_secret
        audit.record(session, _actor_for(row, ip), "mfa.enrolled", ch.subject_kind, _audit_id(row))
    row.totp_last_step = step
    amr = "pwd otp"
    if isinstance(row, Official):
        row.failed_logins = 0
        finish_official_login(session, row, ip, amr)
        return Authenticated("official", row.id, "", amr)
    acr = citizen_acr(row, amr)
    audit.record(
        session, _actor_for(row, ip), "login.succeeded", "citizen", str(row.id), {"acr": acr, "amr": amr}
    )
    return Authenticated("citizen", row.id, acr, amr)


def _audit_id(row: Official | CitizenAccount) -> str:
    return row.username if isinstance(row, Official) else str(row.id)


def _actor_for(row: Official | CitizenAccount, ip: str) -> Actor:
    return official_actor(row, ip) if isinstance(row, Official) else citizen_actor(row, ip)
