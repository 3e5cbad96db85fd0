"""Register load benchmark: generate and load the synthetic province into SQLite and PostgreSQL.

Targets (issue 2): 1.15 million residents in at most 3 minutes into SQLite, 5 into PostgreSQL.
The SQLite file goes to a temporary folder; PostgreSQL gets a scratch database
`hue06_bench_load_<pid>` that is dropped at the end. Each run is a fresh process state for the
database (schema created first, not timed), then `build_province` is timed end to end:
generation, bulk load in one transaction, index rebuild, ANALYZE, audit entry.

    .venv/bin/python bench/bench_registry_load.py [--residents 1150000] [--seed 6] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hue06.core.db import normalize_url
from hue06.core.migrate import upgrade
from hue06.synth.province import build_province

PG_ADMIN = normalize_url(os.environ.get("HUE06_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
TARGETS_S = {"sqlite": 180.0, "postgresql": 300.0}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_sqlite(residents: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="hue06-bench-") as tmp:
        path = Path(tmp) / "register.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        started = time.perf_counter()
        figures = build_province(url, residents, seed)
        figures["wall_seconds"] = round(time.perf_counter() - started, 1)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        figures["size_mb"] = round(size / 2**20)
    return figures


def run_postgresql(residents: int, seed: int) -> dict:
    name = f"hue06_bench_load_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        started = time.perf_counter()
        figures = build_province(url, residents, seed)
        figures["wall_seconds"] = round(time.perf_counter() - started, 1)
        with admin.connect() as conn:
            figures["size_mb"] = round(
                conn.execute(text("SELECT pg_database_size(:n)"), {"n": name}).scalar() / 2**20
            )
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                    "AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1_150_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)
    print(
        "load average before: {:.2f} {:.2f} {:.2f} (the machine is shared; figures depend on it)".format(
            *os.getloadavg()
        )
    )
    print(
        f"# bench_registry_load · {date.today():%d %b %Y} · {platform.machine()} · {os.cpu_count()} CPU · "
        f"Python {platform.python_version()} · {args.residents:,} residents, seed {args.seed}"
    )
    failed = False
    for backend, run in (("sqlite", run_sqlite), ("postgresql", run_postgresql)):
        if args.only and backend != args.only:
            continue
        try:
            f = run(args.residents, args.seed)
        except Exception as exc:  # a missing PostgreSQL server is reported, not hidden
            print(f"{backend:10}  FAILED: {type(exc).__name__}: {exc}")
            failed = True
            continue
        target = TARGETS_S[backend] * args.residents / 1_150_000
        ok = f["wall_seconds"] <= target
        failed |= not ok
        print(
            f"{backend:10}  total {f['wall_seconds']:6.1f} s (generate {f['generate_seconds']} s)  "
            f"target ≤ {target:.0f} s {'OK' if ok else 'MISSED'}  ·  {f['residents']:,} residents, "
            f"{f['households']:,} households, {f['digital_addresses']:,} digital addresses, "
            f"{f['deceased']:,} deceased  ·  {f['size_mb']} MB on disk  ·  "
            f"{f['residents'] / f['wall_seconds']:,.0f} residents/s"
        )
    print(f"peak RSS of this process: {_peak_rss_mb():.0f} MB")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
