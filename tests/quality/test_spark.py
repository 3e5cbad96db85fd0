"""The same matching on Splink's Spark backend (PySpark in local mode), on a small file.

Skipped only where PySpark or Java is missing and CI is not set; in CI it must run."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from hue06.core.db import make_engine, make_sessionmaker
from hue06.core.migrate import upgrade
from hue06.quality import mapping as mp
from hue06.quality.importers import read_file
from hue06.quality.linkage import DuckLinker, SparkLinker, local_spark
from hue06.quality.standardise import standardise
from hue06.registry import service as registry
from hue06.synth import sector
from hue06.synth.province import build_province

IN_CI = os.environ.get("CI", "").lower() == "true"
HAVE_SPARK = importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(
        not HAVE_SPARK and not IN_CI, reason="PySpark or Java is not installed (required in CI)"
    ),
]


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    url = f"sqlite:///{folder / 'register.db'}"
    upgrade(url)
    build_province(url, 1200, 4)
    engine = make_engine(url, immediate=False)
    with make_sessionmaker(engine)() as s:
        batches = list(registry.iter_register(s))
    engine.dispose()
    people = sector.load_people(batches)
    data = folder / "bhyt.csv"
    sector.write_sector(people, "health_insurance", 150, 0.2, 3, data, folder / "truth.csv")
    imported = read_file(data)
    table = standardise(imported, mp.check(imported, mp.recognised(imported)))
    return batches, table, folder


def test_spark_backend_gives_the_same_people_as_duckdb(small_world):
    batches, table, folder = small_world
    duck = DuckLinker()
    duck.load_register(batches)
    duck.load_rows(table.columns)
    expected = duck.match()
    duck.close()

    spark = local_spark(str(folder / "checkpoints"), cores=2)
    try:
        linker = SparkLinker(spark, u_pairs=5e4)  # fewer random pairs: a small file, a quick test
        linker.load_register(batches)
        assert linker.load_rows(table.columns) == 150
        got = linker.match()
    finally:
        spark.stop()

    assert set(got.rows) == set(expected.rows) == set(range(1, 151))
    confident = [uid for uid, r in expected.rows.items() if r.decided and (r.probability or 0) >= 0.99]
    assert len(confident) > 120
    same = [
        uid
        for uid in confident
        if got.rows[uid].person == expected.rows[uid].person
        and got.rows[uid].stage == expected.rows[uid].stage
    ]
    assert len(same) == len(confident)
    assert (
        got.counts["linked_rows"] == expected.counts["linked_rows"] > 20
    )  # the ID-less rows went to linkage
