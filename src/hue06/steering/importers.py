"""Read the steering committee's periodic report (its text export) into plain dataclasses.

The report reaches us as text pasted out of Word: tab-separated table rows, rows split over several
lines, HTML fragments (`<p>`, `<ul>`) inside cells, numbers written `15.816`, rates `95%`, dashes
for zero, header rows repeated in the middle of a table, markdown separator rows, footnotes between
the rows, sub-rows without a number. This module turns that into dataclasses and nothing else: no
database, no checks (see `checks.py`). Every row it cannot read becomes an `ImportProblem` that says
where and why; by default any error fails the whole import, with `partial=True` the good rows are
kept and the bad ones listed.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from hue06.steering.deadlines import Deadline, DeadlineError, parse_deadline
from hue06.steering.types import (
    APPENDICES,
    APPENDIX_TITLES,
    EssentialService,
    HanoiModel,
    ImportProblem,
    ModelGroup,
    ModelState,
    ParsedReport,
    PilotModel,
    RateStatement,
    ReportHeader,
    Resolution175Task,
    Service422,
    StatedFigure,
    SubTask,
    Task,
    TaskGroup,
    TaskStatus,
)


class ReportImportError(Exception):
    """The file has errors and `partial` was not asked for; nothing is imported."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the report; nothing imported")
        self.problems = problems


class _RowError(Exception):
    def __init__(self, field: str | None, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_vi = message_vi
        self.message_en = message_en


_STATUS_WORDS: dict[str, TaskStatus] = {
    "hoàn thành": TaskStatus.COMPLETED,
    "đã hoàn thành": TaskStatus.COMPLETED,
    "thực hiện thường xuyên": TaskStatus.RECURRING,
    "thường xuyên": TaskStatus.RECURRING,
    "đang triển khai": TaskStatus.IN_PROGRESS,
    "đang thực hiện": TaskStatus.IN_PROGRESS,
    "chậm tiến độ": TaskStatus.BEHIND,
    "chưa hoàn thành": TaskStatus.BEHIND,
    "chậm": TaskStatus.BEHIND,
}


def parse_task_status(text: str) -> TaskStatus:
    """Map the "Ghi chú" column of Appendix I to a status; raise ValueError for anything else."""
    key = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).strip().lower()).rstrip(" .")
    try:
        return _STATUS_WORDS[key]
    except KeyError:
        raise ValueError(text) from None


# --------------------------------------------------------------------------- text helpers

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_TO_DIGIT = str.maketrans(_SUPERSCRIPTS, "0123456789")
_FOOTNOTE_LINE = re.compile(rf"^\s*([{_SUPERSCRIPTS}]+)\s*(.*)$")
_APPENDIX_LINE = re.compile(r"^\s*\*?\s*Phụ lục\s+([IVX]+)\s*\*?\s*$", re.IGNORECASE)
_ROMAN_RE = re.compile(r"^(?=[IVXL])(L?X{0,3})(IX|IV|V?I{0,3})$")
_TAG = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{3})+$|^\d+$")
_DASHES = {"-", "–", "—", "_"}


def clean_cell(text: str) -> str:
    """Strip HTML and footnote marks from a cell; paragraphs become lines, spaces collapse."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</p>\s*<p[^>]*>|<br\s*/?>|</li>\s*<li[^>]*>", "\n", text, flags=re.IGNORECASE)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = re.sub(rf"[{_SUPERSCRIPTS}]+", "", text)
    text = text.replace("**", "").replace("\u00a0", " ")
    lines = [re.sub(r"[ \t]+", " ", part).strip() for part in text.split("\n")]
    return "\n".join(part for part in lines if part)


def _join(a: str, b: str) -> str:
    """Join the two halves of a cell that was split over two lines."""
    if not a:
        return b
    if not b:
        return a
    return f"{a} {b}"


def roman_value(text: str) -> int | None:
    text = text.strip().upper()
    if not text or not _ROMAN_RE.match(text):
        return None
    values = {"I": 1, "V": 5, "X": 10, "L": 50}
    total = 0
    for i, ch in enumerate(text):
        v = values[ch]
        if i + 1 < len(text) and values[text[i + 1]] > v:
            total -= v
        else:
            total += v
    return total


def parse_count(text: str, column: str) -> int | None:
    """'15.816' -> 15816, '-' -> 0, '' -> None; anything else is an error for that column."""
    s = text.strip().replace(" ", "")
    if not s:
        return None
    if s in _DASHES:
        return 0
    if _NUMBER.match(s):
        return int(s.replace(".", ""))
    raise _RowError(
        column,
        f"“{text}” không phải là số (cột {column})",
        f"“{text}” is not a number (column {column})",
    )


def parse_rate(text: str, column: str) -> tuple[Decimal | None, int]:
    """'95%' -> (95, 0); '42,33%' -> (42.33, 2); '-' -> (0, 0)."""
    s = text.strip().replace(" ", "")
    if not s:
        return None, 0
    if s in _DASHES:
        return Decimal(0), 0
    m = re.fullmatch(r"(\d+)(?:[,.](\d+))?%?", s)
    if not m:
        raise _RowError(
            column,
            f"“{text}” không phải là tỷ lệ phần trăm (cột {column})",
            f"“{text}” is not a percentage (column {column})",
        )
    decimals = len(m.group(2) or "")
    try:
        return Decimal(f"{m.group(1)}.{m.group(2)}" if decimals else m.group(1)), decimals
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise _RowError(column, f"“{text}” không đọc được", f"“{text}” cannot be read") from None


def _stated_number(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


# --------------------------------------------------------------------------- table rows


@dataclass
class _Row:
    line: int
    cells: list[str]
    after_blank: bool


@dataclass
class _Appendix:
    code: str
    start_line: int
    title_lines: list[tuple[int, str]]
    prose: list[tuple[int, str]]
    rows: list[_Row]


def _split_document(lines: list[str]) -> tuple[list[tuple[int, str]], dict[str, _Appendix]]:
    """Cut the text into the body and the appendices; tables become rows of cleaned cells."""
    body: list[tuple[int, str]] = []
    appendices: dict[str, _Appendix] = {}
    current: _Appendix | None = None
    in_header = False
    after_blank = False
    for index, raw in enumerate(lines, start=1):
        m = _APPENDIX_LINE.match(raw)
        if m:
            current = _Appendix(m.group(1).upper(), index, [], [], [])
            appendices.setdefault(current.code, current)
            in_header = False
            continue
        if current is None:
            body.append((index, raw))
            continue
        if "\t" not in raw:
            text = raw.strip()
            if not text:
                after_blank = True
            elif not _FOOTNOTE_LINE.match(text):
                if not current.rows and not current.prose and len(current.title_lines) < 4:
                    current.title_lines.append((index, clean_cell(text)))
                else:
                    current.prose.append((index, clean_cell(text)))
            continue
        cells = [clean_cell(c) for c in raw.split("\t")]
        while len(cells) > 1 and not cells[-1]:
            cells.pop()
        first = cells[0].upper().replace(" ", "")
        if all(re.fullmatch(r"-*", c.replace(" ", "")) for c in cells):
            continue  # markdown separator row
        if first in {"STT", "TT"}:
            in_header = True
            continue
        if in_header and not cells[0]:
            continue  # second header line ("Tổng hồ sơ | Trực tuyến | ...")
        in_header = False
        current.rows.append(_Row(index, cells, after_blank))
        after_blank = False
    return body, appendices


def _row_label(cells: list[str]) -> tuple[str, str]:
    """Classify a row by its first cell: item, group, total, section, blank or bad."""
    first = cells[0].strip()
    if not first:
        return "blank", ""
    if re.fullmatch(r"\d+\.?", first):
        return "item", first.rstrip(".")
    m = re.match(r"^([IVXL]+)\.?(?:\s+(.*))?$", first, flags=re.DOTALL)
    if m and roman_value(m.group(1)) is not None and not any(c.strip() for c in cells[2:]):
        return "group", first
    if re.match(r"^tổng\b", first, flags=re.IGNORECASE):
        return "total", first
    if first.upper() == first and not re.search(r"\d", first) and not any(c.strip() for c in cells[1:]):
        return "section", first
    return "bad", first


def _fit(cells: list[str], width: int, missing_at: int | None = None) -> list[str]:
    """Pad a short row; `missing_at` says which column a one-short row most likely lost."""
    cells = list(cells)
    if len(cells) == width - 1 and missing_at is not None:
        cells.insert(missing_at, "")
    while len(cells) < width:
        cells.append("")
    return cells


class _Collector:
    """Collects problems while the appendix parsers run."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []

    def error(
        self, appendix: str, row: str | None, fieldname: str | None, vi: str, en: str, line: int | None
    ) -> None:
        self.problems.append(ImportProblem(appendix, row, fieldname, vi, en, line, "error"))

    def warning(
        self, appendix: str, row: str | None, fieldname: str | None, vi: str, en: str, line: int | None
    ) -> None:
        self.problems.append(ImportProblem(appendix, row, fieldname, vi, en, line, "warning"))

    def row_error(self, appendix: str, row: str | None, exc: _RowError, line: int) -> None:
        self.error(appendix, row, exc.field, exc.message_vi, exc.message_en, line)

    def bad_label(self, appendix: str, label: str, line: int) -> None:
        self.error(
            appendix,
            label,
            "STT",
            f"Số thứ tự “{label}” không phải là số",
            f"Row number “{label}” is not a number",
            line,
        )


def _deadline(text: str) -> Deadline:
    try:
        return parse_deadline(text)
    except DeadlineError as exc:
        raise _RowError("Thời gian hoàn thành", exc.message_vi, exc.message_en) from None


def _stated_count_in(title: str, noun: str) -> int | None:
    m = re.search(rf"\((\d+)\s+{noun}\)", title, flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- Appendix I


_I_COLUMNS = (
    "STT",
    "Nội dung, nhiệm vụ",
    "Văn bản chỉ đạo",
    "Đơn vị thực hiện",
    "Thời gian hoàn thành",
    "Kết quả",
    "Ghi chú",
)


def _parse_tasks(app: _Appendix, out: _Collector) -> tuple[list[TaskGroup], list[Task]]:
    groups: list[TaskGroup] = []
    tasks: list[Task] = []
    group: TaskGroup | None = None
    last: Task | SubTask | None = None
    for row in app.rows:
        kind, label = _row_label(row.cells)
        if kind == "group":
            m = re.match(r"^([IVXL]+)\.?\s*(.*)$", label, flags=re.DOTALL)
            code = m.group(1) if m else label
            title = (m.group(2) if m else "") or (row.cells[1] if len(row.cells) > 1 else "")
            group = TaskGroup(
                code=code,
                title=title.strip(),
                carried_over="chuyển sang" in title.lower(),
                stated_count=_stated_count_in(title, "nhiệm vụ"),
                line=row.line,
            )
            groups.append(group)
            last = None
            continue
        if kind == "bad" or kind in {"total", "section"}:
            out.bad_label("I", label, row.line)
            last = None
            continue
        if len(row.cells) > len(_I_COLUMNS):
            out.error(
                "I",
                label or None,
                None,
                f"Dòng có {len(row.cells)} cột, bảng chỉ có {len(_I_COLUMNS)}",
                f"Row has {len(row.cells)} columns, the table has {len(_I_COLUMNS)}",
                row.line,
            )
            last = None
            continue
        if len(row.cells) == len(_I_COLUMNS) - 1:
            out.warning(
                "I",
                label or None,
                "Kết quả",
                "Dòng thiếu một cột; coi như cột Kết quả để trống",
                "Row is one column short; read as an empty Kết quả (result) column",
                row.line,
            )
        cells = _fit(row.cells, len(_I_COLUMNS), missing_at=5)
        if kind == "blank":
            _, content, doc, unit, deadline_text, result, note = cells
            if last is None:
                out.error(
                    "I",
                    None,
                    None,
                    "Dòng không có số thứ tự và không thuộc nhiệm vụ nào",
                    "Unnumbered row that belongs to no task",
                    row.line,
                )
                continue
            parent = last if isinstance(last, Task) else tasks[-1]
            if (content[:1].isupper() or content[:1].isdigit()) and doc:
                try:
                    sub = SubTask(
                        content, doc, unit, deadline_text, _deadline(deadline_text), result, note, row.line
                    )
                except _RowError as exc:
                    out.row_error("I", parent.code, exc, row.line)
                    continue
                parent.sub_tasks.append(sub)
                last = sub
            else:  # the rest of the previous row, split over two lines
                for attr, extra in zip(
                    ("content", "directing_document", "responsible_unit", "result"),
                    (content, doc, unit, result),
                    strict=True,
                ):
                    setattr(last, attr, _join(getattr(last, attr), extra))
            continue
        if group is None:
            out.error(
                "I",
                label,
                None,
                "Nhiệm vụ đứng trước mọi nhóm (I, II, ...)",
                "Task row before any group row (I, II, ...)",
                row.line,
            )
            continue
        number = int(label)
        code = f"{group.code}.{number}" if group.carried_over else str(number)
        _, content, doc, unit, deadline_text, result, status_text = cells
        try:
            deadline = _deadline(deadline_text)
            if not status_text:
                raise _RowError("Ghi chú", "Thiếu tình trạng thực hiện", "The status is missing")
            try:
                status = parse_task_status(status_text)
            except ValueError:
                raise _RowError(
                    "Ghi chú",
                    f"Tình trạng “{status_text}” không thuộc danh mục (Hoàn thành, Thực hiện thường xuyên, "
                    "Đang triển khai, Chậm tiến độ)",
                    f"Unknown status “{status_text}” (expected Hoàn thành, Thực hiện thường xuyên, "
                    "Đang triển khai or Chậm tiến độ)",
                ) from None
        except _RowError as exc:
            out.row_error("I", code, exc, row.line)
            last = None
            continue
        task = Task(
            seq=len(tasks) + 1,
            code=code,
            number=number,
            group_code=group.code,
            group_title=group.title,
            carried_over=group.carried_over,
            content=content,
            directing_document=doc,
            responsible_unit=unit,
            deadline_text=deadline_text,
            deadline=deadline,
            result=result,
            status=status,
            status_text=status_text,
            line=row.line,
        )
        tasks.append(task)
        last = task
    return groups, tasks


# --------------------------------------------------------------------------- Appendix II


_II_COLUMNS = (
    "STT",
    "Dịch vụ công trực tuyến",
    "Tổng hồ sơ",
    "Trực tuyến",
    "Tỷ lệ",
    "Đúng hạn",
    "Quá hạn",
    "Khó khăn, vướng mắc",
)


def _service_row(number: int | None, cells: list[str], line: int) -> EssentialService:
    _, name, total, online, rate, on_time, overdue, difficulties = cells
    if (
        total
        and re.search(r"[^\d.\s%\-–—]", total)
        and not any(c.strip() for c in (online, rate, on_time, overdue))
    ):
        # "Chưa phát sinh hồ sơ, do ..." written across the count columns
        return EssentialService(number, name, None, None, None, 0, None, None, difficulties, total, line)
    rate_value, decimals = parse_rate(rate, "Tỷ lệ")
    return EssentialService(
        number=number,
        name=name,
        total=parse_count(total, "Tổng hồ sơ"),
        online=parse_count(online, "Trực tuyến"),
        rate=rate_value,
        rate_decimals=decimals,
        on_time=parse_count(on_time, "Đúng hạn"),
        overdue=parse_count(overdue, "Quá hạn"),
        difficulties=difficulties,
        note="",
        line=line,
    )


def _parse_services25(
    app: _Appendix, out: _Collector
) -> tuple[list[EssentialService], EssentialService | None]:
    rows: list[EssentialService] = []
    total: EssentialService | None = None
    for row in app.rows:
        kind, label = _row_label(row.cells)
        cells = _fit(row.cells, len(_II_COLUMNS))[: len(_II_COLUMNS)]
        if kind == "blank" and rows:
            rows[-1].difficulties = _join(rows[-1].difficulties, cells[7])
            rows[-1].name = _join(rows[-1].name, cells[1])
            continue
        if kind == "total":
            try:
                total = _service_row(None, cells, row.line)
                total.name = label
            except _RowError as exc:
                out.row_error("II", label, exc, row.line)
            continue
        if kind != "item":
            out.bad_label("II", label, row.line)
            continue
        try:
            service = _service_row(int(label), cells, row.line)
        except _RowError as exc:
            out.row_error("II", label, exc, row.line)
            continue
        if service.has_counts and None in (service.online, service.on_time, service.overdue):
            missing = [
                c
                for c, v in zip(
                    _II_COLUMNS[3:7],
                    (service.online, service.rate, service.on_time, service.overdue),
                    strict=True,
                )
                if v is None
            ]
            out.error(
                "II",
                label,
                missing[0],
                f"Thiếu số liệu ở cột {', '.join(missing)}",
                f"Missing figures in column(s) {', '.join(missing)}",
                row.line,
            )
            continue
        rows.append(service)
    return rows, total


# --------------------------------------------------------------------------- Appendix III


def _parse_services28(app: _Appendix, out: _Collector) -> list[Service422]:
    rows: list[Service422] = []
    section = ""
    for row in app.rows:
        kind, label = _row_label(row.cells)
        if kind == "section":
            section = label
            continue
        cells = _fit(row.cells, 8)
        if kind == "blank" and rows:
            last = rows[-1]
            last.name = _join(last.name, cells[1])
            last.result = _join(last.result, cells[7])
            continue
        if kind != "item" or len(cells) > 8:
            out.bad_label("III", label, row.line)
            continue
        _, name, ministry, local, portal, provincial, note, result = cells
        if portal.strip().upper() not in {"", "X"}:
            out.error(
                "III",
                label,
                "Tích hợp, cung cấp trên Cổng DVC Quốc gia",
                f"Ô “{portal}” phải để trống hoặc ghi X",
                f"Cell “{portal}” must be empty or X",
                row.line,
            )
            continue
        completed = "đã hoàn thành" in section.lower() or (not section and bool(portal.strip()))
        rows.append(
            Service422(
                seq=len(rows) + 1,
                number=int(label),
                section=section,
                completed=completed,
                name=name,
                ministry=ministry,
                local_agency=local,
                on_national_portal=portal.strip().upper() == "X",
                provincial_status=provincial,
                note=note,
                result=result,
                line=row.line,
            )
        )
    return rows


# --------------------------------------------------------------------------- Appendix IV


_IV_COLUMNS = (
    "STT",
    "Mô hình",
    "Kết quả triển khai",
    "Khó khăn, vướng mắc",
    "Đánh giá hiệu quả",
    "Kinh phí",
    "Đề xuất",
)


def _parse_models(app: _Appendix, out: _Collector) -> tuple[list[ModelGroup], list[PilotModel]]:
    groups: list[ModelGroup] = []
    models: list[PilotModel] = []
    group: ModelGroup | None = None
    for row in app.rows:
        kind, label = _row_label(row.cells)
        if kind == "group":
            m = re.match(r"^([IVXL]+)\.?\s*(.*)$", label, flags=re.DOTALL)
            code = m.group(1) if m else label
            title = ((m.group(2) if m else "") or (row.cells[1] if len(row.cells) > 1 else "")).strip()
            group = ModelGroup(code, title, _stated_count_in(title, "mô hình"), row.line)
            groups.append(group)
            continue
        cells = row.cells
        if len(cells) == len(_IV_COLUMNS) - 1:
            # One cell lost in the export: funding money is recognisable, the value text is not.
            funding_like = re.search(r"kinh phí|tỷ đồng|\d+ đồng", cells[4], flags=re.IGNORECASE)
            missing_at = 4 if funding_like else 5
            out.warning(
                "IV",
                label or None,
                _IV_COLUMNS[missing_at],
                f"Dòng thiếu một cột; coi như cột “{_IV_COLUMNS[missing_at]}” để trống",
                f"Row is one column short; read as an empty “{_IV_COLUMNS[missing_at]}” column",
                row.line,
            )
            cells = _fit(cells, len(_IV_COLUMNS), missing_at=missing_at)
        cells = _fit(cells, len(_IV_COLUMNS))
        if kind == "blank":
            if models:
                last = models[-1]
                for attr, extra in zip(
                    ("name", "result", "difficulties", "value", "funding", "proposal"),
                    cells[1:7],
                    strict=True,
                ):
                    setattr(last, attr, _join(getattr(last, attr), extra))
            continue
        if kind != "item" or len(cells) > len(_IV_COLUMNS):
            out.bad_label("IV", label, row.line)
            continue
        if group is None:
            out.error(
                "IV", label, None, "Mô hình đứng trước mọi nhóm", "Model row before any group row", row.line
            )
            continue
        _, name, result, difficulties, value, funding, proposal = cells
        state = (
            ModelState.NOT_STARTED if result.lower().startswith("chưa triển khai") else ModelState.DEPLOYED
        )
        models.append(
            PilotModel(
                int(label),
                group.code,
                group.title,
                name,
                result,
                difficulties,
                value,
                funding,
                proposal,
                state,
                row.line,
            )
        )
    return groups, models


# --------------------------------------------------------------------------- Appendix V


def _parse_hanoi(app: _Appendix, out: _Collector) -> list[HanoiModel]:
    models: list[HanoiModel] = []
    for line, text in app.prose:
        m = re.match(r"^\((\d+)\)\s*Mô hình\s*:\s*(.+?)\.?$", text)
        if m:
            models.append(HanoiModel(0, None, m.group(2).strip(), "", "", "", ModelState.STUDYING, line))
    for row in app.rows:
        kind, label = _row_label(row.cells)
        cells = _fit(row.cells, 5)
        if kind == "blank":
            deployed = [m for m in models if m.number is not None]
            if deployed:
                last = deployed[-1]
                for attr, extra in zip(
                    ("name", "result", "difficulties", "proposal"), cells[1:5], strict=True
                ):
                    setattr(last, attr, _join(getattr(last, attr), extra))
            continue
        if kind != "item" or len(cells) > 5:
            out.bad_label("V", label, row.line)
            continue
        _, name, result, difficulties, proposal = cells
        models.append(
            HanoiModel(0, int(label), name, result, difficulties, proposal, ModelState.DEPLOYED, row.line)
        )
    models.sort(key=lambda m: (m.number is None, m.number or 0))
    for seq, model in enumerate(models, start=1):
        model.seq = seq
    return models


# --------------------------------------------------------------------------- Appendix VI


def _parse_r175(app: _Appendix, out: _Collector) -> list[Resolution175Task]:
    rows: list[Resolution175Task] = []
    for row in app.rows:
        kind, label = _row_label(row.cells)
        cells = _fit(row.cells, 9)
        if kind == "blank" and rows:
            last = rows[-1]
            last.content = _join(last.content, cells[2])
            last.result = _join(last.result, cells[6] or cells[7])
            last.cause = _join(last.cause, cells[8])
            continue
        if kind != "item" or len(cells) > 9:
            out.bad_label("VI", label, row.line)
            continue
        _, lead, content, partners, doc, deadline_text, done, not_done, cause = cells
        try:
            deadline = _deadline(deadline_text)
        except _RowError as exc:
            out.row_error("VI", label, exc, row.line)
            continue
        completed = True if done else False if not_done else None
        rows.append(
            Resolution175Task(
                int(label),
                lead,
                content,
                partners,
                doc,
                deadline_text,
                deadline,
                completed,
                done or not_done,
                cause,
                row.line,
            )
        )
    return rows


# --------------------------------------------------------------------------- body


_SUMMARY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("tasks_total", r"triển khai thực hiện (\d+) nhiệm vụ"),
    ("tasks_carried_over", r"tồn năm \d{4} chuyển sang:\s*(\d+)"),
    ("tasks_new", r"mới được giao năm \d{4}:\s*(\d+)"),
    ("tasks_completed", r"nhiệm vụ đã hoàn thành:\s*(\d+)"),
    ("tasks_recurring", r"nhiệm vụ thực hiện thường xuyên:\s*(\d+)"),
    ("tasks_in_progress", r"nhiệm vụ đang triển khai:\s*(\d+)"),
    ("tasks_behind", r"nhiệm vụ chưa hoàn thành:\s*(\d+)"),
    ("models_total", r"Tổng số mô hình triển khai:\s*(\d+)"),
    ("models_deployed", r"nhân rộng (\d+)/\d+ mô hình"),
    ("models_completed", r"Cơ bản đã hoàn thành (\d+) mô hình"),
    ("models_in_progress", r"Đang triển khai (\d+) mô hình"),
    ("models_not_started", r"Chưa triển khai (\d+) mô hình"),
    ("hanoi_total", r"Qua nghiên cứu (\d+) mô hình"),
    ("hanoi_deployed", r"có (\d+)/\d+ mô hình tỉnh"),
    ("hanoi_studying", r"(\d+) mô hình đang nghiên cứu"),
    ("s25_online", r"giải quyết ([\d.]+) hồ sơ trực tuyến/[\d.]+ tổng số hồ sơ"),
    ("s25_total", r"hồ sơ trực tuyến/([\d.]+) tổng số hồ sơ"),
    ("s25_rate", r"tổng số hồ sơ, đạt t[ỉỷ] lệ (\d+(?:,\d+)?)%"),
    ("s28_integrated", r"Đã tích hợp (\d+)/\d+ DVC"),
    ("s28_total", r"Đã tích hợp \d+/(\d+) DVC"),
    ("s28_provincial", r"có (\d+)/\d+ TTHC đã tích hợp trên Cổng DVC tỉnh"),
)

_APPENDIX_I_PATTERNS: tuple[tuple[str, str], ...] = (
    ("tasks_total", r"Tổng số nhiệm vụ:\s*(\d+)"),
    ("tasks_carried_over", r"từ năm \d{4} chuyển sang:\s*(\d+)"),
    ("tasks_new", r"đề ra từ đầu năm \d{4}:\s*(\d+)"),
)

_APPENDIX_V_PATTERNS: tuple[tuple[str, str], ...] = (
    ("hanoi_studying", r"Đang nghiên cứu triển khai:\s*(\d+) mô hình"),
    ("hanoi_deployed", r"Tổng số mô hình đã triển khai:\s*(\d+) mô hình"),
)

_NUM = r"\d{1,3}(?:\.\d{3})+|\d+"
# "a/b ..., đạt tỷ lệ r%", also with words between a and "/" ("2.579 hồ sơ qua VNeID/3.694 hồ sơ")
_RATE_STATEMENT = re.compile(
    rf"({_NUM})(?![\d.,])([^/\d;\n]{{0,80}})/\s*(?:tổng số\s*)?({_NUM})(?![/\d])([^.;()\n]{{0,160}}?)"
    r"t[ỷỉ]\s*lệ\s*(?:là\s*)?(\d+(?:,\d+)?)\s*%",
    re.IGNORECASE,
)
# "r% (a/b ...)"
_RATE_BEFORE = re.compile(rf"(\d+(?:,\d+)?)\s*%\s*\(({_NUM})/({_NUM})")


def _find_stated(
    patterns: tuple[tuple[str, str], ...], lines: list[tuple[int, str]], where: str
) -> dict[str, StatedFigure]:
    found: dict[str, StatedFigure] = {}
    for key, pattern in patterns:
        for line, text in lines:
            m = re.search(pattern, text, flags=re.IGNORECASE)
            if m:
                excerpt = text[max(0, m.start() - 40) : m.end() + 20].strip()
                found[key] = StatedFigure(key, _stated_number(m.group(1)), where, line, excerpt)
                break
    return found


def _rate_statements(lines: list[tuple[int, str, str]]) -> list[RateStatement]:
    """Every "a/b ... tỷ lệ r%" in the text, once each, with the part of the report it is in."""
    seen: set[tuple[int, int, Decimal]] = set()
    out: list[RateStatement] = []
    for line, where, text in lines:
        matches = [(m.group(1), m.group(3), m.group(5), m) for m in _RATE_STATEMENT.finditer(text)]
        matches += [(m.group(2), m.group(3), m.group(1), m) for m in _RATE_BEFORE.finditer(text)]
        for num, den, rate, m in matches:
            n, d = int(num.replace(".", "")), int(den.replace(".", ""))
            r = Decimal(rate.replace(",", "."))
            if (n, d, r) in seen or d == 0:
                continue
            seen.add((n, d, r))
            decimals = len(rate.split(",")[1]) if "," in rate else 0
            out.append(RateStatement(n, d, r, decimals, where, line, m.group(0).strip()))
    return out


def _located_lines(lines: list[str]) -> list[tuple[int, str, str]]:
    """Each line, cleaned, with the part of the report it belongs to ("body", "I", ...)."""
    where = "body"
    out: list[tuple[int, str, str]] = []
    for n, raw in enumerate(lines, start=1):
        m = _APPENDIX_LINE.match(raw)
        if m:
            where = m.group(1).upper()
            continue
        if raw.strip():
            out.append((n, where, " ".join(clean_cell(c) for c in raw.split("\t"))))
    return out


def _parse_header(body: list[tuple[int, str]], out: _Collector) -> ReportHeader:
    header = ReportHeader()
    texts = [(n, clean_cell(t)) for n, t in body]
    for i, (_, text) in enumerate(texts):
        if header.number is None:
            m = re.match(r"^Số\s*:\s*([^/\s]+)\s*/\s*(\S+)", text)
            if m:
                header.number, header.symbol = m.group(1), m.group(2)
                continue
        if header.issued_on is None:
            m = re.match(r"^(.+?),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", text)
            if m:
                header.place = m.group(1).strip()
                try:
                    header.issued_on = date(int(m.group(4)), int(m.group(3)), int(m.group(2)))
                except ValueError:
                    out.warning(
                        "body",
                        None,
                        "ngày ban hành",
                        f"Ngày ban hành không hợp lệ: {text}",
                        f"Issue date is not a real day: {text}",
                        None,
                    )
                continue
        if header.title is None and text.upper() == text and text in {"BÁO CÁO", "KẾ HOẠCH", "TỜ TRÌNH"}:
            header.doc_type = text
            following = [t for _, t in texts[i + 1 : i + 4] if t]
            header.title = following[0] if following else None
    recipients_at = next((i for i, (_, t) in enumerate(texts) if t.startswith("Nơi nhận")), None)
    if recipients_at is not None:
        for _, text in texts[recipients_at + 1 :]:
            if text.startswith("-"):
                header.recipients.append(text.lstrip("- ").strip().rstrip(";"))
            elif text:
                break
        tail = [t for _, t in texts[recipients_at + 1 :] if t and not t.startswith("-")]
        if tail:
            header.signer_name = tail[-1]
            header.signer_authority = tail[:-1]
    for name, value in (
        ("Số, ký hiệu", header.number),
        ("ngày ban hành", header.issued_on),
        ("trích yếu", header.title),
    ):
        if value is None:
            out.warning(
                "body",
                None,
                name,
                f"Không tìm thấy {name} của báo cáo",
                f"The report's {name} was not found",
                None,
            )
    return header


# --------------------------------------------------------------------------- entry point


def parse_report(text: str, *, partial: bool = False, source_name: str = "") -> ParsedReport:
    """Parse the report; raise `ReportImportError` on any error unless `partial` is True."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    body, appendices = _split_document(lines)
    out = _Collector()
    for code in APPENDICES:
        if code not in appendices:
            vi, en = APPENDIX_TITLES[code]
            out.error(
                code, None, None, f"Thiếu Phụ lục {code} ({vi})", f"Appendix {code} ({en}) is missing", None
            )

    header = _parse_header(body, out)
    # Paragraphs of the body keep their line numbers; the signature block's bold marks go.
    body_lines = [(n, clean_cell(t)) for n, t in body if t.strip()]
    stated = _find_stated(_SUMMARY_PATTERNS, body_lines, "body")
    footnotes: dict[int, str] = {}
    for raw in lines:
        m = _FOOTNOTE_LINE.match(raw)
        if m and not _APPENDIX_LINE.match(raw):
            footnotes[int(m.group(1).translate(_SUPER_TO_DIGIT))] = clean_cell(m.group(2))

    def app(code: str) -> _Appendix:
        return appendices.get(code) or _Appendix(code, 0, [], [], [])

    task_groups, tasks = _parse_tasks(app("I"), out)
    for code, patterns in (("I", _APPENDIX_I_PATTERNS), ("V", _APPENDIX_V_PATTERNS)):
        found = _find_stated(patterns, app(code).title_lines + app(code).prose, code)
        stated.update({f"{code}:{k}": v for k, v in found.items()})
    services25, services25_total = _parse_services25(app("II"), out)
    services28 = _parse_services28(app("III"), out)
    model_groups, models = _parse_models(app("IV"), out)
    hanoi = _parse_hanoi(app("V"), out)
    r175 = _parse_r175(app("VI"), out)

    # A model whose carried-over task in Appendix I says "Chưa triển khai" was not started, and one
    # whose task is done is completed, whatever the wording in Appendix IV.
    model_tasks: dict[int, Task] = {}
    for task in tasks:
        m = re.match(r"^Mô hình (\d+)\s*:", task.content)
        if m:
            model_tasks[int(m.group(1))] = task
    for model in models:
        task = model_tasks.get(model.number)
        if task is None:
            continue
        if task.status is TaskStatus.COMPLETED:
            model.state = ModelState.COMPLETED
        elif task.result.lower().startswith("chưa triển khai"):
            model.state = ModelState.NOT_STARTED

    appendix_counts: dict[str, int] = {}
    for code, noun in (("II", "dịch vụ công"), ("III", "dịch vụ công"), ("IV", "mô hình"), ("V", "mô hình")):
        for _, title in app(code).title_lines[:1]:
            m = re.search(rf"(\d+)\s+{noun}", title, flags=re.IGNORECASE)
            if m:
                appendix_counts[code] = int(m.group(1))
                break

    problems = out.problems
    if any(p.severity == "error" for p in problems) and not partial:
        raise ReportImportError(problems)
    return ParsedReport(
        source_name=source_name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        header=header,
        stated=stated,
        rate_statements=_rate_statements(_located_lines(lines)),
        footnotes=footnotes,
        task_groups=task_groups,
        tasks=tasks,
        services25=services25,
        services25_total=services25_total,
        services28=services28,
        model_groups=model_groups,
        models=models,
        hanoi_models=hanoi,
        r175_tasks=r175,
        appendix_stated_counts=appendix_counts,
        problems=problems,
    )
