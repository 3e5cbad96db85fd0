"""Browser sessions: started after sign-in, refreshed when seen, ended by logout, by their owner
from another browser, or all at once (password reset, level raised, official disabled)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import not_found
from hue06.core.security import Actor, new_token, token_hash
from hue06.identity.models import CitizenAccount, Official, WebSession
from hue06.identity.service.actors import citizen_actor, official_actor


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


def actor_for_session(session: Session, ws: WebSession, ip: str = "") -> Actor | None:
    """The actor behind a browser session; citizens' sessions are resolved by the citizen accounts."""
    if ws.subject_kind == "official":
        official = session.get(Official, ws.subject_id)
        if official is None or not official.active:
            return None
        return official_actor(official, ip)
    resolver = _SESSION_RESOLVERS.get(ws.subject_kind)
    return resolver(session, ws, ip) if resolver else None


def _citizen_session_actor(session: Session, ws: WebSession, ip: str) -> Actor | None:
    account = session.get(CitizenAccount, ws.subject_id)
    if account is None or account.status != "active":
        return None
    return citizen_actor(account, ip)


# Other kinds of session register how to turn a session into an Actor.
_SESSION_RESOLVERS: dict[str, Callable[[Session, WebSession, str], Actor | None]] = {
    "citizen": _citizen_session_actor,
}
