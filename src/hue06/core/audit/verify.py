"""`hue06 audit verify`: every chain, every checkpoint, every exported checkpoint.

What is caught, and how:
- an edited entry: its hash no longer matches its fields;
- an inserted, deleted or reordered entry: a chain's positions `n` are 1, 2, 3 … and each entry
  names the previous one's hash; global `seq` must grow along a chain;
- entries cut from a chain's end: the chain's head row points past them, or — if the head was
  moved back too — the newest signed checkpoint does;
- a chain recomputed from scratch, a removed chain, an emptied log: the signed checkpoints (and
  any checkpoint exported from the database, or kept by the last verification) no longer match,
  and nobody without the key can sign new ones;
- rows in a chain nobody knows: the log holds more entries than the chains account for.

Verification can resume: it returns a `VerifiedState` (each chain's verified position and hash,
the newest verified checkpoint) that the CLI keeps in a file outside the database; the next run
checks that those positions are unchanged and walks only what came after them. A full run
(`--full`) walks everything again, which is the only way to see an edit to an old entry made
without touching the newer ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core.audit.chain import _fields_json, _legacy_canonical, _suffix
from hue06.core.audit.checkpoints import Checkpoint, CheckpointKey, merkle_root
from hue06.core.audit.models import GENESIS, LEGACY_CHAIN, AuditCheckpoint, AuditEntry, AuditHead

_ENTRY_COLUMNS = (
    AuditEntry.n,
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.detail,
    AuditEntry.ip,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


@dataclass(frozen=True)
class Break:
    """Where the log stops being trustworthy: chain, position in it, and why."""

    chain: int
    n: int
    reason: str

    @property
    def seq(self) -> int:
        """The position, under the name the single-chain log used."""
        return self.n


@dataclass
class VerifiedState:
    """How far a verification got: kept outside the database, so the next run resumes there."""

    chains: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # chain → (n, seq, hash)
    checkpoint: Checkpoint | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "chains": {str(c): list(v) for c, v in self.chains.items()},
                "checkpoint": json.loads(self.checkpoint.to_json()) if self.checkpoint else None,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text_: str) -> VerifiedState:
        data = json.loads(text_)
        cp = data.get("checkpoint")
        return cls(
            chains={int(c): (int(v[0]), int(v[1]), str(v[2])) for c, v in data.get("chains", {}).items()},
            checkpoint=Checkpoint.from_json(json.dumps(cp)) if cp else None,
        )


@dataclass
class Report:
    entries: int = 0  # entries whose hash and link were checked in this run
    chains: int = 0
    checkpoints: int = 0  # checkpoints whose signature and link were checked in this run
    breaks: list[Break] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    newest: Checkpoint | None = None
    state: VerifiedState = field(default_factory=VerifiedState)

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(session: Session) -> tuple[int, Break | None]:
    """Every chain from its start, with the checkpoints' links and roots (no key: signatures are
    the CLI's to check). Returns how many entries were checked and the first break, if any."""
    report = verify_log(session)
    return report.entries, (report.breaks[0] if report.breaks else None)


def verify_log(
    session: Session,
    *,
    key: CheckpointKey | None = None,
    anchors: Iterable[Checkpoint] = (),
    since: VerifiedState | None = None,
) -> Report:
    report = Report()
    start = since or VerifiedState()
    newest = _check_checkpoints(session, key, start, report)
    for anchor in [*anchors, *([start.checkpoint] if start.checkpoint else [])]:
        _check_anchor(session, key, anchor, report)
    pinned = {h[0]: h for h in newest.heads} if newest else {}
    head_rows = {int(r.id): r for r in session.scalars(select(AuditHead))}
    chains = sorted(set(head_rows) | set(pinned) | set(start.chains))
    report.chains = len(chains)
    for chain in chains:
        _check_chain(session, chain, head_rows.get(chain), pinned.get(chain), start.chains.get(chain), report)
    for chain in _unknown_chains(session, head_rows, chains):
        report.chains += 1
        _check_chain(session, chain, None, None, None, report)
    report.newest = newest
    report.state.checkpoint = newest
    return report


# --------------------------------------------------------------------------- checkpoints


def _checkpoint_rows(session: Session, after: int, batch: int = 2000) -> Iterator[AuditCheckpoint]:
    while True:
        rows = session.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.id > after)
            .order_by(AuditCheckpoint.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def _check_checkpoints(
    session: Session, key: CheckpointKey | None, start: VerifiedState, report: Report
) -> Checkpoint | None:
    """Each checkpoint's id follows the last, names the last one's hash, hashes to what it says,
    carries its heads' Merkle root and a good signature; heads only ever move forward."""
    previous = start.checkpoint
    if key is None:
        report.warnings.append("no audit key given: checkpoint signatures were not checked")
    for row in _checkpoint_rows(session, previous.id if previous else 0):
        cp = Checkpoint.from_row(row)
        report.checkpoints += 1
        problem = _checkpoint_problem(cp, previous, key)
        if problem:
            report.breaks.append(Break(-1, cp.id, f"checkpoint {cp.id}: {problem}"))
            return previous
        previous = cp
    return previous


def _checkpoint_problem(cp: Checkpoint, previous: Checkpoint | None, key: CheckpointKey | None) -> str:
    expected_id = previous.id + 1 if previous else 1
    if cp.id != expected_id:
        return f"checkpoint {expected_id} is missing"
    if cp.prev != (previous.hash if previous else GENESIS):
        return "does not follow the checkpoint before it (replaced or reordered)"
    if hashlib.sha256(cp.message()).hexdigest() != cp.hash:
        return "was edited after it was signed"
    if merkle_root(list(cp.heads)) != cp.root:
        return "its chain heads do not give its root"
    if key is not None and (cp.key_id != key.key_id or not key.verifies(cp.message(), cp.signature)):
        return "the signature is not the platform's"
    if previous is not None:
        before = {h[0]: h for h in previous.heads}
        now = {h[0]: h for h in cp.heads}
        for chain, head in before.items():
            if chain not in now:
                return f"chain {chain} disappeared"
            if now[chain][1] < head[1]:
                return f"chain {chain} went back from entry {head[1]} to {now[chain][1]}"
    return ""


def _check_anchor(session: Session, key: CheckpointKey | None, anchor: Checkpoint, report: Report) -> None:
    """A checkpoint kept outside the database must still be in it, unchanged."""
    if key is not None and not key.verifies(anchor.message(), anchor.signature):
        report.breaks.append(
            Break(-1, anchor.id, f"the exported checkpoint {anchor.id} is not signed by the platform")
        )
        return
    row = session.get(AuditCheckpoint, anchor.id)
    if row is None:
        report.breaks.append(
            Break(
                -1,
                anchor.id,
                f"checkpoint {anchor.id} of {anchor.at[:19]} ({anchor.entries} entries), kept outside the "
                "database, is missing from it: the log was cut back or replaced",
            )
        )
    elif row.hash != anchor.hash:
        report.breaks.append(
            Break(-1, anchor.id, f"checkpoint {anchor.id} differs from the one kept outside the database")
        )


# --------------------------------------------------------------------------- chains


def _entry_digest(chain: int, row: Any) -> str:
    n, seq, at, actor, action, subject_type, subject_id, detail, ip, prev, _ = row
    if chain == LEGACY_CHAIN:
        e = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail,
            ip=ip,
            prev_hash=prev,
        )
        return hashlib.sha256(_legacy_canonical(e)).hexdigest()
    body = _fields_json(at, actor, action, subject_type, subject_id, detail, ip)
    return hashlib.sha256((body + _suffix(chain, n, seq, prev)).encode()).hexdigest()


def _chain_rows(session: Session, chain: int, after: int, batch: int = 20000) -> Iterator[Any]:
    conn = session.connection()
    while True:
        rows = conn.execute(
            select(*_ENTRY_COLUMNS)
            .where(AuditEntry.chain == chain, AuditEntry.n > after)
            .order_by(AuditEntry.n)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _check_chain(
    session: Session,
    chain: int,
    head: AuditHead | None,
    pinned: tuple[int, int, int, str] | None,
    resume: tuple[int, int, str] | None,
    report: Report,
) -> None:
    n, seq, prev = 0, 0, GENESIS
    if resume is not None:
        n, seq, prev = resume
        if n:
            row = (
                session.connection()
                .execute(select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.n == n))
                .first()
            )
            if row is None or row[0] != prev:
                report.breaks.append(
                    Break(chain, n, f"chain {chain}: entry {n} changed since the last verification")
                )
                return
    for row in _chain_rows(session, chain, n):
        report.entries += 1
        problem = _link_problem(chain, row, n, seq, prev, pinned)
        if problem:
            report.breaks.append(Break(chain, n + 1 if "missing" in problem else row[0], problem))
            return
        n, seq, prev = row[0], row[1], row[10]
    report.state.chains[chain] = (n, seq, prev)
    problem = _end_problem(chain, head, pinned, n, prev)
    if problem:
        report.breaks.append(Break(chain, n + 1 if "missing" in problem else n, problem))


def _link_problem(
    chain: int, row: Any, n: int, seq: int, prev: str, pinned: tuple[int, int, int, str] | None
) -> str:
    where = f"entry {row[0]}" if chain == LEGACY_CHAIN else f"chain {chain}: entry {row[0]}"
    if row[0] != n + 1:
        return f"{'entry' if chain == LEGACY_CHAIN else f'chain {chain}: entry'} {n + 1} is missing (next is {row[0]})"
    if row[9] != prev:
        return f"{where} does not follow entry {n} (deleted or replaced)"
    if row[1] <= seq:
        return f"{where} is out of order (reordered across chains)"
    if _entry_digest(chain, row) != row[10]:
        return f"{where} was edited after it was written"
    if pinned is not None and pinned[1] == row[0] and (pinned[2], pinned[3]) != (row[1], row[10]):
        return f"{where} is not the one the signed checkpoint names (the chain was rewritten)"
    return ""


def _end_problem(
    chain: int, head: AuditHead | None, pinned: tuple[int, int, int, str] | None, n: int, prev: str
) -> str:
    name = "the log" if chain == LEGACY_CHAIN else f"chain {chain}"
    if pinned is not None and pinned[1] > n:
        return f"entries {n + 1} to {pinned[1]} of {name} are missing: the signed checkpoint names them"
    if head is None:
        if pinned is not None or n:
            return f"the head of {name} is missing: its newest entries cannot be vouched for"
        return ""
    if head.n > n:
        return f"entries {n + 1} to {head.n} are missing from the end of {name}"
    if (head.n, head.hash) != (n, prev):
        return f"the head of {name} does not match its entry {n}"
    return ""


def _unknown_chains(session: Session, head_rows: dict[int, AuditHead], known: list[int]) -> list[int]:
    """Chains with entries but no head (its row deleted, or rows written into a chain nobody
    opened). Counting is cheap; the chains are looked for only when the count does not add up."""
    expected = sum(int(h.n) for h in head_rows.values())
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    if total == expected:
        return []
    found = session.scalars(select(AuditEntry.chain).where(AuditEntry.chain.not_in(known)).distinct()).all()
    return sorted(int(c) for c in found)
