"""The XLSX template units fill in for later periods, and its import.

hue06 exports the current tasks, models and the service tables as a workbook; the secretariat
sends it out, units fill in results, statuses and counts, and the filled workbook comes back.
The import reads it by column titles (units may reorder or add columns), checks every row like the
text import does, and is all-or-nothing unless `partial` is asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.security import SYSTEM, Actor
from hue06.steering import service
from hue06.steering.checks import check_report, rate_of
from hue06.steering.deadlines import DeadlineError, parse_deadline
from hue06.steering.importers import parse_task_status
from hue06.steering.models import (
    SteeringHanoiModel,
    SteeringModel,
    SteeringR175Task,
    SteeringReport,
    SteeringService25,
    SteeringService28,
)
from hue06.steering.report import parse_period
from hue06.steering.types import (
    MODEL_STATE_LABELS,
    TASK_STATUS_LABELS,
    EssentialService,
    HanoiModel,
    ImportProblem,
    ModelState,
    ParsedReport,
    PilotModel,
    ReportHeader,
    Resolution175Task,
    Service422,
    Task,
    TaskStatus,
)

SHEETS = {
    "I": "Nhiệm vụ",
    "II": "DVC 25",
    "III": "DVC 28",
    "IV": "Mô hình",
    "V": "Mô hình Hà Nội",
    "VI": "NQ 175",
}
TASK_COLUMNS = [
    "Mã",
    "Nhóm",
    "Tên nhóm",
    "Năm trước chuyển sang",
    "Nội dung, nhiệm vụ",
    "Văn bản chỉ đạo",
    "Đơn vị thực hiện",
    "Thời gian hoàn thành",
    "Kết quả",
    "Tình trạng",
    "Căn cứ, minh chứng",
]
S25_COLUMNS = [
    "STT",
    "Dịch vụ công trực tuyến",
    "Tổng hồ sơ",
    "Trực tuyến",
    "Đúng hạn",
    "Quá hạn",
    "Khó khăn, vướng mắc",
    "Ghi chú",
]
S28_COLUMNS = [
    "TT",
    "Tên dịch vụ công/TTHC",
    "Bộ, ngành",
    "Địa phương",
    "Cổng DVC Quốc gia (X)",
    "Tình hình triển khai tại tỉnh",
    "Ghi chú",
    "Kết quả",
    "Đã hoàn thành (X)",
]
MODEL_COLUMNS = [
    "Số",
    "Nhóm",
    "Tên nhóm",
    "Mô hình",
    "Tình trạng",
    "Kết quả triển khai",
    "Khó khăn, vướng mắc",
    "Đánh giá hiệu quả",
    "Kinh phí",
    "Đề xuất",
]
HANOI_COLUMNS = [
    "TT",
    "Mô hình",
    "Tình trạng",
    "Kết quả thực hiện",
    "Khó khăn, vướng mắc",
    "Kiến nghị, đề xuất",
]
R175_COLUMNS = [
    "STT",
    "Đơn vị chủ trì",
    "Nhiệm vụ",
    "Đơn vị phối hợp",
    "Văn bản chỉ đạo",
    "Thời gian hoàn thành",
    "Đã hoàn thành (X)",
    "Kết quả",
    "Nguyên nhân",
]

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDDDDD")


def _sheet(wb: Workbook, title: str, columns: list[str], widths: dict[int, int] | None = None):  # type: ignore[no-untyped-def]
    ws = wb.create_sheet(title)
    ws.append(columns)
    for cell in ws[1]:
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for i, width in (widths or {}).items():
        ws.column_dimensions[chr(ord("A") + i)].width = width
    return ws


def export_template(
    session: Session, year: int | None = None, flt: service.TaskFilter | None = None
) -> bytes:
    """The workbook for the next round: current values filled in, statuses as drop-down lists."""
    year = year or service.current_year(session)
    flt = flt or service.TaskFilter()
    flt.year = year
    wb = Workbook()
    guide = wb.active
    guide.title = "Hướng dẫn"
    for line in (
        ["Mẫu cập nhật số liệu Đề án 06 (hue06)"],
        [f"Xuất ngày {date.today():%d/%m/%Y}; năm nhiệm vụ: {year or ''}"],
        ["Các đơn vị cập nhật cột Kết quả, Tình trạng, Căn cứ của nhiệm vụ; số hồ sơ của dịch vụ công;"],
        [
            "không đổi tên các trang tính và tiêu đề cột. Số viết không có dấu chấm phân cách (15816) hoặc dạng 15.816."
        ],
        ["Tình trạng nhiệm vụ: " + "; ".join(v[0] for v in TASK_STATUS_LABELS.values())],
        ["Tình trạng mô hình: " + "; ".join(v[0] for v in MODEL_STATE_LABELS.values())],
    ):
        guide.append(line)
    guide.column_dimensions["A"].width = 110

    ws = _sheet(wb, SHEETS["I"], TASK_COLUMNS, {4: 60, 5: 30, 6: 30, 7: 22, 8: 50, 9: 20, 10: 30})
    statuses = DataValidation(
        type="list",
        formula1='"' + ",".join(v[0] for v in TASK_STATUS_LABELS.values()) + '"',
        allow_blank=False,
    )
    ws.add_data_validation(statuses)
    for t in service.list_tasks(session, flt) if year else []:
        ws.append(
            [
                t.code,
                t.group_code,
                t.group_title,
                "X" if t.carried_over else "",
                t.content,
                t.directing_document,
                t.responsible_unit,
                t.deadline_text,
                t.result,
                TASK_STATUS_LABELS[TaskStatus(t.status)][0],
                t.evidence,
            ]
        )
        statuses.add(f"J{ws.max_row}")

    report = service.latest_report(session)
    ws = _sheet(wb, SHEETS["II"], S25_COLUMNS, {1: 60, 6: 40, 7: 40})
    if report is not None:
        for s in session.scalars(
            select(SteeringService25)
            .where(SteeringService25.report_id == report.id, SteeringService25.is_total_row.is_(False))
            .order_by(SteeringService25.number)
        ):
            ws.append([s.number, s.name, s.total, s.online, s.on_time, s.overdue, s.difficulties, s.note])
    ws = _sheet(wb, SHEETS["III"], S28_COLUMNS, {1: 60, 2: 30, 5: 30, 7: 40})
    if report is not None:
        for s28 in session.scalars(
            select(SteeringService28)
            .where(SteeringService28.report_id == report.id)
            .order_by(SteeringService28.seq)
        ):
            ws.append(
                [
                    s28.number,
                    s28.name,
                    s28.ministry,
                    s28.local_agency,
                    "X" if s28.on_national_portal else "",
                    s28.provincial_status,
                    s28.note,
                    s28.result,
                    "X" if s28.completed else "",
                ]
            )
    ws = _sheet(wb, SHEETS["IV"], MODEL_COLUMNS, {3: 50, 5: 50, 6: 40, 7: 40, 8: 30, 9: 40})
    states = DataValidation(
        type="list", formula1='"' + ",".join(v[0] for v in MODEL_STATE_LABELS.values()) + '"'
    )
    ws.add_data_validation(states)
    for m in session.scalars(select(SteeringModel).order_by(SteeringModel.number)):
        ws.append(
            [
                m.number,
                m.group_code,
                m.group_title,
                m.name,
                MODEL_STATE_LABELS[ModelState(m.state)][0],
                m.result,
                m.difficulties,
                m.value,
                m.funding,
                m.proposal,
            ]
        )
        states.add(f"E{ws.max_row}")
    ws = _sheet(wb, SHEETS["V"], HANOI_COLUMNS, {1: 50, 3: 50, 4: 40, 5: 40})
    if report is not None:
        for h in session.scalars(
            select(SteeringHanoiModel)
            .where(SteeringHanoiModel.report_id == report.id)
            .order_by(SteeringHanoiModel.seq)
        ):
            ws.append(
                [
                    h.number,
                    h.name,
                    MODEL_STATE_LABELS[ModelState(h.state)][0],
                    h.result,
                    h.difficulties,
                    h.proposal,
                ]
            )
    ws = _sheet(wb, SHEETS["VI"], R175_COLUMNS, {2: 50, 7: 50, 8: 40})
    if report is not None:
        for r in session.scalars(
            select(SteeringR175Task)
            .where(SteeringR175Task.report_id == report.id)
            .order_by(SteeringR175Task.number)
        ):
            ws.append(
                [
                    r.number,
                    r.lead_unit,
                    r.content,
                    r.partner_units,
                    r.directing_document,
                    r.deadline_text,
                    "X" if r.completed else "",
                    r.result,
                    r.cause,
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- import


class _Problems:
    def __init__(self) -> None:
        self.items: list[ImportProblem] = []

    def add(
        self, appendix: str, row: str | None, column: str | None, vi: str, en: str, line: int | None
    ) -> None:
        self.items.append(ImportProblem(appendix, row, column, vi, en, line, "error"))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _count(value: object, column: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(column)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip().replace(" ", "")
    if text in {"-", "–"}:
        return 0
    if text.replace(".", "").isdigit():
        return int(text.replace(".", ""))
    raise ValueError(column)


def _rows(ws, columns: list[str], appendix: str, problems: _Problems):  # type: ignore[no-untyped-def]
    """Yield (excel row number, {column title: value}) by the titles of row 1."""
    header = [_text(c) for c in next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())]
    index = {name: header.index(name) for name in columns if name in header}
    missing = [c for c in columns if c not in index]
    if missing:
        problems.add(
            appendix,
            None,
            missing[0],
            f"Trang “{ws.title}” thiếu cột: {', '.join(missing)}",
            f"Sheet “{ws.title}” lacks column(s): {', '.join(missing)}",
            1,
        )
        return
    for n, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if not any(v not in (None, "") for v in values):
            continue
        yield n, {name: (values[i] if i < len(values) else None) for name, i in index.items()}


def _label_status(text: str) -> TaskStatus:
    for status, (vi, en) in TASK_STATUS_LABELS.items():
        if text.lower() in (vi.lower(), en.lower(), status.value):
            return status
    return parse_task_status(text)


def _label_state(text: str) -> ModelState:
    for state, (vi, en) in MODEL_STATE_LABELS.items():
        if text.lower() in (vi.lower(), en.lower(), state.value):
            return state
    raise ValueError(text)


def read_template(data: bytes) -> tuple[ParsedReport, dict[str, str], list[ImportProblem]]:
    """Read a filled-in workbook into the same dataclasses as the text import (and the evidence)."""
    problems = _Problems()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        problems.add(
            "I",
            None,
            None,
            "Tệp không phải là bảng tính Excel (.xlsx)",
            "The file is not an .xlsx workbook",
            None,
        )
        return _empty(), {}, problems.items
    sheets = {}
    for code, title in SHEETS.items():
        if title in wb.sheetnames:
            sheets[code] = wb[title]
        else:
            problems.add(
                code,
                None,
                None,
                f"Thiếu trang tính “{title}” (Phụ lục {code})",
                f"Sheet “{title}” (Appendix {code}) is missing",
                None,
            )

    tasks: list[Task] = []
    evidence: dict[str, str] = {}
    if "I" in sheets:
        for n, row in _rows(sheets["I"], TASK_COLUMNS, "I", problems):
            code = _text(row["Mã"])
            try:
                number = int(code.split(".")[-1])
            except ValueError:
                problems.add(
                    "I",
                    code,
                    "Mã",
                    f"Mã nhiệm vụ “{code}” không hợp lệ",
                    f"Task code “{code}” is not valid",
                    n,
                )
                continue
            status_text = _text(row["Tình trạng"])
            try:
                status = _label_status(status_text)
            except ValueError:
                problems.add(
                    "I",
                    code,
                    "Tình trạng",
                    f"Tình trạng “{status_text}” không thuộc danh mục",
                    f"Unknown status “{status_text}”",
                    n,
                )
                continue
            deadline_text = _text(row["Thời gian hoàn thành"])
            try:
                deadline = parse_deadline(deadline_text)
            except DeadlineError as exc:
                problems.add("I", code, "Thời gian hoàn thành", exc.message_vi, exc.message_en, n)
                continue
            tasks.append(
                Task(
                    seq=len(tasks) + 1,
                    code=code,
                    number=number,
                    group_code=_text(row["Nhóm"]),
                    group_title=_text(row["Tên nhóm"]),
                    carried_over=_text(row["Năm trước chuyển sang"]).upper() == "X",
                    content=_text(row["Nội dung, nhiệm vụ"]),
                    directing_document=_text(row["Văn bản chỉ đạo"]),
                    responsible_unit=_text(row["Đơn vị thực hiện"]),
                    deadline_text=deadline_text,
                    deadline=deadline,
                    result=_text(row["Kết quả"]),
                    status=status,
                    status_text=TASK_STATUS_LABELS[status][0],
                    line=n,
                )
            )
            evidence[code] = _text(row["Căn cứ, minh chứng"])

    services25: list[EssentialService] = []
    if "II" in sheets:
        for n, row in _rows(sheets["II"], S25_COLUMNS, "II", problems):
            label = _text(row["STT"])
            try:
                total, online = (
                    _count(row["Tổng hồ sơ"], "Tổng hồ sơ"),
                    _count(row["Trực tuyến"], "Trực tuyến"),
                )
                on_time, overdue = _count(row["Đúng hạn"], "Đúng hạn"), _count(row["Quá hạn"], "Quá hạn")
                number = int(label)
            except ValueError as exc:
                column = str(exc) if str(exc) in S25_COLUMNS else "STT"
                problems.add(
                    "II",
                    label,
                    column,
                    f"Ô ở cột {column} không phải là số",
                    f"Column {column} is not a number",
                    n,
                )
                continue
            rate = rate_of(online or 0, total, 0) if total else None
            services25.append(
                EssentialService(
                    number,
                    _text(row["Dịch vụ công trực tuyến"]),
                    total,
                    online,
                    rate,
                    0,
                    on_time,
                    overdue,
                    _text(row["Khó khăn, vướng mắc"]),
                    _text(row["Ghi chú"]),
                    n,
                )
            )

    services28: list[Service422] = []
    if "III" in sheets:
        for n, row in _rows(sheets["III"], S28_COLUMNS, "III", problems):
            label = _text(row["TT"])
            if not label.isdigit():
                problems.add(
                    "III",
                    label,
                    "TT",
                    f"Số thứ tự “{label}” không phải là số",
                    f"Row number “{label}” is not a number",
                    n,
                )
                continue
            done = _text(row["Đã hoàn thành (X)"]).upper() == "X"
            services28.append(
                Service422(
                    len(services28) + 1,
                    int(label),
                    "ĐÃ HOÀN THÀNH" if done else "CHƯA HOÀN THÀNH",
                    done,
                    _text(row["Tên dịch vụ công/TTHC"]),
                    _text(row["Bộ, ngành"]),
                    _text(row["Địa phương"]),
                    _text(row["Cổng DVC Quốc gia (X)"]).upper() == "X",
                    _text(row["Tình hình triển khai tại tỉnh"]),
                    _text(row["Ghi chú"]),
                    _text(row["Kết quả"]),
                    n,
                )
            )
        services28.sort(key=lambda s: (not s.completed, s.seq))

    models: list[PilotModel] = []
    if "IV" in sheets:
        for n, row in _rows(sheets["IV"], MODEL_COLUMNS, "IV", problems):
            label = _text(row["Số"])
            state_text = _text(row["Tình trạng"])
            try:
                number = int(label)
            except ValueError:
                problems.add(
                    "IV",
                    label,
                    "Số",
                    f"Số mô hình “{label}” không phải là số",
                    f"Model number “{label}” is not a number",
                    n,
                )
                continue
            try:
                state = _label_state(state_text)
            except ValueError:
                problems.add(
                    "IV",
                    label,
                    "Tình trạng",
                    f"Tình trạng “{state_text}” không thuộc danh mục",
                    f"Unknown state “{state_text}”",
                    n,
                )
                continue
            models.append(
                PilotModel(
                    number,
                    _text(row["Nhóm"]),
                    _text(row["Tên nhóm"]),
                    _text(row["Mô hình"]),
                    _text(row["Kết quả triển khai"]),
                    _text(row["Khó khăn, vướng mắc"]),
                    _text(row["Đánh giá hiệu quả"]),
                    _text(row["Kinh phí"]),
                    _text(row["Đề xuất"]),
                    state,
                    n,
                )
            )

    hanoi: list[HanoiModel] = []
    if "V" in sheets:
        for n, row in _rows(sheets["V"], HANOI_COLUMNS, "V", problems):
            label = _text(row["TT"])
            try:
                state = _label_state(_text(row["Tình trạng"]))
            except ValueError:
                problems.add("V", label, "Tình trạng", "Tình trạng không thuộc danh mục", "Unknown state", n)
                continue
            hanoi.append(
                HanoiModel(
                    len(hanoi) + 1,
                    int(label) if label.isdigit() else None,
                    _text(row["Mô hình"]),
                    _text(row["Kết quả thực hiện"]),
                    _text(row["Khó khăn, vướng mắc"]),
                    _text(row["Kiến nghị, đề xuất"]),
                    state,
                    n,
                )
            )

    r175: list[Resolution175Task] = []
    if "VI" in sheets:
        for n, row in _rows(sheets["VI"], R175_COLUMNS, "VI", problems):
            label = _text(row["STT"])
            deadline_text = _text(row["Thời gian hoàn thành"])
            try:
                deadline = parse_deadline(deadline_text)
            except DeadlineError as exc:
                problems.add("VI", label, "Thời gian hoàn thành", exc.message_vi, exc.message_en, n)
                continue
            if not label.isdigit():
                problems.add(
                    "VI",
                    label,
                    "STT",
                    f"Số thứ tự “{label}” không phải là số",
                    f"Row number “{label}” is not a number",
                    n,
                )
                continue
            done = _text(row["Đã hoàn thành (X)"]).upper() == "X"
            r175.append(
                Resolution175Task(
                    int(label),
                    _text(row["Đơn vị chủ trì"]),
                    _text(row["Nhiệm vụ"]),
                    _text(row["Đơn vị phối hợp"]),
                    _text(row["Văn bản chỉ đạo"]),
                    deadline_text,
                    deadline,
                    done,
                    _text(row["Kết quả"]),
                    _text(row["Nguyên nhân"]),
                    n,
                )
            )

    parsed = ParsedReport(
        source_name="",
        sha256=hashlib.sha256(data).hexdigest(),
        header=ReportHeader(),
        stated={},
        rate_statements=[],
        footnotes={},
        task_groups=[],
        tasks=tasks,
        services25=services25,
        services25_total=None,
        services28=services28,
        model_groups=[],
        models=models,
        hanoi_models=hanoi,
        r175_tasks=r175,
        appendix_stated_counts={},
        problems=problems.items,
    )
    return parsed, evidence, problems.items


def _empty() -> ParsedReport:
    return ParsedReport("", "", ReportHeader(), {}, [], {}, [], [], [], None, [], [], [], [], [], {}, [])


def import_template(
    session: Session,
    data: bytes,
    *,
    period_code: str,
    source_name: str = "",
    partial: bool = False,
    actor: Actor = SYSTEM,
) -> service.ImportOutcome:
    """Store a filled-in workbook as the period's report; raise `ReportRejected` if it has errors."""
    period = parse_period(period_code)
    sha = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(SteeringReport).where(SteeringReport.sha256 == sha))
    if existing is not None:
        return service.outcome_of(session, existing, already=True)
    parsed, evidence, problems = read_template(data)
    if problems and not partial:
        raise service.ReportRejected(problems)
    mismatches = check_report(parsed)
    report = SteeringReport(
        sha256=sha,
        source_name=source_name[:300],
        source_kind="xlsx",
        period_code=period.code,
        issued_on=None,
        title=f"Cập nhật {period.label_vi}",
        problems="[]",
        partial=bool(problems),
        imported_by=actor.label,
    )
    report.problems = json.dumps([p.as_dict() for p in problems], ensure_ascii=False)
    session.add(report)
    session.flush()
    service.store_rows(
        session,
        report,
        period.start.year,
        parsed.tasks,
        parsed.models,
        parsed.hanoi_models,
        parsed.services25,
        None,
        parsed.services28,
        parsed.r175_tasks,
        mismatches,
        actor,
        "xlsx",
        evidence=evidence,
    )
    audit.record(
        session,
        actor,
        "steering.xlsx_imported",
        "steering_report",
        report.id,
        {"period": period.code, "tasks": len(parsed.tasks), "errors_skipped": len(problems)},
    )
    return service.outcome_of(session, report, already=False)
