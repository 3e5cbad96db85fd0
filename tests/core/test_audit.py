"""The audit log: many hash chains with no global lock, signed checkpoints, total verification.

Each tampering case is what someone with write access to the database could do; each must be
named by `verify` (and by `hue06 audit verify`) on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from hue06.core import audit
from hue06.core.db import make_engine, make_sessionmaker, utcnow
from hue06.core.migrate import alembic_config, upgrade
from hue06.core.security import Actor

OFFICIAL = Actor(kind="official", id="canbo1", role="commune", unit_code="19750")


@pytest.fixture
def key(tmp_path: Path) -> audit.CheckpointKey:
    return audit.CheckpointKey.load(tmp_path / "keys" / "audit.pem")


def _write(session, n: int = 5, tag: str = "") -> None:
    for i in range(n):
        audit.record(
            session, OFFICIAL, "resident.read", "resident", f"04609000{i:04d}", {"reason": f"test{tag}"}
        )
        session.commit()


def _chain(session) -> int:
    """The one chain a single writer appended to."""
    return session.scalars(select(audit.AuditHead.id).where(audit.AuditHead.id > 0)).one()


def _cli(db_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hue06", "audit", *args, "--db", db_url],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "HUE06_DATA_DIR": str(tmp_path)},
        check=False,
    )


def _checkpoint(session, key) -> audit.Checkpoint:
    cp = audit.checkpoint(session, key)
    session.commit()
    assert cp is not None
    return cp


# ---------------------------------------------------------------------------------------- chains


def test_intact_log_verifies_and_the_cli_says_so(session, db_url, tmp_path):
    _write(session)
    assert audit.verify(session) == (5, None)
    result = _cli(db_url, tmp_path, "verify")
    assert result.returncode == 0, result.stderr
    assert "5 entries" in result.stderr


def test_edited_entry_is_named(session, db_url, tmp_path):
    _write(session)
    chain = _chain(session)
    session.execute(
        text("UPDATE audit_log SET action = 'nothing.happened' WHERE chain = :c AND n = 3"), {"c": chain}
    )
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and (broken.chain, broken.n) == (chain, 3)
    result = _cli(db_url, tmp_path, "verify")
    assert result.returncode == 1
    assert "entry 3" in result.stderr and "edited" in result.stderr


def test_deleted_entry_is_named(session):
    _write(session)
    chain = _chain(session)
    session.execute(text("DELETE FROM audit_log WHERE chain = :c AND n = 2"), {"c": chain})
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.n == 2 and "missing" in broken.reason


def test_inserted_entry_is_named(session):
    """A row slipped in (with a fresh hash) between two entries breaks the positions and the link."""
    _write(session)
    chain = _chain(session)
    session.execute(text("UPDATE audit_log SET n = -n WHERE chain = :c AND n >= 3"), {"c": chain})
    session.execute(text("UPDATE audit_log SET n = 1 - n WHERE chain = :c AND n < 0"), {"c": chain})
    e = session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.chain == chain, audit.AuditEntry.n == 2)
    ).one()
    fake = audit.AuditEntry(
        seq=10_000, chain=chain, n=3, at=e.at, actor="official:ke-gian", action="resident.read",
        subject_type="resident", subject_id="046190000099", detail="{}", ip="", prev_hash=e.hash,
    )  # fmt: skip
    fake.hash = audit.entry_hash(fake)
    session.add(fake)
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.chain == chain and broken.n in (3, 4)


def test_rehashed_forgery_still_breaks_the_next_link(session):
    """Recomputing the edited row's own hash does not help: the next entry points at the old one."""
    _write(session)
    chain = _chain(session)
    entry = session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.chain == chain, audit.AuditEntry.n == 2)
    ).one()
    entry.detail = '{"reason":"forged"}'
    entry.hash = audit.entry_hash(entry)
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.n == 3


def test_secrets_are_refused_in_details(session):
    with pytest.raises(ValueError, match="secrets"):
        audit.record(session, OFFICIAL, "login.failed", "official", "x", {"password": "hunter2"})


def test_entries_deleted_from_the_end_are_caught_by_the_head(session, db_url, tmp_path):
    _write(session)
    chain = _chain(session)
    session.execute(text("DELETE FROM audit_log WHERE chain = :c AND n >= 4"), {"c": chain})
    session.commit()
    count, broken = audit.verify(session)
    assert count == 3 and broken is not None and broken.n == 4
    assert "4 to 5" in broken.reason
    result = _cli(db_url, tmp_path, "verify")
    assert result.returncode == 1 and "missing" in result.stderr


def test_a_lost_head_is_named(session):
    _write(session, 3)
    session.execute(text("DELETE FROM audit_head"))
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and "head" in broken.reason and "missing" in broken.reason


# ---------------------------------------------------------------------------- signed checkpoints


def test_cut_tail_with_the_head_moved_back_is_caught_by_the_checkpoint(session, key):
    _write(session)
    _checkpoint(session, key)
    chain = _chain(session)
    last3 = session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.chain == chain, audit.AuditEntry.n == 3)
    ).one()
    session.execute(text("DELETE FROM audit_log WHERE chain = :c AND n > 3"), {"c": chain})
    session.execute(
        text("UPDATE audit_head SET n = 3, seq = :s, hash = :h, prev = :p WHERE id = :c"),
        {"s": last3.seq, "h": last3.hash, "p": last3.prev_hash, "c": chain},
    )
    session.commit()
    report = audit.verify_log(session, key=key)
    assert not report.intact
    assert "signed checkpoint" in report.breaks[0].reason and "4 to 5" in report.breaks[0].reason


def test_a_chain_recomputed_from_scratch_is_caught(session, key):
    """Every hash rewritten after an edit: the chain is consistent, but not the one that was signed."""
    _write(session)
    _checkpoint(session, key)
    chain = _chain(session)
    entries = session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.chain == chain).order_by(audit.AuditEntry.n)
    ).all()
    entries[1].subject_id = "046190000042"
    prev = audit.GENESIS
    for e in entries:
        e.prev_hash = prev
        e.hash = audit.entry_hash(e)
        prev = e.hash
    session.execute(text("UPDATE audit_head SET hash = :h WHERE id = :c"), {"h": prev, "c": chain})
    session.commit()
    report = audit.verify_log(session, key=key)
    assert not report.intact and "rewritten" in report.breaks[0].reason


def test_a_removed_chain_is_caught(session, key):
    _write(session, 3)
    _checkpoint(session, key)
    chain = _chain(session)
    session.execute(text("DELETE FROM audit_log WHERE chain = :c"), {"c": chain})
    session.execute(text("DELETE FROM audit_head WHERE id = :c"), {"c": chain})
    session.commit()
    report = audit.verify_log(session, key=key)
    assert not report.intact and "missing" in report.breaks[0].reason


def test_an_emptied_log_is_caught_by_an_exported_checkpoint(session, key, db_url, tmp_path):
    """Delete everything, checkpoints too: the log 'verifies' as empty, except against a checkpoint
    kept outside the database (an exported file, the periodic report, the last verification)."""
    _write(session)
    exported = tmp_path / "head.json"
    key_file = tmp_path / "keys" / "audit-ed25519.pem"  # the CLI's, under HUE06_DATA_DIR
    assert _cli(db_url, tmp_path, "checkpoint", "--out", str(exported)).returncode == 0
    kept = audit.Checkpoint.from_json(exported.read_text())
    assert kept.entries == 5
    for table in ("audit_log", "audit_head", "audit_checkpoint"):
        session.execute(text(f"DELETE FROM {table}"))
    session.commit()
    assert audit.verify(session) == (0, None)  # on its own, an empty log looks intact
    report = audit.verify_log(session, key=audit.CheckpointKey.load(key_file), anchors=[kept])
    assert not report.intact and "outside the database" in report.breaks[0].reason
    result = _cli(db_url, tmp_path, "verify", "--head", str(exported), "--key", str(key_file))
    assert result.returncode == 1 and "missing" in result.stderr


def test_the_last_verification_is_an_anchor_too(session, db_url, tmp_path):
    _write(session)
    assert _cli(db_url, tmp_path, "checkpoint").returncode == 0
    assert _cli(db_url, tmp_path, "verify").returncode == 0
    for table in ("audit_log", "audit_head", "audit_checkpoint"):
        session.execute(text(f"DELETE FROM {table}"))
    session.commit()
    result = _cli(db_url, tmp_path, "verify", "--full")
    assert result.returncode == 1 and "missing" in result.stderr


def test_edited_deleted_or_foreign_checkpoints_are_named(session, key, tmp_path):
    _write(session, 2)
    _checkpoint(session, key)
    _write(session, 2, "b")
    _checkpoint(session, key)
    _write(session, 1, "c")
    _checkpoint(session, key)
    assert audit.verify_log(session, key=key).intact
    session.execute(text("UPDATE audit_checkpoint SET entries = 99 WHERE id = 2"))
    session.commit()
    assert "edited" in audit.verify_log(session, key=key).breaks[0].reason
    session.execute(text("DELETE FROM audit_checkpoint WHERE id = 2"))
    session.commit()
    assert "checkpoint 2 is missing" in audit.verify_log(session, key=key).breaks[0].reason
    other = audit.CheckpointKey.load(tmp_path / "other.pem")
    assert "not the platform's" in audit.verify_log(session, key=other).breaks[0].reason


def test_the_public_half_of_the_key_is_enough_to_verify(session, key, tmp_path):
    _write(session, 2)
    _checkpoint(session, key)
    public = tmp_path / "audit.pub.pem"
    public.write_text(key.public_pem())
    verifier = audit.CheckpointKey.load(public, create=False)
    assert verifier.key_id == key.key_id
    assert audit.verify_log(session, key=verifier).intact
    with pytest.raises(ValueError, match="public half"):
        audit.checkpoint(session, verifier, only_if_changed=False)


def test_no_new_checkpoint_when_nothing_was_appended(session, key):
    _write(session, 2)
    assert audit.checkpoint(session, key) is not None
    session.commit()
    assert audit.checkpoint(session, key) is None


def test_reordering_across_chains_is_caught(session):
    """Two entries' global order swapped: both hashes cover `seq`, so both are edited."""
    _write(session, 3)
    chain = _chain(session)
    a, b = session.scalars(
        select(audit.AuditEntry.seq)
        .where(audit.AuditEntry.chain == chain)
        .order_by(audit.AuditEntry.n)
        .limit(2)
    ).all()
    session.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = :a"), {"a": a})
    session.execute(text("UPDATE audit_log SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
    session.execute(text("UPDATE audit_log SET seq = :b WHERE seq = -1"), {"b": b})
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.n in (1, 2)


def test_verification_resumes_where_the_last_one_stopped(session, key):
    _write(session, 4)
    _checkpoint(session, key)
    first = audit.verify_log(session, key=key)
    assert first.intact and first.entries == 4
    _write(session, 2, "b")
    _checkpoint(session, key)
    second = audit.verify_log(session, key=key, since=first.state)
    assert second.intact and second.entries == 2 and second.checkpoints == 1
    chain = _chain(session)
    session.execute(
        text("UPDATE audit_log SET hash = :h WHERE chain = :c AND n = 6"), {"h": "f" * 64, "c": chain}
    )
    session.commit()
    third = audit.verify_log(session, key=key, since=second.state)
    assert not third.intact and "changed since the last verification" in third.breaks[0].reason


# ---------------------------------------------------------------------------- concurrency


def _append_many(url: str, n: int, tag: str) -> None:
    """One writer process: appends, with every seventh transaction rolled back."""
    eng = make_engine(url)
    factory = make_sessionmaker(eng)
    for i in range(n):
        with factory() as s:
            audit.record(s, f"system:{tag}", "stress", "x", str(i), {"i": i})
            if i % 3 == 0:
                audit.record(s, f"system:{tag}", "stress.second", "x", str(i), {"i": i})
            if i % 7 == 0:
                s.rollback()
            else:
                s.commit()
    eng.dispose()


def test_concurrent_writers_in_several_processes_keep_verifiable_chains(session, db_url, key):
    """Four server processes appending at once (some rolling back): no forked chain, no gap, no loss."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(db_url, 60, f"p{k}")) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    _checkpoint(session, key)
    report = audit.verify_log(session, key=key)
    assert report.intact, report.breaks
    kept = [i for i in range(60) if i % 7]
    assert report.entries == 4 * (len(kept) + len([i for i in kept if i % 3 == 0]))
    # Both entries of one transaction sit next to each other in one chain.
    for first in session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "stress").limit(40)
    ):
        if int(first.subject_id) % 3 == 0:
            second = session.scalars(
                select(audit.AuditEntry).where(
                    audit.AuditEntry.action == "stress.second",
                    audit.AuditEntry.actor == first.actor,
                    audit.AuditEntry.subject_id == first.subject_id,
                )
            ).one()
            assert (second.chain, second.n) == (first.chain, first.n + 1)


def test_two_open_transactions_append_without_waiting_for_each_other(backend, session_factory):
    """What the single chain head could not do: a second writer is not held up by the first."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time by design (BEGIN IMMEDIATE)")
    first = session_factory()
    audit.record(first, OFFICIAL, "resident.read", "resident", "1")  # holds its chain's head, uncommitted
    done: list[int] = []

    def second_writer() -> None:
        with session_factory() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            audit.record(s, OFFICIAL, "resident.read", "resident", "2")
            s.commit()
            done.append(1)

    t = threading.Thread(target=second_writer)
    t.start()
    t.join(timeout=10)
    first.commit()
    first.close()
    assert done == [1]
    with session_factory() as s:
        chains = s.scalars(select(audit.AuditEntry.chain)).all()
        assert len(set(chains)) == 2 and audit.verify(s) == (2, None)


# ---------------------------------------------------------------------------- migration


def test_the_migration_keeps_an_existing_log_as_chain_zero(tmp_path):
    """A log written before chains: its entries stay verifiable, and new ones start a chain of their own."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "core0002")  # as it was with one chain
    engine = make_engine(url)
    with engine.begin() as conn:
        prev = audit.GENESIS
        for seq in range(1, 5):
            e = audit.AuditEntry(
                seq=seq, chain=0, n=seq, at=utcnow(), actor="system:old", action="old",
                subject_type="", subject_id=str(seq), detail="{}", ip="", prev_hash=prev,
            )  # fmt: skip
            e.hash = audit.entry_hash(e)
            conn.execute(
                text(
                    "INSERT INTO audit_log (seq, at, actor, action, subject_type, subject_id, detail, ip, prev_hash, hash)"
                    " VALUES (:seq, :at, :actor, :action, '', :sid, '{}', '', :prev, :hash)"
                ),
                {"seq": seq, "at": e.at.replace(tzinfo=None).isoformat(sep=" "), "actor": e.actor, "action": e.action,
                 "sid": e.subject_id, "prev": prev, "hash": e.hash},
            )  # fmt: skip
            prev = e.hash
        conn.execute(text("UPDATE audit_head SET seq = 4, hash = :h WHERE id = 1"), {"h": prev})
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        assert audit.verify(s) == (4, None)
        _write(s, 2)
        assert audit.verify(s) == (6, None)
        assert sorted(h[0] for h in audit.heads(s)) == [0, 1]
    engine.dispose()
