"""`hue06 synth sector`: a sector file with realistic errors and a truth file that says who is who."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import unicodedata

import pytest

from hue06.core.db import make_engine, make_sessionmaker
from hue06.core.migrate import upgrade
from hue06.quality import mapping as mp
from hue06.quality.importers import read_file
from hue06.quality.standardise import standardise
from hue06.registry import service as registry
from hue06.synth import sector
from hue06.synth.province import build_province


@pytest.fixture(scope="module")
def register_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('synth_sector') / 'province.db'}"
    upgrade(url)
    build_province(url, 4000, 5)
    return url


@pytest.fixture(scope="module")
def people(register_db):
    engine = make_engine(register_db, immediate=False)
    with make_sessionmaker(engine)() as s:
        loaded = sector.load_people(registry.iter_register(s))
    engine.dispose()
    return loaded


def _truth(path):
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_truth_matches_the_file_row_for_row(people, tmp_path):
    out, truth = tmp_path / "bhyt.csv", tmp_path / "truth.csv"
    figures = sector.write_sector(people, "health_insurance", 2000, 0.05, 1, out, truth)
    rows = _truth(truth)
    imported = read_file(out)
    table = standardise(imported, mp.check(imported, mp.recognised(imported)))
    assert len(rows) == len(table) == figures["rows"] == 2000
    ids = set(people.personal_id)
    for t in rows:
        assert t["personal_id"] in ids or (t["personal_id"] == "" and "not_in_register" in t["error_types"])
    # Rows whose ID was left intact carry their person's ID in the file.
    intact = [
        i
        for i, t in enumerate(rows)
        if not set(t["error_types"].split(";"))
        & (sector.UNUSABLE_ID | {"cmnd_only", "not_in_register", "duplicate"})
    ]
    assert all(table.columns["id_key"][i] == rows[i]["personal_id"] for i in intact)


def test_the_errors_asked_for_are_there(people, tmp_path):
    out, truth = tmp_path / "bhyt.csv", tmp_path / "truth.csv"
    figures = sector.write_sector(people, "health_insurance", 3000, 0.10, 2, out, truth)
    errors = figures["errors"]
    for kind in (
        "no_marks",
        "tone_style",
        "nfd",
        "typo_given",
        "middle_dropped",
        "thi_omitted",
        "dob_swapped",
        "dob_year_only",
        "id_missing",
        "id_wrong_digit",
        "id_household",
        "old_commune",
        "deceased",
        "duplicate",
        "not_in_register",
    ):
        assert errors.get(kind, 0) > 0, kind
    unusable = sum(1 for t in _truth(truth) if set(t["error_types"].split(";")) & sector.UNUSABLE_ID)
    assert 0.07 < unusable / 3000 < 0.14  # --missing-id-rate 0.10, plus duplicates that lost their ID
    text = out.read_text(encoding="utf-8-sig")
    assert not unicodedata.is_normalized("NFC", text)  # some names are decomposed (NFD)


def test_the_same_seed_makes_the_same_file(people, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    sector.write_sector(people, "welfare", 500, 0.05, 9, a, None)
    sector.write_sector(people, "welfare", 500, 0.05, 9, b, None)
    assert a.read_bytes() == b.read_bytes()
    sector.write_sector(people, "welfare", 500, 0.05, 10, b, None)
    assert a.read_bytes() != b.read_bytes()


@pytest.mark.parametrize("kind", sector.KINDS)
def test_every_sector_layout_is_recognised(people, tmp_path, kind):
    out = tmp_path / f"{kind}.csv"
    sector.write_sector(people, kind, 300, 0.05, 3, out, None)
    imported = read_file(out)
    mapping = mp.check(imported, mp.recognised(imported))
    table = standardise(imported, mapping)
    assert len(table) == 300
    assert sum(1 for g in table.columns["given"] if g) > 290
    assert sum(1 for y in table.columns["dob_y"] if y) > 290


@pytest.mark.parametrize(
    ("fmt", "encoding"),
    [
        ("csv", "utf-16"),
        ("csv", "cp1258"),
        ("csv", "tcvn3"),
        ("csv", "vni"),
        ("xlsx", "utf-8"),
        ("xlsx", "tcvn3"),
    ],
)
def test_every_encoding_and_format_reads_back_the_same_names(people, tmp_path, fmt, encoding):
    plain = tmp_path / "plain.csv"
    sector.write_sector(people, "social_insurance", 200, 0.05, 4, plain, None)
    other = tmp_path / f"other.{fmt}"
    sector.write_sector(people, "social_insurance", 200, 0.05, 4, other, None, fmt, encoding)
    a, b = read_file(plain), read_file(other)
    ta = standardise(a, mp.recognised(a))
    tb = standardise(b, mp.recognised(b))
    assert b.encoding in (encoding, None if encoding == "utf-8" else encoding)
    assert [k.lower() for k in ta.columns["given_key"]] == [k.lower() for k in tb.columns["given_key"]]
    assert ta.columns["id_key"] == tb.columns["id_key"]


def test_bad_options_are_refused(people, tmp_path):
    from hue06.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        sector.write_sector(people, "fishing", 10, 0.05, 1, tmp_path / "x.csv", None)
    with pytest.raises(InvalidInput):
        sector.write_sector(people, "tax", 10, 0.05, 1, tmp_path / "x.xlsx", None, "xlsx", "utf-16")
    with pytest.raises(InvalidInput):
        sector.write_sector(people, "tax", 10_000, 0.05, 1, tmp_path / "x.csv", None)  # more rows than people


def test_the_command(register_db, tmp_path):
    out, truth = tmp_path / "tax.csv", tmp_path / "truth.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "hue06",
            "synth",
            "sector",
            "tax",
            "--rows",
            "400",
            "--missing-id-rate",
            "0.2",
            "--seed",
            "3",
            "--out",
            str(out),
            "--truth",
            str(truth),
            "--db",
            register_db,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert r.returncode == 0, r.stderr
    assert "rows=400" in r.stdout
    assert len(_truth(truth)) == 400
