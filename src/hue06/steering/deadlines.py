"""Turn the deadlines officials write in Vietnamese into dates.

Appendix I of the steering report gives each task's deadline as free text: "Trong tháng 02/2024",
"Trong Quý I/2024", "Trước ngày 31/5/2024", "30/12/2023", "Thực hiện thường xuyên", "Theo lộ trình
của Chính phủ"... Overdue detection needs a date, so every form that occurs is mapped to a `Deadline`
with the last day the task may be done (`due`). Text that matches no known form raises
`DeadlineError` so the import can say which row is wrong instead of guessing.

Readings chosen (see docs/decisions/0012-steering-deadlines.md):
- "Trong tháng/quý/năm X" and bare "Tháng/Quý/Năm X": due on the last day of that period.
- "Trước ngày D" is read strictly: due the day before D. "Trước tháng M/Y": due the last day of M-1.
- A bare date, "đến ngày D", "chậm nhất ngày D": due on D.
- "Thường xuyên", "hàng tháng", "định kỳ": recurring, no single due date.
- "Theo lộ trình...", "Theo hướng dẫn...", "Ngay sau khi...": conditional on another body's action,
  no date.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class DeadlineKind(StrEnum):
    NONE = "none"  # no deadline written
    DATE = "date"  # on or by a given day
    PERIOD = "period"  # within a month, quarter, half-year or year
    BEFORE = "before"  # strictly before a day or a month
    RANGE = "range"  # from one day/month to another
    RECURRING = "recurring"  # done continuously or periodically
    CONDITIONAL = "conditional"  # depends on another body's action or guidance


DEADLINE_KIND_LABELS: dict[DeadlineKind, tuple[str, str]] = {
    DeadlineKind.NONE: ("Không ghi thời hạn", "No deadline given"),
    DeadlineKind.DATE: ("Ngày cụ thể", "A given day"),
    DeadlineKind.PERIOD: ("Trong kỳ", "Within a period"),
    DeadlineKind.BEFORE: ("Trước ngày", "Before a day"),
    DeadlineKind.RANGE: ("Khoảng thời gian", "A date range"),
    DeadlineKind.RECURRING: ("Thường xuyên, định kỳ", "Recurring"),
    DeadlineKind.CONDITIONAL: ("Theo lộ trình, hướng dẫn", "Depends on others' action"),
}


@dataclass(frozen=True)
class Deadline:
    text: str
    kind: DeadlineKind
    due: date | None = None  # the last day the task may be done
    start: date | None = None  # first day of the window, where the text gives one
    period: str | None = None  # for recurring deadlines: "monthly", "quarterly", "continuous"
    day_of_month: int | None = None  # "Trước ngày 10 hàng tháng" -> 10

    @property
    def has_date(self) -> bool:
        return self.due is not None

    def next_due(self, today: date) -> date | None:
        """The next date a monthly deadline falls on; the fixed due date otherwise."""
        if self.kind is DeadlineKind.RECURRING and self.day_of_month:
            day = min(self.day_of_month, calendar.monthrange(today.year, today.month)[1])
            candidate = today.replace(day=day)
            if candidate >= today:
                return candidate
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            return date(year, month, min(self.day_of_month, calendar.monthrange(year, month)[1]))
        return self.due


class DeadlineError(ValueError):
    """The deadline text matches no known form; carries messages in Vietnamese and English."""

    def __init__(self, text: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.text = text
        self.message_vi = message_vi
        self.message_en = message_en


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_MONTH_YEAR = r"(\d{1,2})\s*[/.-]\s*(\d{4})"
_QUARTER = r"(iv|iii|ii|i|[1-4])"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(" .;,")


def _day(text: str, d: str, m: str, y: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise DeadlineError(
            text,
            f"Ngày không hợp lệ: {d}/{m}/{y}",
            f"Not a real calendar day: {d}/{m}/{y}",
        ) from None


def _month_end(text: str, month: int, year: int) -> date:
    if not 1 <= month <= 12:
        raise DeadlineError(text, f"Tháng không hợp lệ: {month}", f"Not a month: {month}")
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter(q: str) -> int:
    return _ROMAN.get(q.upper()) or int(q)


def _quarter_bounds(quarter: int, year: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    start = date(year, first_month, 1)
    end = date(year, first_month + 2, calendar.monthrange(year, first_month + 2)[1])
    return start, end


_RECURRING = re.compile(
    r"^(thực hiện )?(thường xuyên|liên tục|hằng năm|hàng năm)$|hàng tháng|hằng tháng|hàng quý|hằng quý|định kỳ"
)
_CONDITIONAL = re.compile(
    r"^(thực hiện )?theo (lộ trình|hướng dẫn|chỉ đạo|kế hoạch|yêu cầu|tiến độ)|^ngay sau khi|^sau khi|^khi có"
)


def parse_deadline(text: str | None) -> Deadline:
    """Parse one deadline as written in a steering report; raise `DeadlineError` if unknown."""
    raw = (text or "").strip()
    s = _normalise(raw)
    if not s:
        return Deadline(raw, DeadlineKind.NONE)

    # Monthly reports by a given day: "Trước ngày 10 hàng tháng".
    m = re.search(r"(?:trước|chậm nhất)?\s*ngày (\d{1,2}) (?:hàng|hằng) tháng", s)
    if m:
        return Deadline(raw, DeadlineKind.RECURRING, period="monthly", day_of_month=int(m.group(1)))
    if _RECURRING.search(s):
        period = "monthly" if re.search("h[àằ]ng tháng", s) else "quarterly" if "quý" in s else "continuous"
        return Deadline(raw, DeadlineKind.RECURRING, period=period)

    # Ranges: "Từ ngày 01/3/2024 đến ngày 15/6/2024", "Từ tháng 3 đến tháng 6/2024".
    m = re.search(rf"từ (?:ngày )?{_DATE} (?:đến|tới|-) (?:ngày )?{_DATE}", s)
    if m:
        start = _day(raw, *m.group(1, 2, 3))
        due = _day(raw, *m.group(4, 5, 6))
        return Deadline(raw, DeadlineKind.RANGE, due=due, start=start)
    m = re.search(rf"(?:từ )?tháng (\d{{1,2}}) ?(?:đến|tới|-) ?(?:tháng )?{_MONTH_YEAR}", s)
    if m:
        year = int(m.group(3))
        start_month = int(m.group(1))
        _month_end(raw, start_month, year)
        return Deadline(
            raw,
            DeadlineKind.RANGE,
            due=_month_end(raw, int(m.group(2)), year),
            start=date(year, start_month, 1),
        )
    m = re.search(rf"quý {_QUARTER} ?(?:đến|tới|-|,) ?(?:quý )?{_QUARTER} ?/ ?(\d{{4}})", s)
    if m:
        year = int(m.group(3))
        start, _ = _quarter_bounds(_quarter(m.group(1)), year)
        _, due = _quarter_bounds(_quarter(m.group(2)), year)
        return Deadline(raw, DeadlineKind.RANGE, due=due, start=start)

    # Strictly before a day or a month, possibly inside a longer sentence
    # ("Báo cáo UBND tỉnh kết quả thực hiện trước ngày 30/3/2024").
    m = re.search(rf"trước (?:ngày )?{_DATE}", s)
    if m:
        return Deadline(raw, DeadlineKind.BEFORE, due=_day(raw, *m.group(1, 2, 3)) - timedelta(days=1))
    m = re.search(rf"trước tháng {_MONTH_YEAR}", s)
    if m:
        first = _month_end(raw, int(m.group(1)), int(m.group(2))).replace(day=1)
        return Deadline(raw, DeadlineKind.BEFORE, due=first - timedelta(days=1))
    m = re.search(rf"trước quý {_QUARTER} ?/ ?(\d{{4}})", s)
    if m:
        start, _ = _quarter_bounds(_quarter(m.group(1)), int(m.group(2)))
        return Deadline(raw, DeadlineKind.BEFORE, due=start - timedelta(days=1))
    m = re.search(r"trước năm (\d{4})", s)
    if m:
        return Deadline(raw, DeadlineKind.BEFORE, due=date(int(m.group(1)) - 1, 12, 31))

    # Within a period.
    m = re.fullmatch(rf"(?:trong |hoàn thành trong |hoàn thành )?tháng {_MONTH_YEAR}", s)
    if m:
        month, year = int(m.group(1)), int(m.group(2))
        due = _month_end(raw, month, year)
        return Deadline(raw, DeadlineKind.PERIOD, due=due, start=due.replace(day=1))
    m = re.fullmatch(rf"(?:trong |hoàn thành trong |hoàn thành )?quý {_QUARTER} ?(?:/|năm) ?(\d{{4}})", s)
    if m:
        start, due = _quarter_bounds(_quarter(m.group(1)), int(m.group(2)))
        return Deadline(raw, DeadlineKind.PERIOD, due=due, start=start)
    m = re.fullmatch(r"(?:trong )?(?:06|6) tháng (đầu|cuối) năm (\d{4})", s)
    if m:
        year = int(m.group(2))
        if m.group(1) == "đầu":
            return Deadline(raw, DeadlineKind.PERIOD, due=date(year, 6, 30), start=date(year, 1, 1))
        return Deadline(raw, DeadlineKind.PERIOD, due=date(year, 12, 31), start=date(year, 7, 1))
    m = re.fullmatch(r"(?:trong |hoàn thành trong |hoàn thành )?năm (\d{4})", s)
    if m:
        year = int(m.group(1))
        return Deadline(raw, DeadlineKind.PERIOD, due=date(year, 12, 31), start=date(year, 1, 1))

    # A single day.
    m = re.fullmatch(rf"(?:(?:đến|chậm nhất|hạn|hoàn thành|trong) )?(?:ngày )?{_DATE}", s)
    if m:
        return Deadline(raw, DeadlineKind.DATE, due=_day(raw, *m.group(1, 2, 3)))

    if _CONDITIONAL.search(s):
        return Deadline(raw, DeadlineKind.CONDITIONAL)

    raise DeadlineError(
        raw,
        f"Không đọc được thời hạn “{raw}”",
        f"Cannot read the deadline “{raw}”",
    )
