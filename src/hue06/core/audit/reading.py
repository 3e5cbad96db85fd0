"""Reading the log: in global order, one chain, one subject, the heads."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core.audit.models import AuditEntry, AuditHead


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    """Every entry in global order."""
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def iter_chain(session: Session, chain: int, after: int = 0, batch: int = 5000) -> Iterator[AuditEntry]:
    """One chain's entries from position `after` + 1 on, in chain order."""
    while True:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.chain == chain, AuditEntry.n > after)
            .order_by(AuditEntry.n)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].n
        session.expunge_all()  # a long walk must not keep every entry it has seen


def entries_for(session: Session, subject_type: str, subject_id: str, limit: int = 100) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def heads(session: Session) -> list[tuple[int, int, int, str]]:
    """(chain, n, seq, hash) of every chain, sorted by chain."""
    rows = session.execute(
        select(AuditHead.id, AuditHead.n, AuditHead.seq, AuditHead.hash).order_by(AuditHead.id)
    )
    return [(int(c), int(n), int(s), str(h)) for c, n, s, h in rows]
