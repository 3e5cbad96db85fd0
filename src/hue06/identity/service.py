"""Accounts and login: officials, citizens' e-ID accounts, second factors, sessions, API tokens.

Login failures never say whether an account exists: the same message, the same work (a dummy
argon2 verification) and the same throttling apply to a name that has no account. Throttling
follows NIST SP 800-63B: back-off after a few consecutive failures, a hard stop at 100, and a
separate limit per address. The citizen side binds every account to one entry of the register
(level 1 by self-registration, level 2 raised by an official who checked the card in person).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pyotp
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.cccd import parse_cccd_qr
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden, Hue06Error, InvalidInput, Unauthenticated, not_found
from hue06.core.personal_id import parse_vn_date
from hue06.core.security import (
    ROLES,
    Actor,
    constant_equals,
    hash_password,
    new_token,
    password_needs_rehash,
    token_hash,
    verify_password,
)
from hue06.core.text import fold, normalize_text
from hue06.identity.models import (
    ApiToken,
    CitizenAccount,
    LoginChallenge,
    LoginThrottle,
    Official,
    OneTimeCode,
    WebSession,
)
from hue06.identity.sms import SmsSender

# Authentication context classes (the `acr` claim). Documented in docs/decisions/0005-identity-oidc.md.
ACR_LOA1 = "urn:hue06:loa:1"  # self-registered account, password (and any second factor)
ACR_LOA2 = "urn:hue06:loa:2"  # card checked in person by an official, password + TOTP
ACR_VALUES = (ACR_LOA1, ACR_LOA2)

FREE_FAILURES = 5  # consecutive failures before the back-off starts
HARD_LIMIT = 100  # NIST SP 800-63B §5.2.2: no more than 100 consecutive failures per account
MAX_BACKOFF_MINUTES = 60
IP_WINDOW = timedelta(minutes=15)
IP_LIMIT = 50  # failed attempts from one address per window
CHALLENGE_MINUTES = 5
CHALLENGE_ATTEMPTS = 5
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
MIN_PASSWORD = 8
MAX_PASSWORD = 128
# Kept for callers of the first version: the official side now uses the throttle above.
LOCK_AFTER = FREE_FAILURES
LOCK_MINUTES = 1

_BAD_LOGIN = Unauthenticated(
    "login.failed",
    "Tên đăng nhập hoặc mật khẩu không đúng.",
    "Wrong username or password.",
)


class TooManyAttempts(Hue06Error):
    status_code = 429


def _bad_login() -> Unauthenticated:
    # The failure count and the audit entry stay.
    return Unauthenticated(_BAD_LOGIN.code, _BAD_LOGIN.message_vi, _BAD_LOGIN.message_en, keep_changes=True)


def _keep(err: Hue06Error) -> Hue06Error:
    return err.kept()


# --------------------------------------------------------------------------- throttling


def _acct_key(kind: str, name: str) -> str:
    return "acct:" + hashlib.sha256(f"{kind}:{name.strip().lower()}".encode()).hexdigest()


def _ip_key(ip: str) -> str:
    return "ip:" + hashlib.sha256(ip.encode()).hexdigest()


def _throttle_row(session: Session, key: str) -> LoginThrottle:
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, window_start=utcnow())
            session.add(row)
    except IntegrityError:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def _throttled_error(minutes: int | None) -> TooManyAttempts:
    if minutes is None:
        err = TooManyAttempts(
            "login.locked",
            "Tài khoản tạm bị khóa vì nhập sai quá nhiều lần. Hãy đặt lại mật khẩu hoặc liên hệ quản trị viên.",
            "This account is locked after too many failed attempts. Reset the password or contact an administrator.",
        )
    else:
        err = TooManyAttempts(
            "login.throttled",
            f"Bạn đã nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút.",
            f"Too many failed attempts. Please try again in {minutes} minute(s).",
        )
    return err


def check_throttle(session: Session, kind: str, name: str, ip: str) -> None:
    """Refuse before any password work when the name or the address is locked out."""
    now = utcnow()
    if ip:
        row = session.get(LoginThrottle, _ip_key(ip))
        if row is not None and row.failures >= IP_LIMIT and now - row.window_start < IP_WINDOW:
            minutes = max(1, int((row.window_start + IP_WINDOW - now).total_seconds() // 60) + 1)
            audit.record(session, f"ip:{ip}", "login.throttled", kind, "", {"scope": "address"})
            raise _keep(_throttled_error(minutes))
    row = session.get(LoginThrottle, _acct_key(kind, name))
    if row is None:
        return
    if row.failures >= HARD_LIMIT:
        audit.record(session, f"ip:{ip}", "login.throttled", kind, "", {"scope": "account", "hard": True})
        raise _keep(_throttled_error(None))
    if row.locked_until and row.locked_until > now:
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        audit.record(session, f"ip:{ip}", "login.throttled", kind, "", {"scope": "account"})
        raise _keep(_throttled_error(minutes))


def record_failure(session: Session, kind: str, name: str, ip: str) -> int:
    """Count one failure for the name and the address; returns the name's consecutive failures."""
    now = utcnow()
    if ip:
        iprow = _throttle_row(session, _ip_key(ip))
        if now - iprow.window_start >= IP_WINDOW:
            iprow.window_start, iprow.failures = now, 0
        iprow.failures += 1
        iprow.last_failure_at = now
    row = _throttle_row(session, _acct_key(kind, name))
    row.failures += 1
    row.last_failure_at = now
    if FREE_FAILURES <= row.failures < HARD_LIMIT:
        row.locked_until = now + timedelta(
            minutes=min(2 ** (row.failures - FREE_FAILURES), MAX_BACKOFF_MINUTES)
        )
    return row.failures


def reset_throttle(session: Session, kind: str, name: str) -> None:
    row = session.get(LoginThrottle, _acct_key(kind, name))
    if row is not None:
        row.failures = 0
        row.locked_until = None


def failure_count(session: Session, kind: str, name: str) -> int:
    row = session.get(LoginThrottle, _acct_key(kind, name))
    return row.failures if row else 0


# --------------------------------------------------------------------------- passwords and TOTP


def check_new_password(password: str, *personal: str) -> None:
    """NIST SP 800-63B: length matters, composition rules do not; refuse the obvious ones."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "password.short",
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.",
            f"The password must have at least {MIN_PASSWORD} characters.",
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            "password.long",
            f"Mật khẩu không được dài quá {MAX_PASSWORD} ký tự.",
            f"The password must not be longer than {MAX_PASSWORD} characters.",
        )
    lowered = password.lower()
    if (
        len(set(password)) < 3
        or lowered in _COMMON_PASSWORDS
        or any(p and p.lower() in lowered for p in personal)
    ):
        raise InvalidInput(
            "password.weak",
            "Mật khẩu quá dễ đoán (ví dụ 12345678, hoặc chứa số định danh).",
            "The password is too easy to guess (e.g. 12345678, or contains your ID number).",
        )


_COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "password1",
        "matkhau",
        "matkhau123",
        "abc12345",
        "qwertyui",
        "qwerty123",
        "11111111",
        "88888888",
        "66666666",
        "iloveyou",
        "anhyeuem",
        "vietnam1",
        "admin123",
        "12341234",
        "87654321",
        "00000000",
        "123123123",
        "abcd1234",
    }
)


def new_totp_secret() -> str:
    return pyotp.random_base32(32)


def totp_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name="hue06")


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


# --------------------------------------------------------------------------- officials


def official_actor(official: Official, ip: str = "") -> Actor:
    return Actor(
        kind="official",
        id=official.username,
        name=official.full_name,
        role=official.role,
        unit_code=official.unit_code,
        ip=ip,
    )


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


# --------------------------------------------------------------------------- second-factor challenges


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


# --------------------------------------------------------------------------- browser sessions


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


def start_session(
    session: Session,
    subject_kind: str,
    subject_id: int,
    hours: int = 12,
    ip: str = "",
    user_agent: str = "",
    acr: str = "",
    amr: str = "pwd",
) -> NewSession:
    token, csrf = new_token(), new_token(24)
    expires = utcnow() + timedelta(hours=hours)
    session.add(
        WebSession(
            token_hash=token_hash(token),
            subject_kind=subject_kind,
            subject_id=subject_id,
            csrf_token=csrf,
            expires_at=expires,
            ip=ip[:64],
            user_agent=user_agent[:300],
            acr=acr,
            amr=amr,
        )
    )
    session.flush()
    return NewSession(token, csrf, expires)


def load_session(session: Session, token: str | None) -> WebSession | None:
    if not token:
        return None
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    now = utcnow()
    if ws is None or ws.ended_at is not None or ws.expires_at <= now:
        return None
    if (now - ws.last_seen_at) > timedelta(minutes=5):
        ws.last_seen_at = now
    return ws


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    ws = session.scalar(
        select(WebSession).where(WebSession.token_hash == token_hash(token), WebSession.ended_at.is_(None))
    )
    if ws is not None:
        ws.ended_at = utcnow()
        audit.record(
            session,
            f"{ws.subject_kind}:{_subject_label(session, ws)}",
            "session.ended",
            "web_session",
            ws.id,
            {"by": "logout"},
        )


def _subject_label(session: Session, ws: WebSession) -> str:
    if ws.subject_kind == "official":
        official = session.get(Official, ws.subject_id)
        return official.username if official else str(ws.subject_id)
    return str(ws.subject_id)


def list_sessions(session: Session, subject_kind: str, subject_id: int) -> list[WebSession]:
    """The signed-in browsers of one person, newest first."""
    now = utcnow()
    return list(
        session.scalars(
            select(WebSession)
            .where(
                WebSession.subject_kind == subject_kind,
                WebSession.subject_id == subject_id,
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
            )
            .order_by(WebSession.created_at.desc())
        )
    )


def end_session_by_id(
    session: Session, actor: Actor, subject_kind: str, subject_id: int, session_id: int
) -> None:
    """End one of one's own sessions; anybody else's looks like a missing one."""
    ws = session.get(WebSession, session_id)
    if (
        ws is None
        or ws.subject_kind != subject_kind
        or ws.subject_id != subject_id
        or ws.ended_at is not None
    ):
        raise not_found("phiên đăng nhập", "session")
    ws.ended_at = utcnow()
    audit.record(session, actor, "session.ended", "web_session", ws.id, {"by": "owner"})


def end_all_sessions(
    session: Session, subject_kind: str, subject_id: int, except_id: int | None = None
) -> int:
    stmt = update(WebSession).where(
        WebSession.subject_kind == subject_kind,
        WebSession.subject_id == subject_id,
        WebSession.ended_at.is_(None),
    )
    if except_id is not None:
        stmt = stmt.where(WebSession.id != except_id)
    return session.execute(stmt.values(ended_at=utcnow())).rowcount or 0


# --------------------------------------------------------------------------- officials: lookups, API tokens


def get_official(session: Session, official_id: int) -> Official | None:
    return session.get(Official, official_id)


def get_official_by_username(session: Session, username: str) -> Official | None:
    return session.scalar(select(Official).where(Official.username == username))


def _official_or_error(session: Session, username: str) -> Official:
    official = get_official_by_username(session, username)
    if official is None:
        raise InvalidInput(
            "official.unknown", "Không có cán bộ với tên đăng nhập này.", "No official with that username."
        )
    return official


def create_api_token(session: Session, username: str, name: str = "cli") -> str:
    official = _official_or_error(session, username)
    token = "h06_" + new_token(32)
    session.add(ApiToken(official_id=official.id, token_hash=token_hash(token), name=name))
    session.flush()
    audit.record(session, "system:cli", "api_token.created", "official", official.username, {"name": name})
    return token


# API tokens resolved in the last few seconds, by token hash: a script calling the API many times
# a second would otherwise pay a thread hop, a transaction and a query per call before its request
# even starts. A revoked token or a disabled official stops working within API_TOKEN_CACHE_SECONDS
# in every server process (at once in the process that made the change, see `forget_api_tokens`).
API_TOKEN_CACHE_SECONDS = 10.0
_API_ACTORS: dict[str, tuple[float, Actor]] = {}
_API_ACTORS_MAX = 10_000


def cached_api_actor(token: str, ip: str = "") -> Actor | None:
    """The actor of an API token resolved moments ago, without touching the database; else None."""
    hit = _API_ACTORS.get(token_hash(token))
    if hit is None or hit[0] < time.monotonic():
        return None
    return replace(hit[1], ip=ip)


def forget_api_tokens() -> None:
    """Drop the cache of resolved API tokens (after revoking a token or changing an official)."""
    _API_ACTORS.clear()


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


def revoke_api_tokens(
    session: Session, username: str, name: str | None = None, actor: Actor | str = "system:cli"
) -> int:
    """Revoke an official's API tokens (those named `name`, or all); how many were revoked.

    Servers stop accepting them within API_TOKEN_CACHE_SECONDS (at once in this process)."""
    official = _official_or_error(session, username)
    condition = [ApiToken.official_id == official.id, ApiToken.revoked_at.is_(None)]
    if name is not None:
        condition.append(ApiToken.name == name)
    count = session.execute(update(ApiToken).where(*condition).values(revoked_at=utcnow())).rowcount or 0
    audit.record(
        session,
        actor,
        "api_token.revoked",
        "official",
        official.username,
        {"name": name or "*", "count": count},
    )
    forget_api_tokens()
    return count


def actor_from_api_token(session: Session, token: str, ip: str = "") -> Actor | None:
    digest = token_hash(token)
    row = session.execute(
        select(ApiToken, Official)
        .join(Official, Official.id == ApiToken.official_id)
        .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None), Official.active.is_(True))
    ).first()
    if row is None:
        _API_ACTORS.pop(digest, None)
        return None
    api_token, official = row
    now = utcnow()
    if api_token.last_used_at is None or (now - api_token.last_used_at) > timedelta(minutes=5):
        api_token.last_used_at = now
    actor = official_actor(official, ip)
    if len(_API_ACTORS) >= _API_ACTORS_MAX:
        _API_ACTORS.clear()
    _API_ACTORS[digest] = (time.monotonic() + API_TOKEN_CACHE_SECONDS, replace(actor, ip=""))
    return actor


def actor_for_session(session: Session, ws: WebSession, ip: str = "") -> Actor | None:
    """The actor behind a browser session; citizens' sessions are resolved by the citizen accounts."""
    if ws.subject_kind == "official":
        official = session.get(Official, ws.subject_id)
        if official is None or not official.active:
            return None
        return official_actor(official, ip)
    resolver = _SESSION_RESOLVERS.get(ws.subject_kind)
    return resolver(session, ws, ip) if resolver else None


def reset_password(session: Session, username: str, password: str) -> None:
    """Set a new password (administrator or demo use); unlocks the account."""
    official = _official_or_error(session, username)
    official.password_hash = hash_password(password)
    official.failed_logins = 0
    official.locked_until = None
    reset_throttle(session, "official", username)
    audit.record(session, "system:cli", "official.password_reset", "official", username)


# --------------------------------------------------------------------------- citizens


def citizen_actor(account: CitizenAccount, ip: str = "") -> Actor:
    return Actor(
        kind="citizen",
        id=str(account.id),
        name="",
        ip=ip,
        resident_id=account.resident_id,
        extra={"level": str(account.level)},
    )


def _citizen_session_actor(session: Session, ws: WebSession, ip: str) -> Actor | None:
    account = session.get(CitizenAccount, ws.subject_id)
    if account is None or account.status != "active":
        return None
    return citizen_actor(account, ip)


# Other kinds of session register how to turn a session into an Actor.
_SESSION_RESOLVERS: dict[str, Callable[[Session, WebSession, str], Actor | None]] = {
    "citizen": _citizen_session_actor,
}


def get_citizen(session: Session, account_id: int) -> CitizenAccount | None:
    return session.get(CitizenAccount, account_id)


def get_citizen_by_personal_id(session: Session, personal_id: str) -> CitizenAccount | None:
    return session.scalar(select(CitizenAccount).where(CitizenAccount.personal_id == personal_id.strip()))


def citizen_acr(account: CitizenAccount, amr: str) -> str:
    return ACR_LOA2 if account.level >= 2 and "otp" in amr.split() else ACR_LOA1


def citizen_mfa_step(account: CitizenAccount) -> str | None:
    """Level 2 needs TOTP (enrolled at the first login after the desk check); level 1 if enrolled."""
    if account.totp_secret:
        return "totp"
    return "enrol" if account.level >= 2 else None


def normalize_phone(phone: str) -> str | None:
    """Vietnamese mobile numbers as 10 digits starting with 0 (+84 / 84 accepted)."""
    digits = re.sub(r"[\s.\-()]", "", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if (
        len(digits) == 10
        and digits.isascii()
        and digits.isdigit()
        and digits[0] == "0"
        and digits[1] in "35789"
    ):
        return digits
    return None


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
    from hue06.registry import service as registry

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


def authenticate_citizen(session: Session, personal_id: str, password: str, ip: str = "") -> CitizenAccount:
    pid = (personal_id or "").strip()
    check_throttle(session, "citizen", pid, ip)
    account = get_citizen_by_personal_id(session, pid) if pid else None
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None or account.status != "active":
        record_failure(session, "citizen", pid, ip)
        audit.record(
            session,
            f"ip:{ip}",
            "login.failed",
            "citizen",
            str(account.id) if account else "",
            {"factor": "password"},
        )
        err = Unauthenticated(
            "login.failed", "Số định danh hoặc mật khẩu không đúng.", "Wrong ID number or password."
        )
        raise _keep(err)
    reset_throttle(session, "citizen", pid)
    if password_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def finish_citizen_login(
    session: Session, account: CitizenAccount, ip: str, amr: str = "pwd"
) -> Authenticated:
    acr = citizen_acr(account, amr)
    audit.record(
        session,
        citizen_actor(account, ip),
        "login.succeeded",
        "citizen",
        str(account.id),
        {"acr": acr, "amr": amr},
    )
    return Authenticated("citizen", account.id, acr, amr)


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


@dataclass(frozen=True)
class LevelCheck:
    account_id: int
    level: int
    checked_by: str
    checked_at: datetime


def raise_assurance_level(session: Session, qr_string: str, actor: Actor) -> LevelCheck:
    """Level 2: an official checked the card in person; its QR code must agree with the register.

    ID, full name, date of birth and gender are compared; any disagreement is refused (and
    logged, naming the fields but not their values). The check (who, when) is recorded.
    """
    from hue06.registry import service as registry

    if actor.kind != "official" or actor.role == "auditor":
        raise Forbidden(
            "identity.level_role",
            "Chỉ cán bộ tiếp nhận mới được nâng mức tài khoản.",
            "Only a desk official may raise an account's level.",
        )
    try:
        qr = parse_cccd_qr(qr_string)
    except InvalidInput:
        audit.record(session, actor, "level.raise_refused", "citizen", "", {"reason": "qr_format"})
        raise
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
    if differ:
        audit.record(
            session,
            actor,
            "level.raise_refused",
            "resident",
            resident.personal_id,
            {"reason": "mismatch", "fields": differ},
        )
        labels_vi = {
            "full_name": "họ tên",
            "date_of_birth": "ngày sinh",
            "gender": "giới tính",
            "old_id": "số CMND cũ",
            "status": "tình trạng (đã mất)",
        }
        raise _keep(
            InvalidInput(
                "cccd_qr.mismatch",
                "Mã QR trên thẻ không khớp với Cơ sở dữ liệu dân cư: "
                + ", ".join(labels_vi[f] for f in differ)
                + ".",
                "The card's QR code disagrees with the population register: " + ", ".join(differ) + ".",
                fields=differ,
            )
        )
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


def create_citizen_account(
    session: Session,
    resident_id: int,
    personal_id: str,
    password: str,
    phone: str = "",
    level: int = 1,
    totp_secret: str | None = None,
    checked_by: str | None = None,
) -> CitizenAccount:
    """An active account without the SMS round trip: for the demo, tests and bulk provisioning."""
    account = CitizenAccount(
        subject=secrets.token_hex(16),
        resident_id=resident_id,
        personal_id=personal_id,
        password_hash=hash_password(password),
        phone=normalize_phone(phone) or "",
        phone_verified_at=utcnow(),
        status="active",
        level=level,
        totp_secret=totp_secret,
        level2_by=checked_by if level >= 2 else None,
        level2_at=utcnow() if level >= 2 else None,
    )
    session.add(account)
    session.flush()
    audit.record(session, "system:cli", "citizen.created", "citizen", str(account.id), {"level": level})
    return account


def set_citizen_credentials(
    session: Session, account_id: int, password: str, totp_secret: str | None
) -> None:
    """Set a citizen's password and second factor directly (the demo re-running; never a web route)."""
    account = session.get(CitizenAccount, account_id)
    if account is None:
        raise not_found("tài khoản", "account")
    account.password_hash = hash_password(password)
    account.totp_secret = totp_secret
    account.totp_last_step = None
    reset_throttle(session, "citizen", account.personal_id)
    audit.record(session, "system:cli", "citizen.credentials_set", "citizen", str(account.id))


def get_citizen_by_resident(session: Session, resident_id: int) -> CitizenAccount | None:
    return session.scalar(select(CitizenAccount).where(CitizenAccount.resident_id == resident_id))


def account_counts(session: Session, as_of: datetime | None = None) -> dict[str, int]:
    """Active citizens' e-ID accounts by assurance level, for leaders' figures and the periodic report."""
    from sqlalchemy import func

    from hue06.identity.models import CitizenAccount

    stmt = select(CitizenAccount.level, func.count()).where(CitizenAccount.status == "active")
    if as_of is not None:
        stmt = stmt.where(CitizenAccount.created_at <= as_of)
    by_level = {int(level): int(n) for level, n in session.execute(stmt.group_by(CitizenAccount.level))}
    return {"level1": by_level.get(1, 0), "level2": by_level.get(2, 0), "total": sum(by_level.values())}
