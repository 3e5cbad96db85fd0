"""Check that a steering report adds up: totals, rates, status counts, stated counts.

The province's report is compiled by hand and its tables do not always agree with each other or
with the text. These checks recompute every figure that can be recomputed from the rows and list
each disagreement with where it is (appendix, row, column, source line) and by how much. They do not
change any figure: a mismatch is shown to the user, never silently corrected.

Rates are compared the way the report writes them: the computed rate is rounded half-up to the
number of decimals the report used ("95%" -> whole percent, "42,33%" -> two decimals).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hue06.steering.types import (
    EssentialService,
    HanoiModel,
    ModelState,
    ParsedReport,
    PilotModel,
    RateStatement,
    Service422,
    StatedFigure,
    Task,
    TaskStatus,
)

Value = Decimal | str | None


@dataclass(frozen=True)
class Mismatch:
    check: str  # what was checked, e.g. "total_vs_rows"
    appendix: str  # "I".."VI" or "body"
    row: str | None
    column: str | None
    stated: Value
    computed: Value
    difference: Decimal | None  # stated - computed, where both are numbers
    message_vi: str
    message_en: str
    line: int | None = None

    def message(self, lang: str) -> str:
        """The message in the page's language (both are written where the problem is found)."""
        return self.message_en if lang == "en" else self.message_vi

    def as_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "appendix": self.appendix,
            "row": self.row,
            "column": self.column,
            "line": self.line,
            "stated": None if self.stated is None else str(self.stated),
            "computed": None if self.computed is None else str(self.computed),
            "difference": None if self.difference is None else str(self.difference),
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


CHECK_LABELS: dict[str, tuple[str, str]] = {
    "total_vs_rows": ("Dòng tổng khác tổng các dòng", "Total row differs from the sum of its rows"),
    "rate_vs_counts": ("Tỷ lệ không khớp với số liệu", "Rate does not match its counts"),
    "on_time_overdue_vs_online": (
        "Đúng hạn + quá hạn khác số hồ sơ trực tuyến",
        "On time + overdue differs from the online count",
    ),
    "summary_vs_table": (
        "Số liệu trong báo cáo khác bảng phụ lục",
        "Figure in the text differs from the appendix",
    ),
    "stated_count_vs_rows": ("Số lượng ghi ở tiêu đề khác số dòng", "Count in a title differs from the rows"),
    "group_numbering": ("Đánh số nhóm/dòng không liên tục", "Group or row numbering is broken"),
    "deadline_before_directive": (
        "Thời hạn trước ngày ban hành văn bản chỉ đạo",
        "Deadline earlier than the directing document",
    ),
    "listed_count": ("Số lượng khác danh sách liệt kê", "Count differs from the list that follows"),
    "model_number": ("Số mô hình khác số thứ tự", "Model number differs from the row number"),
}

_FIGURE_LABELS: dict[str, tuple[str, str]] = {
    "tasks_total": ("Tổng số nhiệm vụ", "Total tasks"),
    "tasks_carried_over": ("Nhiệm vụ năm trước chuyển sang", "Tasks carried over"),
    "tasks_new": ("Nhiệm vụ mới trong năm", "New tasks"),
    "tasks_completed": ("Nhiệm vụ đã hoàn thành", "Tasks completed"),
    "tasks_recurring": ("Nhiệm vụ thực hiện thường xuyên", "Recurring tasks"),
    "tasks_in_progress": ("Nhiệm vụ đang triển khai", "Tasks in progress"),
    "tasks_behind": ("Nhiệm vụ chưa hoàn thành (chậm tiến độ)", "Tasks not completed (behind)"),
    "models_total": ("Tổng số mô hình", "Total pilot models"),
    "models_deployed": ("Mô hình đã triển khai", "Models deployed"),
    "models_not_started": ("Mô hình chưa triển khai", "Models not started"),
    "models_completed": ("Mô hình cơ bản hoàn thành", "Models completed"),
    "models_in_progress": ("Mô hình đang triển khai", "Models in progress"),
    "hanoi_total": ("Mô hình của Hà Nội", "Hanoi models"),
    "hanoi_deployed": ("Mô hình Hà Nội tỉnh đã triển khai", "Hanoi models deployed"),
    "hanoi_studying": ("Mô hình Hà Nội đang nghiên cứu", "Hanoi models being studied"),
    "s25_online": ("Hồ sơ trực tuyến (25 DVC)", "Online dossiers (25 services)"),
    "s25_total": ("Tổng số hồ sơ (25 DVC)", "Total dossiers (25 services)"),
    "s25_rate": ("Tỷ lệ trực tuyến (25 DVC)", "Online rate (25 services)"),
    "s28_total": ("Số DVC theo Quyết định 422", "Services of Decision 422"),
    "s28_integrated": ("DVC đã tích hợp trên Cổng DVCQG", "Services on the national portal"),
    "s28_provincial": ("DVC đã tích hợp trên Cổng DVC tỉnh", "Services on the provincial portal"),
}

_SERVICE_COLUMNS: dict[str, tuple[str, str]] = {
    "total": ("Tổng hồ sơ", "total"),
    "online": ("Trực tuyến", "online"),
    "on_time": ("Đúng hạn", "on time"),
    "overdue": ("Quá hạn", "overdue"),
}


def fmt_number(value: Decimal | int, decimals: int = 0) -> str:
    """Vietnamese style: '.' between thousands, ',' before decimals (179.697; 42,33)."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return f"{sign}{text},{frac}" if frac else f"{sign}{text}"


def rate_of(numerator: int, denominator: int, decimals: int) -> Decimal:
    """The percentage rounded as the report rounds it (half-up at the decimals it used)."""
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _exact_rate(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- Appendix II


def check_services25(rows: list[EssentialService], total: EssentialService | None) -> list[Mismatch]:
    out: list[Mismatch] = []
    counted = [r for r in rows if r.has_counts]
    for r in counted:
        out += _row_rate(r, str(r.number))
        out += _row_on_time(r, str(r.number))
    if total is None or not total.has_counts:
        return out
    for attr, (col_vi, col_en) in _SERVICE_COLUMNS.items():
        stated = getattr(total, attr)
        computed = sum(getattr(r, attr) or 0 for r in counted)
        if stated is not None and stated != computed:
            diff = stated - computed
            out.append(
                Mismatch(
                    "total_vs_rows",
                    "II",
                    total.name,
                    col_vi,
                    Decimal(stated),
                    Decimal(computed),
                    Decimal(diff),
                    f"Dòng “{total.name}”, cột {col_vi}: ghi {fmt_number(stated)}, tổng {len(counted)} dòng là "
                    f"{fmt_number(computed)} (chênh {fmt_number(diff)})",
                    f"Row “{total.name}”, column {col_en}: states {fmt_number(stated)}, the {len(counted)} rows "
                    f"add up to {fmt_number(computed)} (off by {fmt_number(diff)})",
                    total.line,
                )
            )
    out += _row_rate(total, total.name)
    out += _row_on_time(total, total.name)
    sum_total = sum(r.total or 0 for r in counted)
    sum_online = sum(r.online or 0 for r in counted)
    if total.rate is not None and sum_total:
        computed_rate = rate_of(sum_online, sum_total, total.rate_decimals)
        if computed_rate != total.rate:
            exact = _exact_rate(sum_online, sum_total)
            out.append(
                Mismatch(
                    "rate_vs_counts",
                    "II",
                    total.name,
                    "Tỷ lệ",
                    total.rate,
                    exact,
                    total.rate - exact,
                    f"Dòng “{total.name}”: tỷ lệ ghi {fmt_number(total.rate, total.rate_decimals)}%, tính từ tổng các "
                    f"dòng ({fmt_number(sum_online)}/{fmt_number(sum_total)}) là {fmt_number(exact, 2)}%",
                    f"Row “{total.name}”: rate states {fmt_number(total.rate, total.rate_decimals)}%, from the rows' "
                    f"sums ({fmt_number(sum_online)}/{fmt_number(sum_total)}) it is {fmt_number(exact, 2)}%",
                    total.line,
                )
            )
    return out


def _row_rate(r: EssentialService, label: str) -> list[Mismatch]:
    if r.rate is None or not r.total or r.online is None:
        return []
    computed = rate_of(r.online, r.total, r.rate_decimals)
    if computed == r.rate:
        return []
    exact = _exact_rate(r.online, r.total)
    return [
        Mismatch(
            "rate_vs_counts",
            "II",
            label,
            "Tỷ lệ",
            r.rate,
            exact,
            r.rate - exact,
            f"Dòng {label}: tỷ lệ ghi {fmt_number(r.rate, r.rate_decimals)}%, "
            f"{fmt_number(r.online)}/{fmt_number(r.total)} là {fmt_number(exact, 2)}%",
            f"Row {label}: rate states {fmt_number(r.rate, r.rate_decimals)}%, "
            f"{fmt_number(r.online)}/{fmt_number(r.total)} is {fmt_number(exact, 2)}%",
            r.line,
        )
    ]


def _row_on_time(r: EssentialService, label: str) -> list[Mismatch]:
    if r.online is None or r.on_time is None or r.overdue is None:
        return []
    processed = r.on_time + r.overdue
    if processed == r.online:
        return []
    diff = processed - r.online
    extra_vi = " (số đúng hạn lớn hơn số hồ sơ trực tuyến)" if r.on_time > r.online else ""
    extra_en = " (more on time than online)" if r.on_time > r.online else ""
    return [
        Mismatch(
            "on_time_overdue_vs_online",
            "II",
            label,
            "Đúng hạn + Quá hạn",
            Decimal(processed),
            Decimal(r.online),
            Decimal(diff),
            f"Dòng {label}: đúng hạn {fmt_number(r.on_time)} + quá hạn {fmt_number(r.overdue)} = "
            f"{fmt_number(processed)}, khác số hồ sơ trực tuyến {fmt_number(r.online)} (chênh {fmt_number(diff)}){extra_vi}",
            f"Row {label}: on time {fmt_number(r.on_time)} + overdue {fmt_number(r.overdue)} = "
            f"{fmt_number(processed)}, not the online count {fmt_number(r.online)} (off by {fmt_number(diff)}){extra_en}",
            r.line,
        )
    ]


# --------------------------------------------------------------------------- stated figures


def _stated_vs(
    figure: StatedFigure | None,
    computed: int | Decimal,
    how_vi: str,
    how_en: str,
    decimals: int = 0,
    unit: str = "",
) -> list[Mismatch]:
    if figure is None or figure.value == computed:
        return []
    label_vi, label_en = _FIGURE_LABELS.get(figure.key.split(":")[-1], (figure.key, figure.key))
    where_vi = "phần nội dung báo cáo" if figure.where == "body" else f"Phụ lục {figure.where}"
    where_en = "the report's text" if figure.where == "body" else f"Appendix {figure.where}"
    diff = figure.value - Decimal(computed)
    return [
        Mismatch(
            "summary_vs_table",
            figure.where,
            None,
            label_vi,
            figure.value,
            Decimal(computed),
            diff,
            f"{label_vi}: {where_vi} (dòng {figure.line}) ghi {fmt_number(figure.value, decimals)}{unit}, {how_vi} "
            f"là {fmt_number(computed, decimals)}{unit} (chênh {fmt_number(diff, decimals)}{unit})",
            f"{label_en}: {where_en} (line {figure.line}) states {fmt_number(figure.value, decimals)}{unit}, "
            f"{how_en} gives {fmt_number(computed, decimals)}{unit} (off by {fmt_number(diff, decimals)}{unit})",
            figure.line,
        )
    ]


def check_task_summary(stated: dict[str, StatedFigure], tasks: list[Task]) -> list[Mismatch]:
    counts = Counter(t.status for t in tasks)
    carried = sum(1 for t in tasks if t.carried_over)
    computed = {
        "tasks_total": len(tasks),
        "tasks_carried_over": carried,
        "tasks_new": len(tasks) - carried,
        "tasks_completed": counts[TaskStatus.COMPLETED],
        "tasks_recurring": counts[TaskStatus.RECURRING],
        "tasks_in_progress": counts[TaskStatus.IN_PROGRESS],
        "tasks_behind": counts[TaskStatus.BEHIND],
    }
    out: list[Mismatch] = []
    for prefix in ("", "I:"):
        for key, value in computed.items():
            out += _stated_vs(stated.get(prefix + key), value, "đếm trong Phụ lục I", "counting Appendix I")
    return out


def check_model_summary(stated: dict[str, StatedFigure], models: list[PilotModel]) -> list[Mismatch]:
    states = Counter(m.state for m in models)
    out = _stated_vs(stated.get("models_total"), len(models), "đếm trong Phụ lục IV", "counting Appendix IV")
    deployed = len(models) - states[ModelState.NOT_STARTED]
    out += _stated_vs(stated.get("models_deployed"), deployed, "đếm trong Phụ lục IV", "counting Appendix IV")
    out += _stated_vs(
        stated.get("models_not_started"),
        states[ModelState.NOT_STARTED],
        "đếm trong Phụ lục IV",
        "counting Appendix IV",
    )
    if states[ModelState.DEPLOYED] == 0:  # only when every deployed model says whether it is finished
        out += _stated_vs(stated.get("models_completed"), states[ModelState.COMPLETED], "đếm", "counting")
        out += _stated_vs(stated.get("models_in_progress"), states[ModelState.IN_PROGRESS], "đếm", "counting")
    return out


def check_hanoi_summary(stated: dict[str, StatedFigure], models: list[HanoiModel]) -> list[Mismatch]:
    studying = sum(1 for m in models if m.state is ModelState.STUDYING)
    out: list[Mismatch] = []
    out += _stated_vs(stated.get("hanoi_total"), len(models), "đếm trong Phụ lục V", "counting Appendix V")
    for prefix in ("", "V:"):
        out += _stated_vs(
            stated.get(prefix + "hanoi_deployed"),
            len(models) - studying,
            "đếm trong Phụ lục V",
            "counting Appendix V",
        )
        out += _stated_vs(
            stated.get(prefix + "hanoi_studying"), studying, "đếm trong Phụ lục V", "counting Appendix V"
        )
    return out


def on_provincial_portal(row: Service422) -> bool:
    return "cổng dvc tỉnh" in row.provincial_status.lower()


def check_services28_summary(stated: dict[str, StatedFigure], rows: list[Service422]) -> list[Mismatch]:
    integrated = [r for r in rows if r.on_national_portal]
    out = _stated_vs(stated.get("s28_total"), len(rows), "đếm trong Phụ lục III", "counting Appendix III")
    out += _stated_vs(
        stated.get("s28_integrated"),
        len(integrated),
        "số dòng có đánh dấu X ở Phụ lục III",
        "the rows marked X in Appendix III",
    )
    provincial = sum(1 for r in integrated if on_provincial_portal(r))
    out += _stated_vs(
        stated.get("s28_provincial"),
        provincial,
        "số dịch vụ đã tích hợp Cổng DVCQG có ghi “Cổng DVC tỉnh” ở Phụ lục III",
        "the nationally integrated services whose provincial status names the provincial portal in Appendix III",
    )
    return out


def check_services25_summary(
    stated: dict[str, StatedFigure], rows: list[EssentialService], total: EssentialService | None
) -> list[Mismatch]:
    counted = [r for r in rows if r.has_counts]
    sum_total = sum(r.total or 0 for r in counted)
    sum_online = sum(r.online or 0 for r in counted)
    out = _stated_vs(
        stated.get("s25_online"), sum_online, "tổng các dòng Phụ lục II", "the sum of Appendix II's rows"
    )
    out += _stated_vs(
        stated.get("s25_total"), sum_total, "tổng các dòng Phụ lục II", "the sum of Appendix II's rows"
    )
    rate = stated.get("s25_rate")
    if rate is not None and sum_total:
        decimals = max(0, -rate.value.as_tuple().exponent)
        computed = rate_of(sum_online, sum_total, decimals)
        if computed != rate.value:
            out += _stated_vs(
                rate,
                _exact_rate(sum_online, sum_total),
                "tính từ tổng các dòng Phụ lục II",
                "computing from the sums of Appendix II's rows",
                decimals=2,
                unit="%",
            )
    if total is not None and total.has_counts:
        out += _stated_vs(
            stated.get("s25_online"),
            total.online or 0,
            "dòng Tổng cộng Phụ lục II",
            "Appendix II's total row",
        )
        out += _stated_vs(
            stated.get("s25_total"), total.total or 0, "dòng Tổng cộng Phụ lục II", "Appendix II's total row"
        )
    return out


# --------------------------------------------------------------------------- counts in titles, numbering


def check_stated_counts(parsed: ParsedReport) -> list[Mismatch]:
    out: list[Mismatch] = []
    actual = {
        "II": len(parsed.services25),
        "III": len(parsed.services28),
        "IV": len(parsed.models),
        "V": len(parsed.hanoi_models),
    }
    for code, stated in parsed.appendix_stated_counts.items():
        if stated != actual[code]:
            out.append(
                _count_mismatch(
                    code,
                    None,
                    stated,
                    actual[code],
                    f"tiêu đề Phụ lục {code}",
                    f"Appendix {code}'s title",
                    None,
                )
            )
    for group in parsed.task_groups:
        n = sum(1 for t in parsed.tasks if t.group_code == group.code and t.group_title == group.title)
        if group.stated_count is not None and group.stated_count != n:
            out.append(
                _count_mismatch(
                    "I",
                    group.code,
                    group.stated_count,
                    n,
                    f"tiêu đề nhóm {group.code}",
                    f"group {group.code}'s title",
                    group.line,
                )
            )
    for mgroup in parsed.model_groups:
        n = sum(1 for m in parsed.models if m.group_code == mgroup.code)
        if mgroup.stated_count is not None and mgroup.stated_count != n:
            out.append(
                _count_mismatch(
                    "IV",
                    mgroup.code,
                    mgroup.stated_count,
                    n,
                    f"tiêu đề nhóm {mgroup.code}",
                    f"group {mgroup.code}'s title",
                    mgroup.line,
                )
            )
    return out


def _count_mismatch(
    appendix: str, row: str | None, stated: int, actual: int, where_vi: str, where_en: str, line: int | None
) -> Mismatch:
    return Mismatch(
        "stated_count_vs_rows",
        appendix,
        row,
        "số lượng",
        Decimal(stated),
        Decimal(actual),
        Decimal(stated - actual),
        f"{where_vi.capitalize()} ghi {stated}, bảng có {actual} dòng (chênh {stated - actual})",
        f"{where_en[0].upper()}{where_en[1:]} states {stated}, the table has {actual} rows (off by {stated - actual})",
        line,
    )


def check_task_numbering(parsed: ParsedReport) -> list[Mismatch]:
    out: list[Mismatch] = []
    seen: dict[str, int] = {}
    for group in parsed.task_groups:
        if group.code in seen:
            out.append(
                Mismatch(
                    "group_numbering",
                    "I",
                    group.code,
                    "STT",
                    None,
                    None,
                    None,
                    f"Nhóm số {group.code} xuất hiện hai lần (dòng {seen[group.code]} và {group.line}): "
                    f"“{group.title}”",
                    f"Group {group.code} appears twice (lines {seen[group.code]} and {group.line}): “{group.title}”",
                    group.line,
                )
            )
        seen.setdefault(group.code, group.line)
    # Within the carried-over block and within the year's block the numbers must run 1, 2, 3...
    for carried in (True, False):
        block = [t for t in parsed.tasks if t.carried_over is carried]
        expected = 1
        for task in block:
            if task.number != expected:
                out.append(
                    Mismatch(
                        "group_numbering",
                        "I",
                        task.code,
                        "STT",
                        Decimal(task.number),
                        Decimal(expected),
                        Decimal(task.number - expected),
                        f"Nhiệm vụ số {task.number} đứng ở vị trí của số {expected}",
                        f"Task {task.number} stands where number {expected} was expected",
                        task.line,
                    )
                )
            expected = task.number + 1
    for model in parsed.models:
        m = re.match(r"^Mô hình (\d+)\s*:", model.name)
        if m and int(m.group(1)) != model.number:
            out.append(
                Mismatch(
                    "model_number",
                    "IV",
                    str(model.number),
                    "Mô hình",
                    Decimal(m.group(1)),
                    Decimal(model.number),
                    Decimal(int(m.group(1)) - model.number),
                    f"Dòng {model.number} ghi “Mô hình {m.group(1)}”",
                    f"Row {model.number} is headed “Mô hình {m.group(1)}”",
                    model.line,
                )
            )
    return out


_DOC_DATE = re.compile(r"ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})")


def directive_date(text: str) -> date | None:
    """The issue date of the first directing document named ('... ngày 23/01/2024 ...')."""
    m = _DOC_DATE.search(text)
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def check_deadlines(tasks: list[Task]) -> list[Mismatch]:
    out: list[Mismatch] = []
    for task in tasks:
        issued = directive_date(task.directing_document)
        due = task.deadline.due
        if issued is None or due is None or due >= issued:
            continue
        days = (issued - due).days
        out.append(
            Mismatch(
                "deadline_before_directive",
                "I",
                task.code,
                "Thời gian hoàn thành",
                due.strftime("%d/%m/%Y"),
                issued.strftime("%d/%m/%Y"),
                Decimal(-days),
                f"Nhiệm vụ {task.code}: thời hạn “{task.deadline_text}” ({due:%d/%m/%Y}) sớm hơn {days} ngày so "
                f"với ngày ban hành văn bản chỉ đạo ({issued:%d/%m/%Y})",
                f"Task {task.code}: deadline “{task.deadline_text}” ({due:%d/%m/%Y}) is {days} days before "
                f"its directing document was issued ({issued:%d/%m/%Y})",
                task.line,
            )
        )
    return out


# --------------------------------------------------------------------------- prose


def check_rate_statements(statements: Iterable[RateStatement]) -> list[Mismatch]:
    out: list[Mismatch] = []
    for s in statements:
        computed = rate_of(s.numerator, s.denominator, s.decimals)
        if computed == s.rate:
            continue
        exact = _exact_rate(s.numerator, s.denominator)
        out.append(
            Mismatch(
                "rate_vs_counts",
                s.where,
                None,
                "tỷ lệ",
                s.rate,
                exact,
                s.rate - exact,
                f"“{s.excerpt}”: {fmt_number(s.numerator)}/{fmt_number(s.denominator)} là {fmt_number(exact, 2)}%, "
                f"làm tròn thành {fmt_number(computed, s.decimals)}%, không phải {fmt_number(s.rate, s.decimals)}%",
                f"“{s.excerpt}”: {fmt_number(s.numerator)}/{fmt_number(s.denominator)} is {fmt_number(exact, 2)}%, "
                f"which rounds to {fmt_number(computed, s.decimals)}%, not {fmt_number(s.rate, s.decimals)}%",
                s.line,
            )
        )
    return out


_LISTED = re.compile(r"(\d+) mô hình[^()]{0,200}\(Mô hình ([\d,\s]+)\)", re.IGNORECASE)


def check_listed_counts(footnotes: dict[int, str]) -> list[Mismatch]:
    """'12 mô hình ... (Mô hình 1, 4, 7, ...)': the count against the numbers listed."""
    out: list[Mismatch] = []
    for number, text in sorted(footnotes.items()):
        for m in _LISTED.finditer(text):
            listed = [x for x in re.split(r"[,\s]+", m.group(2)) if x]
            stated = int(m.group(1))
            if stated != len(listed):
                out.append(
                    Mismatch(
                        "listed_count",
                        "body",
                        f"chú thích {number}",
                        "số mô hình",
                        Decimal(stated),
                        Decimal(len(listed)),
                        Decimal(stated - len(listed)),
                        f"Chú thích {number} ghi {stated} mô hình nhưng liệt kê {len(listed)} mô hình "
                        f"({', '.join(listed)})",
                        f"Footnote {number} says {stated} models but lists {len(listed)} ({', '.join(listed)})",
                        None,
                    )
                )
    return out


def check_report(parsed: ParsedReport) -> list[Mismatch]:
    """Every check, in the order a reader meets the figures."""
    out: list[Mismatch] = []
    out += check_task_summary(parsed.stated, parsed.tasks)
    out += check_stated_counts(parsed)
    out += check_task_numbering(parsed)
    out += check_deadlines(parsed.tasks)
    out += check_services25(parsed.services25, parsed.services25_total)
    out += check_services25_summary(parsed.stated, parsed.services25, parsed.services25_total)
    out += check_services28_summary(parsed.stated, parsed.services28)
    out += check_model_summary(parsed.stated, parsed.models)
    out += check_hanoi_summary(parsed.stated, parsed.hanoi_models)
    out += check_rate_statements(parsed.rate_statements)
    out += check_listed_counts(parsed.footnotes)
    return out
