"""What does not add up in the province's report is found, located and measured."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hue06.steering.checks import check_report, check_services25, fmt_number, rate_of
from hue06.steering.types import EssentialService


@pytest.fixture(scope="module")
def mismatches(parsed):  # type: ignore[no-untyped-def]
    return check_report(parsed)


def _find(mismatches, check, appendix, row=None, column=None):  # type: ignore[no-untyped-def]
    found = [
        m
        for m in mismatches
        if m.check == check
        and m.appendix == appendix
        and (row is None or m.row == row)
        and (column is None or m.column == column)
    ]
    assert found, f"no {check} mismatch in {appendix} row {row} column {column}"
    return found


def test_appendix_ii_total_row_is_not_the_sum_of_its_rows(mismatches):
    got = {
        m.column: (m.stated, m.computed, m.difference)
        for m in _find(mismatches, "total_vs_rows", "II", "Tổng cộng")
    }
    assert got == {
        "Tổng hồ sơ": (Decimal(179697), Decimal(183525), Decimal(-3828)),
        "Trực tuyến": (Decimal(171591), Decimal(172277), Decimal(-686)),
        "Đúng hạn": (Decimal(165002), Decimal(167272), Decimal(-2270)),
    }
    assert not [
        m for m in mismatches if m.check == "total_vs_rows" and m.column == "Quá hạn"
    ]  # 6.589 adds up


def test_more_on_time_than_online_in_row_19(mismatches):
    (m,) = _find(mismatches, "on_time_overdue_vs_online", "II", "19")
    assert (m.stated, m.computed, m.difference) == (Decimal(2270), Decimal(686), Decimal(1584))
    assert "lớn hơn số hồ sơ trực tuyến" in m.message_vi and m.line == 597
    assert [x.row for x in mismatches if x.check == "on_time_overdue_vs_online"] == ["19"]


def test_total_rate_against_the_rows(mismatches):
    (m,) = _find(mismatches, "rate_vs_counts", "II", "Tổng cộng")
    assert (m.stated, m.computed) == (Decimal(95), Decimal("93.87"))
    # every service row's own rate matches its counts as the report rounds them
    assert [
        x for x in mismatches if x.check == "rate_vs_counts" and x.appendix == "II" and x.row != "Tổng cộng"
    ] == []


def test_body_dossier_figures_match_the_total_row_but_not_the_rows(mismatches):
    body = {
        m.column: (m.stated, m.computed)
        for m in mismatches
        if m.check == "summary_vs_table" and m.appendix == "body" and "25 DVC" in (m.column or "")
    }
    assert body == {
        "Hồ sơ trực tuyến (25 DVC)": (Decimal(171591), Decimal(172277)),
        "Tổng số hồ sơ (25 DVC)": (Decimal(179697), Decimal(183525)),
        "Tỷ lệ trực tuyến (25 DVC)": (Decimal(95), Decimal("93.87")),
    }


def test_task_summary_against_appendix_i(mismatches):
    body = {
        m.column: (m.stated, m.computed)
        for m in mismatches
        if m.check == "summary_vs_table" and m.appendix == "body" and "nhiệm vụ" in m.column.lower()
    }
    assert body == {
        "Tổng số nhiệm vụ": (92, 102),
        "Nhiệm vụ mới trong năm": (82, 92),
        "Nhiệm vụ đang triển khai": (59, 65),
        "Nhiệm vụ chưa hoàn thành (chậm tiến độ)": (0, 4),
    }
    # completed (22), recurring (11) and carried over (10) agree
    stated_in_appendix = {m.column for m in mismatches if m.check == "summary_vs_table" and m.appendix == "I"}
    assert stated_in_appendix == {"Tổng số nhiệm vụ", "Nhiệm vụ mới trong năm"}


def test_group_iii_is_numbered_twice(mismatches):
    (m,) = _find(mismatches, "group_numbering", "I", "III")
    assert "451" in m.message_vi and "467" in m.message_vi


def test_deadlines_before_their_directive(mismatches):
    found = {m.row: (m.stated, m.computed) for m in mismatches if m.check == "deadline_before_directive"}
    assert found == {
        "43": ("31/03/2023", "23/01/2024"),
        "86": ("06/01/2024", "20/05/2024"),
        "89": ("09/01/2024", "13/05/2024"),
    }


def test_rates_in_the_text(mismatches):
    found = {m.stated: m.computed for m in mismatches if m.check == "rate_vs_counts" and m.appendix == "body"}
    assert found == {Decimal(54): Decimal("53.47"), Decimal(99): Decimal("99.58")}


def test_footnote_says_12_models_and_lists_13(mismatches):
    (m,) = _find(mismatches, "listed_count", "body")
    assert (m.row, m.stated, m.computed) == ("chú thích 24", 12, 13)


def test_provincial_portal_count(mismatches):
    (m,) = [x for x in mismatches if x.column == "DVC đã tích hợp trên Cổng DVC tỉnh"]
    assert (m.stated, m.computed) == (6, 5)


def test_what_adds_up_is_not_flagged(mismatches):
    columns = {m.column for m in mismatches}
    for ok in (
        "Mô hình chưa triển khai",
        "Mô hình đã triển khai",
        "Tổng số mô hình",
        "Mô hình Hà Nội đang nghiên cứu",
        "Nhiệm vụ đã hoàn thành",
        "Nhiệm vụ thực hiện thường xuyên",
        "DVC đã tích hợp trên Cổng DVCQG",
    ):
        assert ok not in columns
    assert not [
        m for m in mismatches if m.check == "stated_count_vs_rows"
    ]  # 25, 28, 46, 17, group sizes agree
    assert len(mismatches) == 22


def test_every_mismatch_says_where_and_in_both_languages(mismatches):
    for m in mismatches:
        assert m.appendix in {"body", "I", "II", "III", "IV", "V", "VI"}
        assert m.message_vi and m.message_en and m.message_vi != m.message_en


def test_rates_round_half_up_at_the_reports_precision():
    assert rate_of(1, 8, 0) == 13  # 12.5 -> 13
    assert rate_of(787, 1859, 2) == Decimal("42.33")
    assert fmt_number(Decimal("179697")) == "179.697" and fmt_number(Decimal("42.335"), 2) == "42,34"
    rows = [EssentialService(1, "a", 8, 1, Decimal(12), 0, 1, 0, "", "", 1)]
    (m,) = check_services25(rows, None)
    assert (m.stated, m.computed) == (12, Decimal("12.50"))


def test_a_consistent_table_has_no_mismatch():
    rows = [
        EssentialService(1, "a", 100, 95, Decimal(95), 0, 90, 5, "", "", 1),
        EssentialService(2, "b", 10, 5, Decimal(50), 0, 5, 0, "", "", 2),
    ]
    total = EssentialService(None, "Tổng cộng", 110, 100, Decimal(91), 0, 95, 5, "", "", 3)
    assert check_services25(rows, total) == []
