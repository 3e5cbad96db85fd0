"""The append-only, hash-chained audit log.

Every read or change of a person's record, every login and every token goes here. Each entry's
hash covers its own fields and the previous entry's hash, so editing or deleting any row breaks
the chain from that row on, and `hue06 audit verify` names the first broken entry.
Entries never hold passwords, tokens or secrets; subjects are named by their key only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, bindparam, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from hue06.core.db import Base, UTCDateTime, utcnow
from hue06.core.security import Actor

GENESIS = "0" * 64
_FORBIDDEN_KEYS = {"password", "token", "secret", "otp", "code_verifier", "client_secret", "totp"}


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_subject", "subject_type", "subject_id"),
        Index("ix_audit_action", "action"),
    )


class AuditHead(Base):
    """The chain's newest link, one row: appends update it in the same transaction.

    It makes an append one statement on PostgreSQL (the row lock serialises writers, and a writer
    that waited re-reads the row its predecessor committed), and it lets `verify` notice entries
    deleted from the end of the log, which the links between entries alone cannot show.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    prev: Mapped[str] = mapped_column(String(64))


def _canonical(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: str,
    ip: str,
    prev_hash: str,
) -> bytes:
    payload = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": detail,
        "ip": ip,
        "prev": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(e: AuditEntry) -> str:
    at = e.at
    return hashlib.sha256(
        _canonical(e.seq, at, e.actor, e.action, e.subject_type, e.subject_id, e.detail, e.ip, e.prev_hash)
    ).hexdigest()


def _clean(detail: dict[str, Any] | None) -> str:
    detail = dict(detail or {})
    for key in list(detail):
        if any(bad in key.lower() for bad in _FORBIDDEN_KEYS):
            raise ValueError(f"audit detail must not hold secrets (key {key!r})")
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


_TABLE = AuditEntry.__table__
_HEAD = AuditHead.__table__
# Built once: a statement made per call costs more CPU (construction, cache key) than the SQL itself.
_INSERT = insert(_TABLE)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_MOVE_HEAD = text("UPDATE audit_head SET seq = :seq, prev = :prev, hash = :hash WHERE id = 1")
# A missing head (a new database, or one whose tables were emptied) starts from the log's last
# entry, or from the genesis when the log is empty.
_SEED_HEAD = text("""
INSERT INTO audit_head (id, seq, hash, prev)
SELECT 1, COALESCE(last.seq, 0), COALESCE(last.hash, :genesis), COALESCE(last.prev_hash, :genesis)
FROM (SELECT 1) AS one
LEFT JOIN (SELECT seq, hash, prev_hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS last ON true
ON CONFLICT (id) DO NOTHING
""").bindparams(bindparam("genesis", GENESIS))

# PostgreSQL appends in one statement: the UPDATE of the head row numbers and hashes the new entry
# (sha256 is built in; every right-hand side reads the row as it was, so `prev` gets the old hash)
# and the INSERT writes it. Under READ COMMITTED a writer that waited for the row lock re-evaluates
# the UPDATE against the version its predecessor committed, so two writers never chain onto the
# same entry. Python sends the canonical text around the two fields only the database knows
# ("prev" and "seq", adjacent in sorted-key order), so the bytes hashed are exactly those
# `entry_hash` hashes when the chain is verified.
_SPLICE = '"prev":"","seq":0,'
_APPEND_PG = text("""
WITH h AS (
  UPDATE audit_head
  SET seq = seq + 1, prev = hash,
      hash = encode(sha256(convert_to(CAST(:head AS text) || '"prev":"' || hash || '","seq":'
                                      || CAST(seq + 1 AS text) || ',' || CAST(:tail AS text), 'UTF8')), 'hex')
  WHERE id = 1
  RETURNING seq, prev, hash
)
INSERT INTO audit_log (seq, at, actor, action, subject_type, subject_id, detail, ip, prev_hash, hash)
SELECT h.seq, :at, :actor, :action, :subject_type, :subject_id, :detail, :ip, h.prev, h.hash FROM h
RETURNING seq, prev_hash, hash
""").bindparams(bindparam("at", type_=UTCDateTime()))


def record(
    session: Session,
    actor: Actor | str,
    action: str,
    subject_type: str = "",
    subject_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction (so it commits or rolls back with it).

    The caller's pending changes are flushed first, so they are written before the entry and the
    chain head's row lock (held until commit) is taken as late as possible. On PostgreSQL the
    append is one statement (`_APPEND_PG`); SQLite, whose transactions take the write lock at
    BEGIN, reads the head, hashes here and writes both. The returned object is not added to the
    session.
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
        canonical = _canonical(0, at, label, action, subject_type, subject_id, clean, ip, "").decode()
        head, splice, tail = canonical.partition(_SPLICE)
        if not splice:  # cannot happen: values are JSON-escaped, so they never hold the bare splice
            raise RuntimeError("audit: canonical form without the prev/seq splice")
        row = conn.execute(_APPEND_PG, {**values, "head": head, "tail": tail}).first()
        if row is None:  # no head row yet
            conn.execute(_SEED_HEAD)
            row = conn.execute(_APPEND_PG, {**values, "head": head, "tail": tail}).one()
        seq, prev, digest = row
        return AuditEntry(seq=seq, prev_hash=prev, hash=digest, **values)
    # SQLite: the transaction took the write lock at BEGIN, so reading the head is safe.
    last = conn.execute(_READ_HEAD).first()
    if last is None:
        conn.execute(_SEED_HEAD)
        last = conn.execute(_READ_HEAD).one()
    seq, prev = last[0] + 1, last[1]
    digest = hashlib.sha256(
        _canonical(seq, at, label, action, subject_type, subject_id, clean, ip, prev)
    ).hexdigest()
    values.update(seq=seq, prev_hash=prev, hash=digest)
    conn.execute(_MOVE_HEAD, {"seq": seq, "prev": prev, "hash": digest})
    conn.execute(_INSERT, values)
    return AuditEntry(**values)


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the chain; return how many entries were checked and the first break, if any.

    The last entry must also be the one the chain head records: entries deleted from the end
    leave the head pointing past them."""
    expected_seq, prev, count = 1, GENESIS, 0
    for e in iter_entries(session):
        count += 1
        if e.seq != expected_seq:
            return count, Break(expected_seq, f"entry {expected_seq} is missing (next is {e.seq})")
        if e.prev_hash != prev:
            return count, Break(
                e.seq, f"entry {e.seq} does not follow entry {e.seq - 1} (deleted or replaced)"
            )
        if entry_hash(e) != e.hash:
            return count, Break(e.seq, f"entry {e.seq} was edited after it was written")
        prev, expected_seq = e.hash, e.seq + 1
    head = session.execute(_READ_HEAD).first()
    last_seq = expected_seq - 1
    if head is None:
        if count:
            return count, Break(
                last_seq, "the chain head is missing: the newest entries cannot be vouched for"
            )
    elif head[0] > last_seq:
        return count, Break(
            last_seq + 1, f"entries {last_seq + 1} to {head[0]} are missing from the end of the log"
        )
    elif (head[0], head[1]) != (last_seq, prev):
        return count, Break(last_seq, f"the chain head does not match entry {last_seq}")
    return count, None


def entries_for(session: Session, subject_type: str, subject_id: str, limit: int = 100) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
