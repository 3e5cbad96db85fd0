from datetime import date, datetime, timedelta

import pytest

from hue06.core.calendar import WorkingCalendar, due_date, due_date_with_pauses
from hue06.core.errors import InvalidInput


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        date(2026, 2, 16),  # Giao thừa
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
        date(2026, 4, 27),  # Giỗ Tổ fell on Sunday 26 April: compensatory Monday
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2024, 4, 29),  # swapped with Saturday 4 May 2024
        date(2025, 1, 27),  # 29 Tết
        date(2025, 5, 2),  # swapped with Saturday 26 April 2025
    ],
)
def test_public_holidays_are_days_off(cal, day):
    assert not cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2024, 5, 4), date(2025, 4, 26), date(2026, 2, 23), date(2026, 2, 13)])
def test_make_up_saturdays_and_ordinary_weekdays_are_worked(cal, day):
    assert cal.is_working_day(day)


def test_holiday_names_are_vietnamese(cal):
    assert cal.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert cal.holiday_name(date(2026, 3, 3)) is None


def test_weekends_are_off(cal):
    assert not cal.is_working_day(date(2026, 3, 7))
    assert not cal.is_working_day(date(2026, 3, 8))


def test_add_working_days_skips_tet(cal):
    assert cal.add_working_days(date(2026, 2, 10), 5) == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 10), 0) == date(2026, 2, 10)
    assert cal.add_working_days(date(2026, 2, 24), -5) == date(2026, 2, 10)


def test_february_2026_has_15_working_days(cal):
    assert cal.count_working_days(date(2026, 2, 1), date(2026, 2, 28)) == 15
    assert cal.working_days_between(date(2026, 1, 31), date(2026, 2, 28)) == 15
    assert cal.working_days_between(date(2026, 2, 28), date(2026, 1, 31)) == -15


def test_working_days_between_inverts_add_working_days(cal):
    start = date(2026, 1, 5)
    for n in range(0, 60, 7):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_province_days_off_and_make_up_days():
    plain = WorkingCalendar()
    local = WorkingCalendar(extra_days_off=[date(2026, 3, 2)], extra_working_days=[date(2026, 3, 7)])
    assert not local.is_working_day(date(2026, 3, 2))
    assert local.is_working_day(date(2026, 3, 7))
    assert plain.add_working_days(date(2026, 2, 27), 1) == date(2026, 3, 2)
    assert local.add_working_days(date(2026, 2, 27), 1) == date(2026, 3, 3)


def test_a_day_cannot_be_both_off_and_worked():
    with pytest.raises(InvalidInput) as err:
        WorkingCalendar(extra_days_off=[date(2026, 3, 2)], extra_working_days=[date(2026, 3, 2)])
    assert err.value.code == "calendar.conflict"


def test_due_date_in_working_days(cal):
    assert cal.due_date(datetime(2026, 3, 2, 10, 0), 3) == date(2026, 3, 5)
    # after 17:00 it counts from the next working day
    assert cal.due_date(datetime(2026, 3, 2, 17, 30), 3) == date(2026, 3, 6)
    # received on a Saturday: Monday is the receipt day
    assert cal.due_date(datetime(2026, 3, 7, 9, 0), 3) == date(2026, 3, 12)
    # before Tết
    assert cal.due_date(datetime(2026, 2, 12, 9, 0), 2) == date(2026, 2, 23)
    assert cal.due_date(date(2026, 3, 2), 0) == date(2026, 3, 2)


def test_due_date_in_calendar_days_moves_off_a_day_off(cal):
    # 5 calendar days from Tue 10 Feb 2026 end on Sunday 15 Feb; Tết follows, so Mon 23 Feb.
    assert cal.due_date(datetime(2026, 2, 10, 9, 0), 5, "calendar") == date(2026, 2, 23)
    assert cal.due_date(datetime(2026, 3, 2, 9, 0), 3, "calendar") == date(2026, 3, 5)


def test_module_level_due_date_matches_the_calendar(cal):
    received = datetime(2026, 4, 24, 16, 0)
    assert due_date(received, 3) == cal.due_date(received, 3) == date(2026, 5, 4)


def test_paused_days_do_not_count():
    received = datetime(2026, 3, 2, 9, 0)
    assert due_date_with_pauses(received, 5, "working", []) == date(2026, 3, 9)
    pause = (datetime(2026, 3, 3, 10, 0), datetime(2026, 3, 5, 15, 0))  # Wed and Thu are paused
    assert due_date_with_pauses(received, 5, "working", [pause]) == date(2026, 3, 11)
    assert due_date_with_pauses(received, 5, "calendar", [pause]) == date(2026, 3, 9)
    still_paused = (datetime(2026, 3, 3, 10, 0), None)
    assert due_date_with_pauses(received, 5, "working", [still_paused]) is None


def test_bad_units_and_negative_days_are_refused(cal):
    with pytest.raises(InvalidInput) as err:
        cal.due_date(datetime(2026, 3, 2), 3, "hours")
    assert err.value.code == "calendar.unit"
    with pytest.raises(InvalidInput) as err:
        cal.due_date(datetime(2026, 3, 2), -1)
    assert err.value.code == "calendar.days"


def test_due_date_is_never_a_day_off(cal):
    start = datetime(2025, 12, 20, 9, 0)
    for offset in range(0, 80, 3):
        received = start + timedelta(days=offset)
        for unit in ("working", "calendar"):
            assert cal.is_working_day(cal.due_date(received, 4, unit))
