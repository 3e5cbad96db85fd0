"""Officials' accounts, login sessions and API tokens.

Login failures never say whether the account exists; after repeated failures an account is
locked for a while (the citizen side adds the full NIST throttling).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, InvalidInput, Unauthenticated
from hue06.core.security import (
    ROLES,
    Actor,
    hash_password,
    new_token,
    password_needs_rehash,
    token_hash,
    verify_password,
)
from hue06.identity.models import ApiToken, Official, WebSession

LOCK_AFTER = 10
LOCK_MINUTES = 15

_BAD_LOGIN = Unauthenticated(
    "login.failed",
    "Tên đăng nhập hoặc mật khẩu không đúng.",
    "Wrong username or password.",
)


def official_actor(official: Official, ip: str = "") -> Actor:
    return Actor(
        kind="official", id=official.username, name=official.full_name, role=official.role,
        unit_code=official.unit_code, ip=ip,
    )


def create_official(
    session: Session, username: str, password: str, role: str, unit_code: str,
    full_name: str = "", agency: str = "", actor: Actor | None = None,
) -> Official:
    username = username.strip()
    if role not in ROLES:
        raise InvalidInput(
            "official.role", f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(ROLES)}.",
            f"Unknown role {role}. Choose one of: {', '.join(ROLES)}.",
        )
    admin_units.communes_within(unit_code)  # any version's code; raises admin_unit.unknown
    if len(password) < 8:
        raise InvalidInput("official.password_short", "Mật khẩu phải có ít nhất 8 ký tự.",
                           "The password must have at least 8 characters.")
    if session.scalar(select(Official.id).where(Official.username == username)):
        raise Conflict("official.exists", "Tên đăng nhập đã tồn tại.", "That username is taken.")
    official = Official(username=username, password_hash=hash_password(password), role=role,
                        unit_code=unit_code, full_name=full_name or username, agency=agency)
    session.add(official)
    session.flush()
    audit.record(session, actor or "system:cli", "official.created", "official", username,
                 {"role": role, "unit": unit_code})
    return official


def authenticate_official(session: Session, username: str, password: str, ip: str = "") -> Official:
    official = session.scalar(select(Official).where(Official.username == username.strip()))
    now = utcnow()
    if official is not None and official.locked_until and official.locked_until > now:
        verify_password(None, password)  # same work as a real attempt
        audit.record(session, f"ip:{ip}", "login.refused_locked", "official", official.username)
        raise _BAD_LOGIN
    ok = verify_password(official.password_hash if official else None, password)
    if not ok or official is None or not official.active:
        if official is not None:
            official.failed_logins += 1
            if official.failed_logins >= LOCK_AFTER:
                official.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            audit.record(session, f"ip:{ip}", "login.failed", "official", official.username)
        else:
            audit.record(session, f"ip:{ip}", "login.failed", "official", "")
        raise _BAD_LOGIN
    official.failed_logins = 0
    official.locked_until = None
    if password_needs_rehash(official.password_hash):
        official.password_hash = hash_password(password)
    audit.record(session, official_actor(official, ip), "login.succeeded", "official", official.username)
    return official


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


def start_session(session: Session, subject_kind: str, subject_id: int, hours: int = 12,
                  ip: str = "", user_agent: str = "", acr: str = "") -> NewSession:
    token, csrf = new_token(), new_token(24)
    expires = utcnow() + timedelta(hours=hours)
    session.add(WebSession(token_hash=token_hash(token), subject_kind=subject_kind, subject_id=subject_id,
                           csrf_token=csrf, expires_at=expires, ip=ip[:64], user_agent=user_agent[:300], acr=acr))
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
    session.execute(update(WebSession).where(WebSession.token_hash == token_hash(token)).values(ended_at=utcnow()))


def get_official(session: Session, official_id: int) -> Official | None:
    return session.get(Official, official_id)


def get_official_by_username(session: Session, username: str) -> Official | None:
    return session.scalar(select(Official).where(Official.username == username))


def create_api_token(session: Session, username: str, name: str = "cli") -> str:
    official = get_official_by_username(session, username)
    if official is None:
        raise InvalidInput("official.unknown", "Không có cán bộ với tên đăng nhập này.", "No official with that username.")
    token = "h06_" + new_token(32)
    session.add(ApiToken(official_id=official.id, token_hash=token_hash(token), name=name))
    session.flush()
    audit.record(session, "system:cli", "api_token.created", "official", official.username, {"name": name})
    return token


def actor_from_api_token(session: Session, token: str, ip: str = "") -> Actor | None:
    row = session.execute(
        select(ApiToken, Official).join(Official, Official.id == ApiToken.official_id)
        .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None), Official.active.is_(True))
    ).first()
    if row is None:
        return None
    api_token, official = row
    now = utcnow()
    if api_token.last_used_at is None or (now - api_token.last_used_at) > timedelta(minutes=5):
        api_token.last_used_at = now
    return official_actor(official, ip)


def actor_for_session(session: Session, ws: WebSession, ip: str = "") -> Actor | None:
    """The actor behind a browser session; citizens' sessions are resolved by the citizen accounts."""
    if ws.subject_kind == "official":
        official = session.get(Official, ws.subject_id)
        if official is None or not official.active:
            return None
        return official_actor(official, ip)
    resolver = _SESSION_RESOLVERS.get(ws.subject_kind)
    return resolver(session, ws, ip) if resolver else None


# Other kinds of session (citizens) register how to turn a session into an Actor.
_SESSION_RESOLVERS: dict[str, Callable[[Session, WebSession, str], Actor | None]] = {}


def reset_password(session: Session, username: str, password: str) -> None:
    """Set a new password (administrator or demo use); unlocks the account."""
    official = get_official_by_username(session, username)
    if official is None:
        raise InvalidInput("official.unknown", "Không có cán bộ với tên đăng nhập này.", "No official with that username.")
    official.password_hash = hash_password(password)
    official.failed_logins = 0
    official.locked_until = None
    audit.record(session, "system:cli", "official.password_reset", "official", username)
