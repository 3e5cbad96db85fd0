"""Importing the province's six-month report: what it says, row by row, and how bad input is refused."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from hue06.steering.importers import ReportImportError, parse_report
from hue06.steering.types import ModelState, TaskStatus


def test_header_of_report_108(parsed):
    h = parsed.header
    assert (h.number, h.symbol, h.reference) == ("108", "BC-BCĐ", "108/BC-BCĐ")
    assert h.place == "Thừa Thiên Huế"
    assert h.issued_on == date(2024, 7, 10)
    assert h.doc_type == "BÁO CÁO"
    assert h.title.startswith("Kết quả 06 tháng đầu năm 2024 triển khai thực hiện Đề án")
    assert h.signer_name == "Nguyễn Thanh Bình"
    assert h.signer_authority[0] == "KT. TRƯỞNG BAN"
    assert h.recipients[0] == "Bộ Công an" and h.recipients[-1] == "Lưu: VT, TĐKT."


def test_body_summary_figures_as_the_report_states_them(parsed):
    stated = {k: int(v.value) for k, v in parsed.stated.items() if k.startswith("tasks_")}
    assert stated == {
        "tasks_total": 92,
        "tasks_carried_over": 10,
        "tasks_new": 82,
        "tasks_completed": 22,
        "tasks_recurring": 11,
        "tasks_in_progress": 59,
        "tasks_behind": 0,
    }
    assert parsed.stated["s25_online"].value == 171591 and parsed.stated["s25_total"].value == 179697
    assert parsed.stated["s25_rate"].value == 95
    assert (parsed.stated["models_total"].value, parsed.stated["models_deployed"].value) == (46, 39)
    assert (
        parsed.stated["models_completed"].value,
        parsed.stated["models_in_progress"].value,
        parsed.stated["models_not_started"].value,
    ) == (24, 15, 7)
    assert parsed.stated["I:tasks_total"].where == "I" and parsed.stated["I:tasks_total"].value == 92


def test_appendix_i_tasks(parsed):
    # The body says 92 tasks; the table itself numbers 10 carried over and 92 for 2024 (see test_checks).
    assert len(parsed.tasks) == 102
    assert Counter(t.status for t in parsed.tasks) == {
        TaskStatus.COMPLETED: 22,
        TaskStatus.RECURRING: 11,
        TaskStatus.IN_PROGRESS: 65,
        TaskStatus.BEHIND: 4,
    }
    carried = [t for t in parsed.tasks if t.carried_over]
    assert [t.code for t in carried] == [f"I.{n}" for n in range(1, 11)]
    assert [t.number for t in parsed.tasks if not t.carried_over] == list(range(1, 93))
    by_code = {t.code: t for t in parsed.tasks}
    t87 = by_code["87"]
    assert t87.content.startswith("Bổ sung chức năng cấu hình thời gian giải quyết")
    assert t87.responsible_unit == "Sở Thông tin và Truyền thông"
    assert t87.directing_document == "Thông báo 112/TB-UBND ngày 14/5/2024"
    assert t87.deadline.due == date(2024, 6, 15)
    assert t87.status is TaskStatus.IN_PROGRESS
    assert by_code["I.3"].content.startswith("Mô hình 12:") and by_code["I.3"].deadline.due == date(
        2023, 12, 30
    )
    assert by_code["I.1"].status is TaskStatus.BEHIND
    # HTML fragments are gone from the cells
    assert (
        by_code["31"].content.startswith("Đẩy nhanh tiến độ số hóa")
        and "<p>" not in by_code["31"].directing_document
    )
    # a row exported with one cell short keeps its status in the status column
    assert by_code["69"].status is TaskStatus.COMPLETED and by_code["69"].result == ""


def test_appendix_i_groups_and_sub_rows(parsed):
    codes = [g.code for g in parsed.task_groups]
    assert codes == ["I", "II", "III", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI"]
    assert parsed.task_groups[0].carried_over and parsed.task_groups[0].stated_count == 10
    assert parsed.task_groups[2].title == "VỀ HOÀN THIỆN PHÁP LÝ"  # number and title in one cell
    with_subs = {t.code: t.sub_tasks for t in parsed.tasks if t.sub_tasks}
    assert sorted(with_subs) == ["26", "27", "28", "65", "71"]
    sub = with_subs["71"][0]
    assert sub.content.startswith("100% xã, phường, thị trấn")
    assert sub.deadline.due == date(2024, 12, 30)


def test_appendix_ii_services(parsed):
    assert len(parsed.services25) == 25
    s2 = parsed.services25[1]
    assert (s2.number, s2.name) == (2, "Cấp lại, đổi thẻ căn cước công dân")
    assert (s2.total, s2.online, s2.rate, s2.on_time, s2.overdue) == (15816, 12699, Decimal(80), 12699, 0)
    s3 = parsed.services25[2]
    assert (s3.total, s3.online, s3.on_time, s3.overdue) == (29316, 28813, 24003, 4810)
    without = [s.number for s in parsed.services25 if not s.has_counts]
    assert without == [11, 17, 21]
    assert parsed.services25[10].note.startswith("Chưa phát sinh hồ sơ")
    total = parsed.services25_total
    assert (total.total, total.online, total.rate, total.on_time, total.overdue) == (
        179697,
        171591,
        95,
        165002,
        6589,
    )


def test_appendix_iii_services(parsed):
    assert len(parsed.services28) == 28
    assert sum(s.completed for s in parsed.services28) == 17
    assert sum(s.on_national_portal for s in parsed.services28) == 17
    first_done = next(s for s in parsed.services28 if s.completed)
    assert (first_done.number, first_done.name, first_done.ministry) == (
        1,
        "Xác nhận thông tin về cư trú",
        "Bộ Công an",
    )


def test_appendix_iv_models(parsed):
    assert len(parsed.models) == 46
    assert [g.stated_count for g in parsed.model_groups] == [5, 18, 13, 3, 7]
    states = Counter(m.state for m in parsed.models)
    assert states[ModelState.NOT_STARTED] == 7
    assert sorted(m.number for m in parsed.models if m.state is ModelState.NOT_STARTED) == [
        12,
        15,
        19,
        21,
        41,
        42,
        43,
    ]
    m1 = parsed.models[0]
    assert m1.name == "Mô hình 1: Triển khai 53 dịch vụ công thiết yếu"
    assert m1.result.endswith(
        "Tra cứu hồ sơ; Tra cứu tài khoản, thông tin liên hệ, phản ánh,..."
    )  # split row joined
    assert "2.730.000.000 đồng" in m1.funding
    m34 = parsed.models[33]
    assert m34.value == "" and "6,435 tỷ đồng" in m34.funding  # the short row lost its value column
    assert parsed.models[32].difficulties.count("Hệ thống hiện nay chưa cho phép") == 1


def test_appendix_v_and_vi(parsed):
    assert len(parsed.hanoi_models) == 17
    studying = [m.name for m in parsed.hanoi_models if m.state is ModelState.STUDYING]
    assert studying == [
        "Đánh giá trách nhiệm cán bộ, công chức trong thực hiện Đề án 06",
        "Thu phí không dùng tiền mặt tại các điểm đỗ xe, bãi đỗ xe tĩnh",
    ]
    assert parsed.hanoi_models[12].name == "Chi trả lương hưu, trợ cấp BHXH hàng tháng không dùng tiền mặt"
    assert [(t.number, t.completed) for t in parsed.r175_tasks] == [(1, False), (2, True), (3, True)]
    assert parsed.r175_tasks[0].lead_unit == "Sở Tư pháp"


def test_assumptions_are_reported_as_warnings(parsed):
    warnings = [(p.appendix, p.row, p.field) for p in parsed.problems]
    assert warnings == [
        ("I", "69", "Kết quả"),
        ("I", "70", "Kết quả"),
        ("I", "71", "Kết quả"),
        ("IV", "34", "Đánh giá hiệu quả"),
    ]
    assert all(p.severity == "warning" for p in parsed.problems)


# ---------------------------------------------------------------- bad input


def _cut_appendix(text: str, code: str, next_code: str) -> str:
    start = text.index(f"\nPhụ lục {code}\n")
    end = text.index(f"\nPhụ lục {next_code}\n")
    return text[:start] + text[end:]


def test_missing_appendix_fails_the_whole_import(reference_text):
    bad = _cut_appendix(reference_text, "III", "IV")
    with pytest.raises(ReportImportError) as err:
        parse_report(bad)
    errors = [p for p in err.value.problems if p.severity == "error"]
    assert [(p.appendix, p.row) for p in errors] == [("III", None)]
    assert "Thiếu Phụ lục III" in errors[0].message_vi and "Appendix III" in errors[0].message_en


def test_missing_appendix_with_partial_keeps_the_others(reference_text):
    r = parse_report(_cut_appendix(reference_text, "III", "IV"), partial=True)
    assert r.services28 == [] and len(r.services25) == 25 and len(r.models) == 46
    assert [p.appendix for p in r.errors] == ["III"]


def test_letter_in_a_count(reference_text):
    bad = reference_text.replace("\t15.816\t12.699\t", "\t15.8I6\t12.699\t")
    with pytest.raises(ReportImportError) as err:
        parse_report(bad)
    (problem,) = [p for p in err.value.problems if p.severity == "error"]
    assert (problem.appendix, problem.row, problem.field) == ("II", "2", "Tổng hồ sơ")
    assert "15.8I6" in problem.message_vi and "not a number" in problem.message_en
    partial = parse_report(bad, partial=True)
    assert [s.number for s in partial.services25 if s.number == 2] == []
    assert len(partial.services25) == 24


def test_letter_in_a_row_number(reference_text):
    bad = reference_text.replace("\n12\tĐăng ký khai sinh\t", "\n1Z\tĐăng ký khai sinh\t")
    with pytest.raises(ReportImportError) as err:
        parse_report(bad)
    (problem,) = [p for p in err.value.problems if p.severity == "error"]
    assert (problem.appendix, problem.row, problem.field) == ("II", "1Z", "STT")


def test_unknown_status(reference_text):
    line = next(x for x in reference_text.split("\n") if x.startswith("87\t"))
    bad = reference_text.replace(line, line.rsplit("\t", 1)[0] + "\tXong một nửa")
    with pytest.raises(ReportImportError) as err:
        parse_report(bad)
    (problem,) = [p for p in err.value.problems if p.severity == "error"]
    assert (problem.appendix, problem.row, problem.field) == ("I", "87", "Ghi chú")
    assert "Xong một nửa" in problem.message_vi
    partial = parse_report(bad, partial=True)
    assert len(partial.tasks) == 101 and "87" not in {t.code for t in partial.tasks}


def test_unparseable_deadline(reference_text):
    bad = reference_text.replace("\tTrong tháng 02/2024\t", "\tKhi nào rảnh\t")
    with pytest.raises(ReportImportError) as err:
        parse_report(bad)
    (problem,) = [p for p in err.value.problems if p.severity == "error"]
    assert (problem.appendix, problem.row, problem.field) == ("I", "1", "Thời gian hoàn thành")
    assert "Khi nào rảnh" in problem.message_vi
    assert len(parse_report(bad, partial=True).tasks) == 101


def test_several_errors_are_all_listed(reference_text):
    bad = reference_text.replace("\t15.816\t", "\t15.8I6\t").replace("\tTrong tháng 02/2024\t", "\tmai\t")
    bad = _cut_appendix(bad, "V", "VI")
    with pytest.raises(ReportImportError) as err:
        parse_report(bad)
    assert sorted(p.appendix for p in err.value.problems if p.severity == "error") == ["I", "II", "V"]


def test_windows_line_endings_read_the_same(reference_text):
    r = parse_report(reference_text.replace("\n", "\r\n"))
    assert len(r.tasks) == 102 and len(r.services25) == 25
