"""`hue06 synth dossiers`: dossiers in the report's proportions, over residents of the register."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from hue06.cli import app
from hue06.core.db import make_engine, make_sessionmaker
from hue06.core.migrate import upgrade
from hue06.services import service
from hue06.synth.province import build_province

PERIOD = (date(2023, 12, 15), date(2024, 6, 14))


@pytest.fixture(scope="module")
def dossier_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('synth_dossiers') / 'province.db'}"
    upgrade(url)
    build_province(url, 3000, 5)
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "dossiers",
            "--count",
            "12000",
            "--from",
            PERIOD[0].isoformat(),
            "--to",
            PERIOD[1].isoformat(),
            "--seed",
            "3",
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    return url


def _stats(url):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        out = service.compute_stats(s, *PERIOD, today=date(2026, 1, 1))
    engine.dispose()
    return out


def test_dossiers_follow_appendix_ii_proportions(dossier_db):
    s = _stats(dossier_db)
    assert s.totals["total"] == 12_000
    rows = {r["code"]: r for r in s.services}
    # Appendix II: 95% online overall; judicial records 93%; unemployment benefit 4%; land 17%.
    assert 0.92 < s.totals["online_rate"] < 0.97
    assert 0.88 < rows["DVC06-22"]["online_rate"] < 0.97
    assert rows["DVC06-23"]["online_rate"] < 0.2
    assert 0.1 < rows["DVC06-19"]["online_rate"] < 0.25
    # overdue only where the report has it: permanent residence ~17% of handled dossiers, none for passports' share
    assert 0.12 < rows["DVC06-03"]["overdue"] / rows["DVC06-03"]["total"] < 0.22
    assert rows["DVC06-22"]["overdue"] == 0 and rows["DVC06-25"]["overdue"] == 0
    # services with no dossiers in the report get none
    assert rows["DVC06-11"]["total"] == rows["DVC06-17"]["total"] == rows["DVC06-21"]["total"] == 0
    # the biggest services are the lodging notices and permanent residence, as in the report
    biggest = sorted(rows.values(), key=lambda r: -r["total"])[:2]
    assert {r["code"] for r in biggest} == {"DVC06-06", "DVC06-03"}


def test_cli_stats_json_has_the_documented_shape(dossier_db):
    result = CliRunner().invoke(
        app,
        [
            "services",
            "stats",
            "--from",
            PERIOD[0].isoformat(),
            "--to",
            PERIOD[1].isoformat(),
            "--json",
            "--db",
            dossier_db,
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["services"][0]) == {
        "code",
        "name",
        "total",
        "online",
        "online_rate",
        "on_time",
        "overdue",
    }
    assert data["totals"]["total"] == 12_000
    assert sum(r["total"] for r in data["services"]) == data["totals"]["total"]


def test_cli_refuses_a_bad_date_and_an_empty_register(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(
        app,
        [
            "services",
            "stats",
            "--from",
            "15/12/2023",
            "--to",
            "2024-06-14",
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    empty = runner.invoke(
        app, ["synth", "dossiers", "--count", "10", "--from", "2024-01-01", "--to", "2024-01-31", "--db", url]
    )
    assert empty.exit_code == 1 and "synth province" in empty.output
