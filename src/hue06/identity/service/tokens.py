"""Officials' API tokens, and the few seconds for which a resolved token is remembered."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.security import Actor, new_token, token_hash
from hue06.identity.models import ApiToken, Official
from hue06.identity.service._common import _official_or_error
from hue06.identity.service.actors import official_actor


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
