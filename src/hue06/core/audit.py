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
_PG_LOCK_KEY = 6_0606_0006  # advisory lock that serialises appends on PostgreSQL
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

    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"), Index("ix_audit_action", "action"))


def _canonical(seq: int, at: datetime, actor: str, action: str, subject_type: str, subject_id: str,
               detail: str, ip: str, prev_hash: str) -> bytes:
    payload = {
        "seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "action": action,
        "subject_type": subject_type, "subject_id": subject_id, "detail": detail, "ip": ip,
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
# Built once: a statement made per call costs more CPU (construction, cache key) than the SQL itself.
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LAST = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_INSERT = insert(_TABLE)

# PostgreSQL appends in one statement: it reads the last entry, numbers and hashes the new one
# (sha256 is built in) and inserts it. Python sends the canonical text around the two fields only
# the database knows ("prev" and "seq", adjacent in sorted-key order), so the bytes hashed are
# exactly those `entry_hash` hashes when the chain is verified.
_SPLICE = '"prev":"","seq":0,'
_APPEND_PG = text("""
INSERT INTO audit_log (seq, at, actor, action, subject_type, subject_id, detail, ip, prev_hash, hash)
SELECT n.seq, :at, :actor, :action, :subject_type, :subject_id, :detail, :ip, n.prev,
       encode(sha256(convert_to(CAST(:head AS text) || '"prev":"' || n.prev || '","seq":' || CAST(n.seq AS text)
                                || ',' || CAST(:tail AS text), 'UTF8')), 'hex')
FROM (SELECT COALESCE(last.seq, 0) + 1 AS seq, COALESCE(last.hash, :genesis) AS prev
      FROM (SELECT 1) AS one
      LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS last ON true) AS n
RETURNING seq, prev_hash, hash
""").bindparams(bindparam("at", type_=UTCDateTime()), bindparam("genesis", GENESIS))


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
    log's lock (held until commit) is taken as late as possible. On PostgreSQL the lock and the
    append are separate statements on purpose: under READ COMMITTED a statement sees the data
    committed when it starts, so the read of the last entry must start after the lock is granted,
    or two server processes could chain onto the same entry. Two round trips there; SQLite (whose
    transactions take the write lock at BEGIN) reads the last entry and inserts with the hash
    computed here. The returned object is not added to the session.
    """
    clean = _clean(detail)
    session.flush()
    conn = session.connection()
    label = actor.label if isinstance(actor, Actor) else str(actor)
    ip = actor.ip if isinstance(actor, Actor) else ""
    at = utcnow()
    subject_id = str(subject_id)
    values = {"at": at, "actor": label, "action": action, "subject_type": subject_type,
              "subject_id": subject_id, "detail": clean, "ip": ip}
    if conn.dialect.name == "postgresql":
        canonical = _canonical(0, at, label, action, subject_type, subject_id, clean, ip, "").decode()
        head, splice, tail = canonical.partition(_SPLICE)
        if not splice:  # cannot happen: values are JSON-escaped, so they never hold the bare splice
            raise RuntimeError("audit: canonical form without the prev/seq splice")
        conn.execute(_LOCK, {"k": _PG_LOCK_KEY})
        seq, prev, digest = conn.execute(_APPEND_PG, {**values, "head": head, "tail": tail}).one()
        return AuditEntry(seq=seq, prev_hash=prev, hash=digest, **values)
    last = conn.execute(_LAST).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    digest = hashlib.sha256(_canonical(seq, at, label, action, subject_type, subject_id, clean, ip, prev)).hexdigest()
    values.update(seq=seq, prev_hash=prev, hash=digest)
    conn.execute(_INSERT, values)
    return AuditEntry(**values)


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the chain; return how many entries were checked and the first break, if any."""
    expected_seq, prev, count = 1, GENESIS, 0
    for e in iter_entries(session):
        count += 1
        if e.seq != expected_seq:
            return count, Break(expected_seq, f"entry {expected_seq} is missing (next is {e.seq})")
        if e.prev_hash != prev:
            return count, Break(e.seq, f"entry {e.seq} does not follow entry {e.seq - 1} (deleted or replaced)")
        if entry_hash(e) != e.hash:
            return count, Break(e.seq, f"entry {e.seq} was edited after it was written")
        prev, expected_seq = e.hash, e.seq + 1
    return count, None


def entries_for(session: Session, subject_type: str, subject_id: str, limit: int = 100) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
