"""Data-quality benchmark (issue 4): verify a generated health-insurance file against the register.

Targets: on 1.14 million rows against the 1.15-million register with 5 % of IDs missing or
unusable, automatic decisions on the ID-less rows with precision ≥ 99.5 % and recall ≥ 98 %, and
≥ 99.9 % / 99.9 % once the review band is decided (the review is simulated with the truth: an
official confirms the true person when the screen shows them — the proposed person or one of the
close candidates beside — and rejects otherwise); the whole run in ≤ 3 minutes; memory < 8 GB.

Also reported: precision and recall by error type and by family-name frequency band; two
baselines on the same rows (exact ID only; Splink with a generic configuration — whole-name
Jaro-Winkler, no Vietnamese handling, trained the usual way); and the time of running Splink
alone over every row, against our staged pipeline.

    .venv/bin/python bench/bench_quality.py [--residents 1150000] [--rows 1140000] [--missing-id-rate 0.05]
        [--db sqlite:///var/bench/quality-1150000.db] [--seed 6] [--skip-baselines] [--skip-splink-all]

The register database is built once (synthetic province) and reused by later runs.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import logging
import platform
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hue06.core.db import make_engine, make_sessionmaker
from hue06.core.migrate import upgrade
from hue06.core.security import SYSTEM
from hue06.quality import reports, service
from hue06.quality.linkage import DuckLinker, Thresholds
from hue06.registry import service as registry
from hue06.registry.models import Resident
from hue06.synth import sector
from hue06.synth.province import build_province

UNUSABLE = sector.UNUSABLE_ID
TARGET_SECONDS = 180
TARGET_MEMORY_GB = 8


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def peak_children_gb() -> float:
    """The largest child process (the register loads in one while the file is standardised)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20


def ensure_register(url: str, residents: int, seed: int) -> float:
    upgrade(url)
    engine = make_engine(url, immediate=False)
    with make_sessionmaker(engine)() as s:
        have = s.scalar(select(func.count()).select_from(Resident)) or 0
    engine.dispose()
    if have == residents:
        return 0.0
    if have:
        sys.exit(f"{url} holds {have} residents, not {residents}: use another --db")
    started = time.perf_counter()
    build_province(url, residents, seed)
    return time.perf_counter() - started


def generate(url: str, rows: int, rate: float, seed: int, out: Path, truth: Path) -> None:
    engine = make_engine(url, immediate=False)
    with make_sessionmaker(engine)() as s:
        people = sector.load_people(registry.iter_register(s))
    engine.dispose()
    sector.write_sector(people, "health_insurance", rows, rate, seed, out, truth)


def run_pipeline(url: str, data_path: Path, result_path: Path) -> tuple[service.RunReport, float]:
    """What `hue06 quality verify` does, timed end to end (file read to results written)."""
    engine_read = make_engine(url, immediate=False)
    engine_write = make_engine(url)
    started = time.perf_counter()
    data = data_path.read_bytes()
    with make_sessionmaker(engine_read)() as read, make_sessionmaker(engine_write)() as write:
        prepared = service.prepare(data, data_path.name, "health_insurance", session=read)
        report = service.verify(read, prepared, "health_insurance", SYSTEM, write=write)
        write.commit()
    reports.write_result_csv(report.rows, result_path)
    seconds = time.perf_counter() - started
    engine_read.dispose()
    engine_write.dispose()
    return report, seconds


# --------------------------------------------------------------------------- evaluation


def load_truth(path: Path) -> dict[int, dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return {
            int(r["row"]): {"pid": r["personal_id"], "errors": set(filter(None, r["error_types"].split(";")))}
            for r in csv.DictReader(fh)
        }


class Score:
    """Precision and recall of links on a set of rows: a link is a row given a person."""

    def __init__(self) -> None:
        self.rows = self.links = self.correct = self.in_register = 0

    def add(self, truth_pid: str, got: str | None) -> None:
        self.rows += 1
        if truth_pid:
            self.in_register += 1
        if got:
            self.links += 1
            self.correct += got == truth_pid

    @property
    def precision(self) -> float:
        return self.correct / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.in_register if self.in_register else 1.0

    def fmt(self) -> str:
        return f"P={100 * self.precision:.2f}% R={100 * self.recall:.2f}% (links {self.links}, in register {self.in_register})"


def reviewed(r: dict[str, Any], truth_pid: str) -> str | None:
    """The simulated official: confirms the true person if the screen shows them, else rejects."""
    shown = {r["personal_id"]} | {a[0] for a in json.loads(r["data"] or "{}").get("alternatives", []) if a[0]}
    return truth_pid if truth_pid and truth_pid in shown else None


def evaluate(
    report: service.RunReport, truth: dict[int, dict[str, Any]], family_band: dict[str, str]
) -> dict:
    auto, after = Score(), Score()
    by_error: dict[str, tuple[Score, Score]] = collections.defaultdict(lambda: (Score(), Score()))
    by_band: dict[str, tuple[Score, Score]] = collections.defaultdict(lambda: (Score(), Score()))
    all_rows = Score()
    review_rows = 0
    status_right = collections.Counter()
    for r in report.rows:
        t = truth[r["row"]]
        got = r["personal_id"] if r["status"] not in ("review", "invalid") else None
        all_rows.add(t["pid"], got)
        expected = "deceased" if "deceased" in t["errors"] else None
        status_right[
            "duplicate_found" if "duplicate" in t["errors"] and r["status"] == "duplicate" else "_"
        ] += 1
        if expected and r["status"] in ("deceased", "duplicate"):
            status_right["deceased_found"] += 1
        if not t["errors"] & UNUSABLE:
            continue
        final = reviewed(r, t["pid"]) if r["status"] == "review" else got
        review_rows += r["status"] == "review"
        auto.add(t["pid"], got)
        after.add(t["pid"], final)
        for e in t["errors"] - UNUSABLE or {"(none)"}:
            by_error[e][0].add(t["pid"], got)
            by_error[e][1].add(t["pid"], final)
        band = family_band.get(t["pid"], "not in register")
        by_band[band][0].add(t["pid"], got)
        by_band[band][1].add(t["pid"], final)
    dup_total = sum(1 for t in truth.values() if "duplicate" in t["errors"])
    dead_total = sum(1 for t in truth.values() if "deceased" in t["errors"])
    return {
        "auto": auto,
        "after": after,
        "by_error": by_error,
        "by_band": by_band,
        "review_rows": review_rows,
        "all_rows": all_rows,
        "duplicates": (status_right["duplicate_found"], dup_total),
        "deceased": (status_right["deceased_found"], dead_total),
    }


def family_bands(url: str) -> tuple[dict[str, str], dict[str, int]]:
    """Each resident's family-name frequency band in the register."""
    engine = make_engine(url, immediate=False)
    counts: collections.Counter[str] = collections.Counter()
    fam: dict[str, str] = {}
    with make_sessionmaker(engine)() as s:
        for batch in registry.iter_register(s):
            for r in batch:
                counts[r["family_name"]] += 1
                fam[r["personal_id"]] = r["family_name"]
    engine.dispose()
    total = sum(counts.values())
    band_of = {}
    for name, n in counts.items():
        share = n / total
        band_of[name] = (
            "≥ 10 % (Nguyễn)"
            if share >= 0.10
            else "1–10 %"
            if share >= 0.01
            else "0.1–1 %"
            if share >= 0.001
            else "< 0.1 % (rare)"
        )
    sizes = collections.Counter(band_of[f] for f in fam.values())
    return {pid: band_of[f] for pid, f in fam.items()}, dict(sizes)


# --------------------------------------------------------------------------- baselines


def baseline_exact_id_from_file(
    data_path: Path, truth: dict[int, dict[str, Any]], register_ids: set[str]
) -> tuple[Score, Score]:
    """Exact ID only, read straight from the file's ID column: the ID itself, if the register has it
    (on the ID-less rows, and on every row)."""
    from hue06.quality import mapping as mp
    from hue06.quality.importers import read_file
    from hue06.quality.standardise import standardise

    imported = read_file(data_path)
    table = standardise(imported, mp.recognised(imported))
    score, every = Score(), Score()
    for uid, key in zip(table.columns["uid"], table.columns["id_key"], strict=True):
        t = truth[uid]
        got = key if key in register_ids else None
        every.add(t["pid"], got)
        if t["errors"] & UNUSABLE:
            score.add(t["pid"], got)
    return score, every


def baseline_generic_splink(
    url: str, data_path: Path, truth: dict[int, dict[str, Any]], thresholds: Thresholds
) -> tuple[Score, Score, float]:
    """Splink as one would first configure it: the whole name with Jaro-Winkler, the name as typed
    (lower case, no mark folding, no tone normalisation, no name parts), date of birth by
    Levenshtein on its text, gender, commune; trained with random-sampling u and EM."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on
    from splink import comparison_library as cl

    from hue06.quality import mapping as mp
    from hue06.quality.importers import read_file
    from hue06.quality.standardise import standardise

    started = time.perf_counter()
    imported = read_file(data_path)
    table = standardise(imported, mp.recognised(imported))
    c = table.columns
    idless = [i for i, uid in enumerate(c["uid"]) if truth[uid]["errors"] & UNUSABLE]
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '6GB'")
    con.register(
        "left_arrow",
        pa.table(
            {
                "uid": [c["uid"][i] for i in idless],
                "name": [(c["name_raw"][i] or "").lower().strip() or None for i in idless],
                "dob": [
                    (
                        c["dob"][i].isoformat()
                        if c["dob"][i]
                        else (str(c["dob_y"][i]) if c["dob_y"][i] else None)
                    )
                    for i in idless
                ],
                "gender": [c["gender"][i] for i in idless],
                "commune": [c["commune_now"][i] for i in idless],
            }
        ),
    )
    con.execute("CREATE TABLE l AS SELECT * FROM left_arrow")
    engine = make_engine(url, immediate=False)
    uid_pid: dict[int, str] = {}
    first = True
    with make_sessionmaker(engine)() as s:
        for batch in registry.iter_register(s):
            con.register(
                "b",
                pa.table(
                    {
                        "uid": [r["id"] for r in batch],
                        "name": [r["full_name"].lower() for r in batch],
                        "dob": [r["date_of_birth"].isoformat() for r in batch],
                        "gender": [r["gender"] for r in batch],
                        "commune": [r["current_commune_code"] for r in batch],
                    }
                ),
            )
            con.execute(("CREATE TABLE r AS " if first else "INSERT INTO r ") + "SELECT * FROM b")
            con.unregister("b")
            first = False
            uid_pid.update((r["id"], r["personal_id"]) for r in batch)
    engine.dispose()
    db_api = DuckDBAPI(connection=con)
    left, right = db_api.register("l", table_name="gl"), db_api.register("r", table_name="gr")
    settings = {
        "link_type": "link_only",
        "unique_id_column_name": "uid",
        "comparisons": [
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("dob", [1, 2]),
            cl.ExactMatch("gender"),
            cl.ExactMatch("commune"),
        ],
        "blocking_rules_to_generate_predictions": [
            block_on("name"),
            block_on("dob"),
            block_on("substr(name, 1, 4)", "substr(dob, 1, 4)"),
        ],
        "probability_two_random_records_match": 1 / con.execute("SELECT count(*) FROM r").fetchall()[0][0],
    }
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=2e6, seed=1, num_chunks=1, min_count_per_level=None
    )
    for rule in (block_on("dob"), block_on("name")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    preds = linker.inference.predict(threshold_match_probability=0.01)
    best: dict[int, tuple[int, float]] = {}
    for uid_l, uid_r, p in con.execute(
        f"SELECT uid_l, uid_r, match_probability FROM {preds.physical_name} "
        "ORDER BY uid_l, match_probability DESC"
    ).fetchall():
        best.setdefault(uid_l, (uid_r, p))
    seconds = time.perf_counter() - started
    auto, after = Score(), Score()
    for i in idless:
        uid = c["uid"][i]
        t = truth[uid]
        cand = best.get(uid)
        got = uid_pid[cand[0]] if cand and cand[1] >= thresholds.link else None
        auto.add(t["pid"], got)
        shown = uid_pid[cand[0]] if cand and cand[1] >= thresholds.review else None
        after.add(t["pid"], t["pid"] if shown and shown == t["pid"] else got)
    con.close()
    return auto, after, seconds


def splink_over_every_row(url: str, data_path: Path, truth: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Our Splink model and blocking alone over every row of the file, IDs ignored: what a
    linkage-only pipeline costs and gets, set beside the staged one."""
    from splink import DuckDBAPI, Linker

    from hue06.quality import mapping as mp
    from hue06.quality.importers import read_file
    from hue06.quality.linkage import TF_COLUMNS, settings
    from hue06.quality.standardise import standardise

    t0 = time.perf_counter()
    imported = read_file(data_path)
    table = standardise(imported, mp.recognised(imported))
    linker = DuckLinker()
    engine = make_engine(url, immediate=False)
    with make_sessionmaker(engine)() as s:
        linker.load_register(registry.iter_register(s))
    engine.dispose()
    linker.load_rows(table.columns)
    t1 = time.perf_counter()
    con = linker.con
    db_api = DuckDBAPI(connection=con)
    inp = db_api.register("inp", table_name="all_inp")
    reg = db_api.register("reg_link", table_name="all_reg")
    lk = Linker([inp, reg], settings(linker.register_size), log_level=logging.WARNING)
    for col in TF_COLUMNS:
        lk.table_management.register_term_frequency_lookup(
            db_api.register(f"tf_{col}", table_name=f"all_tf_{col}"), col
        )
    lk.training.estimate_u_using_random_sampling(
        max_pairs=2e6, seed=6, num_chunks=1, min_count_per_level=None
    )
    preds = lk.inference.predict_between(inp, reg, threshold_match_weight=-10, warning_mode="never")
    best = con.execute(f"""
        SELECT p.uid_l, r.id_key, p.match_probability FROM (
            SELECT uid_l, uid_r, match_probability,
                   row_number() OVER (PARTITION BY uid_l ORDER BY match_weight DESC) AS rk
            FROM {preds.physical_name}) p JOIN reg r ON r.uid = p.uid_r WHERE p.rk = 1
    """).fetchall()
    t2 = time.perf_counter()
    linker.close()
    score = Score()
    got = {uid: pid for uid, pid, p in best if p >= Thresholds().link}
    for uid, t in truth.items():
        score.add(t["pid"], got.get(uid))
    return {"prepare": t1 - t0, "link": t2 - t1, "score": score}


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=1_150_000)
    ap.add_argument("--rows", type=int, default=1_140_000)
    ap.add_argument("--missing-id-rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--db", default=None, help="Register database (built once, then reused).")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--skip-splink-all", action="store_true")
    args = ap.parse_args()
    url = args.db or f"sqlite:///{Path('var/bench').resolve() / f'quality-{args.residents}.db'}"
    print(
        f"hue06 quality benchmark — {date.today()} — {platform.machine()}, Python {platform.python_version()}"
    )
    built = ensure_register(url, args.residents, args.seed)
    if built:
        print(f"register built: {args.residents:,} residents in {built:.0f} s")
    with tempfile.TemporaryDirectory(prefix="hue06-bench-quality-") as tmp:
        data, truth_path, result = Path(tmp) / "bhyt.csv", Path(tmp) / "truth.csv", Path(tmp) / "result.csv"
        started = time.perf_counter()
        generate(url, args.rows, args.missing_id_rate, args.seed, data, truth_path)
        print(
            f"sector file: {args.rows:,} rows ({data.stat().st_size / 2**20:.0f} MB) generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        report, seconds = run_pipeline(url, data, result)
        memory = peak_rss_gb()
        truth = load_truth(truth_path)
        bands, band_sizes = family_bands(url)
        ev = evaluate(report, truth, bands)
        t = Thresholds()
        print(
            f"\nwhole run: {seconds:.1f} s (target ≤ {TARGET_SECONDS} s) — peak memory {memory:.2f} GB "
            f"+ {peak_children_gb():.2f} GB in the register-loading process (target < {TARGET_MEMORY_GB} GB)"
        )
        print("  stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items()))
        print("  " + report.summary_vi[0])
        print("  statuses: " + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))
        idless = sum(1 for x in truth.values() if x["errors"] & UNUSABLE)
        print(f"\nID-less rows: {idless:,} (thresholds: link ≥ {t.link}, review ≥ {t.review})")
        print(f"  automatic decisions:     {ev['auto'].fmt()}   (target P ≥ 99.5 %, R ≥ 98 %)")
        print(f"  after the review band:   {ev['after'].fmt()}   (target 99.9 % / 99.9 %)")
        print(f"  review rows among them:  {ev['review_rows']:,}")
        print(f"  every row (person right): {ev['all_rows'].fmt()}")
        print(
            f"  duplicates flagged: {ev['duplicates'][0]}/{ev['duplicates'][1]}; deceased flagged: "
            f"{ev['deceased'][0]}/{ev['deceased'][1]}"
        )
        print("\n  by error type (ID-less rows)            automatic               after review")
        for name, (a, b) in sorted(ev["by_error"].items(), key=lambda kv: -kv[1][0].in_register):
            print(
                f"    {name:<22} n={a.rows:>6}  P={100 * a.precision:6.2f} "
                f"R={100 * a.recall:6.2f}   P={100 * b.precision:6.2f} R={100 * b.recall:6.2f}"
            )
        print("\n  by family-name frequency band (ID-less rows)")
        for name, (a, b) in sorted(ev["by_band"].items()):
            print(
                f"    {name:<22} n={a.rows:>6}  P={100 * a.precision:6.2f} R={100 * a.recall:6.2f}   "
                f"P={100 * b.precision:6.2f} R={100 * b.recall:6.2f}   (register: {band_sizes.get(name, 0):,})"
            )
        if not args.skip_baselines:
            engine = make_engine(url, immediate=False)
            with make_sessionmaker(engine)() as s:
                ids = {
                    pid for batch in registry.iter_register(s) for pid in (r["personal_id"] for r in batch)
                }
            engine.dispose()
            exact, exact_all = baseline_exact_id_from_file(data, truth, ids)
            print(f"\nbaseline, exact ID only (ID-less rows):   {exact.fmt()}")
            print(f"                         (every row):      {exact_all.fmt()}")
            auto_g, after_g, secs_g = baseline_generic_splink(url, data, truth, t)
            print(f"baseline, generic Splink (ID-less rows): automatic {auto_g.fmt()}")
            print(f"                                         after review {after_g.fmt()}  ({secs_g:.0f} s)")
        if not args.skip_splink_all:
            alone = splink_over_every_row(url, data, truth)
            ours = report.timings.get("match", 0.0)
            print(
                f"\nSplink alone over every row (IDs ignored): linkage {alone['link']:.0f} s (after {alone['prepare']:.0f} s "
                f"reading the file and the register); our staged matching {ours:.0f} s → ratio "
                f"{alone['link'] / ours:.1f}×; whole runs {alone['prepare'] + alone['link']:.0f} s vs {seconds:.0f} s"
            )
            print(
                f"  its decisions on every row (best candidate ≥ {Thresholds().link}): {alone['score'].fmt()}"
            )
        print(f"\npeak memory of the whole benchmark process: {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
