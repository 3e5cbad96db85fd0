"""The steering data in the database: all-or-nothing import, units updating tasks, leaders' figures."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from hue06.core import audit
from hue06.core.errors import Conflict, Forbidden, InvalidInput
from hue06.core.security import Actor
from hue06.steering import service, xlsx
from hue06.steering.models import SteeringChange, SteeringReport, SteeringTask

REPORT_DAY = date(2024, 7, 10)


def officer(username: str, role: str = "province") -> Actor:
    return Actor(kind="official", id=username, role=role, unit_code="46")


def _task(session, code: str) -> SteeringTask:  # type: ignore[no-untyped-def]
    return session.scalar(select(SteeringTask).where(SteeringTask.code == code))


def test_import_stores_every_appendix_and_the_reports_own_summary(session, imported):
    assert imported.reference == "108/BC-BCĐ" and imported.period_code == "2024-H1"
    assert imported.counts == {
        "tasks": 102,
        "tasks_in_year": 102,
        "services25": 25,
        "services28": 28,
        "models": 46,
        "hanoi_models": 17,
        "r175_tasks": 3,
        "tasks_completed": 22,
        "tasks_recurring": 11,
        "tasks_in_progress": 65,
        "tasks_behind": 4,
    }
    # what the report says about itself is kept, beside what its tables add up to
    assert {
        k: imported.stated[k]
        for k in (
            "tasks_total",
            "tasks_completed",
            "tasks_recurring",
            "tasks_in_progress",
            "tasks_behind",
        )
    } == {
        "tasks_total": "92",
        "tasks_completed": "22",
        "tasks_recurring": "11",
        "tasks_in_progress": "59",
        "tasks_behind": "0",
    }
    assert len(imported.mismatches) == 22
    assert len(service.stored_mismatches(session)) == 22
    units = {u.name for u in service.list_units(session)}
    assert {"Sở Tư pháp", "Công an tỉnh", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Bưu điện tỉnh"} <= units
    # one unit, whatever the capitals ("Truyền Thông" / "Truyền thông")
    assert len([u for u in units if u.lower() == "sở thông tin và truyền thông"]) == 1
    entry = session.scalar(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "steering.report_imported")
    )
    assert json.loads(entry.detail)["tasks"] == 102


def test_importing_the_same_report_twice_changes_nothing(session, imported, reference_text):
    again = service.import_report(session, reference_text, source_name="again.txt")
    assert again.already_imported and again.report_id == imported.report_id
    assert session.scalar(select(func.count()).select_from(SteeringTask)) == 102
    assert session.scalar(select(func.count()).select_from(SteeringReport)) == 1


def test_a_bad_file_leaves_the_database_as_it_was(session, reference_text):
    bad = reference_text.replace("\t15.816\t", "\t15.8I6\t")
    with pytest.raises(service.ReportRejected) as err:
        service.import_report(session, bad)
    assert err.value.status_code == 422
    assert "Phụ lục II, dòng 2" in err.value.message_vi
    body = err.value.to_dict()
    assert [p["field"] for p in body["problems"] if p["severity"] == "error"] == ["Tổng hồ sơ"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SteeringReport)) == 0
    assert session.scalar(select(func.count()).select_from(SteeringTask)) == 0


def test_partial_import_keeps_the_good_rows_and_lists_the_rest(session, reference_text):
    line = next(x for x in reference_text.split("\n") if x.startswith("87\t"))
    bad = reference_text.replace(line, line.rsplit("\t", 1)[0] + "\tXong một nửa")
    outcome = service.import_report(session, bad, partial=True)
    assert outcome.counts["tasks"] == 101
    skipped = [p for p in outcome.problems if p.severity == "error"]
    assert [(p.appendix, p.row, p.field) for p in skipped] == [("I", "87", "Ghi chú")]


def test_a_focal_point_updates_a_task_with_history(session, imported):
    service.add_member(session, "Sở Tư pháp", "stp_dauMoi")
    task = _task(session, "43")  # "Triển khai cấp phiếu lý lịch tư pháp trên VNeID", Sở Tư pháp
    assert task.status == "in_progress"
    updated = service.update_task(
        session,
        task.id,
        actor=officer("stp_dauMoi"),
        status="completed",
        result="Đã triển khai trên toàn tỉnh",
        evidence="Công văn 123/STP-HCTP",
        comment="báo cáo quý III",
        expected_version=task.version,
    )
    session.commit()
    assert (updated.status, updated.version, updated.updated_by) == ("completed", 2, "official:stp_dauMoi")
    (change, first) = service.history(session, "task", task.id)
    assert json.loads(change.changes)["status"] == ["in_progress", "completed"]
    assert change.comment == "báo cáo quý III" and change.source == "web"
    assert json.loads(first.changes) == {"status": [None, "in_progress"]} and first.source == "import"
    entry = session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.action == "steering.task_updated"))
    assert entry.subject_id == "2024/43"


def test_other_units_cannot_update_the_task(session, imported):
    service.add_member(session, "Sở Y tế", "syt")
    task = _task(session, "43")
    with pytest.raises(Forbidden):
        service.update_task(session, task.id, actor=officer("syt"), status="completed")
    with pytest.raises(Forbidden):  # a leader reads, the unit reports
        service.update_task(session, task.id, actor=officer("lanhdao"), status="completed")
    admin = officer("totgiupviec", role="admin")
    assert service.update_task(session, task.id, actor=admin, status="behind").status == "behind"


def test_a_stale_form_is_refused(session, imported):
    service.add_member(session, "Sở Tư pháp", "stp")
    task = _task(session, "43")
    service.update_task(session, task.id, actor=officer("stp"), result="bước 1", expected_version=1)
    with pytest.raises(Conflict):
        service.update_task(
            session, task.id, actor=officer("stp"), result="bước 1 (bản cũ)", expected_version=1
        )
    with pytest.raises(InvalidInput):
        service.update_task(session, task.id, actor=officer("stp"), status="done-ish")


def test_overdue_and_unit_lists(session, imported):
    overdue = service.list_tasks(session, service.TaskFilter(overdue_on=REPORT_DAY))
    assert len(overdue) == 29
    assert "I.3" in {t.code for t in overdue}  # Mô hình 12, due 30/12/2023, not started
    assert "87" in {t.code for t in overdue}  # due 15/06/2024, in progress on 10/07/2024
    assert "87" not in {
        t.code for t in service.list_tasks(session, service.TaskFilter(overdue_on=date(2024, 6, 15)))
    }
    unit = service.get_unit(session, "Sở Tư pháp")
    codes = [t.code for t in service.list_tasks(session, service.TaskFilter(unit_id=unit.id))]
    assert codes == ["I.2", "8", "43", "52"]


def test_dashboard_counts_change_when_a_unit_reports(session, imported):
    before = service.dashboard(session, REPORT_DAY)
    assert before.by_status == {"completed": 22, "recurring": 11, "in_progress": 65, "behind": 4}
    assert len(before.overdue) == 29 and before.total == 102
    assert before.models_by_state == {"deployed": 38, "not_started": 7, "completed": 1}
    assert (before.services["total"], before.services["online"], str(before.services["rate"])) == (
        183525,
        172277,
        "93.87",
    )
    assert before.mismatch_count == 22
    assert before.by_unit[0][1] == "Sở Thông tin và Truyền thông"
    service.add_member(session, "Sở Tư pháp", "stp")
    service.update_task(
        session, _task(session, "43").id, actor=officer("stp"), status="completed", evidence="CV 1"
    )
    after = service.dashboard(session, REPORT_DAY)
    assert after.by_status["completed"] == 23 and after.by_status["in_progress"] == 64
    assert len(after.overdue) == 28
    only = service.dashboard(session, REPORT_DAY, service.TaskFilter(group="XI"))
    assert only.total == 24


def test_report_generated_from_the_database(session, imported):
    service.add_member(session, "Sở Tư pháp", "stp")
    service.update_task(
        session, _task(session, "43").id, actor=officer("stp"), status="completed", evidence="CV 1"
    )
    generated = service.generate_report(
        session, "2024-H1", issued_on=REPORT_DAY, number="108", with_pdf=False
    )
    figures = generated.document.figures
    assert (figures["tasks_total"], figures["tasks_completed"], figures["dossiers_total"]) == (
        102,
        23,
        183525,
    )
    assert generated.document.meta.signer_name == "Nguyễn Thanh Bình"
    assert generated.pdf is None and generated.docx[:2] == b"PK"
    assert len([a for a in generated.document.appendices if a.code == "VII"]) == 1


def test_report_needs_data(session):
    with pytest.raises(InvalidInput):
        service.generate_report(session, "2024-H1", issued_on=REPORT_DAY, with_pdf=False)


def test_xlsx_template_round_trip(session, imported, sqlite_only):
    from openpyxl import load_workbook

    data = xlsx.export_template(session)
    wb = load_workbook(io.BytesIO(data))
    tasks = wb["Nhiệm vụ"]
    header = [c.value for c in tasks[1]]
    row = next(r for r in tasks.iter_rows(min_row=2) if r[0].value == "43")
    row[header.index("Tình trạng")].value = "Hoàn thành"
    row[header.index("Căn cứ, minh chứng")].value = "Quyết định 99/QĐ-UBND"
    services = wb["DVC 25"]
    services["C3"] = 16000  # service 2: total dossiers in the new period
    buf = io.BytesIO()
    wb.save(buf)
    outcome = xlsx.import_template(session, buf.getvalue(), period_code="2024-H2", source_name="h2.xlsx")
    assert outcome.period_code == "2024-H2" and outcome.counts["tasks_completed"] == 23
    task = _task(session, "43")
    assert (task.status, task.evidence) == ("completed", "Quyết định 99/QĐ-UBND")
    assert json.loads(service.history(session, "task", task.id)[0].changes)["status"] == [
        "in_progress",
        "completed",
    ]
    dash = service.dashboard(session, date(2024, 12, 31))
    assert dash.report.period_code == "2024-H2" and dash.services["total"] == 183525 - 15816 + 16000

    row[header.index("Tình trạng")].value = "Xong rồi"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(service.ReportRejected) as err:
        xlsx.import_template(session, buf.getvalue(), period_code="2025-H1")
    assert [(p.appendix, p.row, p.field) for p in err.value.problems] == [("I", "43", "Tình trạng")]


def test_a_workbook_without_its_sheets_is_refused(session, sqlite_only):
    from openpyxl import Workbook

    buf = io.BytesIO()
    Workbook().save(buf)
    with pytest.raises(service.ReportRejected) as err:
        xlsx.import_template(session, buf.getvalue(), period_code="2024-H2")
    assert {p.appendix for p in err.value.problems} == {"I", "II", "III", "IV", "V", "VI"}
    assert session.scalar(select(func.count()).select_from(SteeringChange)) == 0


def test_units_are_split_from_the_responsible_unit_text():
    assert service.responsible_units("Sở Y tế, Sở Giáo dục và Đào tạo") == [
        "Sở Y tế",
        "Sở Giáo dục và Đào tạo",
    ]
    assert service.responsible_units("Sở Thông tin và Truyền thông; Sở Nội vụ") == [
        "Sở Thông tin và Truyền thông",
        "Sở Nội vụ",
    ]
    assert service.responsible_units("Các sở, ngành, địa phương, Bưu điện tỉnh") == [
        "Các sở, ngành, địa phương",
        "Bưu điện tỉnh",
    ]
    assert service.responsible_units("Các sở, ban, ngành, địa phương") == ["Các sở, ban, ngành, địa phương"]
    assert (
        service.unit_kind("Công an tỉnh") == "police"
        and service.unit_kind("UBND thành phố Huế") == "district"
    )
