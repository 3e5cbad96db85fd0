"""Officials: accounts created from the CLI, the password (first factor) with the same answer for
a missing name as for a wrong password, the second factor's enrolment, disabling and re-enabling."""

from __future__ import annotations

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.errors import Conflict, InvalidInput, Unauthenticated
from hue06.core.security import ROLES, Actor, hash_password, password_needs_rehash, verify_password
from hue06.identity.models import LoginThrottle, Official
from hue06.identity.service._common import _acct_key, _official_or_error
from hue06.identity.service.actors import official_actor
from hue06.identity.service.sessions import end_all_sessions
from hue06.identity.service.throttle import check_throttle, record_failure, reset_throttle
from hue06.identity.service.tokens import forget_api_tokens

_BAD_LOGIN = Unauthenticated(
    "login.failed",
    "Tên đăng nhập hoặc mật khẩu không đúng.",
    "Wrong username or password.",
)


def _bad_login() -> Unauthenticated:
    # The failure count and the audit entry stay.
    return Unauthenticated(_BAD_LOGIN.code, _BAD_LOGIN.message_vi, _BAD_LOGIN.message_en, keep_changes=True)


def create_official(
    session: Session,
    username: str,
    password: str,
    role: str,
    unit_code: str,
    full_name: str = "",
    agency: str = "",
    actor: Actor | None = None,
    totp_secret: str | None = None,
) -> Official:
    username = username.strip()
    if role not in ROLES:
        raise InvalidInput(
            "official.role",
            f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(ROLES)}.",
            f"Unknown role {role}. Choose one of: {', '.join(ROLES)}.",
        )
    admin_units.communes_within(unit_code)  # a unit of any version; raises admin_unit.unknown
    if len(password) < 8:
        raise InvalidInput(
            "official.password_short",
            "Mật khẩu phải có ít nhất 8 ký tự.",
            "The password must have at least 8 characters.",
        )
    if totp_secret is not None:
        _check_secret_format(totp_secret)
    if session.scalar(select(Official.id).where(Official.username == username)):
        raise Conflict("official.exists", "Tên đăng nhập đã tồn tại.", "That username is taken.")
    official = Official(
        username=username,
        password_hash=hash_password(password),
        role=role,
        unit_code=unit_code,
        full_name=full_name or username,
        agency=agency,
        totp_secret=totp_secret,
    )
    session.add(official)
    session.flush()
    audit.record(
        session,
        actor or "system:cli",
        "official.created",
        "official",
        username,
        {"role": role, "unit": unit_code, "mfa": totp_secret is not None},
    )
    return official


def _check_secret_format(secret: str) -> None:
    try:
        pyotp.TOTP(secret).now()
        ok = len(secret) >= 16
    except Exception:
        ok = False
    if not ok:
        raise InvalidInput(
            "totp.secret",
            "Khóa TOTP phải là chuỗi base32 dài ít nhất 16 ký tự.",
            "The TOTP secret must be base32, at least 16 characters.",
        )


def set_official_totp(
    session: Session, username: str, secret: str | None, actor: Actor | str = "system:cli"
) -> str | None:
    """Give an official a (new) TOTP secret, or clear it so the next login enrols again."""
    official = _official_or_error(session, username)
    if secret is not None:
        _check_secret_format(secret)
    official.totp_secret = secret
    official.totp_last_step = None
    audit.record(
        session, actor, "official.totp_set" if secret else "official.totp_cleared", "official", username
    )
    return secret


def authenticate_official(session: Session, username: str, password: str, ip: str = "") -> Official:
    """Check the password (first factor). Throttled per name and per address; never says which failed."""
    name = username.strip()
    check_throttle(session, "official", name, ip)
    official = session.scalar(select(Official).where(Official.username == name))
    ok = verify_password(official.password_hash if official else None, password)
    if not ok or official is None or not official.active:
        failures = record_failure(session, "official", name, ip)
        if official is not None:
            official.failed_logins = failures
            row = session.get(LoginThrottle, _acct_key("official", name))
            official.locked_until = row.locked_until if row else None
        audit.record(
            session,
            f"ip:{ip}",
            "login.failed",
            "official",
            official.username if official else "",
            {"factor": "password"},
        )
        raise _bad_login()
    reset_throttle(session, "official", name)
    official.failed_logins = 0
    official.locked_until = None
    if password_needs_rehash(official.password_hash):
        official.password_hash = hash_password(password)
    return official


def official_mfa_step(official: Official, production: bool) -> str | None:
    """ "totp" when the official has a second factor, "enrol" when one is required but missing.

    Officials created without a TOTP secret must enrol on their first login in production; in
    development and tests they sign in with the password alone (docs/decisions/0004-identity-mfa.md).
    """
    if official.totp_secret:
        return "totp"
    return "enrol" if production else None


def finish_official_login(session: Session, official: Official, ip: str, amr: str) -> None:
    audit.record(
        session, official_actor(official, ip), "login.succeeded", "official", official.username, {"amr": amr}
    )


def get_official(session: Session, official_id: int) -> Official | None:
    return session.get(Official, official_id)


def get_official_by_username(session: Session, username: str) -> Official | None:
    return session.scalar(select(Official).where(Official.username == username))


def set_official_active(
    session: Session, username: str, active: bool, actor: Actor | str = "system:cli"
) -> Official:
    """Disable an official (sessions ended, API tokens refused) or enable them again.

    Browser sessions stop at once in every server; API tokens within API_TOKEN_CACHE_SECONDS."""
    official = _official_or_error(session, username)
    official.active = active
    ended = 0 if active else end_all_sessions(session, "official", official.id)
    audit.record(
        session,
        actor,
        "official.enabled" if active else "official.disabled",
        "official",
        official.username,
        {"sessions_ended": ended},
    )
    forget_api_tokens()
    return official


def reset_password(session: Session, username: str, password: str) -> None:
    """Set a new password (administrator or demo use); unlocks the account."""
    official = _official_or_error(session, username)
    official.password_hash = hash_password(password)
    official.failed_logins = 0
    official.locked_until = None
    reset_throttle(session, "official", username)
    audit.record(session, "system:cli", "official.password_reset", "official", username)
