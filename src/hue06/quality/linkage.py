"""Matching a sector file against the register: exact IDs first, then Splink for the rest.

Stages, each handling only what the previous left:
(a) a well-formed personal ID found in the register, (b) an old 9-digit CMND the register knows —
    both scored with the same model as (c) but without the ID, so that an ID that "contradicts
    the person" (a household member's, one wrong digit landing on a stranger) is noticed;
(c) rows with no usable ID, or a contradicting one: probabilistic linkage with Splink on name
    parts (family, middle, given separately, with term frequencies from the register — a rare
    given name weighs more than "Anh"), date of birth (a swapped day and month, a year only),
    gender and commune.

A row's probability for a candidate is the candidate's posterior among all its candidates:
two equally good people each get at most one half, so an ambiguous row goes to review instead of
being linked to whichever came first.

The model is data, not code: `settings(...)` builds a Splink settings dict that runs unchanged on
DuckDB (here) and on Spark (see `docs/decisions/0008-quality-linkage.md`).
"""

from __future__ import annotations

import logging
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from hue06.core.text import fold

log = logging.getLogger("hue06.quality")

LINK_COLUMNS = (
    "uid",
    "id_key",
    "cmnd_key",
    "family",
    "middle",
    "given",
    "family_key",
    "middle_key",
    "given_key",
    "name_plain",
    "dob",
    "dob_y",
    "dob_m",
    "dob_d",
    "gender",
    "commune_2024",
    "commune_now",
)
ARROW_SCHEMA = pa.schema(
    [
        ("uid", pa.int64()),
        ("id_key", pa.string()),
        ("cmnd_key", pa.string()),
        ("family", pa.string()),
        ("middle", pa.string()),
        ("given", pa.string()),
        ("family_key", pa.string()),
        ("middle_key", pa.string()),
        ("given_key", pa.string()),
        ("name_plain", pa.bool_()),
        ("dob", pa.string()),
        ("dob_y", pa.int32()),
        ("dob_m", pa.int32()),
        ("dob_d", pa.int32()),
        ("gender", pa.string()),
        ("commune_2024", pa.string()),
        ("commune_now", pa.string()),
    ]
)
REGISTER_EXTRA = pa.schema(
    [
        ("status", pa.string()),
        ("household_id", pa.int64()),
        ("reg_family", pa.string()),
        ("reg_middle", pa.string()),
        ("reg_given", pa.string()),
    ]
)

TF_COLUMNS = ("family_key", "middle_key", "given_key")

BLOCKING_RULES = (
    # Each an equi-join (hashed, fast); a row is lost only when all are broken at once.
    "l.family_key = r.family_key and l.given_key = r.given_key and l.dob_y = r.dob_y",  # day/month wrong
    "l.family_key = r.family_key and l.dob = r.dob",  # given name wrong
    "l.given_key = r.given_key and l.dob = r.dob",  # family name wrong
    "l.dob = r.dob and l.commune_now = r.commune_now",  # both names wrong
    "l.family_key = r.family_key and l.middle_key = r.middle_key and l.given_key = r.given_key "
    "and l.commune_now = r.commune_now",  # the whole date wrong
    "l.family_key = r.family_key and l.middle_key = r.middle_key and l.dob_y = r.dob_y "
    "and l.commune_now = r.commune_now",  # given name and day/month wrong
    "l.given_key = r.given_key and l.middle_key = r.middle_key and l.dob_y = r.dob_y "
    "and l.commune_now = r.commune_now",  # family name and day/month wrong
)


@dataclass(frozen=True)
class Thresholds:
    """Where decisions fall. `link`: posterior at or above which a row is linked without review;
    `review`: at or above which it goes to an official; below, nobody. `contradiction`: the
    comparison-only match weight below which an ID is taken to belong to someone else."""

    link: float = 0.95
    review: float = 0.02
    contradiction: float = 0.0
    floor_weight: float = -10.0  # candidates below this match weight are not kept at all


# --------------------------------------------------------------------------- the model


_SIDE_RE = re.compile(r"\b([lr])\.([a-z_0-9]+)")


def _sides(sql: str) -> str:
    """Write comparisons as "l.given = r.given" and hand Splink "given_l = given_r"."""
    return _SIDE_RE.sub(lambda m: f"{m.group(2)}_{m.group(1)}", sql)


def _level(sql: str, label: str, m: float, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": _sides(sql), "label_for_charts": label, "m_probability": m, **extra}


def _null(sql: str) -> dict[str, Any]:
    return {"sql_condition": _sides(sql), "label_for_charts": "null", "is_null_level": True}


JARO_WINKLER = {"duckdb": "jaro_winkler_similarity", "spark": "jaro_winkler"}
# One slip of the keyboard (a letter wrong, missing, doubled or two swapped); Spark has no
# Damerau-Levenshtein, so a swap costs it two edits there.
EDIT_DISTANCE = {"duckdb": "damerau_levenshtein", "spark": "levenshtein"}


def comparisons(dialect: str = "duckdb") -> list[dict[str, Any]]:
    """Vietnamese-aware comparisons. m-probabilities are priors (replaced by rates learnt from the
    file's own ID-confirmed rows); u-probabilities are estimated from the register. The SQL is plain
    enough to run on DuckDB and Spark alike; only Jaro-Winkler's function name differs."""
    jw = JARO_WINKLER[dialect]
    ed = EDIT_DISTANCE[dialect]

    def typo(col: str, threshold: float) -> str:
        return f"({jw}(l.{col}, r.{col}) >= {threshold} or {ed}(l.{col}, r.{col}) <= 1)"

    return [
        {
            "output_column_name": "family",
            "comparison_levels": [
                _null("l.family_key is null or r.family_key is null"),
                _level(
                    "l.family_key = r.family_key and (l.family = r.family or l.name_plain or r.name_plain)",
                    "same (marks may be missing)",
                    0.95,
                    tf_adjustment_column="family_key",
                    disable_tf_exact_match_detection=True,
                ),
                _level("l.family_key = r.family_key", "same letters, other marks", 0.005),
                _level(typo("family_key", 0.88), "typo", 0.015),
                _level("else", "different", 0.01),
            ],
        },
        {
            "output_column_name": "middle",
            "comparison_levels": [
                _null("l.middle_key is null and r.middle_key is null"),
                _level("l.middle_key = r.middle_key", "same", 0.88, tf_adjustment_column="middle_key"),
                _level("l.middle_key is null or r.middle_key is null", "one missing", 0.04),
                _level(
                    "l.middle_key like concat('%', r.middle_key, '%') or r.middle_key like concat('%', l.middle_key, '%')",
                    "one inside the other",
                    0.04,
                ),
                _level(typo("middle_key", 0.88), "typo", 0.02),
                _level("else", "different", 0.02),
            ],
        },
        {
            "output_column_name": "given",
            "comparison_levels": [
                _null("l.given_key is null or r.given_key is null"),
                _level(
                    "l.given_key = r.given_key and (l.given = r.given or l.name_plain or r.name_plain)",
                    "same (marks may be missing)",
                    0.94,
                    tf_adjustment_column="given_key",
                    disable_tf_exact_match_detection=True,
                ),
                _level("l.given_key = r.given_key", "same letters, other marks", 0.005),
                _level(typo("given_key", 0.90), "typo", 0.035),
                _level("else", "different", 0.01),
            ],
        },
        {
            "output_column_name": "dob",
            "comparison_levels": [
                _null("l.dob_y is null or r.dob_y is null"),
                _level("l.dob = r.dob", "exact", 0.88),
                _level(
                    "l.dob_y = r.dob_y and l.dob_m = r.dob_d and l.dob_d = r.dob_m",
                    "day and month swapped",
                    0.02,
                ),
                _level(
                    "l.dob_y = r.dob_y and (l.dob_d is null or r.dob_d is null) "
                    "and (l.dob_m is null or r.dob_m is null or l.dob_m = r.dob_m)",
                    "year only",
                    0.05,
                ),
                _level(
                    "l.dob_y = r.dob_y and (l.dob_m = r.dob_m or l.dob_d = r.dob_d)",
                    "same year, one part",
                    0.025,
                ),
                _level(
                    "abs(l.dob_y - r.dob_y) = 1 and l.dob_m = r.dob_m and l.dob_d = r.dob_d",
                    "year off by one",
                    0.005,
                ),
                _level("else", "different", 0.02),
            ],
        },
        {
            "output_column_name": "gender",
            "comparison_levels": [
                _null("l.gender is null or r.gender is null"),
                _level("l.gender = r.gender", "same", 0.995),
                _level("else", "different", 0.005),
            ],
        },
        {
            "output_column_name": "commune",
            "comparison_levels": [
                _null("l.commune_now is null or r.commune_now is null"),
                _level("l.commune_2024 = r.commune_2024", "same 2024 commune", 0.80),
                _level("l.commune_now = r.commune_now", "same commune today", 0.12),
                _level("else", "different", 0.08),
            ],
        },
    ]


def settings(
    register_size: int, *, rules: Iterable[str] = BLOCKING_RULES, dialect: str = "duckdb"
) -> dict[str, Any]:
    """The Splink settings: link_only between the sector file and the register."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "uid",
        "probability_two_random_records_match": 1.0 / max(register_size, 2),
        "comparisons": comparisons(dialect),
        "blocking_rules_to_generate_predictions": list(rules),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


MAX_ALTERNATIVES = 5  # candidates a review row keeps (the review screen shows them all)
M_SAMPLE = 50_000  # ID-confirmed rows the m-probabilities are learnt from
M_SMOOTHING = 300  # pseudo-rows of the prior: a small file keeps the priors, a large one its own rates


def learn_m(
    rows: Callable[[str], list[tuple[Any, ...]]], preds_table: str, model: dict[str, Any], min_weight: float
) -> tuple[dict[str, Any], int]:
    """m-probabilities from ID-confirmed pairs (those whose comparisons do not contradict the ID):
    m = (count + K·prior) / (n + K) per level, so unseen levels keep a small positive m."""
    import copy

    model = copy.deepcopy(model)
    floor = f"{float(min_weight):.6f}"
    n_pairs = rows(f"SELECT count(*) FROM {preds_table} WHERE match_weight >= {floor}")[0][0]  # noqa: S608
    if not n_pairs:
        return model, 0
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        counts = dict(
            rows(
                f"SELECT gamma_{name}, count(*) FROM {preds_table} "  # noqa: S608
                f"WHERE match_weight >= {floor} GROUP BY gamma_{name}"
            )
        )
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        observed = sum(n for g, n in counts.items() if g is not None and g >= 0)
        for i, level in enumerate(levels):
            gamma = len(levels) - 1 - i
            prior_m = float(level.get("m_probability") or 1e-3)
            level["m_probability"] = (counts.get(gamma, 0) + M_SMOOTHING * prior_m) / (observed + M_SMOOTHING)
        total = sum(float(lv["m_probability"]) for lv in levels)
        for level in levels:
            level["m_probability"] = float(level["m_probability"]) / total
    return model, int(n_pairs)


def prior_weight(register_size: int) -> float:
    lam = 1.0 / max(register_size, 2)
    return math.log2(lam / (1 - lam))


# --------------------------------------------------------------------------- building the tables


def register_arrow(batch: list[dict[str, Any]]) -> pa.Table:
    """A batch from `registry.service.iter_register` as the linkage's columns (built column by
    column: a million residents convert in a few seconds). The names used for matching are split
    from the full name exactly as the sector's are; the register's own parts are kept beside them
    for listing differences."""
    from hue06.quality.standardise import name_from_full

    names = [
        name_from_full(
            r["full_name"]
            or " ".join(p for p in (r["family_name"], r.get("middle_name"), r["given_name"]) if p)
        )
        for r in batch
    ]
    dobs = [r["date_of_birth"] for r in batch]
    communes = [r["commune_code"] for r in batch]
    cols: dict[str, Any] = {
        "uid": [r["id"] for r in batch],
        "id_key": [r["personal_id"] for r in batch],
        "cmnd_key": [r.get("old_id") or None for r in batch],
        "family": [n.family or None for n in names],
        "middle": [n.middle or None for n in names],
        "given": [n.given or None for n in names],
        "family_key": [n.family_key or None for n in names],
        "middle_key": [n.middle_key or None for n in names],
        "given_key": [n.given_key or None for n in names],
        "name_plain": [False] * len(batch),
        "dob": [d.isoformat() if d else None for d in dobs],
        "dob_y": [d.year if d else None for d in dobs],
        "dob_m": [d.month if d else None for d in dobs],
        "dob_d": [d.day if d else None for d in dobs],
        "gender": [r["gender"] for r in batch],
        "commune_2024": communes,
        "commune_now": [r.get("current_commune_code") or c for r, c in zip(batch, communes, strict=True)],
        "status": [r.get("status", "alive") for r in batch],
        "household_id": [r.get("household_id") for r in batch],
        "reg_family": [r["family_name"] for r in batch],
        "reg_middle": [r.get("middle_name") or "" for r in batch],
        "reg_given": [r["given_name"] for r in batch],
    }
    schema = pa.schema(list(ARROW_SCHEMA) + list(REGISTER_EXTRA))
    return pa.table(cols, schema=schema)


def _fold_cache() -> Callable[[str | None], str | None]:
    cache: dict[str, str] = {}

    def key(value: str | None) -> str | None:
        if not value:
            return None
        found = cache.get(value)
        if found is None:
            found = cache[value] = fold(value)
        return found

    return key


def input_arrow(columns: dict[str, list[Any]]) -> pa.Table:
    """Standardised rows (quality.standardise.StdTable.columns) as the linkage's columns."""

    def none_if_empty(values: list[Any]) -> list[Any]:
        return [v if v not in ("", None) else None for v in values]

    data = {
        "uid": columns["uid"],
        "id_key": columns["id_key"],
        "cmnd_key": columns["cmnd_key"],
        "family": none_if_empty(columns["family"]),
        "middle": none_if_empty(columns["middle"]),
        "given": none_if_empty(columns["given"]),
        "family_key": none_if_empty(columns["family_key"]),
        "middle_key": none_if_empty(columns["middle_key"]),
        "given_key": none_if_empty(columns["given_key"]),
        "name_plain": [bool(v) if v is not None else False for v in columns["name_plain"]],
        "dob": [d.isoformat() if d else None for d in columns["dob"]],
        "dob_y": columns["dob_y"],
        "dob_m": columns["dob_m"],
        "dob_d": columns["dob_d"],
        "gender": columns["gender"],
        "commune_2024": columns["commune_2024"],
        "commune_now": columns["commune_now"],
    }
    table = pa.table(data, schema=ARROW_SCHEMA)
    table = table.append_column("invalid", pa.array([v is not None for v in columns["invalid"]], pa.bool_()))
    for part in ("part_family", "part_middle", "part_given"):
        table = table.append_column(part, pa.array(columns[part], pa.string()))
    return table


# --------------------------------------------------------------------------- results


@dataclass
class RowMatch:
    """What matching concluded for one data row (before flags and statuses)."""

    uid: int
    stage: str  # "id", "cmnd", "link", "none", "invalid"
    person: int | None = None  # register uid of the person the row is (or the review candidate)
    probability: float | None = None
    decided: bool = False  # False for a review row
    id_person: int | None = None  # whom the row's ID points to, when it points to someone
    id_contradicts: bool = False
    weight: float | None = None
    alternatives: list[tuple[int, float]] = field(
        default_factory=list
    )  # best candidates with their probability


@dataclass
class MatchOutcome:
    rows: dict[int, RowMatch]
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    u_estimated: bool = False


# --------------------------------------------------------------------------- the engine (DuckDB)


class Linkage(ABC):
    """The register and the sector file side by side in one SQL engine; Splink runs on it.

    Subclasses say how to run SQL, create tables and reach Splink's database API: DuckDB on this
    machine (`DuckLinker`), Spark for a national register (`SparkLinker`). The SQL below is
    written once for both."""

    dialect = "duckdb"
    u_pairs = 2e6  # random pairs the u-probabilities are estimated from

    def __init__(self) -> None:
        self.register_size = 0
        self.in_register_share = 0.5
        self.model: dict[str, Any] = {}

    # what a backend provides -------------------------------------------------------------

    @abstractmethod
    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

    @abstractmethod
    def create(self, name: str, select_sql: str) -> None:
        """Make (or replace) a table from a SELECT."""

    @abstractmethod
    def put(self, name: str, table: pa.Table) -> None:
        """Make (or replace) a table from an Arrow table."""

    def view(self, name: str, select_sql: str) -> None:
        self.create(name, select_sql)

    @abstractmethod
    def db_api(self) -> Any:
        """Splink's database API object for this engine."""

    @abstractmethod
    def close(self) -> None:
        """Release what the engine holds for this run."""

    # tables ------------------------------------------------------------------------------

    def load_register(
        self, batches: Iterable[list[dict[str, Any]]], on_batch: Callable[[int], None] | None = None
    ) -> int:
        parts = []
        for batch in batches:
            if not batch:
                continue
            parts.append(register_arrow(batch))
            self.register_size += len(batch)
            if on_batch is not None:
                on_batch(len(batch))
            if len(parts) >= 8:
                parts = [pa.concat_tables(parts)]
        self.put("reg", pa.concat_tables(parts) if parts else register_arrow([]))
        for col in TF_COLUMNS:
            self.create(
                f"tf_{col}",
                f"SELECT {col}, CAST(count(*) AS DOUBLE) / "  # noqa: S608 - fixed names
                f"(SELECT count({col}) FROM reg) AS tf_{col} "
                f"FROM reg WHERE {col} IS NOT NULL GROUP BY {col}",
            )
        self.view("reg_link", f"SELECT {', '.join(LINK_COLUMNS)} FROM reg")  # noqa: S608 - fixed names
        return self.register_size

    def load_rows(self, columns: dict[str, list[Any]]) -> int:
        table = input_arrow(columns)
        self.put("inp_all", table)
        self.create("inp", f"SELECT {', '.join(LINK_COLUMNS)} FROM inp_all WHERE NOT invalid")  # noqa: S608
        return table.num_rows

    # matching ----------------------------------------------------------------------------

    def match(
        self,
        thresholds: Thresholds = Thresholds(),
        *,
        seed: int = 6,
        on_stage: Callable[[str], None] | None = None,
    ) -> MatchOutcome:
        import time

        from splink import Linker

        timings: dict[str, float] = {}
        rows: dict[int, RowMatch] = {}
        for (uid,) in self.rows("SELECT uid FROM inp_all WHERE invalid"):
            rows[uid] = RowMatch(uid, "invalid", decided=True)
        n_valid = self.rows("SELECT count(*) FROM inp")[0][0]
        if n_valid == 0 or self.register_size == 0:
            for (uid,) in self.rows("SELECT uid FROM inp"):
                rows[uid] = RowMatch(uid, "none", decided=True)
            return MatchOutcome(rows, timings)

        started = time.perf_counter()
        prior = prior_weight(self.register_size)
        db_api = self.db_api()
        inp_sdf = db_api.register("inp", table_name="inp_splink")
        reg_sdf = db_api.register("reg_link", table_name="reg_splink")
        tf_sdfs = {col: db_api.register(f"tf_{col}", table_name=f"tf_lookup_{col}") for col in TF_COLUMNS}

        def make_linker(model: dict[str, Any]) -> Any:
            linker = Linker([inp_sdf, reg_sdf], model, log_level=logging.WARNING)
            for col, tf in tf_sdfs.items():
                linker.table_management.register_term_frequency_lookup(tf, col)
            return linker

        if on_stage:
            on_stage("u")
        linker = make_linker(
            {**settings(self.register_size, dialect=self.dialect), "retain_matching_columns": True}
        )
        max_pairs = min(self.u_pairs, float(n_valid) * float(self.register_size))
        linker.training.estimate_u_using_random_sampling(
            max_pairs=max_pairs, seed=seed, num_chunks=1, min_count_per_level=None
        )
        model = linker.misc.save_model_to_json()
        self.create(
            "inp_ids",
            """
            SELECT i.* FROM inp i
            LEFT JOIN (SELECT DISTINCT id_key AS k FROM reg) a ON a.k = i.id_key
            LEFT JOIN (SELECT DISTINCT cmnd_key AS k FROM reg WHERE cmnd_key IS NOT NULL) b ON b.k = i.cmnd_key
            WHERE a.k IS NOT NULL OR b.k IS NOT NULL
        """,
        )
        n_ids = self.rows("SELECT count(*) FROM inp_ids")[0][0]
        learned = 0
        if n_ids:
            # How this sector's rows differ from the register, learnt from the rows whose ID settles who
            # they are: their m-probabilities replace the priors (smoothed towards them on small files).
            step = max(1, -(-n_ids // M_SAMPLE))
            self.create("inp_ids_sample", f"SELECT * FROM inp_ids WHERE uid % {step} = 0")  # noqa: S608
            sample_sdf = db_api.register("inp_ids_sample", table_name="inp_ids_sample_splink")
            preds = linker.inference.predict_between(
                sample_sdf,
                reg_sdf,
                blocking_rules_to_generate_predictions=["l.id_key = r.id_key"],
                warning_mode="never",
            )
            model, learned = learn_m(self.rows, preds.physical_name, model, prior + thresholds.contradiction)
            preds.drop_table_from_database_and_remove_from_cache()
        model["retain_matching_columns"] = False
        linker = make_linker(model)
        self.model = model
        timings["train"] = time.perf_counter() - started

        # (a) and (b): rows whose ID or CMND is known to the register.
        if on_stage:
            on_stage("id")
        started = time.perf_counter()
        id_scores: dict[int, tuple[int, float, str]] = {}
        if n_ids:
            ids_sdf = db_api.register("inp_ids", table_name="inp_ids_splink")
            preds = linker.inference.predict_between(
                ids_sdf,
                reg_sdf,
                blocking_rules_to_generate_predictions=["l.id_key = r.id_key", "l.cmnd_key = r.cmnd_key"],
                warning_mode="never",
            )
            # The ID wins over the CMND when both are given and point to different people.
            res = self.rows(f"""
                SELECT uid_l, uid_r, match_weight, stage FROM (
                    SELECT p.uid_l, p.uid_r, p.match_weight,
                           CASE WHEN l.id_key IS NOT NULL AND l.id_key = r.id_key THEN 'id' ELSE 'cmnd' END AS stage,
                           row_number() OVER (PARTITION BY p.uid_l ORDER BY
                               CASE WHEN l.id_key = r.id_key THEN 1 ELSE 0 END DESC, p.match_weight DESC) AS rk
                    FROM {preds.physical_name} p
                    JOIN inp_ids l ON l.uid = p.uid_l
                    JOIN reg_link r ON r.uid = p.uid_r
                ) x WHERE rk = 1
            """)  # noqa: S608 - physical name from Splink
            for uid_l, uid_r, mw, stage in res:
                id_scores[uid_l] = (uid_r, mw, stage)
            preds.drop_table_from_database_and_remove_from_cache()
        timings["id"] = time.perf_counter() - started

        need_link: list[int] = []
        for (uid,) in self.rows("SELECT uid FROM inp"):
            found = id_scores.get(uid)
            if found is None:
                need_link.append(uid)
                continue
            person, mw, stage = found
            partial = mw - prior
            if partial < thresholds.contradiction:
                rows[uid] = RowMatch(uid, stage, id_person=person, id_contradicts=True, weight=partial)
                need_link.append(uid)
            else:
                rows[uid] = RowMatch(
                    uid, stage, person, _id_probability(partial), True, person, weight=partial
                )

        # (c): linkage for everything else.
        if on_stage:
            on_stage("link")
        started = time.perf_counter()
        if need_link:
            self.put("need_uids", pa.table({"uid": pa.array(need_link, pa.int64())}))
            self.create("inp_link", "SELECT i.* FROM inp i JOIN need_uids n ON n.uid = i.uid")
            link_sdf = db_api.register("inp_link", table_name="inp_link_splink")
            preds = linker.inference.predict_between(
                link_sdf, reg_sdf, threshold_match_weight=thresholds.floor_weight, warning_mode="never"
            )
            candidates: dict[int, list[tuple[int, float]]] = {}
            for uid_l, uid_r, mw in self.rows(
                f"SELECT uid_l, uid_r, match_weight FROM {preds.physical_name} "  # noqa: S608
                "ORDER BY uid_l, match_weight DESC, uid_r"
            ):
                candidates.setdefault(uid_l, []).append((uid_r, mw))
            preds.drop_table_from_database_and_remove_from_cache()
            lists: dict[int, list[tuple[int, float]]] = {}
            for uid in need_link:
                prev = rows.get(uid)
                cands = candidates.get(uid, [])
                if prev is not None and prev.id_person is not None:
                    # The contradicting ID's holder stays a candidate with its own score.
                    holder = prev.id_person
                    if all(c[0] != holder for c in cands) and prev.weight is not None:
                        cands = sorted([*cands, (holder, prev.weight + prior)], key=lambda c: -c[1])
                lists[uid] = cands
            self.in_register_share = estimate_in_register(list(lists.values()))
            shift = math.log2(self.in_register_share / (1 - self.in_register_share))
            for uid, cands in lists.items():
                rows[uid] = _decide(
                    uid, [(person, w + shift) for person, w in cands], thresholds, rows.get(uid)
                )
        timings["link"] = time.perf_counter() - started
        counts = {"id_pairs": len(id_scores), "linked_rows": len(need_link), "m_learnt_from": learned}
        return MatchOutcome(rows, timings, counts, u_estimated=True)


class DuckLinker(Linkage):
    """DuckDB in this process. Its memory limit and two threads keep a 1.15-million-person register
    and a 1.14-million-row file well under 8 GB on the shared two-core machine."""

    dialect = "duckdb"

    def __init__(
        self,
        *,
        threads: int = 2,
        memory_limit: str = "6GB",
        temp_dir: str | None = None,
        database: str = ":memory:",
    ) -> None:
        super().__init__()
        self.con = duckdb.connect(database)
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = false")
        if temp_dir:
            self.con.execute(f"SET temp_directory = '{temp_dir}'")
        self._api: Any = None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def create(self, name: str, select_sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {select_sql}")

    def view(self, name: str, select_sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {select_sql}")

    def put(self, name: str, table: pa.Table) -> None:
        self.con.register("_arrow_in", table)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _arrow_in")  # noqa: S608
        finally:
            self.con.unregister("_arrow_in")

    def db_api(self) -> Any:
        from splink import DuckDBAPI

        if self._api is None:
            self._api = DuckDBAPI(connection=self.con)
        return self._api

    def close(self) -> None:
        self.con.close()


def register_to_duckdb_file(url: str, path: str) -> int:
    """In a separate process: read the register (through registry.service) into a DuckDB file, so the
    parent can standardise the sector file at the same time on the other core. Returns its size."""
    from hue06.core.db import make_engine, make_sessionmaker
    from hue06.registry import service as registry

    engine = make_engine(url, immediate=False)
    linker = DuckLinker(database=path, threads=1, memory_limit="3GB")
    try:
        with make_sessionmaker(engine)() as session:
            return linker.load_register(registry.iter_register(session))
    finally:
        linker.close()
        engine.dispose()


class SparkLinker(Linkage):
    """The same matching on Spark (Splink's Spark backend), for a register too big for one machine.

    The caller owns the SparkSession; it must load Splink's similarity UDF jar
    (`splink.backends.spark.similarity_jar_location()`, see `local_spark`) and have a checkpoint
    directory."""

    dialect = "spark"

    def __init__(self, spark: Any, *, u_pairs: float = 2e6) -> None:
        super().__init__()
        self.spark = spark
        self.u_pairs = u_pairs
        self._api: Any = None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def create(self, name: str, select_sql: str) -> None:
        self.spark.sql(select_sql).cache().createOrReplaceTempView(name)

    def put(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).cache().createOrReplaceTempView(name)

    def db_api(self) -> Any:
        from splink import SparkAPI

        if self._api is None:
            self._api = SparkAPI(spark_session=self.spark, break_lineage_method="persist")
        return self._api

    def close(self) -> None:
        """The session is the caller's; only this run's cached tables are let go."""
        self.spark.catalog.clearCache()


def local_spark(checkpoint_dir: str, *, cores: int = 1, memory: str = "1g") -> Any:
    """A Spark session in local mode with Splink's UDF jar: for tests and single-machine trials.
    On a cluster, build the session the cluster's way and add the same jar."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("hue06-quality")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
        .config("spark.driver.memory", memory)
        .config("spark.jars", similarity_jar_location())
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(checkpoint_dir)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _id_probability(partial: float, id_prior: float = 0.99) -> float:
    """How sure we are the row is the ID's holder: the ID's own prior (it is usually right)
    combined with what the rest of the row says."""
    log_odds = math.log2(id_prior / (1 - id_prior)) + partial
    return _sigmoid2(log_odds)


def _sigmoid2(log2_odds: float) -> float:
    if log2_odds > 60:
        return 1.0
    if log2_odds < -60:
        return 0.0
    odds = 2.0**log2_odds
    return odds / (1.0 + odds)


def posterior(weights: list[float]) -> list[float]:
    """Each candidate's probability of being the row's person, given every candidate found:
    2^w_i / (1 + Σ_j 2^w_j) (the 1 is "someone not found", the w already hold the prior)."""
    if not weights:
        return []
    top = max(weights)
    if top > 60:
        scaled = [2.0 ** (w - top) for w in weights]
        rest = 2.0 ** (-top)
        total = rest + sum(scaled)
        return [s / total for s in scaled]
    odds = [2.0**w for w in weights]
    total = 1.0 + sum(odds)
    return [o / total for o in odds]


def estimate_in_register(candidate_lists: list[list[tuple[int, float]]], rounds: int = 20) -> float:
    """The share of rows that are someone in the register, learnt from the rows themselves (EM):
    Splink's prior says one random pair in N matches, which is right for a pair but not for a row
    of a health-insurance file, nearly all of whose people do live in the province."""
    share = 0.5
    if not candidate_lists:
        return share
    for _ in range(rounds):
        shift = math.log2(share / (1 - share))
        total = 0.0
        for cands in candidate_lists:
            total += sum(posterior([w + shift for _, w in cands]))
        new = min(max(total / len(candidate_lists), 0.05), 0.995)
        if abs(new - share) < 1e-4:
            return new
        share = new
    return share


def _decide(uid: int, cands: list[tuple[int, float]], t: Thresholds, prev: RowMatch | None) -> RowMatch:
    base = prev or RowMatch(uid, "link")
    stage = "link"
    if not cands:
        return RowMatch(uid, "none", None, 0.0, True, base.id_person, base.id_contradicts, None)
    probs = posterior([w for _, w in cands])
    base.alternatives = [(c[0], pr) for c, pr in zip(cands[:MAX_ALTERNATIVES], probs, strict=False)]
    person, weight = cands[0]
    p = probs[0]
    if p >= t.link:
        return RowMatch(
            uid, stage, person, p, True, base.id_person, base.id_contradicts, weight, base.alternatives
        )
    if p >= t.review:
        return RowMatch(
            uid, stage, person, p, False, base.id_person, base.id_contradicts, weight, base.alternatives
        )
    return RowMatch(
        uid, "none", None, p, True, base.id_person, base.id_contradicts, weight, base.alternatives
    )
