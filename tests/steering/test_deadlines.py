"""Deadlines as officials write them become the last day a task may be done."""

from __future__ import annotations

from datetime import date

import pytest

from hue06.steering.deadlines import DeadlineError, DeadlineKind, parse_deadline


@pytest.mark.parametrize(
    ("text", "kind", "due", "start"),
    [
        ("Trong tháng 02/2024", DeadlineKind.PERIOD, date(2024, 2, 29), date(2024, 2, 1)),
        ("Trong Tháng 1/2024", DeadlineKind.PERIOD, date(2024, 1, 31), date(2024, 1, 1)),
        ("Tháng 6/2024", DeadlineKind.PERIOD, date(2024, 6, 30), date(2024, 6, 1)),
        ("Trong Quý I/2024", DeadlineKind.PERIOD, date(2024, 3, 31), date(2024, 1, 1)),
        ("Quý II/2024", DeadlineKind.PERIOD, date(2024, 6, 30), date(2024, 4, 1)),
        ("Trong Quý III/2024", DeadlineKind.PERIOD, date(2024, 9, 30), date(2024, 7, 1)),
        ("Trong Quý IV/2024", DeadlineKind.PERIOD, date(2024, 12, 31), date(2024, 10, 1)),
        ("Trong năm 2024", DeadlineKind.PERIOD, date(2024, 12, 31), date(2024, 1, 1)),
        ("Năm 2024", DeadlineKind.PERIOD, date(2024, 12, 31), date(2024, 1, 1)),
        ("6 tháng đầu năm 2024", DeadlineKind.PERIOD, date(2024, 6, 30), date(2024, 1, 1)),
        ("30/12/2023", DeadlineKind.DATE, date(2023, 12, 30), None),
        ("25/5/2024", DeadlineKind.DATE, date(2024, 5, 25), None),
        ("Trước ngày 31/5/2024", DeadlineKind.BEFORE, date(2024, 5, 30), None),
        ("trước ngày 05/3/2024.", DeadlineKind.BEFORE, date(2024, 3, 4), None),
        ("Trước tháng 7/2024", DeadlineKind.BEFORE, date(2024, 6, 30), None),
        ("Báo cáo UBND tỉnh kết quả thực hiện trước 31/5/2024", DeadlineKind.BEFORE, date(2024, 5, 30), None),
        ("Từ ngày 01/3/2024 đến ngày 15/6/2024", DeadlineKind.RANGE, date(2024, 6, 15), date(2024, 3, 1)),
        ("Từ tháng 3 đến tháng 6/2024", DeadlineKind.RANGE, date(2024, 6, 30), date(2024, 3, 1)),
        ("Quý I - Quý II/2024", DeadlineKind.RANGE, date(2024, 6, 30), date(2024, 1, 1)),
    ],
)
def test_dated_forms(text, kind, due, start):
    d = parse_deadline(text)
    assert (d.kind, d.due, d.start) == (kind, due, start)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Thực hiện thường xuyên", "continuous"),
        ("Thường xuyên", "continuous"),
        ("Thực hiện hàng tháng", "monthly"),
        ("Thực hiện định kỳ hàng quý, 6 tháng, tổng kết năm và đột xuất", "quarterly"),
    ],
)
def test_recurring_tasks_have_no_single_due_date(text, period):
    d = parse_deadline(text)
    assert d.kind is DeadlineKind.RECURRING
    assert d.due is None
    assert d.period == period


def test_monthly_report_by_the_tenth_falls_due_on_the_next_tenth():
    d = parse_deadline("Trước ngày 10 hàng tháng")
    assert d.kind is DeadlineKind.RECURRING and d.day_of_month == 10
    assert d.next_due(date(2024, 7, 3)) == date(2024, 7, 10)
    assert d.next_due(date(2024, 7, 11)) == date(2024, 8, 10)
    assert d.next_due(date(2024, 12, 20)) == date(2025, 1, 10)


@pytest.mark.parametrize(
    "text",
    [
        "Theo hướng dẫn tham gia góp ý của Chính phủ",
        "Theo lộ trình của Chính phủ",
        "Ngay sau khi dịch vụ công được cung cấp trên Cổng dịch vụ công quốc gia",
        "Thực hiện theo lộ trình Đề án 06 và hướng dẫn của Tổ công tác",
    ],
)
def test_deadlines_that_depend_on_others_have_no_date(text):
    d = parse_deadline(text)
    assert d.kind is DeadlineKind.CONDITIONAL and d.due is None


def test_blank_is_no_deadline():
    assert parse_deadline("").kind is DeadlineKind.NONE
    assert parse_deadline(None).due is None


@pytest.mark.parametrize(
    "text", ["Khi nào xong thì báo", "Sớm", "31/02/2024", "Trong tháng 13/2024", "36/3/2024"]
)
def test_unreadable_deadlines_are_refused_with_both_languages(text):
    with pytest.raises(DeadlineError) as err:
        parse_deadline(text)
    assert err.value.message_vi and err.value.message_en
    assert err.value.message_vi != err.value.message_en


def test_every_deadline_in_the_reference_parses(parsed):
    """Appendix I and VI of the province's report: every deadline written there is understood."""
    texts = {t.deadline_text for t in parsed.tasks} | {t.deadline_text for t in parsed.r175_tasks}
    texts |= {s.deadline_text for t in parsed.tasks for s in t.sub_tasks}
    assert len(texts) > 35
    for text in texts:
        parse_deadline(text)  # raises on the first it cannot read
    dated = [t for t in parsed.tasks if t.deadline.due is not None]
    assert len(dated) == 70
