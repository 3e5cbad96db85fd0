"""Audit log benchmark on PostgreSQL: what an append costs, appenders in parallel, verification speed.

1. **Append cost**: `--appends` transactions, each one `audit.record` and a commit, against the same
   transactions without the record; the difference in this process's CPU and in its PostgreSQL
   backend's CPU is the append's share of a request (target, issue 18: ≤ 0.3 ms).
2. **Parallel appenders**: `--writers` processes append as fast as they can for `--seconds`; entries
   per second against one writer alone. With one locked chain head the total stayed flat; with
   many chains it grows with the writers until the cores are full. Chains used are printed.
3. **Verification**: `--entries` entries written in bulk (valid chains over `--chains` chains,
   COPY), then `verify_log` over all of them with a signed checkpoint; entries per second, and the
   time 100 M entries would take at that rate (it grows linearly: every entry is hashed once).

    .venv/bin/python bench/bench_audit.py [--appends 3000] [--writers 4] [--seconds 10]
                                          [--entries 1000000] [--chains 16]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hue06.core import audit
from hue06.core.audit.chain import _fields_json, _suffix
from hue06.core.db import make_engine, make_sessionmaker, normalize_url
from hue06.core.migrate import upgrade
from hue06.core.security import Actor

PG_ADMIN = normalize_url(os.environ.get("HUE06_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
OFFICIAL = Actor(kind="official", id="bench", role="province", unit_code="46", ip="127.0.0.1")


def _backend_cpu(session) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds the session's PostgreSQL backend has used (same machine: /proc)."""
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def append_cost(url: str, n: int) -> dict[str, float]:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    results = {}
    with factory() as session:
        for label, with_record in (("bare", False), ("audited", True), ("bare2", False), ("audited2", True)):
            session.commit()
            cpu0, be0 = time.process_time(), _backend_cpu(session)
            session.commit()
            for i in range(n):
                session.execute(text("SELECT 1"))
                if with_record:
                    audit.record(
                        session, OFFICIAL, "resident.read", "resident", f"0460{i:08d}", {"purpose": "bench"}
                    )
                session.commit()
            results[label] = (time.process_time() - cpu0, _backend_cpu(session) - be0)
    engine.dispose()
    app_ms = (
        (results["audited"][0] + results["audited2"][0]) - (results["bare"][0] + results["bare2"][0])
    ) / (2 * n)
    db_ms = (
        (results["audited"][1] + results["audited2"][1]) - (results["bare"][1] + results["bare2"][1])
    ) / (2 * n)
    return {"app_ms": app_ms * 1000, "db_ms": db_ms * 1000}


def _writer(url: str, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    count, end = 0, time.monotonic() + seconds
    with factory() as session:
        while time.monotonic() < end:
            audit.record(session, OFFICIAL, "resident.read", "resident", str(count), {})
            session.commit()
            count += 1
    engine.dispose()
    out.put(count)


def parallel(url: str, writers: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, seconds, queue)) for _ in range(writers)]
    for p in procs:
        p.start()
    total = sum(queue.get(timeout=seconds + 60) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def bulk_entries(url: str, entries: int, chains: int) -> None:
    """Valid chains written with COPY (the hashes are those `record` would give)."""
    engine = create_engine(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        heads = {}
        with raw.cursor().copy(
            "COPY audit_log (seq, chain, n, at, actor, action, subject_type, subject_id, detail, ip, prev_hash, hash) "
            "FROM STDIN"
        ) as copy:
            for seq in range(1, entries + 1):
                chain = 1000 + seq % chains
                n, prev = heads.get(chain, (0, audit.GENESIS))
                n += 1
                at = start + timedelta(microseconds=seq * 1000)
                subject = f"0460{seq % 10_000_000:08d}"
                body = _fields_json(
                    at, "official:bench", "resident.read", "resident", subject, "{}", "127.0.0.1"
                )
                digest = hashlib.sha256((body + _suffix(chain, n, seq, prev)).encode()).hexdigest()
                copy.write_row(
                    [
                        seq,
                        chain,
                        n,
                        at,
                        "official:bench",
                        "resident.read",
                        "resident",
                        subject,
                        "{}",
                        "127.0.0.1",
                        prev,
                        digest,
                    ]
                )
                heads[chain] = (n, digest)
        for chain, (n, digest) in heads.items():
            conn.execute(
                text("INSERT INTO audit_head (id, n, seq, hash, prev) VALUES (:c, :n, 0, :h, '') "),
                {"c": chain, "n": n, "h": digest},
            )
        # seq of each head: its last entry's
        conn.execute(
            text(
                "UPDATE audit_head h SET seq = l.seq, prev = l.prev_hash FROM audit_log l "
                "WHERE l.chain = h.id AND l.n = h.n"
            )
        )
        conn.execute(text("SELECT setval('audit_log_seq', :s)"), {"s": entries + 1})
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appends", type=int, default=3000)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--chains", type=int, default=16)
    args = ap.parse_args()
    name = f"hue06_bench_audit_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    print(
        f"# hue06 audit benchmark · {platform.node()} · {os.cpu_count()} cores · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    try:
        upgrade(url)
        cost = append_cost(url, args.appends)
        print(
            f"append cost per entry: {cost['app_ms']:.3f} ms in the app + {cost['db_ms']:.3f} ms in PostgreSQL "
            f"(target ≤ 0.3 ms of the request's CPU)"
        )
        one = parallel(url, 1, args.seconds)
        many = parallel(url, args.writers, args.seconds)
        eng = create_engine(url)
        with eng.connect() as conn:
            chains = conn.execute(text("SELECT count(*) FROM audit_head")).scalar_one()
            conn.execute(text("TRUNCATE audit_log, audit_head, audit_checkpoint"))
            conn.commit()
        eng.dispose()
        print(
            f"appends/s: 1 writer {one:,.0f} · {args.writers} writers {many:,.0f} ({many / one:.2f}×), "
            f"{chains} chains opened"
        )
        t0 = time.perf_counter()
        bulk_entries(url, args.entries, args.chains)
        print(
            f"bulk-wrote {args.entries:,} entries in {args.chains} chains in {time.perf_counter() - t0:.1f} s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            key = audit.CheckpointKey.load(Path(tmp) / "k.pem")
            engine = make_engine(url)
            with make_sessionmaker(engine)() as session:
                audit.checkpoint(session, key)
                session.commit()
                t0 = time.perf_counter()
                report = audit.verify_log(session, key=key)
                took = time.perf_counter() - t0
                assert report.intact, report.breaks
                t1 = time.perf_counter()
                again = audit.verify_log(session, key=key, since=report.state)
                resumed = time.perf_counter() - t1
            engine.dispose()
        rate = report.entries / took
        print(
            f"verify --full: {report.entries:,} entries, {report.chains} chains in {took:.1f} s = {rate:,.0f} entries/s "
            f"→ 100 M entries ≈ {100e6 / rate / 60:.0f} min on one core; resumed run with nothing new: "
            f"{resumed * 1000:.0f} ms ({again.entries} entries)"
        )
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
