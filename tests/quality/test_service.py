"""Verifying a sector file: each status a user sees, review, re-runs, jurisdiction, bad input."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from datetime import date

import pytest
from sqlalchemy import func, select

from hue06.core.audit import AuditEntry
from hue06.core.errors import InvalidInput, NotFound
from hue06.core.security import Actor
from hue06.quality import service
from hue06.quality.models import QualityRowResult, QualityRun, ReviewDecision

from .conftest import add_household, add_person, csv_file

PROVINCE_OFFICIAL = Actor(kind="official", id="so_y_te", role="province", unit_code="46")
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Địa chỉ"]
ADDRESS = "Tổ 3, Phường Phú Xuân, Thành phố Huế"


@pytest.fixture
def people(session, province):  # type: ignore[no-untyped-def]
    h = add_household(session)
    p = {
        "A": add_person(session, "Trần", "Văn", "Khải", date(1980, 4, 12), "male", household=h),
        "B": add_person(session, "Trần", "Thị", "Diệu", date(1982, 9, 3), "female", household=h),
        "C": add_person(session, "Lê", "Thị", "Thúy", date(1975, 11, 30), "female", status="deceased"),
        "D": add_person(session, "Hoàng", "Minh", "Quân", date(2001, 2, 14), "male"),
        "E1": add_person(session, "Nguyễn", "Văn", "Bảo", date(1990, 1, 5), "male"),
        "E2": add_person(session, "Nguyễn", "Văn", "Bảo", date(1990, 7, 21), "male"),
        "F": add_person(session, "Phạm", "Ngọc", "Ánh", date(1995, 6, 18), "female", old_id="191234567"),
        "G": add_person(session, "Đặng", "Thị", "Hồng", date(1968, 12, 1), "female"),
    }
    session.commit()
    return {k: v.personal_id for k, v in p.items()}


def _file(p: dict[str, str]) -> bytes:
    return csv_file(
        HEADER,
        [
            ["1", "Trần Văn Khải", "12/04/1980", "Nam", p["A"], ADDRESS],
            ["2", "Hoàng Minh Quân", "14/02/2000", "Nam", p["D"], ADDRESS],
            ["3", "Dang Thi Hong", "01/12/1968", "Nu", "", ADDRESS],
            ["4", "Trần Thị Diệu", "03/09/1982", "Nữ", p["A"], ADDRESS],
            ["5", "Lê Thị Thuý", "30/11/1975", "Nữ", p["C"], ADDRESS],
            ["6", "Vương Đình Tuấn", "1977", "Nam", "", ADDRESS],
            ["7", "Nguyễn Văn Bảo", "1990", "Nam", "", ADDRESS],
            ["8", "Phạm Ngọc Ánh", "18/06/1995", "Nữ", "191234567", ADDRESS],
            ["9", "TRẦN VĂN KHẢI", "12/04/1980", "Nam", p["A"], ADDRESS],
            ["10", "#####", "", "", "", ""],
        ],
    )


def _run(session, data: bytes, actor: Actor = PROVINCE_OFFICIAL, sector: str = "health_insurance"):
    prepared = service.prepare(data, "bhyt.csv", sector, session=session)
    report = service.verify(session, prepared, sector, actor)
    session.commit()
    return report


def test_every_status_a_sector_sees(session, people):
    report = _run(session, _file(people))
    rows = {r["row"]: r for r in report.rows}
    assert len(rows) == 10
    assert (rows[1]["status"], rows[1]["personal_id"]) == ("verified", people["A"])
    assert (rows[2]["status"], rows[2]["differences"]) == ("mismatch", "date_of_birth")
    assert (rows[3]["status"], rows[3]["personal_id"]) == ("linked", people["G"])
    assert "given_name" in rows[3]["differences"] and "personal_id" in rows[3]["differences"]
    assert (rows[4]["status"], rows[4]["personal_id"]) == ("linked", people["B"])
    assert "id_of_other_person" in rows[4]["flags"]
    assert (rows[5]["status"], rows[5]["personal_id"]) == ("deceased", people["C"])
    assert (rows[6]["status"], rows[6]["personal_id"]) == ("not_found", None)
    assert rows[7]["status"] == "review" and rows[7]["personal_id"] in (people["E1"], people["E2"])
    alternatives = {a[0] for a in json.loads(rows[7]["data"])["alternatives"]}
    assert {people["E1"], people["E2"]} <= alternatives
    assert (rows[8]["status"], rows[8]["personal_id"]) == ("mismatch", people["F"])
    assert "old_id_used" in rows[8]["flags"] and rows[8]["differences"] == "personal_id"
    assert (rows[9]["status"], rows[9]["duplicate_of"], rows[9]["personal_id"]) == (
        "duplicate",
        1,
        people["A"],
    )
    assert (rows[10]["status"], rows[10]["reason"]) == ("invalid", "no_key")
    assert report.counts["verified"] == 1 and report.counts["invalid"] == 1
    # The summary speaks the report's language, with Vietnamese number formatting.
    assert report.summary_vi[0] == "Đã xác thực 7/10 trường hợp (70,00%); 3 trường hợp chưa xác thực được."


def test_the_run_is_stored_with_its_audit_entry(session, people):
    report = _run(session, _file(people))
    run = session.get(QualityRun, report.run_id)
    assert run.total_rows == 10 and json.loads(run.counts)["review"] == 1
    assert (
        session.scalar(
            select(func.count()).select_from(QualityRowResult).where(QualityRowResult.run_id == run.id)
        )
        == 10
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "quality.run")).one()
    detail = json.loads(entry.detail)
    assert detail["file_sha256"] == run.file_sha256 and detail["rows"] == 10
    assert entry.actor == "official:so_y_te"
    assert people["A"] not in entry.detail  # no personal data in the audit detail


def test_review_decision_is_kept_for_the_next_file(session, people):
    report = _run(session, _file(people))
    run = session.get(QualityRun, report.run_id)
    item = service.review_item(session, run, 7, PROVINCE_OFFICIAL)
    assert item.candidate.given_name == "Bảo" and item.data["name"] == "Nguyễn Văn Bảo"
    service.decide_review(session, run, 7, "confirm", PROVINCE_OFFICIAL, candidate=people["E2"])
    session.commit()
    assert json.loads(run.counts)["review"] == 0
    assert session.scalars(select(ReviewDecision)).one().candidate_id == people["E2"]
    again = _run(session, _file(people))
    row7 = next(r for r in again.rows if r["row"] == 7)
    assert (row7["status"], row7["personal_id"]) == ("linked", people["E2"])
    assert "review_confirmed" in row7["flags"]
    decisions = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "quality.review_decision")
    ).all()
    assert len(decisions) == 1


def test_a_rejected_candidate_is_nobody(session, people):
    report = _run(session, _file(people))
    run = session.get(QualityRun, report.run_id)
    service.decide_review(session, run, 7, "reject", PROVINCE_OFFICIAL)
    session.commit()
    row = session.scalars(
        select(QualityRowResult).where(QualityRowResult.run_id == run.id, QualityRowResult.row == 7)
    ).one()
    assert (row.status, row.personal_id) == ("not_found", None)
    with pytest.raises(NotFound):  # decided already: no longer a review row
        service.decide_review(session, run, 7, "confirm", PROVINCE_OFFICIAL)


def test_a_second_run_shows_what_changed(session, people):
    _run(session, _file(people))
    fixed = _file(people).replace(b"14/02/2000", b"14/02/2001").replace(b"10,#####,,,,\n", b"")
    report = _run(session, fixed)
    assert report.changes is not None
    assert report.changes["fixed"] == 1  # row 2 now agrees with the register
    assert {"from": "mismatch", "to": "verified", "n": 1} in report.changes["transitions"]
    assert report.changes["gone_rows"] == 1  # the invalid line is gone


def test_a_commune_official_sees_only_their_communes(session, people):
    report = _run(session, _file(people))
    run = session.get(QualityRun, report.run_id)
    own = Actor(kind="official", id="xa_tay_loc", role="commune", unit_code="19750")
    other = Actor(kind="official", id="xa_khac", role="commune", unit_code="20014")
    mine = service.run_counts(session, run, own)
    assert mine["whole_file"] is False and mine["total"] >= 8
    assert service.run_counts(session, run, other)["total"] == 0
    assert service.review_item(session, run, 7, own).row.row == 7
    with pytest.raises(NotFound):
        service.review_item(session, run, 7, other)
    with pytest.raises(NotFound):
        service.decide_review(session, run, 7, "confirm", other)
    assert [b["code"] for b in service.commune_breakdown(session, run, other)] == []


def test_corrections_carry_the_register_values(session, people):
    report = _run(session, _file(people))
    run = session.get(QualityRun, report.run_id)
    fixes = {c["row"]: c for c in service.corrections(session, run, PROVINCE_OFFICIAL)}
    verified_row = 1
    assert verified_row not in fixes  # verified rows need nothing
    assert fixes[2]["date_of_birth"] == "14/02/2001" and fixes[2]["personal_id"] == people["D"]
    assert fixes[3]["full_name"] == "Đặng Thị Hồng" and fixes[3]["personal_id"] == people["G"]
    assert fixes[9]["duplicate_of"] == 1


def test_wrong_mapping_and_empty_files_stop_before_matching(session, people):
    with pytest.raises(InvalidInput) as err:
        service.prepare(b"", "x.csv", "health_insurance", session=session)
    assert err.value.code == "quality.empty_file"
    with pytest.raises(InvalidInput) as err:
        service.prepare(
            csv_file(["Mã hộ", "Ngày sinh"], [["1", "01/01/1990"]] * 6), "x.csv", "health_insurance"
        )
    assert err.value.code in ("quality.mapping.missing_key", "quality.no_header")
    spec = {"columns": {"full_name": "Ngày sinh", "personal_id": "Số CCCD"}}
    with pytest.raises(InvalidInput) as err:
        service.prepare(_file(people), "x.csv", "health_insurance", spec=spec)
    assert err.value.code == "quality.mapping.wrong_column"
    with pytest.raises(InvalidInput) as err:
        service.prepare(_file(people), "x.csv", "fishing")
    assert err.value.code == "quality.sector"
    with pytest.raises(InvalidInput) as err:
        _run(session, csv_file(HEADER, []))
    assert err.value.code == "quality.no_rows"
    assert session.scalar(select(func.count()).select_from(QualityRun)) == 0


def test_a_file_with_ten_percent_broken_rows_completes(session, people):
    good = ["1", "Trần Văn Khải", "12/04/1980", "Nam", people["A"], ADDRESS]
    rows = []
    for i in range(200):
        if i % 10 == 3:
            rows.append(
                ["x", "", "", "", "", ""]
                if i % 20 == 3
                else [str(i), "Trần Văn Khải", "01/01/1980", "Nam", people["A"], ADDRESS, "lệch", "cột"]
            )
        else:
            rows.append([str(i), *good[1:]])
    report = _run(session, csv_file(HEADER, rows))
    assert report.total == 200
    assert report.counts["invalid"] == 20
    reasons = {r[3] for r in report.skipped}
    assert any("more columns" in r for r in reasons) and any("No valid personal ID" in r for r in reasons)
    assert any("Dòng không hợp lệ" in line for line in report.summary_vi)


def test_a_rolled_back_run_leaves_nothing(session, people):
    prepared = service.prepare(_file(people), "bhyt.csv", "health_insurance", session=session)
    service.verify(session, prepared, "health_insurance", PROVINCE_OFFICIAL)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(QualityRun)) == 0
    assert session.scalar(select(func.count()).select_from(QualityRowResult)) == 0


def _crash_half_way(db_url: str, data: bytes) -> None:
    """In a child process: run, and kill -9 ourselves half-way through writing the rows."""
    from hue06.core.db import make_engine, make_sessionmaker

    factory = make_sessionmaker(make_engine(db_url))
    with factory() as s:
        prepared = service.prepare(data, "bhyt.csv", "health_insurance", session=s)

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage == "save" and total and done >= total // 2 and done > 0:
                os.kill(os.getpid(), signal.SIGKILL)

        service.verify(s, prepared, "health_insurance", PROVINCE_OFFICIAL, progress=progress)
        s.commit()


def test_kill_9_half_way_then_rerun_gives_the_same_result(session, people, db_url):
    data = (
        _file(people)
        + "".join(
            f'{11 + i},Trần Văn Khải,12/04/1980,Nam,{people["A"]},"{ADDRESS}"\n'
            for i in range(service.WRITE_CHUNK + 10)
        ).encode()
    )
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_crash_half_way, args=(db_url, data))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(QualityRun)) == 0
    assert session.scalar(select(func.count()).select_from(QualityRowResult)) == 0
    first = _run(session, data)
    second = _run(session, data)
    strip = [{k: v for k, v in r.items() if k != "data"} for r in first.rows]
    assert strip == [{k: v for k, v in r.items() if k != "data"} for r in second.rows]
    assert first.counts["duplicate"] == service.WRITE_CHUNK + 11  # row 9 and every added line


def test_a_big_file_loads_the_register_in_a_second_process(session, people, monkeypatch):
    monkeypatch.setattr(service, "PARALLEL_MIN_BYTES", 1)
    report = _run(session, _file(people))
    assert [r["status"] for r in report.rows][:3] == ["verified", "mismatch", "linked"]
    assert report.timings["register"] >= report.timings["standardise"]


def test_names_are_compared_as_written_whoever_split_them(session, province):
    # The register keeps "Nguyễn Khoa" as a family name; a sector writes the whole name in one column.
    khoa = add_person(session, "Nguyễn Khoa", "Đăng", "Nam", date(1966, 3, 8), "male")
    phuc = add_person(session, "Nguyễn", "Phúc", "Đạt", date(1987, 4, 11), "male")
    session.commit()
    report = _run(
        session,
        csv_file(
            HEADER,
            [
                ["1", "Nguyễn Khoa Đăng Nam", "08/03/1966", "Nam", khoa.personal_id, ADDRESS],
                ["2", "Nguyễn Phúc Đạt", "04/11/1987", "Nam", "", ADDRESS],  # day and month swapped, no ID
            ],
        ),
    )
    first, second = report.rows
    assert (first["status"], first["differences"]) == ("verified", "")
    assert (second["status"], second["personal_id"]) == ("linked", phuc.personal_id)
    assert second["differences"] == "personal_id;date_of_birth"
