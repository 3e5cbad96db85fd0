"""Appending to a chain and hashing an entry (the bytes `verify` recomputes)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from hue06.core.audit.models import GENESIS, LEGACY_CHAIN, AuditEntry, AuditHead
from hue06.core.db import UTCDateTime, utcnow
from hue06.core.security import Actor

_FORBIDDEN_KEYS = {"password", "token", "secret", "otp", "code_verifier", "client_secret", "totp"}


def _fields_json(
    at: datetime, actor: str, action: str, subject_type: str, subject_id: str, detail: str, ip: str
) -> str:
    payload = {
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": detail,
        "ip": ip,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _legacy_canonical(e: AuditEntry) -> bytes:
    """Chain 0's form, as entries were hashed before chains existed."""
    payload = {
        "seq": e.seq,
        "at": e.at.isoformat(timespec="microseconds"),
        "actor": e.actor,
        "action": e.action,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "detail": e.detail,
        "ip": e.ip,
        "prev": e.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _suffix(chain: int, n: int, seq: int, prev: str) -> str:
    """What only the database knows at append time, after the fields: PostgreSQL builds the same
    text in `_APPEND_PG`, so both sides hash identical bytes."""
    return f"\n{chain}:{n}:{seq}:{prev}"


def entry_hash(e: AuditEntry) -> str:
    if e.chain == LEGACY_CHAIN:
        return hashlib.sha256(_legacy_canonical(e)).hexdigest()
    body = _fields_json(e.at, e.actor, e.action, e.subject_type, e.subject_id, e.detail, e.ip)
    return hashlib.sha256((body + _suffix(e.chain, e.n, e.seq, e.prev_hash)).encode()).hexdigest()


def _clean(detail: dict[str, Any] | None) -> str:
    detail = dict(detail or {})
    for key in list(detail):
        if any(bad in key.lower() for bad in _FORBIDDEN_KEYS):
            raise ValueError(f"audit detail must not hold secrets (key {key!r})")
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


_TABLE = AuditEntry.__table__
_INSERT = insert(_TABLE)  # built once: a statement made per call costs more CPU than the SQL itself
_APPEND_COLUMNS = """
INSERT INTO audit_log (seq, chain, n, at, actor, action, subject_type, subject_id, detail, ip, prev_hash, hash)
SELECT h.seq, h.id, h.n, :at, :actor, :action, :subject_type, :subject_id, :detail, :ip, h.prev, h.hash FROM h
RETURNING chain
"""
_NEXT_LINK = """
UPDATE audit_head
SET n = audit_head.n + 1, seq = nv.s, prev = audit_head.hash,
    hash = encode(sha256(convert_to(CAST(:body AS text) || chr(10) || CAST(audit_head.id AS text) || ':'
                                    || CAST(audit_head.n + 1 AS text) || ':' || CAST(nv.s AS text) || ':'
                                    || audit_head.hash, 'UTF8')), 'hex')
"""
# PostgreSQL: take the first chain head no other transaction holds, link the entry to it and
# insert it, in one statement. Every right-hand side of the UPDATE reads the row as it was.
_APPEND_PG = text(f"""
WITH pick AS (
  SELECT id FROM audit_head WHERE id > 0 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
), nv AS (SELECT nextval('audit_log_seq') AS s),
h AS (
  {_NEXT_LINK}
  FROM pick, nv WHERE audit_head.id = pick.id
  RETURNING audit_head.id, audit_head.n, audit_head.seq, audit_head.prev, audit_head.hash
)
{_APPEND_COLUMNS}
""").bindparams(bindparam("at", type_=UTCDateTime()))  # noqa: S608 - constant fragments; values are bound
# The same on a chain this transaction already holds (a second entry in one transaction).
_APPEND_PG_TO = text(f"""
WITH nv AS (SELECT nextval('audit_log_seq') AS s),
h AS (
  {_NEXT_LINK}
  FROM nv WHERE audit_head.id = :chain
  RETURNING audit_head.id, audit_head.n, audit_head.seq, audit_head.prev, audit_head.hash
)
{_APPEND_COLUMNS}
""").bindparams(bindparam("at", type_=UTCDateTime()))  # noqa: S608 - constant fragments; values are bound
# Every head busy (or none yet): open a chain. Its row is ours, locked, until we commit.
_NEW_CHAIN_PG = text(
    "INSERT INTO audit_head (id, n, seq, hash, prev) VALUES (nextval('audit_chain_seq'), 0, 0, :g, :g) RETURNING id"
).bindparams(g=GENESIS)

# SQLite has one writer at a time (BEGIN IMMEDIATE): one chain is enough.
_SQLITE_CHAIN = 1
_READ_HEAD = select(AuditHead.n, AuditHead.hash).where(AuditHead.id == bindparam("chain"))
_NEXT_SEQ = text("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log")
_NEW_HEAD = text("INSERT INTO audit_head (id, n, seq, hash, prev) VALUES (:chain, 0, 0, :g, :g)").bindparams(
    g=GENESIS
)
_MOVE_HEAD = text("UPDATE audit_head SET n = :n, seq = :seq, prev = :prev, hash = :hash WHERE id = :chain")


def record(
    session: Session,
    actor: Actor | str,
    action: str,
    subject_type: str = "",
    subject_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry inside the caller's transaction (it commits or rolls back with it).

    The caller's pending changes are flushed first, so the chain head's lock is taken as late as
    possible. On PostgreSQL the append is one statement on a head nobody else holds; SQLite,
    whose transactions take the write lock at BEGIN, reads its one head and writes both.
    """
    clean = _clean(detail)
    session.flush()
    conn = session.connection()
    label = actor.label if isinstance(actor, Actor) else str(actor)
    ip = actor.ip if isinstance(actor, Actor) else ""
    at = utcnow()
    subject_id = str(subject_id)
    values = {
        "at": at,
        "actor": label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": clean,
        "ip": ip,
    }
    if conn.dialect.name == "postgresql":
        _append_pg(session, conn, values)
    else:
        _append_sqlite(conn, values)


def _held_chain(session: Session) -> int | None:
    held = session.info.get("audit_chain")
    if held is not None and held[0] is session.get_transaction():
        return held[1]
    return None


def _psycopg(statement: Any) -> str:
    """The statement in psycopg's placeholder style, to run it prepared on the raw connection."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", str(statement))


# The append runs on every audited request: straight on psycopg, prepared once per connection
# (about half the CPU of going through SQLAlchemy's text() each time, here and in PostgreSQL).
_APPEND_PG_RAW = _psycopg(_APPEND_PG)
_APPEND_PG_TO_RAW = _psycopg(_APPEND_PG_TO)
_NEW_CHAIN_PG_RAW = _psycopg(_NEW_CHAIN_PG)


def _append_pg(session: Session, conn: Any, values: dict[str, Any]) -> None:
    raw = conn.connection.driver_connection
    params = {**values, "body": _fields_json(**values)}
    chain = _held_chain(session)
    if chain is not None:
        raw.execute(_APPEND_PG_TO_RAW, {**params, "chain": chain}, prepare=True)
        return
    row = raw.execute(_APPEND_PG_RAW, params, prepare=True).fetchone()
    if row is None:
        chain = raw.execute(_NEW_CHAIN_PG_RAW, {"g": GENESIS}).fetchone()[0]
        row = raw.execute(_APPEND_PG_TO_RAW, {**params, "chain": chain}, prepare=True).fetchone()
    session.info["audit_chain"] = (session.get_transaction(), row[0])


def _append_sqlite(conn: Any, values: dict[str, Any]) -> None:
    head = conn.execute(_READ_HEAD, {"chain": _SQLITE_CHAIN}).first()
    if head is None:
        conn.execute(_NEW_HEAD, {"chain": _SQLITE_CHAIN})
        head = (0, GENESIS)
    n, prev = head[0] + 1, head[1]
    seq = conn.execute(_NEXT_SEQ).scalar_one()
    body = _fields_json(**values)
    digest = hashlib.sha256((body + _suffix(_SQLITE_CHAIN, n, seq, prev)).encode()).hexdigest()
    conn.execute(_MOVE_HEAD, {"chain": _SQLITE_CHAIN, "n": n, "seq": seq, "prev": prev, "hash": digest})
    conn.execute(
        _INSERT, {**values, "seq": seq, "chain": _SQLITE_CHAIN, "n": n, "prev_hash": prev, "hash": digest}
    )
