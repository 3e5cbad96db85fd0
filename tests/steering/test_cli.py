"""`hue06 steering import-report` and `hue06 steering report` as the secretariat runs them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest


def hue06(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hue06", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


@pytest.fixture
def fresh_db(tmp_path) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'steering.db'}"
    assert hue06("init", "--db", url).returncode == 0
    return url


def test_import_report_json_then_generate_docx_and_pdf(fresh_db, reference_file, tmp_path):
    r = hue06("steering", "import-report", str(reference_file), "--json", "--db", fresh_db)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["imported"] is True and out["reference"] == "108/BC-BCĐ" and out["period"] == "2024-H1"
    assert out["counts"]["tasks_completed"] == 22 and out["counts"]["tasks_recurring"] == 11
    assert (
        out["stated"]["tasks_total"],
        out["stated"]["tasks_in_progress"],
        out["stated"]["tasks_not_completed"],
    ) == ("92", "59", "0")
    assert len(out["mismatches"]) == 22
    row19 = next(m for m in out["mismatches"] if m["check"] == "on_time_overdue_vs_online")
    assert (row19["appendix"], row19["row"], row19["difference"]) == ("II", "19", "1584")

    again = hue06("steering", "import-report", str(reference_file), "--db", fresh_db)
    assert again.returncode == 0 and "đã được nhập" in again.stderr

    docx_path, pdf_path = tmp_path / "bc.docx", tmp_path / "bc.pdf"
    r = hue06(
        "steering",
        "report",
        "--period",
        "2024-H1",
        "--out",
        str(docx_path),
        "--pdf",
        str(pdf_path),
        "--date",
        "10/07/2024",
        "--number",
        "108",
        "--db",
        fresh_db,
    )
    assert r.returncode == 0, r.stderr
    assert "hoàn thành 22" in r.stdout
    from docx import Document
    from pypdf import PdfReader

    doc = Document(str(docx_path))
    assert doc.tables[0].rows[1].cells[0].text == "Số: 108/BC-BCĐ"
    text = "".join(PdfReader(io.BytesIO(pdf_path.read_bytes())).pages[0].extract_text().split())
    assert "CỘNGHÒAXÃHỘICHỦNGHĨAVIỆTNAM" in text


def test_bad_report_exits_1_listing_row_and_reason(fresh_db, reference_text, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(reference_text.replace("\t15.816\t", "\t15.8I6\t"), encoding="utf-8")
    r = hue06("steering", "import-report", str(bad), "--db", fresh_db)
    assert r.returncode == 1
    assert "15.8I6" in r.stderr and "--partial" in r.stderr
    r = hue06("steering", "import-report", str(bad), "--json", "--db", fresh_db)
    assert r.returncode == 1
    problems = [p for p in json.loads(r.stdout)["problems"] if p["severity"] == "error"]
    assert [(p["appendix"], p["row"], p["field"]) for p in problems] == [("II", "2", "Tổng hồ sơ")]
    r = hue06("steering", "import-report", str(bad), "--partial", "--json", "--db", fresh_db)
    assert r.returncode == 0 and json.loads(r.stdout)["counts"]["services25"] == 24


def test_report_before_any_import_is_explained(fresh_db, tmp_path):
    r = hue06(
        "steering", "report", "--period", "2024-H1", "--out", str(tmp_path / "x.docx"), "--db", fresh_db
    )
    assert r.returncode == 1 and "hãy nhập báo cáo trước" in r.stderr
    r = hue06(
        "steering", "report", "--period", "2024-H7", "--out", str(tmp_path / "x.docx"), "--db", fresh_db
    )
    assert r.returncode == 1 and "2024-H7" in r.stderr
