"""Bad-input benchmark (issue 4): a 200,000-row sector file with 10 % broken rows.

The file is a generated health-insurance list in which one data line in ten is broken in one of
the ways real files break: cut short, shifted by a stray separator, a line of garbage, bytes in
another encoding, an impossible date, an ID with letters in it, no name and no ID. The run must
complete, keep every data row in its results, report what it could not use and why, and take no
longer than a clean file of the same size would.

    .venv/bin/python bench/bench_quality_broken.py [--rows 200000] [--residents 1150000] [--db URL]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_quality import ensure_register, generate, peak_rss_gb, run_pipeline

BREAKS = (
    "cut_short",
    "shifted",
    "garbage",
    "other_encoding",
    "impossible_date",
    "letters_in_id",
    "no_name_no_id",
)


def break_line(line: bytes, kind: str, rnd: random.Random) -> bytes:
    text = line.decode("utf-8")
    fields = text.split(",")
    if kind == "cut_short":
        return ",".join(fields[:3]).encode()
    if kind == "shifted":
        return ",".join([*fields[:2], "Nguyễn", *fields[2:]]).encode()
    if kind == "garbage":
        return rnd.choice(("#####", "=SUM(A1:A9)", "----------", "??? lỗi nhập liệu ???")).encode()
    if kind == "other_encoding":
        return text.encode("utf-16-le")[: 2 * len(text)]
    if kind == "impossible_date":
        return text.replace(fields[3], "32/13/1990", 1).encode()
    if kind == "letters_in_id":
        return (
            text.replace(fields[5], fields[5][:6] + "ABC" + fields[5][9:], 1).encode() if fields[5] else line
        )
    return ",".join([fields[0], fields[1], "", fields[3], fields[4], "", *fields[6:]]).encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--residents", type=int, default=1_150_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    url = args.db or f"sqlite:///{Path('var/bench').resolve() / f'quality-{args.residents}.db'}"
    print(f"hue06 quality bad-input benchmark — {date.today()}")
    ensure_register(url, args.residents, 6)
    rnd = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="hue06-bench-broken-") as tmp:
        clean, truth = Path(tmp) / "clean.csv", Path(tmp) / "truth.csv"
        generate(url, args.rows, 0.05, args.seed, clean, truth)
        raw = clean.read_bytes().removeprefix(b"\xef\xbb\xbf")
        lines = raw.split(b"\r\n")
        header_at = next(i for i, ln in enumerate(lines) if ln.startswith(b"STT,"))
        broken: collections.Counter[str] = collections.Counter()
        for i in range(header_at + 1, len(lines)):
            if lines[i] and rnd.random() < 0.10:
                kind = rnd.choice(BREAKS)
                lines[i] = break_line(lines[i], kind, rnd)
                broken[kind] += 1
        bad = Path(tmp) / "broken.csv"
        bad.write_bytes(b"\r\n".join(lines))
        print(
            f"file: {args.rows:,} data rows, {sum(broken.values()):,} broken ("
            + ", ".join(f"{k} {v:,}" for k, v in sorted(broken.items()))
            + ")"
        )
        report, seconds = run_pipeline(url, bad, Path(tmp) / "result.csv")
        print(f"run completed in {seconds:.1f} s, peak memory {peak_rss_gb():.2f} GB")
        print(f"  result rows: {len(report.rows):,} (every data row has one)")
        print("  " + "\n  ".join(report.summary_vi))
        print(
            "  invalid rows by reason: "
            + ", ".join(
                f"{k} {v:,}"
                for k, v in sorted(report.problems.items())
                if k in ("encoding", "csv", "columns", "no_key")
            )
        )
        print(
            "  softer problems: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(report.problems.items()) if ":" in k)
        )
        print(
            f"  lines reported as left out or invalid: {len(report.skipped):,} (first 500 kept with the run)"
        )
        for line, row, _vi, en in report.skipped[:5]:
            print(f"    line {line}{f' (row {row})' if row else ''}: {en}")


if __name__ == "__main__":
    main()
