"""The audit log is append-only and hash-chained: any edit or deletion is caught and named."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from hue06.core import audit
from hue06.core.security import Actor

OFFICIAL = Actor(kind="official", id="canbo1", role="commune", unit_code="19750")


def _write(session, n: int = 5) -> None:
    for i in range(n):
        audit.record(session, OFFICIAL, "resident.read", "resident", f"04609000{i:04d}", {"reason": "test"})
    session.commit()


def _cli_verify(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hue06", "audit", "verify", "--db", db_url],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def test_intact_chain_verifies(session, db_url):
    _write(session)
    count, broken = audit.verify(session)
    assert (count, broken) == (5, None)
    result = _cli_verify(db_url)
    assert result.returncode == 0, result.stderr
    assert "5" in result.stderr


def test_edited_row_is_named(session, db_url):
    _write(session)
    session.execute(text("UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 3"))
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.seq == 3
    result = _cli_verify(db_url)
    assert result.returncode == 1
    assert "3" in result.stderr and "edited" in result.stderr


def test_deleted_row_is_named(session):
    _write(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.seq == 2


def test_rehashed_forgery_still_breaks_the_next_link(session):
    """Recomputing the edited row's own hash does not help: the next entry points at the old one."""
    _write(session)
    entry = session.get(audit.AuditEntry, 2)
    entry.detail = '{"reason":"forged"}'
    entry.hash = audit.entry_hash(entry)
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and broken.seq == 3


def test_secrets_are_refused_in_details(session):
    with pytest.raises(ValueError, match="secrets"):
        audit.record(session, OFFICIAL, "login.failed", "official", "x", {"password": "hunter2"})


def _append_many(url: str, n: int, tag: str) -> None:
    """One writer process: appends, with every seventh transaction rolled back."""
    from hue06.core.db import make_engine, make_sessionmaker

    eng = make_engine(url)
    factory = make_sessionmaker(eng)
    for i in range(n):
        with factory() as s:
            audit.record(s, f"system:{tag}", "stress", "x", str(i), {"i": i})
            if i % 7 == 0:
                s.rollback()
            else:
                s.commit()
    eng.dispose()


def test_concurrent_writers_in_several_processes_keep_one_chain(session, db_url):
    """Four server processes appending at once: no forked chain, no gap, no lost entry."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(db_url, 60, f"p{k}")) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    count, broken = audit.verify(session)
    assert broken is None
    assert count == 4 * (60 - len(range(0, 60, 7)))


def test_entries_deleted_from_the_end_are_caught(session, db_url):
    """The links between entries cannot show that the newest ones are gone; the chain head can."""
    _write(session)
    session.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    session.commit()
    count, broken = audit.verify(session)
    assert count == 3 and broken is not None and broken.seq == 4
    assert "4 to 5" in broken.reason
    result = _cli_verify(db_url)
    assert result.returncode == 1 and "missing" in result.stderr


def test_appends_carry_on_from_the_head_and_a_lost_head_is_named(session):
    _write(session, 3)
    assert session.get(audit.AuditHead, 1).seq == 3
    _write(session, 2)
    assert audit.verify(session) == (5, None)
    session.execute(text("DELETE FROM audit_head"))
    session.commit()
    _, broken = audit.verify(session)
    assert broken is not None and "head is missing" in broken.reason


def test_the_migration_gives_an_existing_log_its_head(tmp_path):
    """A database written before the head existed: the upgrade takes its last entry as the head."""
    from alembic import command

    from hue06.core.db import make_engine, make_sessionmaker
    from hue06.core.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        _write(s, 4)
    engine.dispose()
    command.downgrade(alembic_config(url), "core0001")  # as it was before the head
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        assert s.get(audit.AuditHead, 1).seq == 4
        _write(s, 2)
        assert audit.verify(s) == (6, None)
    engine.dispose()
