"""`hue06 quality verify` as an operator runs it."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from hue06.core.migrate import upgrade
from hue06.synth.province import build_province


def hue06(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hue06", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
        timeout=600,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('quality_cli') / 'hue06.db'}"
    upgrade(url)
    build_province(url, 3000, 8)
    return url


def test_verify_writes_the_result_report_and_corrections(db, tmp_path):
    data, truth = tmp_path / "bhyt.csv", tmp_path / "truth.csv"
    r = hue06(
        "synth",
        "sector",
        "health_insurance",
        "--rows",
        "600",
        "--seed",
        "2",
        "--out",
        str(data),
        "--truth",
        str(truth),
        "--db",
        db,
    )
    assert r.returncode == 0, r.stderr
    result, report, fixes = tmp_path / "result.csv", tmp_path / "report.xlsx", tmp_path / "fixes.csv"
    r = hue06(
        "quality",
        "verify",
        str(data),
        "--sector",
        "health_insurance",
        "--out",
        str(result),
        "--report",
        str(report),
        "--corrections",
        str(fixes),
        "--db",
        db,
    )
    assert r.returncode == 0, r.stderr
    assert re.search(
        r"^Đã xác thực \d{3}/600 trường hợp \(\d{2},\d{2}%\); \d+ trường hợp chưa xác thực được\.$",
        r.stdout,
        re.M,
    ), r.stdout
    assert re.search(r"^Verified \d{3}/600 records", r.stdout, re.M)
    with result.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(x["row"]) for x in rows] == list(range(1, 601))
    assert set(rows[0]) >= {"row", "status", "personal_id", "match_probability", "differences"}
    with truth.open(encoding="utf-8") as fh:
        expected = {int(t["row"]): t["personal_id"] for t in csv.DictReader(fh)}
    decided = [x for x in rows if x["status"] not in ("review", "invalid")]
    right = sum(1 for x in decided if x["personal_id"] == expected[int(x["row"])])
    assert right / len(decided) > 0.99
    book = load_workbook(report, read_only=True)
    assert {"Tổng hợp", "Theo xã", "Cần sửa", "Dòng bỏ qua"} <= set(book.sheetnames)
    with fixes.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert "Số định danh đúng" in header
    # The same file again: the run shows what changed (nothing) since the first.
    r = hue06(
        "quality", "verify", str(data), "--sector", "health_insurance", "--out", str(result), "--db", db
    )
    assert r.returncode == 0, r.stderr
    assert "0 dòng mới" in r.stdout and "0 new rows" in r.stdout


def test_a_mapping_file_for_an_unusual_layout(db, tmp_path):
    data = tmp_path / "odd.csv"
    data.write_text("Cột A;Cột B;Cột C\nNguyễn Văn Không Có;01/01/1950;\n", encoding="utf-8")
    result = tmp_path / "r.csv"
    r = hue06("quality", "verify", str(data), "--sector", "association", "--out", str(result), "--db", db)
    assert r.returncode == 1
    assert "Không tìm thấy dòng tiêu đề" in r.stderr
    mapping = tmp_path / "m.json"
    mapping.write_text(
        '{"header_line": 1, "columns": {"full_name": "Cột A", "date_of_birth": "B"}}', encoding="utf-8"
    )
    r = hue06(
        "quality",
        "verify",
        str(data),
        "--sector",
        "association",
        "--out",
        str(result),
        "--mapping",
        str(mapping),
        "--db",
        db,
    )
    assert r.returncode == 0, r.stderr
    with result.open(encoding="utf-8-sig") as fh:
        assert [x["status"] for x in csv.DictReader(fh)] == ["not_found"]


def test_bad_files_are_explained(db, tmp_path):
    result = tmp_path / "r.csv"
    for content, words in ((b"", "Tệp rỗng"), (b"%PDF-1.4 binary", "không phải bảng tính")):
        bad = tmp_path / "bad.csv"
        bad.write_bytes(content)
        r = hue06("quality", "verify", str(bad), "--sector", "tax", "--out", str(result), "--db", db)
        assert r.returncode == 1 and words in r.stderr, r.stderr
        assert not result.exists()
