"""`hue06 synth province` then `hue06 registry export` on a small province."""

from __future__ import annotations

import csv
from datetime import date

from typer.testing import CliRunner

from hue06.cli import app
from hue06.core import admin_units
from hue06.core.personal_id import check_personal_id


def test_build_a_small_province_and_export_it_to_csv(tmp_path, sqlite_only):
    url = f"sqlite:///{tmp_path / 'small.db'}"
    runner = CliRunner()
    built = runner.invoke(app, ["synth", "province", "--residents", "800", "--seed", "3", "--db", url])
    assert built.exit_code == 0, built.output
    assert "residents=800" in built.output

    out = tmp_path / "export" / "residents.csv"
    exported = runner.invoke(app, ["registry", "export", "--out", str(out), "--db", url])
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 800
    assert list(rows[0]) == [
        "personal_id",
        "family_name",
        "middle_name",
        "given_name",
        "full_name",
        "gender",
        "date_of_birth",
        "commune_code",
        "current_commune_code",
        "household_id",
        "status",
    ]
    assert len({r["personal_id"] for r in rows}) == 800
    for r in rows:
        dob = date.fromisoformat(r["date_of_birth"])  # YYYY-MM-DD
        check_personal_id(r["personal_id"], dob, r["gender"], today=date(2024, 7, 1))
        assert r["full_name"] == " ".join(
            p for p in (r["family_name"], r["middle_name"], r["given_name"]) if p
        )
        assert r["status"] in ("alive", "deceased") and r["household_id"].isdigit()
        assert admin_units.current_unit(r["commune_code"]).code == r["current_commune_code"]

    again = runner.invoke(app, ["synth", "province", "--residents", "50", "--seed", "4", "--db", url])
    assert again.exit_code == 1 and "already holds residents" in again.output
