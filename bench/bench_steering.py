"""Steering benchmark: import the province's report (target ≤ 5 s) and write it back (DOCX + PDF, ≤ 15 s).

Runs alone: `.venv/bin/python bench/bench_steering.py [--reference FILE] [--db URL] [--rounds N]`.
By default it uses a fresh SQLite file in a temporary folder and the reference report beside the
repository (../shared/reference/...), and prints every timing and the figures it computed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

IMPORT_TARGET_S = 5.0
REPORT_TARGET_S = 15.0
REFERENCE = "bao-cao-108-BC-BCD-2024-de-an-06-thua-thien-hue.txt"


def _default_reference() -> Path:
    env = os.environ.get("HUE06_REFERENCE_REPORT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "reference" / REFERENCE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", type=Path, default=_default_reference(), help="the report's text export"
    )
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--rounds", type=int, default=3, help="report generations to time (median reported)")
    args = parser.parse_args()
    if not args.reference.is_file():
        print(f"reference report not found: {args.reference} (use --reference or HUE06_REFERENCE_REPORT)")
        return 2

    from hue06.core.db import make_engine, make_sessionmaker, session_scope
    from hue06.core.migrate import upgrade
    from hue06.steering import service
    from hue06.steering.checks import check_report
    from hue06.steering.importers import parse_report
    from hue06.steering.report import build_report, parse_period, render_docx, render_pdf

    period = parse_period("2024-H1")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench-steering.db'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        text = args.reference.read_text(encoding="utf-8")

        t0 = time.perf_counter()
        parsed = parse_report(text, source_name=args.reference.name)
        t1 = time.perf_counter()
        mismatches = check_report(parsed)
        t2 = time.perf_counter()
        with session_scope(factory) as session:
            outcome = service.import_report(session, text, source_name=args.reference.name)
        t3 = time.perf_counter()
        import_s = t3 - t2 + (t1 - t0)  # read + store (the stored import parses and checks again inside)

        docx_times, pdf_times, total_times = [], [], []
        generated = None
        for _ in range(max(1, args.rounds)):
            with session_scope(factory) as session:
                s0 = time.perf_counter()
                data = service.report_data(session, period, date(2024, 7, 10))
                meta = service.report_meta(session, period, date(2024, 7, 10), "108")
                document = build_report(data, meta, period)
                docx = render_docx(document)
                s2 = time.perf_counter()
                pdf = render_pdf(document)
                s3 = time.perf_counter()
            docx_times.append(s2 - s0)
            pdf_times.append(s3 - s2)
            total_times.append(s3 - s0)
            generated = (document, len(docx), len(pdf))
        engine.dispose()

    assert generated is not None
    document, docx_size, pdf_size = generated
    report_s = statistics.median(total_times)
    f = document.figures
    print("== steering benchmark")
    print(f"reference: {args.reference.name} ({len(text):,} characters, {text.count(chr(10)) + 1} lines)")
    print(f"database: {url.split('://')[0]}")
    print(
        f"parse: {t1 - t0:.3f} s   checks: {t2 - t1:.3f} s   import into the database (parse+check+store): "
        f"{t3 - t2:.3f} s"
    )
    print(
        f"import total: {import_s:.3f} s  (target ≤ {IMPORT_TARGET_S:.0f} s)  "
        f"{'OK' if import_s <= IMPORT_TARGET_S else 'TOO SLOW'}"
    )
    print(
        f"report DOCX: median {statistics.median(docx_times):.3f} s ({docx_size:,} bytes)   "
        f"PDF: median {statistics.median(pdf_times):.3f} s ({pdf_size:,} bytes)   rounds: {len(total_times)}"
    )
    print(
        f"report total (DOCX+PDF): {report_s:.3f} s  (target ≤ {REPORT_TARGET_S:.0f} s)  "
        f"{'OK' if report_s <= REPORT_TARGET_S else 'TOO SLOW'}"
    )
    print(
        f"imported: {outcome.counts['tasks']} task rows (report states {outcome.stated.get('tasks_total')}), "
        f"{outcome.counts['services25']} + {outcome.counts['services28']} services, {outcome.counts['models']} "
        f"models, {outcome.counts['hanoi_models']} Hanoi models, {outcome.counts['r175_tasks']} Resolution 175 tasks"
    )
    print(
        f"tasks: completed {f['tasks_completed']}, recurring {f['tasks_recurring']}, in progress "
        f"{f['tasks_in_progress']}, behind {f['tasks_behind']}, overdue on 10/07/2024 {f['tasks_overdue']}"
    )
    print(
        f"25 services: {f['dossiers_online']:,} online / {f['dossiers_total']:,} dossiers = "
        f"{f['dossiers_online_rate']}%, on time {f['dossiers_on_time']:,}, overdue {f['dossiers_overdue']:,}"
    )
    print(
        f"models: {f['models_deployed']}/{f['models_total']} deployed, {f['models_not_started']} not started; "
        f"Hanoi models {f['hanoi_deployed']} deployed, {f['hanoi_studying']} studied"
    )
    print(f"mismatches found: {len(mismatches)}")
    ok = import_s <= IMPORT_TARGET_S and report_s <= REPORT_TARGET_S
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
