"""Working days and legal deadlines.

Administrative-procedure time limits (Decree 61/2018/NĐ-CP, amended by Decree 107/2021/NĐ-CP)
are counted in working days. Public holidays, Tết and the compensatory days come from the
`holidays` package (class `holidays.VN`, its own Vietnamese lunisolar calendar), including the
government's day swaps it knows (2024: 29 Apr off / Sat 4 May worked; 2025: 2 May off /
Sat 26 Apr worked; 2026: 31 Aug off / Sat 22 Aug worked, checked in holidays 0.109).
Each province may add its own days off and make-up working days, and the Government's yearly
notices can be added here without waiting for a new `holidays` release.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import holidays

from hue06.core.errors import InvalidInput

__all__ = ["GOVERNMENT_DAY_SWAPS", "WorkingCalendar", "due_date", "due_date_with_pauses"]

# Government day swaps that the installed `holidays` lacks: {year: (days off, make-up working
# days)}. Empty on purpose: every swap we could confirm (2024, 2025, 2026) is already in
# holidays >= 0.109, and we add none that we cannot cite. Add a row when the Ministry of Home
# Affairs' notice for a year is out and `holidays` has not caught up.
GOVERNMENT_DAY_SWAPS: dict[int, tuple[tuple[date, ...], tuple[date, ...]]] = {}

# A dossier received at or after this time counts as received on the next working day.
DEFAULT_CUTOFF = time(17, 0)
UNITS = ("working", "calendar")
# A deadline search never walks further than this; a bigger gap means a broken calendar.
_MAX_SPAN_DAYS = 366 * 20


class WorkingCalendar:
    """Vietnamese public holidays plus province-configured days off and make-up working days."""

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        *,
        cutoff: time = DEFAULT_CUTOFF,
        use_builtin_swaps: bool = True,
    ) -> None:
        self._vn = holidays.VN(language="vi")
        days_off = set(extra_days_off)
        working = set(extra_working_days)
        if use_builtin_swaps:
            for off, worked in GOVERNMENT_DAY_SWAPS.values():
                days_off.update(off)
                working.update(worked)
        overlap = days_off & working
        if overlap:
            raise InvalidInput(
                "calendar.conflict",
                "Một ngày không thể vừa là ngày nghỉ vừa là ngày làm bù.",
                "A day cannot be both an extra day off and a make-up working day.",
                days=sorted(d.isoformat() for d in overlap),
            )
        self.extra_days_off = frozenset(days_off)
        self.extra_working_days = frozenset(working)
        self.cutoff = cutoff

    def is_working_day(self, d: date) -> bool:
        d = d.date() if isinstance(d, datetime) else d
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off:
            return False
        return self._vn.is_working_day(d)

    def holiday_name(self, d: date) -> str | None:
        """The public holiday's name (Vietnamese), or None."""
        return self._vn.get(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        return self.add_working_days(d, 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself is day 0; negative n counts back)."""
        start = start.date() if isinstance(start, datetime) else start
        step = 1 if n >= 0 else -1
        d = start
        remaining = abs(n)
        for _ in range(_MAX_SPAN_DAYS):
            if remaining == 0:
                return d
            d += timedelta(days=step)
            if self.is_working_day(d):
                remaining -= 1
        raise InvalidInput("calendar.span", "Khoảng thời gian quá dài.", "The period is too long.")

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after a up to and including b (negative when b is before a).

        So `add_working_days(a, working_days_between(a, b)) == b` whenever b is a working day.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    def count_working_days(self, first: date, last: date) -> int:
        """Working days from first to last, both included (a month's working days, for example)."""
        return self.working_days_between(first - timedelta(days=1), last)

    def received_on(self, received: datetime | date) -> date:
        """The day a dossier counts as received: the next working day if it came in after the
        cut-off hour or on a day off."""
        if isinstance(received, datetime):
            day = received.date()
            if received.time() >= self.cutoff:
                return self.next_working_day(day)
        else:
            day = received
        return day if self.is_working_day(day) else self.next_working_day(day)

    def due_date(self, received: datetime | date, days: int, unit: str = "working") -> date:
        """The last day of a time limit of `days` working or calendar days.

        Counting starts the day after the (effective) receipt day. A calendar-day limit that ends on
        a day off moves to the next working day (Civil Code 2015, Art. 148).
        """
        return self.due_date_with_pauses(received, days, unit, [])

    def due_date_with_pauses(
        self,
        received: datetime | date,
        days: int,
        unit: str,
        pauses: list[tuple[datetime, datetime | None]],
    ) -> date | None:
        """Like `due_date`, but the clock stops while the citizen supplements the dossier.

        A pause (start, end) stops the days after start's day up to and including end's day
        (end's day is when the clock restarts; the next day counts again). A pause with no end
        means the clock is still stopped: there is no due date yet, and None is returned.
        """
        if unit not in UNITS:
            raise InvalidInput(
                "calendar.unit",
                "Đơn vị thời hạn phải là ngày làm việc hoặc ngày.",
                "The time-limit unit must be working or calendar days.",
                unit=unit,
            )
        if days < 0:
            raise InvalidInput(
                "calendar.days",
                "Số ngày của thời hạn không được âm.",
                "The number of days cannot be negative.",
            )
        if any(end is None for _, end in pauses):
            return None
        paused = [(_as_date(s), _as_date(e)) for s, e in pauses if e is not None]
        start = self.received_on(received)
        d = start
        remaining = days
        for _ in range(_MAX_SPAN_DAYS):
            if remaining == 0:
                break
            d += timedelta(days=1)
            if any(s < d <= e for s, e in paused):
                continue
            if unit == "calendar" or self.is_working_day(d):
                remaining -= 1
        else:
            raise InvalidInput("calendar.span", "Khoảng thời gian quá dài.", "The period is too long.")
        if unit == "calendar" and not self.is_working_day(d):
            d = self.next_working_day(d)
        return d


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


_default: WorkingCalendar | None = None


def _calendar() -> WorkingCalendar:
    global _default
    if _default is None:
        _default = WorkingCalendar()
    return _default


def due_date(received: datetime | date, days: int, unit: str = "working") -> date:
    """`WorkingCalendar().due_date` with the national calendar only."""
    return _calendar().due_date(received, days, unit)


def due_date_with_pauses(
    received: datetime | date,
    days: int,
    unit: str,
    pauses: list[tuple[datetime, datetime | None]],
) -> date | None:
    """`WorkingCalendar().due_date_with_pauses` with the national calendar only."""
    return _calendar().due_date_with_pauses(received, days, unit, pauses)
