"""Verify a sector's file against the register, keep the run, and serve what officials need.

`verify` is the one atomic action: it reads the file and the register, matches, decides every
row's status, and writes the run, its rows and the audit entry in one transaction at the end (the
caller commits). A crash before that leaves nothing; the same file run again gives the same rows.

Jurisdiction: the run's totals are the province's business (province, auditor and admin roles
see them whole); a district or commune official sees only the rows, the per-commune lines and
the review items of their own communes, and the review screen never shows a register record
outside the official's communes (see docs/decisions/0007-quality-jurisdiction.md).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import admin_units, audit
from hue06.core.db import bulk_insert, utcnow
from hue06.core.errors import Forbidden, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.quality import mapping as mp
from hue06.quality.fields import FIELDS, SECTORS
from hue06.quality.importers import ImportedFile, no_data_rows, read_file
from hue06.quality.linkage import DuckLinker, MatchOutcome, RowMatch, Thresholds, register_to_duckdb_file
from hue06.quality.models import QualityRowResult, QualityRun, ReviewDecision, SavedMapping
from hue06.quality.reports import IDENTIFIED, STATUSES, reason_text, summary
from hue06.quality.standardise import StdTable, standardise
from hue06.registry import service as registry

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)

MAX_SKIPPED_KEPT = 500
PARALLEL_MIN_BYTES = 8 * 2**20  # files from this size load the register in a second process
WRITE_CHUNK = 20_000
REVIEW_ROLES = ("province", "district", "commune", "admin")


def unknown_sector(kind: str) -> InvalidInput:
    names = ", ".join(SECTORS)
    return InvalidInput(
        "quality.sector",
        f"Không có ngành “{kind}”. Các ngành: {names}.",
        f"There is no sector “{kind}”. Sectors: {names}.",
    )


def check_sector(kind: str) -> str:
    if kind not in SECTORS:
        raise unknown_sector(kind)
    return kind


# --------------------------------------------------------------------------- preparing a file


@dataclass
class Prepared:
    """A file opened, its columns mapped and the mapping checked: ready to verify."""

    imported: ImportedFile
    mapping: mp.ColumnMapping
    data: bytes = b""


def prepare(
    data: bytes,
    name: str,
    sector: str,
    *,
    spec: Mapping[str, Any] | None = None,
    header_line: int | None = None,
    session: Session | None = None,
) -> Prepared:
    """Open the file and map its columns: an explicit mapping, else a saved one for the sector
    that fits the file's headers, else the recognised headers; then check the mapping."""
    check_sector(sector)
    if spec is not None and header_line is None and spec.get("header_line") is not None:
        header_line = int(spec["header_line"])
    imported = read_file(data, name, header_line=header_line)
    if spec is not None:
        mapping = mp.from_spec(imported, spec, "file")
    else:
        saved = saved_mapping_for(session, sector, imported) if session is not None else None
        mapping = mp.from_spec(imported, saved, "saved") if saved is not None else mp.recognised(imported)
    mp.check(imported, mapping)
    return Prepared(imported, mapping, data)


# --------------------------------------------------------------------------- the run


@dataclass
class RunReport:
    """What a run produced (also stored): the rows in order, counts, summary lines."""

    run_id: int
    sector: str
    total: int
    counts: dict[str, int]
    differences: dict[str, int]
    problems: dict[str, int]
    summary_vi: list[str]
    summary_en: list[str]
    rows: list[dict[str, Any]]
    by_commune: list[dict[str, Any]]
    skipped: list[list[Any]]
    changes: dict[str, Any] | None
    timings: dict[str, float] = field(default_factory=dict)


def _url_of(session: Session) -> str | None:
    """The database URL behind a session, for a second process to open (None for in-memory SQLite)."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _fingerprint(parts: list[Any]) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]


def _row_fingerprint(c: Mapping[str, list[Any]], i: int) -> str:
    """The row as standardised (not as typed): the same person typed the same way next month
    gives the same fingerprint, whatever the encoding or tone style of the file."""
    dob = c["dob"][i]
    return _fingerprint(
        [
            c["family_key"][i],
            c["middle_key"][i],
            c["given_key"][i],
            dob.isoformat() if dob else c["dob_y"][i],
            c["gender"][i],
            c["commune_now"][i],
            c["id_key"][i] or c["id_raw"][i],
            c["cmnd_key"][i],
        ]
    )


def verify(
    read: Session,
    prepared: Prepared,
    sector: str,
    actor: Actor,
    *,
    write: Session | None = None,
    thresholds: Thresholds = Thresholds(),
    progress: Progress | None = None,
) -> RunReport:
    """Verify a prepared file: standardise, match, decide, store the run (caller commits `write`)."""
    check_sector(sector)
    write = write or read
    started_at = utcnow()
    timings: dict[str, float] = {}
    imported, mapping = prepared.imported, prepared.mapping

    def step(stage: str, done: int, total: int | None = None) -> None:
        if progress is not None:
            progress(stage, done, total)

    t0 = time.perf_counter()
    url = _url_of(read) if len(prepared.data) >= PARALLEL_MIN_BYTES else None
    if url is not None:
        # A big file: the register loads in another process (the machine's other core) while this
        # one standardises the file.
        tmp = tempfile.mkdtemp(prefix="hue06-quality-")
        path = os.path.join(tmp, "register.duckdb")
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            loading = pool.submit(register_to_duckdb_file, url, path)
            table = standardise(imported, mapping, on_progress=lambda n: step("read", n))
            timings["standardise"] = time.perf_counter() - t0
            register_size = loading.result()
        step("register", register_size, register_size)
        timings["register"] = time.perf_counter() - t0
        linker = DuckLinker(database=path)
        linker.register_size = register_size
    else:
        tmp = None
        table = standardise(imported, mapping, on_progress=lambda n: step("read", n))
        timings["standardise"] = time.perf_counter() - t0
        linker = DuckLinker()
    n_rows = len(table)
    t0 = time.perf_counter()
    try:
        if n_rows == 0:
            raise no_data_rows()
        if tmp is None:
            done = 0

            def on_batch(k: int) -> None:
                nonlocal done
                done += k
                step("register", done, None)

            linker.load_register(registry.iter_register(read), on_batch=on_batch)
            timings["register"] = time.perf_counter() - t0
        linker.load_rows(table.columns)
        t0 = time.perf_counter()
        step("match", 0, 3)
        stages = {"u": 1, "id": 2, "link": 3}
        outcome = linker.match(thresholds, on_stage=lambda s: step("match", stages.get(s, 0), 3))
        timings.update({f"match_{k}": v for k, v in outcome.timings.items()})
        timings["match"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        decisions = _reuse_decisions(read, sector, table, outcome, linker)
        rows = _assemble(linker, table, outcome, mapping, decisions)
        timings["assemble"] = time.perf_counter() - t0
        register_size = linker.register_size
    finally:
        linker.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    counts = dict.fromkeys(STATUSES, 0)
    differences: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] += 1
        for d in filter(None, r["differences"].split(";")):
            if r["status"] in ("mismatch", "linked", "deceased", "duplicate"):
                differences[d] = differences.get(d, 0) + 1
    problems = dict(table.problem_counts)
    problems.update(table.invalid_counts)
    dup_with_person = sum(1 for r in rows if r["status"] == "duplicate" and r["personal_id"])
    lines_vi = summary(counts, differences, problems, n_rows, dup_with_person, "vi")
    lines_en = summary(counts, differences, problems, n_rows, dup_with_person, "en")
    by_commune = _by_commune(rows)
    skipped = [[s.line, None, s.reason_vi, s.reason_en] for s in imported.skipped[:MAX_SKIPPED_KEPT]]
    skipped += [
        [r["line"], r["row"], reason_text(r["reason"], "vi"), reason_text(r["reason"], "en")]
        for r in rows
        if r["status"] == "invalid"
    ][: max(0, MAX_SKIPPED_KEPT - len(skipped))]

    t0 = time.perf_counter()
    previous = _previous_run(write, sector)
    changes = _changes(write, previous, rows) if previous is not None else None
    timings["changes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    run = QualityRun(
        sector=sector,
        file_name=imported.name[:300],
        file_sha256=imported.sha256,
        file_size=imported.size,
        file_format=imported.format,
        encoding=imported.encoding,
        header_line=imported.header_line,
        mapping=json.dumps(
            {"columns": mapping.as_json(imported), "source": mapping.source}, ensure_ascii=False
        ),
        created_by=actor.label,
        unit_code=actor.unit_code or "",
        started_at=started_at,
        total_rows=n_rows,
        register_size=register_size,
        counts=json.dumps(counts),
        differences=json.dumps(differences),
        problems=json.dumps(problems),
        skipped=json.dumps(skipped, ensure_ascii=False),
        changes=json.dumps(changes or {}),
        previous_run_id=previous.id if previous is not None else None,
    )
    write.add(run)
    write.flush()
    step("save", 0, n_rows)
    for start in range(0, n_rows, WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        _insert_rows(write, run.id, chunk)
        step("save", start + len(chunk), n_rows)
    run.finished_at = utcnow()
    timings["save"] = time.perf_counter() - t0
    run.timings = json.dumps({k: round(v, 2) for k, v in timings.items()})
    audit.record(
        write,
        actor,
        "quality.run",
        "quality_run",
        run.id,
        {
            "sector": sector,
            "file_sha256": imported.sha256,
            "rows": n_rows,
            "counts": {k: v for k, v in counts.items() if v},
            "mapping_source": mapping.source,
        },
    )
    write.flush()
    return RunReport(
        run.id,
        sector,
        n_rows,
        counts,
        differences,
        problems,
        lines_vi,
        lines_en,
        rows,
        by_commune,
        skipped,
        changes,
        timings,
    )


ROW_COLUMNS = (
    "run_id",
    "row",
    "line",
    "status",
    "personal_id",
    "match_probability",
    "differences",
    "flags",
    "reason",
    "duplicate_of",
    "commune_code",
    "commune_now",
    "row_key",
    "fingerprint",
    "data",
)


def _insert_rows(session: Session, run_id: int, chunk: list[dict[str, Any]]) -> None:
    """Write row results inside the caller's transaction: COPY on PostgreSQL (core.db.bulk_insert),
    a plain executemany of tuples on SQLite (a million rows in seconds, not minutes)."""
    bind = session.connection()
    if bind.dialect.name != "sqlite":
        bulk_insert(session, QualityRowResult.__table__, [_db_row(run_id, r) for r in chunk])
        return
    sql = (
        f"INSERT INTO quality_row_results ({', '.join(ROW_COLUMNS)}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
    )
    cursor = bind.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, [tuple(_db_row(run_id, r)[c] for c in ROW_COLUMNS) for r in chunk])
    finally:
        cursor.close()


def _db_row(run_id: int, r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "row": r["row"],
        "line": r["line"],
        "status": r["status"],
        "personal_id": r["personal_id"],
        "match_probability": r["match_probability"],
        "differences": r["differences"],
        "flags": r["flags"],
        "reason": r["reason"][:300],
        "duplicate_of": r["duplicate_of"],
        "commune_code": r["commune_code"],
        "commune_now": r["commune_now"],
        "row_key": r["row_key"],
        "fingerprint": r["fingerprint"],
        "data": r["data"],
    }


def _reuse_decisions(
    session: Session, sector: str, table: StdTable, outcome: MatchOutcome, linker: DuckLinker
) -> dict[int, tuple[str, str]]:
    """Review rows already decided (same normalised row, same candidate): uid → (decision, chosen ID)."""
    review = [r for r in outcome.rows.values() if not r.decided and r.person is not None]
    if not review:
        return {}
    pids = _person_ids(linker, {r.person for r in review if r.person is not None})
    c = table.columns
    wanted: dict[str, int] = {}
    for r in review:
        wanted[_fingerprint([_row_fingerprint(c, r.uid - 1), pids.get(r.person or -1)])] = r.uid
    found: dict[int, tuple[str, str]] = {}
    keys = list(wanted)
    for i in range(0, len(keys), 900):
        chunk = keys[i : i + 900]
        for d in session.scalars(
            select(ReviewDecision).where(
                ReviewDecision.sector == sector, ReviewDecision.fingerprint.in_(chunk)
            )
        ):
            found[wanted[d.fingerprint]] = (d.decision, d.candidate_id)
    return found


def _person_ids(linker: DuckLinker, uids: set[int]) -> dict[int, str]:
    if not uids:
        return {}
    linker.con.register("want_uids", pa.table({"uid": pa.array(sorted(uids), pa.int64())}))
    try:
        return dict(
            linker.con.execute("SELECT r.uid, r.id_key FROM reg r JOIN want_uids w USING (uid)").fetchall()
        )
    finally:
        linker.con.unregister("want_uids")


def _uids_of(linker: DuckLinker, pids: set[str]) -> dict[str, int]:
    if not pids:
        return {}
    linker.con.register("want_pids", pa.table({"id_key": pa.array(sorted(pids), pa.string())}))
    try:
        return dict(
            linker.con.execute("SELECT r.id_key, r.uid FROM reg r JOIN want_pids w USING (id_key)").fetchall()
        )
    finally:
        linker.con.unregister("want_pids")


def _mapped(mapping: mp.ColumnMapping) -> dict[str, bool]:
    cols = set(mapping.columns)
    return {
        "personal_id": "personal_id" in cols,
        "old_id": "old_id" in cols,
        "name": bool(cols & {"full_name", "family_name", "given_name", "family_middle"}),
        "parts": "full_name" not in cols and bool(cols & {"family_name", "given_name", "family_middle"}),
        "dob": bool(cols & {"date_of_birth", "birth_year", "dob_male", "dob_female"}),
        "gender": bool(cols & {"gender", "gender_male", "gender_female", "dob_male", "dob_female"}),
        "commune": bool(cols & {"commune", "address"}),
    }


def _assemble(
    linker: DuckLinker,
    table: StdTable,
    outcome: MatchOutcome,
    mapping: mp.ColumnMapping,
    decisions: dict[int, tuple[str, str]],
) -> list[dict[str, Any]]:
    """Every row's final status, the fields that differ, flags and duplicates — in SQL over the
    register and the file, then one pass in Python to shape the rows."""
    con = linker.con
    res: list[RowMatch] = [outcome.rows[uid] for uid in sorted(outcome.rows)]
    decided = [r.decided for r in res]
    person = [r.person for r in res]
    flags_extra = [""] * len(res)
    chosen = _uids_of(linker, {d[1] for d in decisions.values() if d[0] == "confirm"})
    for k, r in enumerate(res):
        d = decisions.get(r.uid)
        if d is not None:
            decided[k] = True
            if d[0] == "confirm" and d[1] in chosen:
                person[k] = chosen[d[1]]
                flags_extra[k] = "review_confirmed"
            else:
                person[k] = None
                flags_extra[k] = "review_rejected"
    con.register(
        "res_arrow",
        pa.table(
            {
                "uid": pa.array([r.uid for r in res], pa.int64()),
                "stage": pa.array([r.stage for r in res], pa.string()),
                "person": pa.array(person, pa.int64()),
                "prob": pa.array([r.probability for r in res], pa.float64()),
                "decided": pa.array(decided, pa.bool_()),
                "id_person": pa.array([r.id_person for r in res], pa.int64()),
                "id_contradicts": pa.array([r.id_contradicts for r in res], pa.bool_()),
                "extra_flag": pa.array(flags_extra, pa.string()),
            }
        ),
    )
    m = _mapped(mapping)

    def on(flag: bool) -> str:
        return "TRUE" if flag else "FALSE"

    def differs(part: str) -> str:
        """A file with name columns is compared column by column with the register's own parts; a
        full name, split the same way on both sides, part by part."""
        if m["parts"]:
            return f"lower(coalesce(i.part_{part}, '')) <> lower(coalesce(p.reg_{part}, ''))"
        return f"lower(coalesce(i.{part}, '')) <> lower(coalesce(p.{part}, ''))"

    sql = f"""
    WITH base AS (
        SELECT r.*, i.invalid,
               i.family_key, i.middle_key, i.given_key, i.dob AS i_dob, i.dob_y AS i_dob_y, i.gender AS i_gender,
               i.commune_2024 AS i_commune, i.commune_now AS i_commune_now, i.id_key AS i_id,
               p.id_key AS pid, p.status AS p_status, p.commune_2024 AS p_commune, p.commune_now AS p_commune_now,
               concat_ws(';',
                 CASE WHEN {on(m["personal_id"])} AND i.id_key IS DISTINCT FROM p.id_key THEN 'personal_id' END,
                 CASE WHEN {on(m["old_id"])} AND i.cmnd_key IS NOT NULL AND p.cmnd_key IS NOT NULL
                      AND i.cmnd_key <> p.cmnd_key THEN 'old_id' END,
                 CASE WHEN {on(m["name"])} AND {differs("family")} THEN 'family_name' END,
                 CASE WHEN {on(m["name"])} AND {differs("middle")} THEN 'middle_name' END,
                 CASE WHEN {on(m["name"])} AND {differs("given")} THEN 'given_name' END,
                 CASE WHEN {on(m["dob"])} AND i.dob IS DISTINCT FROM p.dob THEN 'date_of_birth' END,
                 CASE WHEN {on(m["gender"])} AND i.gender IS DISTINCT FROM p.gender THEN 'gender' END,
                 CASE WHEN {on(m["commune"])} AND i.commune_now IS DISTINCT FROM p.commune_now THEN 'commune' END
               ) AS differences,
               i.id_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reg x WHERE x.id_key = i.id_key) AS id_unknown,
               h.uid AS holder
        FROM res_arrow r
        JOIN inp_all i USING (uid)
        LEFT JOIN reg p ON p.uid = r.person
        LEFT JOIN reg h ON h.uid = r.id_person
    ), keyed AS (
        SELECT *,
               CASE WHEN decided AND person IS NOT NULL THEN person END AS same_person_key,
               CASE WHEN NOT invalid AND (person IS NULL OR NOT decided) AND given_key IS NOT NULL
                    AND i_dob IS NOT NULL
                    THEN concat_ws('|', family_key, middle_key, given_key, i_dob, i_gender) END AS same_row_key
        FROM base
    )
    SELECT uid, stage, person, prob, decided, id_contradicts, extra_flag, invalid, pid, p_status, p_commune,
           p_commune_now, i_commune, i_commune_now, differences, id_unknown, holder, id_person,
           CASE WHEN same_person_key IS NOT NULL THEN min(uid) OVER (PARTITION BY same_person_key) END AS first_person,
           CASE WHEN same_row_key IS NOT NULL THEN min(uid) OVER (PARTITION BY same_row_key) END AS first_row
    FROM keyed
    ORDER BY uid
    """  # noqa: S608 - only fixed SQL and TRUE/FALSE literals
    out_rows = con.execute(sql).fetchall()
    con.unregister("res_arrow")

    # Register IDs of review candidates and their rivals, for fingerprints and the review screen.
    alternatives = {r.uid: r.alternatives for r in res if not r.decided and r.alternatives}
    candidate_pids = _person_ids(
        linker,
        {r[2] for r in out_rows if r[2] is not None and not r[4]}
        | {a for alts in alternatives.values() for a, _ in alts},
    )
    c = table.columns
    rows: list[dict[str, Any]] = []
    for (
        uid,
        stage,
        person_uid,
        prob,
        is_decided,
        id_contradicts,
        extra_flag,
        invalid,
        pid,
        p_status,
        p_commune,
        p_commune_now,
        i_commune,
        i_commune_now,
        diffs,
        id_unknown,
        _holder,
        id_person,
        first_person,
        first_row,
    ) in out_rows:
        i = uid - 1
        flags: list[str] = []
        status: str
        personal_id = pid if person_uid is not None else None
        duplicate_of = None
        fingerprint = None
        if invalid:
            status, personal_id, prob, diffs = "invalid", None, None, ""
        else:
            if first_person is not None and first_person < uid:
                duplicate_of = first_person
            elif first_row is not None and first_row < uid:
                duplicate_of = first_row
            if is_decided and person_uid is not None:
                if duplicate_of is not None:
                    status = "duplicate"
                    if p_status == "deceased":
                        flags.append("deceased")
                elif p_status == "deceased":
                    status = "deceased"
                elif stage in ("id", "cmnd") and not id_contradicts:
                    status = "verified" if not diffs else "mismatch"
                else:
                    status = "linked"
            elif person_uid is not None:
                status = "review"
                fingerprint = _fingerprint([_row_fingerprint(c, i), candidate_pids.get(person_uid)])
                if p_status == "deceased":
                    flags.append("candidate_deceased")
            else:
                status = "duplicate" if duplicate_of is not None else "not_found"
                diffs = ""
            if stage == "cmnd" and not id_contradicts:
                flags.append("old_id_used")
            if id_contradicts and (person_uid is None or person_uid != id_person):
                flags.append("id_of_other_person")
            if id_unknown:
                flags.append("id_not_in_register")
            if extra_flag:
                flags.append(extra_flag)
        reason_codes = [x for x in (c["invalid"][i], c["problems"][i]) if x]
        commune_code = (p_commune if (person_uid is not None and is_decided) else None) or i_commune
        commune_now = (p_commune_now if (person_uid is not None and is_decided) else None) or i_commune_now
        if commune_code is None and status == "review":
            commune_code = p_commune
        row_key = personal_id if (personal_id and status != "review") else "f:" + _row_fingerprint(c, i)[:24]
        data = None
        if status != "verified":
            dob = c["dob"][i]
            data = json.dumps(
                {
                    "name": c["name_raw"][i],
                    "family": c["family"][i],
                    "middle": c["middle"][i],
                    "given": c["given"][i],
                    "dob": c["dob_raw"][i],
                    "dob_iso": dob.isoformat() if dob else None,
                    "dob_year": c["dob_y"][i],
                    "gender": c["gender_raw"][i],
                    "gender_std": c["gender"][i],
                    "id": c["id_raw"][i],
                    "old_id": c["cmnd_raw"][i],
                    "commune": c["commune_raw"][i],
                    "commune_now": i_commune_now,
                    "alternatives": [
                        [candidate_pids.get(a), round(p, 4)] for a, p in alternatives.get(uid, [])
                    ],
                },
                ensure_ascii=False,
            )
        rows.append(
            {
                "row": uid,
                "line": c["line"][i],
                "status": status,
                "personal_id": personal_id,
                "match_probability": round(prob, 4) if prob is not None else None,
                "differences": diffs or "",
                "flags": ";".join(flags),
                "reason": ";".join(reason_codes),
                "duplicate_of": duplicate_of,
                "commune_code": commune_code,
                "commune_now": commune_now,
                "row_key": row_key,
                "fingerprint": fingerprint,
                "data": data,
            }
        )
    return rows


def _by_commune(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Totals per commune of today (2025-07 units), with the 2024 communes each covers."""
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = r["commune_now"] or ""
        entry = per.setdefault(key, {"code": key, "total": 0, "counts": {}, "communes_2024": set()})
        entry["total"] += 1
        entry["counts"][r["status"]] = entry["counts"].get(r["status"], 0) + 1
        if r["commune_code"]:
            entry["communes_2024"].add(r["commune_code"])
    out = []
    for key, entry in sorted(per.items(), key=lambda kv: (kv[0] == "", kv[0])):
        entry["name"] = _unit_name(key) if key else "(Không xác định / unknown)"
        entry["communes_2024"] = sorted(entry["communes_2024"])
        out.append(entry)
    return out


def _unit_name(code: str) -> str:
    try:
        return admin_units.get_unit(code, admin_units.load_province().latest_version).name
    except InvalidInput:
        return code


# --------------------------------------------------------------------------- changes since the last run


def _previous_run(session: Session, sector: str) -> QualityRun | None:
    return session.scalars(
        select(QualityRun).where(QualityRun.sector == sector).order_by(QualityRun.id.desc()).limit(1)
    ).first()


def _changes(session: Session, previous: QualityRun, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What changed since the sector's previous run, row by row (rows keyed on the person, or on the
    normalised row when nobody was found)."""
    before: dict[str, str] = {}
    for key, status in session.execute(
        select(QualityRowResult.row_key, QualityRowResult.status)
        .where(QualityRowResult.run_id == previous.id)
        .order_by(QualityRowResult.row)
        .execution_options(yield_per=50_000)
    ):
        before.setdefault(key, status)
    now: dict[str, str] = {}
    for r in rows:
        now.setdefault(r["row_key"], r["status"])
    transitions: dict[tuple[str, str], int] = {}
    fixed = new_problems = 0
    for key, status in now.items():
        old = before.get(key)
        if old is None or old == status:
            continue
        transitions[(old, status)] = transitions.get((old, status), 0) + 1
        if status == "verified":
            fixed += 1
        elif old == "verified":
            new_problems += 1
    return {
        "previous_run_id": previous.id,
        "previous_at": previous.finished_at.isoformat() if previous.finished_at else None,
        "previous_total": previous.total_rows,
        "new_rows": sum(1 for k in now if k not in before),
        "gone_rows": sum(1 for k in before if k not in now),
        "fixed": fixed,
        "new_problems": new_problems,
        "transitions": [
            {"from": a, "to": b, "n": n} for (a, b), n in sorted(transitions.items(), key=lambda kv: -kv[1])
        ],
        "previous_counts": json.loads(previous.counts or "{}"),
    }


# --------------------------------------------------------------------------- reading runs


def _scope(actor: Actor) -> frozenset[str] | None:
    return actor.communes


def _visible(actor: Actor, commune_code: str | None) -> bool:
    allowed = _scope(actor)
    return allowed is None or (commune_code is not None and commune_code in allowed)


def list_runs(session: Session, actor: Actor, limit: int = 50) -> list[QualityRun]:
    """Runs of the whole province for province-level roles; a commune or district official sees
    every run too (a file covers the province), but only their own rows inside it."""
    return list(session.scalars(select(QualityRun).order_by(QualityRun.id.desc()).limit(limit)))


def get_run(session: Session, run_id: int, actor: Actor) -> QualityRun:
    run = session.get(QualityRun, run_id)
    if run is None:
        raise not_found("lần kiểm tra", "run")
    return run


def _rows_query(run_id: int, actor: Actor) -> Any:
    q = select(QualityRowResult).where(QualityRowResult.run_id == run_id)
    allowed = _scope(actor)
    if allowed is not None:
        q = q.where(QualityRowResult.commune_code.in_(sorted(allowed)))
    return q


def run_counts(session: Session, run: QualityRun, actor: Actor) -> dict[str, Any]:
    """Totals the actor may see: the whole file for province roles, their communes' rows otherwise."""
    if _scope(actor) is None:
        counts = json.loads(run.counts)
        return {
            "total": run.total_rows,
            "counts": counts,
            "whole_file": True,
            "differences": json.loads(run.differences or "{}"),
        }
    q = (
        _rows_query(run.id, actor)
        .with_only_columns(QualityRowResult.status, func.count())
        .group_by(QualityRowResult.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in session.execute(q):
        counts[status] = int(n)
    return {"total": sum(counts.values()), "counts": counts, "whole_file": False, "differences": {}}


def commune_breakdown(session: Session, run: QualityRun, actor: Actor) -> list[dict[str, Any]]:
    q = (
        _rows_query(run.id, actor)
        .with_only_columns(QualityRowResult.commune_now, QualityRowResult.status, func.count())
        .group_by(QualityRowResult.commune_now, QualityRowResult.status)
    )
    per: dict[str, dict[str, Any]] = {}
    for code, status, n in session.execute(q):
        key = code or ""
        entry = per.setdefault(key, {"code": key, "total": 0, "counts": {}})
        entry["total"] += int(n)
        entry["counts"][status] = entry["counts"].get(status, 0) + int(n)
    out = []
    for key, entry in sorted(per.items(), key=lambda kv: (kv[0] == "", kv[0])):
        entry["name"] = _unit_name(key) if key else "(Không xác định / unknown)"
        ok = sum(entry["counts"].get(s, 0) for s in IDENTIFIED)
        entry["rate"] = round(100 * ok / entry["total"], 2) if entry["total"] else 0.0
        out.append(entry)
    return out


def iter_rows(
    session: Session,
    run: QualityRun,
    actor: Actor,
    *,
    statuses: tuple[str, ...] | None = None,
    batch: int = 20_000,
) -> Iterator[QualityRowResult]:
    q = _rows_query(run.id, actor)
    if statuses:
        q = q.where(QualityRowResult.status.in_(statuses))
    after = 0
    while True:
        chunk = list(
            session.scalars(q.where(QualityRowResult.row > after).order_by(QualityRowResult.row).limit(batch))
        )
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].row


def result_dicts(rows: Iterator[QualityRowResult]) -> Iterator[dict[str, Any]]:
    for r in rows:
        yield {
            "row": r.row,
            "status": r.status,
            "personal_id": r.personal_id,
            "match_probability": r.match_probability,
            "differences": r.differences,
            "flags": r.flags,
            "duplicate_of": r.duplicate_of,
            "line": r.line,
            "reason": r.reason,
        }


def corrections(session: Session, run: QualityRun, actor: Actor) -> Iterator[dict[str, Any]]:
    """The file sent back to the sector: every row that needs something done, with the register's
    values to copy (read in bulk; one audit entry for the whole file)."""
    wanted = ("mismatch", "linked", "deceased", "duplicate", "review", "not_found", "invalid")
    pending: list[QualityRowResult] = []
    audit.record(session, actor, "quality.corrections", "quality_run", run.id, {"sector": run.sector})

    def flush() -> Iterator[dict[str, Any]]:
        ids = {r.personal_id for r in pending if r.personal_id and r.status != "review"}
        people = registry.lookup_many(session, ids) if ids else {}
        for r in pending:
            data = json.loads(r.data or "{}")
            p = people.get(r.personal_id or "") if r.status != "review" else None
            yield {
                "row": r.row,
                "line": r.line,
                "status": r.status,
                "differences": r.differences,
                "file_name": data.get("name"),
                "file_dob": data.get("dob"),
                "file_id": data.get("id"),
                "personal_id": p.personal_id if p else "",
                "full_name": p.full_name if p else "",
                "date_of_birth": p.date_of_birth.strftime("%d/%m/%Y") if p else "",
                "gender": {"male": "Nam", "female": "Nữ"}.get(p.gender, "") if p else "",
                "commune": p.current_commune_name if p else "",
                "duplicate_of": r.duplicate_of,
            }

    for r in iter_rows(session, run, actor, statuses=wanted):
        pending.append(r)
        if len(pending) >= 5_000:
            yield from flush()
            pending = []
    if pending:
        yield from flush()


# --------------------------------------------------------------------------- review


def review_queue(session: Session, run: QualityRun, actor: Actor, limit: int = 200) -> list[QualityRowResult]:
    q = _rows_query(run.id, actor).where(QualityRowResult.status == "review").order_by(QualityRowResult.row)
    return list(session.scalars(q.limit(limit)))


def review_count(session: Session, run: QualityRun, actor: Actor) -> int:
    q = _rows_query(run.id, actor).where(QualityRowResult.status == "review").with_only_columns(func.count())
    return int(session.scalar(q) or 0)


@dataclass
class ReviewItem:
    run: QualityRun
    row: QualityRowResult
    data: dict[str, Any]
    candidate: Any  # registry.schemas.ResidentOut
    next_row: int | None


def review_item(session: Session, run: QualityRun, row_no: int, actor: Actor) -> ReviewItem:
    """One review row with the register's candidate beside it. Outside the official's communes —
    the row's or the candidate's — it does not exist (404), and the register is not read."""
    row = session.scalars(
        select(QualityRowResult).where(QualityRowResult.run_id == run.id, QualityRowResult.row == row_no)
    ).first()
    if (
        row is None
        or row.status not in ("review", "linked", "not_found")
        or not row.personal_id
        or not _visible(actor, row.commune_code)
    ):
        raise not_found("dòng chờ xác minh", "review row")
    candidate = registry.lookup_many(session, [row.personal_id]).get(row.personal_id)
    if candidate is None or not _visible(actor, candidate.commune_code):
        raise not_found("dòng chờ xác minh", "review row")
    audit.record(
        session,
        actor,
        "quality.review_view",
        "quality_row",
        f"{run.id}:{row.row}",
        {"candidate": row.personal_id},
    )
    nxt = session.scalar(
        _rows_query(run.id, actor)
        .where(QualityRowResult.status == "review", QualityRowResult.row > row.row)
        .with_only_columns(func.min(QualityRowResult.row))
    )
    return ReviewItem(run, row, json.loads(row.data or "{}"), candidate, nxt)


def _differences_from(data: Mapping[str, Any], person: Any) -> str:
    """The fields of the file's row (as standardised) that differ from a register record."""
    diffs = []
    if (data.get("id") or "") != person.personal_id:
        diffs.append("personal_id")
    for key, field_name, value in (
        ("family", "family_name", person.family_name),
        ("middle", "middle_name", person.middle_name),
        ("given", "given_name", person.given_name),
    ):
        if (data.get(key) or "").lower() != (value or "").lower():
            diffs.append(field_name)
    if data.get("dob_iso") != person.date_of_birth.isoformat():
        diffs.append("date_of_birth")
    if data.get("gender_std") and data.get("gender_std") != person.gender:
        diffs.append("gender")
    if data.get("commune_now") and data.get("commune_now") != person.current_commune_code:
        diffs.append("commune")
    return ";".join(diffs)


def decide_review(
    session: Session, run: QualityRun, row_no: int, decision: str, actor: Actor, candidate: str | None = None
) -> QualityRowResult:
    """Confirm the proposed person (or one of the other close candidates shown beside them), or
    reject: the row is nobody. The decision is kept for the same row in later files."""
    if decision not in ("confirm", "reject"):
        raise InvalidInput(
            "quality.review.decision",
            "Quyết định phải là xác nhận hoặc bác.",
            "The decision must be confirm or reject.",
        )
    if actor.kind != "official" or actor.role not in REVIEW_ROLES:
        raise Forbidden(
            "auth.role", "Tài khoản của bạn không có quyền xác minh.", "Your account may not review rows."
        )
    row = session.scalars(
        select(QualityRowResult).where(QualityRowResult.run_id == run.id, QualityRowResult.row == row_no)
    ).first()
    if row is None or row.status != "review" or not row.personal_id or not _visible(actor, row.commune_code):
        raise not_found("dòng chờ xác minh", "review row")
    proposed = row.personal_id
    chosen = proposed
    person = None
    if decision == "confirm" and candidate and candidate != proposed:
        alternatives = [a[0] for a in json.loads(row.data or "{}").get("alternatives", []) if a and a[0]]
        if candidate not in alternatives:
            raise InvalidInput(
                "quality.review.candidate",
                "Người được chọn không nằm trong các đề xuất.",
                "The chosen person is not one of the proposals.",
            )
        person = registry.lookup_many(session, [candidate]).get(candidate)
        if person is None or not _visible(actor, person.commune_code):
            raise not_found("dòng chờ xác minh", "review row")
        chosen = candidate
    existing = session.scalars(
        select(ReviewDecision).where(
            ReviewDecision.sector == run.sector, ReviewDecision.fingerprint == row.fingerprint
        )
    ).first()
    stored = chosen if decision == "confirm" else proposed
    if existing is None:
        session.add(
            ReviewDecision(
                sector=run.sector,
                fingerprint=row.fingerprint or "",
                candidate_id=stored,
                decision=decision,
                decided_by=actor.label,
                run_id=run.id,
                row=row.row,
            )
        )
    else:
        existing.decision, existing.candidate_id, existing.decided_by = decision, stored, actor.label
        existing.decided_at, existing.run_id, existing.row = utcnow(), run.id, row.row
    counts = json.loads(run.counts)
    counts["review"] = counts.get("review", 0) - 1
    flags = [f for f in row.flags.split(";") if f]
    if decision == "confirm":
        row.status = "linked"
        if chosen != proposed:
            row.differences = _differences_from(json.loads(row.data or "{}"), person)
        row.personal_id = chosen
        flags.append("review_confirmed")
    else:
        row.status = "not_found"
        row.personal_id = None
        row.differences = ""
        flags.append("review_rejected")
    counts[row.status] = counts.get(row.status, 0) + 1
    row.flags = ";".join(flags)
    run.counts = json.dumps(counts)
    audit.record(
        session,
        actor,
        "quality.review_decision",
        "quality_row",
        f"{run.id}:{row.row}",
        {"decision": decision, "candidate": stored, "sector": run.sector},
    )
    session.flush()
    return row


# --------------------------------------------------------------------------- saved mappings


def save_mapping(
    session: Session,
    sector: str,
    name: str,
    columns: Mapping[str, str],
    actor: Actor,
    header_line: int | None = None,
) -> SavedMapping:
    check_sector(sector)
    for f in columns:
        if f not in FIELDS:
            raise InvalidInput(
                "quality.mapping.unknown_field", f"Trường “{f}” không có.", f"There is no field “{f}”."
            )
    name = (name or "").strip()[:120] or "mặc định"
    existing = session.scalars(
        select(SavedMapping).where(SavedMapping.sector == sector, SavedMapping.name == name)
    ).first()
    payload = json.dumps(dict(columns), ensure_ascii=False)
    if existing is None:
        existing = SavedMapping(
            sector=sector, name=name, columns=payload, header_line=header_line, created_by=actor.label
        )
        session.add(existing)
    else:
        existing.columns, existing.header_line, existing.created_by = payload, header_line, actor.label
        existing.created_at = utcnow()
    audit.record(
        session,
        actor,
        "quality.mapping_saved",
        "quality_mapping",
        f"{sector}:{name}",
        {"fields": sorted(columns)},
    )
    session.flush()
    return existing


def saved_mapping_for(session: Session | None, sector: str, imported: ImportedFile) -> dict[str, Any] | None:
    """The newest saved mapping of the sector whose headers are all in this file."""
    if session is None:
        return None
    for saved in session.scalars(
        select(SavedMapping).where(SavedMapping.sector == sector).order_by(SavedMapping.created_at.desc())
    ):
        spec = {"columns": json.loads(saved.columns)}
        if mp.saved_applies(imported, spec):
            return spec
    return None


def run_summary(run: QualityRun, lang: str = "vi") -> list[str]:
    counts = json.loads(run.counts)
    problems = json.loads(run.problems or "{}")
    differences = json.loads(run.differences or "{}")
    return summary(counts, differences, problems, run.total_rows, counts.get("duplicate", 0), lang)
