"""Write the periodic steering report from the data: DOCX in the Decree 30/2020 layout, and a PDF.

Every figure in the body is computed here from the rows (task counts by status, service totals and
rates, model counts) or comes from another module through an `ExternalFigures` provider, which
gives each figure with its source and date. Nothing is typed in. The document is first built as a
small list of blocks (`ReportDocument`) so the Word file and the PDF say exactly the same thing.

Layout (Decree 30/2020/NĐ-CP, Appendix I): A4, margins 20/20/30/15 mm, Times New Roman 14 (13 in
the header block), the two-column header (issuing body | national motto), "Số: .../BC-BCĐ", place
and date in italics, "BÁO CÁO" and its summary in bold, body paragraphs justified with a 1.27 cm
first-line indent, page numbers centred at the top from page 2, signature block and "Nơi nhận:".
Appendices are landscape tables.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from hue06.steering.checks import Mismatch, fmt_number, on_provincial_portal, rate_of
from hue06.steering.types import (
    MODEL_STATE_LABELS,
    TASK_STATUS_LABELS,
    EssentialService,
    HanoiModel,
    ModelState,
    ParsedReport,
    PilotModel,
    Resolution175Task,
    Service422,
    Task,
    TaskStatus,
)

# --------------------------------------------------------------------------- period


@dataclass(frozen=True)
class ReportPeriod:
    code: str  # "2024-H1"
    start: date
    end: date
    label_vi: str  # "06 tháng đầu năm 2024"
    label_en: str

    def following(self) -> ReportPeriod:
        """The period of the same length right after this one ("the tasks ahead")."""
        nxt = self.end + timedelta(days=1)
        if self.code.endswith("-H1"):
            return parse_period(f"{self.start.year}-H2")
        if self.code.endswith("-H2"):
            return parse_period(f"{self.start.year + 1}-H1")
        if "-Q" in self.code:
            q = int(self.code[-1])
            return parse_period(f"{self.start.year}-Q{q + 1}" if q < 4 else f"{self.start.year + 1}-Q1")
        return parse_period(str(nxt.year))


_QUARTER_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV"}


def parse_period(code: str) -> ReportPeriod:
    """'2024-H1', '2024-H2', '2024-Q3' or '2024' -> the dates and how the report names them."""
    from hue06.core.errors import InvalidInput

    text = code.strip().upper()
    try:
        year = int(text[:4])
        rest = text[4:]
        if rest == "":
            return ReportPeriod(text, date(year, 1, 1), date(year, 12, 31), f"năm {year}", f"the year {year}")
        if rest == "-H1":
            return ReportPeriod(
                text,
                date(year, 1, 1),
                date(year, 6, 30),
                f"06 tháng đầu năm {year}",
                f"the first half of {year}",
            )
        if rest == "-H2":
            return ReportPeriod(
                text,
                date(year, 7, 1),
                date(year, 12, 31),
                f"06 tháng cuối năm {year}",
                f"the second half of {year}",
            )
        if rest.startswith("-Q") and rest[2:] in {"1", "2", "3", "4"}:
            q = int(rest[2:])
            start = date(year, 3 * q - 2, 1)
            end = (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)
            return ReportPeriod(text, start, end, f"Quý {_QUARTER_NAMES[q]} năm {year}", f"Q{q} {year}")
    except ValueError:
        pass
    raise InvalidInput(
        "steering.period",
        f"Kỳ báo cáo “{code}” không hợp lệ; dùng dạng 2024-H1, 2024-H2, 2024-Q3 hoặc 2024.",
        f"Report period “{code}” is not valid; use 2024-H1, 2024-H2, 2024-Q3 or 2024.",
    )


# --------------------------------------------------------------------------- figures from other modules


@dataclass(frozen=True)
class Figure:
    """A figure another module holds (register, e-ID, verification, dossiers, lodging)."""

    label_vi: str
    value: Decimal | int | str
    source: str  # who holds it: "hue06 · registry", or another agency's report
    as_of: date
    label_en: str = ""
    unit_vi: str = ""  # "hồ sơ", "tài khoản", "%"


@runtime_checkable
class ExternalFigures(Protocol):
    """What the integrator wires in: each module's service answers with its figures for a period."""

    def figures(self, period: ReportPeriod) -> Sequence[Figure]: ...


@dataclass
class StaticFigures:
    """A fixed list of figures (tests, or figures typed from another agency's report with source)."""

    items: list[Figure] = field(default_factory=list)

    def figures(self, period: ReportPeriod) -> Sequence[Figure]:
        return list(self.items)


# --------------------------------------------------------------------------- inputs


@dataclass
class ReportData:
    """The rows the report is computed from (the service builds it from the database)."""

    tasks: list[Task]
    services25: list[EssentialService]
    services28: list[Service422]
    models: list[PilotModel]
    hanoi_models: list[HanoiModel]
    r175_tasks: list[Resolution175Task]
    data_as_of: date
    source_vi: str = "Dữ liệu theo dõi Đề án 06 trên hue06"
    mismatches: list[Mismatch] = field(default_factory=list)
    # Figures the period's own imported report states (key → value) and where they come from. They are
    # another body's figures: the report gives them back with their source, beside our recount.
    stated: dict[str, str] = field(default_factory=dict)
    stated_source_vi: str = ""

    @classmethod
    def from_parsed(
        cls, parsed: ParsedReport, mismatches: list[Mismatch], data_as_of: date | None = None
    ) -> ReportData:
        ref = parsed.header.reference
        issued = parsed.header.issued_on
        source = "Dữ liệu theo dõi Đề án 06 trên hue06"
        if ref and issued:
            source += f", nhập từ Báo cáo số {ref} ngày {issued:%d/%m/%Y}"
        stated_source = f"Báo cáo số {ref} ngày {issued:%d/%m/%Y}" if ref and issued else "báo cáo đã nhập"
        return cls(
            tasks=parsed.tasks,
            services25=parsed.services25,
            services28=parsed.services28,
            models=parsed.models,
            hanoi_models=parsed.hanoi_models,
            r175_tasks=parsed.r175_tasks,
            data_as_of=data_as_of or issued or date.today(),
            source_vi=source,
            mismatches=mismatches,
            stated={k: str(v.value) for k, v in parsed.stated.items()},
            stated_source_vi=stated_source,
        )


@dataclass
class ReportMeta:
    """The header block, signature and recipients: the province's, configurable per report."""

    issued_on: date
    number: str | None = None  # None prints "Số: .../BC-BCĐ" for the clerk to fill in
    symbol: str = "BC-BCĐ"
    place: str = "Thừa Thiên Huế"
    parent_body: str = "UBND TỈNH THỪA THIÊN HUẾ"
    issuing_body: str = "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ VÀ THỰC HIỆN ĐỀ ÁN 06"
    issuing_body_full: str = "Ban Chỉ đạo chuyển đổi số và thực hiện Đề án 06 tỉnh Thừa Thiên Huế"
    area_vi: str = "trên địa bàn tỉnh Thừa Thiên Huế"
    signer_authority: list[str] = field(
        default_factory=lambda: ["KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN THƯỜNG TRỰC"]
    )
    signer_title: str = "PHÓ CHỦ TỊCH UBND TỈNH"
    signer_name: str = ""
    recipients: list[str] = field(
        default_factory=lambda: [
            "Bộ Công an",
            "Văn phòng Chính phủ",
            "Tổ công tác Đề án 06 Chính phủ",
            "Thường trực Tỉnh ủy, HĐND tỉnh",
            "Chủ tịch, các Phó Chủ tịch UBND tỉnh",
            "Thành viên Ban Chỉ đạo",
            "Cơ quan chuyên môn thuộc UBND tỉnh",
            "UBND các huyện, thị xã, thành phố Huế",
            "Lưu: VT",
        ]
    )
    narrative: dict[str, list[str]] = field(default_factory=dict)  # extra paragraphs by section ("III", "IV")

    @property
    def reference(self) -> str:
        return f"{self.number or '...'}/{self.symbol}"


def vn_long_date(d: date) -> str:
    """'ngày 05 tháng 3 năm 2026': days below 10 and months 1-2 zero-padded (Decree 30)."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


# --------------------------------------------------------------------------- document model


@dataclass
class Heading:
    text: str
    level: int  # 1 "I. ...", 2 "1. ...", 3 "a) ..."


@dataclass
class Paragraph:
    text: str
    italic: bool = False
    bold: bool = False
    indent: bool = True
    align: str = "justify"


@dataclass
class TableRow:
    cells: list[str]
    kind: str = "data"  # "data", "group" (spans the table), "total"


@dataclass
class Table:
    columns: list[tuple[str, float]]  # header text, relative width
    rows: list[TableRow]
    numeric: frozenset[int] = frozenset()  # columns aligned right


@dataclass
class AppendixBlock:
    code: str
    title: str
    table: Table
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportDocument:
    meta: ReportMeta
    period: ReportPeriod
    doc_type: str
    title: str
    body: list[Heading | Paragraph]
    appendices: list[AppendixBlock]
    figures: dict[str, Decimal | int]  # the computed figures, by key, for tests and the API
    sources: list[str]


# --------------------------------------------------------------------------- computing


def task_counts(tasks: Sequence[Task]) -> dict[str, int]:
    counts = Counter(t.status for t in tasks)
    carried = sum(1 for t in tasks if t.carried_over)
    return {
        "tasks_total": len(tasks),
        "tasks_carried_over": carried,
        "tasks_new": len(tasks) - carried,
        "tasks_completed": counts[TaskStatus.COMPLETED],
        "tasks_recurring": counts[TaskStatus.RECURRING],
        "tasks_in_progress": counts[TaskStatus.IN_PROGRESS],
        "tasks_behind": counts[TaskStatus.BEHIND],
    }


def is_open(task: Task) -> bool:
    return task.status in (TaskStatus.IN_PROGRESS, TaskStatus.BEHIND)


def is_overdue(task: Task, today: date) -> bool:
    """Open and past its last day; recurring and conditional deadlines are never overdue."""
    return is_open(task) and task.deadline.due is not None and task.deadline.due < today


def service_totals(rows: Sequence[EssentialService]) -> dict[str, int]:
    counted = [r for r in rows if r.has_counts]
    return {
        "services_with_dossiers": len(counted),
        "services_without_dossiers": len(rows) - len(counted),
        "dossiers_total": sum(r.total or 0 for r in counted),
        "dossiers_online": sum(r.online or 0 for r in counted),
        "dossiers_on_time": sum(r.on_time or 0 for r in counted),
        "dossiers_overdue": sum(r.overdue or 0 for r in counted),
    }


def _pct(numerator: int, denominator: int, decimals: int = 2) -> str:
    return fmt_number(rate_of(numerator, denominator, decimals), decimals) if denominator else "–"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_report(
    data: ReportData,
    meta: ReportMeta,
    period: ReportPeriod,
    external: ExternalFigures | None = None,
) -> ReportDocument:
    """Compute the figures and lay out the body and the appendices."""
    today = meta.issued_on
    as_of = f"{data.data_as_of:%d/%m/%Y}"
    source_note = f"(Nguồn: {data.source_vi}; số liệu đến ngày {as_of})"
    figures: dict[str, Decimal | int] = {}
    body: list[Heading | Paragraph] = []
    sources = [f"{data.source_vi}; số liệu đến ngày {as_of}"]

    # I. Overview of the tasks
    tc = task_counts(data.tasks)
    overdue = [t for t in data.tasks if is_overdue(t, today)]
    figures.update(tc)
    figures["tasks_overdue"] = len(overdue)
    year = period.start.year
    body.append(Heading("I. KHÁI QUÁT TÌNH HÌNH", 1))
    stated_keys = (
        "tasks_total",
        "tasks_carried_over",
        "tasks_new",
        "tasks_completed",
        "tasks_recurring",
        "tasks_in_progress",
        "tasks_behind",
    )
    if all(k in data.stated for k in stated_keys):
        # The period has its own report: give its figures back, attributed, then our recount of Appendix I.
        st_ = {k: data.stated[k] for k in stated_keys}
        figures.update({f"stated_{k}": int(v) for k, v in st_.items()})
        body.append(
            Paragraph(
                f"Theo {data.stated_source_vi}, Ban Chỉ đạo đã chỉ đạo các sở, ngành, địa phương triển khai thực hiện "
                f"{st_['tasks_total']} nhiệm vụ (tồn từ năm trước chuyển sang: {st_['tasks_carried_over']} nhiệm vụ; "
                f"giao mới trong năm {year}: {st_['tasks_new']} nhiệm vụ). Kết quả: đã hoàn thành {st_['tasks_completed']} "
                f"nhiệm vụ; thực hiện thường xuyên {st_['tasks_recurring']} nhiệm vụ; đang triển khai "
                f"{st_['tasks_in_progress']} nhiệm vụ; chưa hoàn thành {st_['tasks_behind']} nhiệm vụ."
            )
        )
        body.append(Paragraph(f"(Nguồn: {data.stated_source_vi}, phần I)", italic=True))
        body.append(
            Paragraph(
                f"Đối chiếu với Phụ lục I (đếm từng dòng trên hue06): {tc['tasks_total']} nhiệm vụ, kết quả cụ thể như sau:"
            )
        )
    else:
        body.append(
            Paragraph(
                f"Trong {period.label_vi}, Ban Chỉ đạo theo dõi, đôn đốc các sở, ngành, địa phương triển khai thực hiện "
                f"{tc['tasks_total']} nhiệm vụ của Đề án 06, kết quả cụ thể như sau:"
            )
        )
    body.append(Paragraph(f"- Nhiệm vụ tồn từ năm trước chuyển sang: {tc['tasks_carried_over']} nhiệm vụ."))
    body.append(Paragraph(f"- Nhiệm vụ được giao trong năm {year}: {tc['tasks_new']} nhiệm vụ."))
    body.append(Paragraph("- Kết quả:"))
    for key, status in (
        ("tasks_completed", TaskStatus.COMPLETED),
        ("tasks_recurring", TaskStatus.RECURRING),
        ("tasks_in_progress", TaskStatus.IN_PROGRESS),
        ("tasks_behind", TaskStatus.BEHIND),
    ):
        label = TASK_STATUS_LABELS[status][0].lower()
        body.append(Paragraph(f"+ Tổng số nhiệm vụ {label}: {tc[key]} nhiệm vụ."))
    body.append(
        Paragraph(
            f"+ Nhiệm vụ chưa hoàn thành đã quá thời hạn (tính đến {vn_long_date(today)}): {len(overdue)} nhiệm vụ."
        )
    )
    body.append(Paragraph(source_note, italic=True))
    body.append(Paragraph("(Phụ lục I kèm theo)", italic=True, indent=False, align="center"))

    # II. Results
    body.append(Heading("II. KẾT QUẢ CÁC MẶT CÔNG TÁC", 1))
    body.append(Heading("1. Dịch vụ công thiết yếu", 2))
    st = service_totals(data.services25)
    figures.update(st)
    rate_25 = rate_of(st["dossiers_online"], st["dossiers_total"], 2) if st["dossiers_total"] else Decimal(0)
    figures["dossiers_online_rate"] = rate_25
    body.append(
        Paragraph(
            f"- Về {len(data.services25)} dịch vụ công thiết yếu tại Phụ lục I Quyết định số 06/QĐ-TTg ngày "
            f"06/01/2022: đã tiếp nhận, giải quyết {fmt_number(st['dossiers_online'])} hồ sơ trực tuyến/"
            f"{fmt_number(st['dossiers_total'])} tổng số hồ sơ, đạt tỷ lệ {_pct(st['dossiers_online'], st['dossiers_total'])}%; "
            f"giải quyết đúng hạn {fmt_number(st['dossiers_on_time'])} hồ sơ, quá hạn {fmt_number(st['dossiers_overdue'])} "
            f"hồ sơ; {st['services_without_dossiers']} dịch vụ chưa phát sinh hồ sơ."
        )
    )
    integrated = [r for r in data.services28 if r.on_national_portal]
    provincial = [r for r in integrated if on_provincial_portal(r)]
    figures.update(
        {
            "services28_total": len(data.services28),
            "services28_integrated": len(integrated),
            "services28_provincial": len(provincial),
        }
    )
    body.append(
        Paragraph(
            f"- Về {len(data.services28)} dịch vụ công tại Quyết định số 422/QĐ-TTg ngày 04/4/2022: đã tích hợp "
            f"{len(integrated)}/{len(data.services28)} dịch vụ trên Cổng Dịch vụ công quốc gia, trong đó "
            f"{len(provincial)}/{len(integrated)} dịch vụ đã triển khai trên Cổng Dịch vụ công tỉnh; "
            f"{len(data.services28) - len(integrated)} dịch vụ các bộ, ngành chưa hoàn thành."
        )
    )
    body.append(Paragraph(source_note, italic=True))
    body.append(Paragraph("(Phụ lục II, III kèm theo)", italic=True, indent=False, align="center"))

    body.append(Heading("2. Triển khai các mô hình điểm Đề án 06", 2))
    states = Counter(m.state for m in data.models)
    deployed = len(data.models) - states[ModelState.NOT_STARTED]
    figures.update(
        {
            "models_total": len(data.models),
            "models_deployed": deployed,
            "models_completed": states[ModelState.COMPLETED],
            "models_in_progress": states[ModelState.IN_PROGRESS],
            "models_deployed_unrated": states[ModelState.DEPLOYED],
            "models_not_started": states[ModelState.NOT_STARTED],
        }
    )
    parts = []
    for state in (ModelState.COMPLETED, ModelState.IN_PROGRESS, ModelState.DEPLOYED, ModelState.NOT_STARTED):
        if states[state]:
            label = MODEL_STATE_LABELS[state][0].lower()
            if state is ModelState.DEPLOYED:
                label = "đã triển khai, chưa cập nhật mức độ hoàn thành"
            parts.append(f"{label} {states[state]} mô hình")
    body.append(
        Paragraph(
            f"- Tổng số mô hình triển khai: {len(data.models)} mô hình. Đã triển khai {deployed}/{len(data.models)} "
            f"mô hình; trong đó: {'; '.join(parts)}."
        )
    )
    groups: dict[str, tuple[str, int]] = {}
    for m in data.models:
        title, n = groups.get(m.group_code, (m.group_title, 0))
        groups[m.group_code] = (title, n + 1)
    for code, (title, n) in groups.items():
        body.append(Paragraph(f"+ Nhóm {code} – {_group_name(title)}: {n} mô hình."))
    not_started = [m for m in data.models if m.state is ModelState.NOT_STARTED]
    if not_started:
        body.append(
            Paragraph("+ Mô hình chưa triển khai: " + ", ".join(str(m.number) for m in not_started) + ".")
        )
    studying = [m for m in data.hanoi_models if m.state is ModelState.STUDYING]
    figures.update(
        {
            "hanoi_total": len(data.hanoi_models),
            "hanoi_deployed": len(data.hanoi_models) - len(studying),
            "hanoi_studying": len(studying),
        }
    )
    body.append(
        Paragraph(
            f"- Trong {len(data.hanoi_models)} mô hình thành phố Hà Nội đã triển khai, tỉnh đã triển khai "
            f"{len(data.hanoi_models) - len(studying)} mô hình; {len(studying)} mô hình đang nghiên cứu triển khai"
            + (f" ({'; '.join(m.name for m in studying)})" if studying else "")
            + "."
        )
    )
    body.append(Paragraph(source_note, italic=True))
    body.append(Paragraph("(Phụ lục IV, V kèm theo)", italic=True, indent=False, align="center"))

    body.append(Heading("3. Nhiệm vụ theo Nghị quyết số 175/NQ-CP", 2))
    done = sum(1 for t in data.r175_tasks if t.completed)
    figures.update({"r175_total": len(data.r175_tasks), "r175_completed": done})
    body.append(
        Paragraph(
            f"Tổng số {len(data.r175_tasks)} nhiệm vụ: đã hoàn thành {done} nhiệm vụ; chưa hoàn thành "
            f"{len(data.r175_tasks) - done} nhiệm vụ."
        )
    )
    body.append(Paragraph("(Phụ lục VI kèm theo)", italic=True, indent=False, align="center"))

    body.append(Heading("4. Số liệu từ các hệ thống của tỉnh", 2))
    external_figures = list(external.figures(period)) if external is not None else []
    if external_figures:
        for fig in external_figures:
            value = fmt_number(fig.value) if isinstance(fig.value, (int, Decimal)) else str(fig.value)
            unit = f" {fig.unit_vi}" if fig.unit_vi else ""
            body.append(
                Paragraph(
                    f"- {fig.label_vi}: {value}{unit} (Nguồn: {fig.source}; số liệu đến ngày {fig.as_of:%d/%m/%Y})."
                )
            )
            sources.append(f"{fig.source}; số liệu đến ngày {fig.as_of:%d/%m/%Y}")
    else:
        body.append(Paragraph("Chưa có số liệu từ các phân hệ khác tại thời điểm lập báo cáo."))

    # III. Assessment
    body.append(Heading("III. NHẬN XÉT, ĐÁNH GIÁ VÀ KIẾN NGHỊ, ĐỀ XUẤT", 1))
    body.append(Heading("1. Nhiệm vụ chậm tiến độ, quá hạn", 2))
    behind = [t for t in data.tasks if t.status is TaskStatus.BEHIND or is_overdue(t, today)]
    if behind:
        body.append(
            Paragraph(
                f"Có {len(behind)} nhiệm vụ chậm tiến độ hoặc đã quá thời hạn mà chưa hoàn thành (tính đến "
                f"{vn_long_date(today)}):"
            )
        )
        for t in behind:
            due = f"thời hạn {t.deadline.due:%d/%m/%Y}" if t.deadline.due else "không ghi thời hạn"
            body.append(
                Paragraph(
                    f"- Nhiệm vụ {t.code} ({t.responsible_unit or 'chưa rõ đơn vị'}; {due}): "
                    f"{_short(t.content)}"
                )
            )
    else:
        body.append(Paragraph("Không có nhiệm vụ chậm tiến độ hoặc quá thời hạn."))
    low = [r for r in data.services25 if r.has_counts and r.total and (r.online or 0) * 2 < r.total]
    if low:
        body.append(
            Paragraph(
                "Dịch vụ công thiết yếu có tỷ lệ hồ sơ trực tuyến dưới 50%: "
                + "; ".join(f"{_short(r.name, 80)} ({_pct(r.online or 0, r.total or 0, 0)}%)" for r in low)
                + "."
            )
        )
    body.append(Heading("2. Số liệu chưa thống nhất", 2))
    if data.mismatches:
        body.append(
            Paragraph(
                f"Khi đối chiếu số liệu, có {len(data.mismatches)} chỗ chưa thống nhất giữa các bảng và nội dung báo "
                "cáo, đề nghị các đơn vị rà soát (chi tiết tại Phụ lục VII):"
            )
        )
        for m in data.mismatches:
            body.append(Paragraph(f"- {m.message_vi}."))
    else:
        body.append(Paragraph("Các số liệu tổng hợp khớp với số liệu chi tiết của từng phụ lục."))
    for text in meta.narrative.get("III", []):
        body.append(Paragraph(text))

    # IV. Tasks ahead
    nxt = period.following()
    body.append(Heading(f"IV. NHIỆM VỤ TRỌNG TÂM {nxt.label_vi.upper()}", 1))
    open_tasks = [t for t in data.tasks if is_open(t)]
    due_next = [t for t in open_tasks if t.deadline.due is not None and t.deadline.due <= nxt.end]
    figures["tasks_open"] = len(open_tasks)
    figures["tasks_due_next_period"] = len(due_next)
    body.append(
        Paragraph(
            f"1. Các sở, ngành, địa phương tập trung hoàn thành {len(open_tasks)} nhiệm vụ đang triển khai, trong đó "
            f"{len(due_next)} nhiệm vụ có thời hạn đến hết {nxt.label_vi} hoặc đã quá hạn."
        )
    )
    if not_started:
        body.append(
            Paragraph(
                f"2. Triển khai {len(not_started)} mô hình chưa triển khai: "
                + "; ".join(_short(m.name, 90) for m in not_started)
                + "."
            )
        )
    for text in meta.narrative.get("IV", []):
        body.append(Paragraph(text))
    body.append(
        Paragraph(
            f"Trên đây là Báo cáo kết quả {period.label_vi} triển khai thực hiện Đề án 06 {meta.area_vi} "
            f"của {meta.issuing_body_full}./."
        )
    )

    title = (
        f"Kết quả {period.label_vi} triển khai thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư, định danh "
        f"và xác thực điện tử phục vụ chuyển đổi số quốc gia {meta.area_vi} và phương hướng, nhiệm vụ trọng tâm "
        f"trong thời gian tới"
    )
    appendices = _appendices(data, today)
    return ReportDocument(meta, period, "BÁO CÁO", title, body, appendices, figures, sources)


def _group_name(title: str) -> str:
    import re

    return re.sub(r"\s*\(\d+\s+MÔ HÌNH\)\s*$", "", title, flags=re.IGNORECASE).capitalize()


def _appendices(data: ReportData, today: date) -> list[AppendixBlock]:
    out: list[AppendixBlock] = []

    rows: list[TableRow] = []
    group = None
    for t in data.tasks:
        if (t.group_code, t.group_title) != group:
            group = (t.group_code, t.group_title)
            rows.append(TableRow([t.group_code, t.group_title], "group"))
        status = TASK_STATUS_LABELS[t.status][0]
        if is_overdue(t, today):
            status += " (quá hạn)"
        rows.append(
            TableRow(
                [
                    str(t.number),
                    t.content,
                    t.directing_document,
                    t.responsible_unit,
                    t.deadline_text,
                    t.result,
                    status,
                ]
            )
        )
        for sub in t.sub_tasks:
            rows.append(
                TableRow(
                    [
                        "",
                        sub.content,
                        sub.directing_document,
                        sub.responsible_unit,
                        sub.deadline_text,
                        sub.result,
                        sub.note,
                    ]
                )
            )
    out.append(
        AppendixBlock(
            "I",
            "KIỂM ĐẾM NHIỆM VỤ TRIỂN KHAI THỰC HIỆN ĐỀ ÁN 06",
            Table(
                [
                    ("STT", 0.5),
                    ("Nội dung, nhiệm vụ", 3.0),
                    ("Văn bản chỉ đạo", 1.6),
                    ("Đơn vị thực hiện", 1.4),
                    ("Thời gian hoàn thành", 1.1),
                    ("Kết quả", 2.6),
                    ("Tình trạng", 1.0),
                ],
                rows,
            ),
            notes=[f"Tổng số nhiệm vụ: {len(data.tasks)} nhiệm vụ."],
        )
    )

    rows = []
    for r in data.services25:
        if r.has_counts:
            rows.append(
                TableRow(
                    [
                        str(r.number),
                        r.name,
                        fmt_number(r.total or 0),
                        fmt_number(r.online or 0),
                        f"{_pct(r.online or 0, r.total or 0, 0)}%",
                        fmt_number(r.on_time or 0),
                        fmt_number(r.overdue or 0),
                        r.difficulties,
                    ]
                )
            )
        else:
            rows.append(TableRow([str(r.number), r.name, r.note, "", "", "", "", r.difficulties]))
    st = service_totals(data.services25)
    rows.append(
        TableRow(
            [
                "",
                "Tổng cộng",
                fmt_number(st["dossiers_total"]),
                fmt_number(st["dossiers_online"]),
                f"{_pct(st['dossiers_online'], st['dossiers_total'], 0)}%",
                fmt_number(st["dossiers_on_time"]),
                fmt_number(st["dossiers_overdue"]),
                "",
            ],
            "total",
        )
    )
    out.append(
        AppendixBlock(
            "II",
            f"KẾT QUẢ THỰC HIỆN {len(data.services25)} DỊCH VỤ CÔNG THIẾT YẾU",
            Table(
                [
                    ("STT", 0.5),
                    ("Dịch vụ công trực tuyến", 3.2),
                    ("Tổng hồ sơ", 1.0),
                    ("Trực tuyến", 1.0),
                    ("Tỷ lệ", 0.7),
                    ("Đúng hạn", 1.0),
                    ("Quá hạn", 0.9),
                    ("Khó khăn, vướng mắc", 2.0),
                ],
                rows,
                frozenset({2, 3, 4, 5, 6}),
            ),
            notes=["Dòng Tổng cộng được tính từ các dòng của bảng."],
        )
    )

    rows = []
    section = None
    for s in data.services28:
        if s.section != section:
            section = s.section
            rows.append(
                TableRow(["", s.section or ("ĐÃ HOÀN THÀNH" if s.completed else "CHƯA HOÀN THÀNH")], "group")
            )
        rows.append(
            TableRow(
                [
                    str(s.number),
                    s.name,
                    s.ministry,
                    s.local_agency,
                    "X" if s.on_national_portal else "",
                    s.provincial_status,
                    s.note,
                    s.result,
                ]
            )
        )
    out.append(
        AppendixBlock(
            "III",
            f"KẾT QUẢ THỰC HIỆN {len(data.services28)} DỊCH VỤ CÔNG THIẾT YẾU",
            Table(
                [
                    ("TT", 0.4),
                    ("Tên dịch vụ công/TTHC", 2.6),
                    ("Bộ, ngành", 1.8),
                    ("Địa phương", 1.3),
                    ("Cổng DVC Quốc gia", 0.8),
                    ("Tình hình triển khai tại tỉnh", 1.5),
                    ("Ghi chú", 1.3),
                    ("Kết quả", 1.5),
                ],
                rows,
            ),
        )
    )

    rows = []
    group = None
    for m in data.models:
        if (m.group_code, m.group_title) != group:
            group = (m.group_code, m.group_title)
            rows.append(TableRow([m.group_code, m.group_title], "group"))
        rows.append(
            TableRow(
                [
                    str(m.number),
                    m.name,
                    MODEL_STATE_LABELS[m.state][0],
                    m.result,
                    m.difficulties,
                    m.value,
                    m.funding,
                    m.proposal,
                ]
            )
        )
    out.append(
        AppendixBlock(
            "IV",
            f"BÁO CÁO KẾT QUẢ TRIỂN KHAI {len(data.models)} MÔ HÌNH ĐIỂM",
            Table(
                [
                    ("STT", 0.4),
                    ("Mô hình", 1.6),
                    ("Tình trạng", 0.9),
                    ("Kết quả triển khai", 2.4),
                    ("Khó khăn, vướng mắc", 2.0),
                    ("Đánh giá hiệu quả", 1.6),
                    ("Kinh phí", 1.4),
                    ("Đề xuất", 1.6),
                ],
                rows,
            ),
        )
    )

    rows = [
        TableRow(
            [
                str(m.number) if m.number else "",
                m.name,
                MODEL_STATE_LABELS[m.state][0],
                m.result,
                m.difficulties,
                m.proposal,
            ]
        )
        for m in data.hanoi_models
    ]
    out.append(
        AppendixBlock(
            "V",
            f"BÁO CÁO KẾT QUẢ THỰC HIỆN {len(data.hanoi_models)} MÔ HÌNH TẠI TỈNH",
            Table(
                [
                    ("TT", 0.4),
                    ("Mô hình", 2.0),
                    ("Tình trạng", 1.0),
                    ("Kết quả thực hiện", 3.2),
                    ("Khó khăn, vướng mắc", 2.4),
                    ("Kiến nghị, đề xuất", 2.4),
                ],
                rows,
            ),
        )
    )

    rows = [
        TableRow(
            [
                str(t.number),
                t.lead_unit,
                t.content,
                t.partner_units,
                t.directing_document,
                t.deadline_text,
                t.result,
                "Đã hoàn thành" if t.completed else "Chưa hoàn thành" if t.completed is False else "",
                t.cause,
            ]
        )
        for t in data.r175_tasks
    ]
    out.append(
        AppendixBlock(
            "VI",
            "KẾT QUẢ TRIỂN KHAI CÁC NHIỆM VỤ CỦA NGHỊ QUYẾT 175",
            Table(
                [
                    ("STT", 0.4),
                    ("Đơn vị chủ trì", 1.2),
                    ("Nhiệm vụ", 2.2),
                    ("Đơn vị phối hợp", 1.4),
                    ("Văn bản chỉ đạo", 1.2),
                    ("Thời gian hoàn thành", 1.0),
                    ("Kết quả", 2.4),
                    ("Tình trạng", 0.9),
                    ("Nguyên nhân", 1.8),
                ],
                rows,
            ),
        )
    )

    if data.mismatches:
        rows = []
        for i, m in enumerate(data.mismatches, start=1):
            where = "Nội dung báo cáo" if m.appendix == "body" else f"Phụ lục {m.appendix}"
            cell = ", ".join(x for x in (f"dòng {m.row}" if m.row else "", m.column or "") if x)
            rows.append(
                TableRow(
                    [
                        str(i),
                        where,
                        cell,
                        _value(m.stated),
                        _value(m.computed),
                        _value(m.difference),
                        m.message_vi,
                    ]
                )
            )
        out.append(
            AppendixBlock(
                "VII",
                "ĐỐI CHIẾU SỐ LIỆU",
                Table(
                    [
                        ("STT", 0.4),
                        ("Vị trí", 1.1),
                        ("Dòng, cột", 1.4),
                        ("Số liệu ghi", 1.0),
                        ("Số liệu tính lại", 1.0),
                        ("Chênh lệch", 0.9),
                        ("Nội dung", 5.0),
                    ],
                    rows,
                    frozenset({3, 4, 5}),
                ),
                notes=["Số liệu tính lại từ các dòng chi tiết; chênh lệch = số liệu ghi − số liệu tính lại."],
            )
        )
    return out


def _value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        decimals = max(0, -v.normalize().as_tuple().exponent)  # type: ignore[operator]
        return fmt_number(v, min(decimals, 2))
    return str(v)


# --------------------------------------------------------------------------- DOCX

FONT = "Times New Roman"


def render_docx(doc: ReportDocument) -> bytes:
    """The Word file: Decree 30 header block, body, signature, then one landscape table per appendix."""
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt

    d = Document()
    _set_fonts(d)
    section = d.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True
    _page_number_header(section)

    meta = doc.meta
    header = d.add_table(rows=2, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    header.autofit = False
    widths = (Cm(6.6), Cm(9.9))
    for row in header.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    left, right = header.rows[0].cells
    _cell_lines(left, [(meta.parent_body, False, False, 12), (meta.issuing_body, True, False, 12)])
    _short_rule(left)
    _cell_lines(right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False, 12)])
    motto = right.add_paragraph()
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _tight(motto)
    run = motto.add_run("Độc lập - Tự do - Hạnh phúc")
    run.bold, run.underline, run.font.size = True, True, Pt(13)
    left2, right2 = header.rows[1].cells
    _cell_lines(left2, [(f"Số: {meta.reference}", False, False, 13)])
    _cell_lines(right2, [(f"{meta.place}, {vn_long_date(meta.issued_on)}", False, True, 14)])

    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(18)
    p.paragraph_format.space_after = Pt(0)
    r = p.add_run(doc.doc_type)
    r.bold, r.font.size = True, Pt(14)
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = p.add_run(doc.title)
    r.bold, r.font.size = True, Pt(14)
    _short_rule_paragraph(d.add_paragraph())

    for block in doc.body:
        if isinstance(block, Heading):
            hp = d.add_paragraph()
            hp.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            hp.paragraph_format.first_line_indent = Cm(1.27)
            hp.paragraph_format.space_before = Pt(6)
            hp.paragraph_format.keep_with_next = True
            hr = hp.add_run(block.text)
            hr.bold = True
            hr.italic = block.level == 3
        else:
            bp = d.add_paragraph()
            bp.alignment = {
                "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
                "center": WD_ALIGN_PARAGRAPH.CENTER,
                "left": WD_ALIGN_PARAGRAPH.LEFT,
            }[block.align]
            if block.indent:
                bp.paragraph_format.first_line_indent = Cm(1.27)
            br = bp.add_run(block.text)
            br.bold, br.italic = block.bold, block.italic

    sign = d.add_table(rows=1, cols=2)
    sign.autofit = False
    recipients_cell, signer_cell = sign.rows[0].cells
    recipients_cell.width, signer_cell.width = Cm(8.0), Cm(8.5)
    rp = recipients_cell.paragraphs[0]
    _tight(rp)
    rr = rp.add_run("Nơi nhận:")
    rr.bold, rr.italic, rr.font.size = True, True, Pt(12)
    for i, name in enumerate(meta.recipients):
        line = recipients_cell.add_paragraph()
        _tight(line)
        end = "." if i == len(meta.recipients) - 1 else ";"
        lr = line.add_run(f"- {name.rstrip(';.')}{end}")
        lr.font.size = Pt(11)
    lines = [(a, True, False, 14) for a in meta.signer_authority]
    lines += [(meta.signer_title, True, False, 14)] if meta.signer_title else []
    _cell_lines(signer_cell, lines)
    for _ in range(3):
        _tight(signer_cell.add_paragraph())
    if meta.signer_name:
        _cell_lines(signer_cell, [(meta.signer_name, True, False, 14)], first=False)

    for app in doc.appendices:
        sec = d.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Mm(297), Mm(210)
        sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)
        sec.left_margin, sec.right_margin = Mm(20), Mm(15)
        sec.different_first_page_header_footer = False
        for text, bold, italic in (
            (f"Phụ lục {app.code}", True, False),
            (app.title, True, False),
            (f"(Kèm theo Báo cáo số {meta.reference} {vn_long_date(meta.issued_on)}", False, True),
            (f"của {meta.issuing_body_full})", False, True),
        ):
            ap = d.add_paragraph()
            ap.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _tight(ap)
            ar = ap.add_run(text)
            ar.bold, ar.italic = bold, italic
        for note in app.notes:
            np_ = d.add_paragraph()
            np_.paragraph_format.space_before = Pt(6)
            np_.add_run(note).italic = True
        _table(d, app.table, Mm(297 - 35))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _set_fonts(d) -> None:  # type: ignore[no-untyped-def]
    """Times New Roman for every script, East-Asian included, so Word never substitutes a font."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for style_name in ("Normal", "Table Grid"):
        try:
            style = d.styles[style_name]
        except KeyError:
            continue
        style.font.name = FONT
        if style_name == "Normal":
            style.font.size = Pt(14)
            style.paragraph_format.space_after = Pt(6)
            style.paragraph_format.line_spacing = 1.15
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)


def _tight(p) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Pt

    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    p.paragraph_format.line_spacing = 1.0


def _cell_lines(cell, lines: list[tuple[str, bool, bool, int]], first: bool = True) -> None:  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    for i, (text, bold, italic, size) in enumerate(lines):
        p = cell.paragraphs[0] if first and i == 0 else cell.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _tight(p)
        r = p.add_run(text)
        r.bold, r.italic, r.font.size = bold, italic, Pt(size)


def _short_rule(cell) -> None:  # type: ignore[no-untyped-def]
    _short_rule_paragraph(cell.add_paragraph())


def _short_rule_paragraph(p) -> None:  # type: ignore[no-untyped-def]
    """The short solid line under the issuing body and the summary: underlined non-breaking spaces."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _tight(p)
    r = p.add_run("\u00a0" * 24)
    r.underline = True
    r.font.size = Pt(8)


def _page_number_header(section) -> None:  # type: ignore[no-untyped-def]
    """Page numbers centred in the top margin; the first page has its own, empty, header."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = "PAGE"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(instr)
    run._r.append(end)


def _table(d, table: Table, total_width) -> None:  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    ncols = len(table.columns)
    t = d.add_table(rows=1, cols=ncols)
    t.style = d.styles["Table Grid"]
    t.autofit = False
    weight = sum(w for _, w in table.columns)
    widths = [int(total_width * w / weight) for _, w in table.columns]
    head = t.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, (title, _), width in zip(head.cells, table.columns, widths, strict=True):
        cell.width = width
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _tight(p)
        r = p.add_run(title)
        r.bold, r.font.size = True, Pt(11)
    for row in table.rows:
        cells = t.add_row().cells
        if row.kind == "group":
            merged = cells[1].merge(cells[-1]) if ncols > 2 else cells[1]
            for target, text in (
                (cells[0], row.cells[0]),
                (merged, row.cells[1] if len(row.cells) > 1 else ""),
            ):
                p = target.paragraphs[0]
                _tight(p)
                r = p.add_run(text)
                r.bold, r.font.size = True, Pt(11)
            continue
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            cell.width = width
            text = row.cells[i] if i < len(row.cells) else ""
            lines = text.split("\n") if text else [""]
            for j, line in enumerate(lines):
                p = cell.paragraphs[0] if j == 0 else cell.add_paragraph()
                _tight(p)
                if i in table.numeric:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                elif i == 0:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                r = p.add_run(line)
                r.font.size = Pt(11)
                r.bold = row.kind == "total"


# --------------------------------------------------------------------------- HTML and PDF


_CSS = """
@page { size: A4; margin: 20mm 15mm 20mm 30mm;
        @top-center { content: counter(page); font-family: "Times New Roman", "Liberation Serif", serif; font-size: 13pt; } }
@page :first { @top-center { content: none; } }
@page appendix { size: A4 landscape; margin: 20mm 15mm 20mm 20mm; }
body { font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 14pt; line-height: 1.25; }
table.header { width: 100%; border-collapse: collapse; margin-bottom: 12pt; }
table.header { table-layout: fixed; }
table.header td { text-align: center; vertical-align: top; padding: 0; font-size: 12pt; }
.bold { font-weight: bold; } .italic { font-style: italic; }
.motto { font-weight: bold; font-size: 13pt; text-decoration: underline; }
.rule { width: 35%; margin: 2pt auto 0; border: 0; border-top: 1px solid #000; }
h1.doctype { text-align: center; font-size: 14pt; margin: 18pt 0 0; }
p.title { text-align: center; font-weight: bold; margin: 0 0 6pt; }
p { margin: 0 0 6pt; text-align: justify; }
p.indent, h2, h3, h4 { text-indent: 1.27cm; }
h2, h3, h4 { font-size: 14pt; margin: 6pt 0; text-align: justify; }
h4 { font-style: italic; }
p.center { text-align: center; text-indent: 0; }
table.sign { width: 100%; margin-top: 12pt; page-break-inside: avoid; }
table.sign td { vertical-align: top; width: 50%; }
.recipients p { text-align: left; margin: 0; font-size: 11pt; text-indent: 0; }
.recipients p.head { font-size: 12pt; font-weight: bold; font-style: italic; }
.signer p { text-align: center; font-weight: bold; margin: 0; text-indent: 0; }
.appendix { page: appendix; page-break-before: always; }
.appendix p.center { margin: 0; }
table.data { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 10.5pt; margin-top: 6pt; }
table.data th, table.data td { border: 1px solid #000; padding: 2pt 3pt; vertical-align: top; text-align: left; }
table.data th { text-align: center; font-weight: bold; }
table.data thead { display: table-header-group; }
table.data td.num { text-align: right; }
table.data tr.group td, table.data tr.total td { font-weight: bold; }
"""


def render_html(doc: ReportDocument) -> str:
    """The same content as the DOCX, as HTML for WeasyPrint (and for a preview in the browser)."""
    e = html.escape
    meta = doc.meta
    out: list[str] = [
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>",
        f"<title>{e(doc.doc_type)} {e(meta.reference)}</title><style>{_CSS}</style></head><body>",
        "<table class='header'><tr>",
        f"<td style='width:40%'><div>{e(meta.parent_body)}</div><div class='bold'>{e(meta.issuing_body)}</div>"
        "<hr class='rule'></td>",
        "<td><div class='bold'>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>"
        "<div class='motto'>Độc lập - Tự do - Hạnh phúc</div></td></tr>",
        f"<tr><td style='font-size:13pt;padding-top:6pt'>Số: {e(meta.reference)}</td><td class='italic' style='font-size:14pt;padding-top:6pt'>"
        f"{e(meta.place)}, {e(vn_long_date(meta.issued_on))}</td></tr></table>",
        f"<h1 class='doctype'>{e(doc.doc_type)}</h1><p class='title'>{e(doc.title)}</p><hr class='rule'>",
    ]
    for block in doc.body:
        if isinstance(block, Heading):
            out.append(f"<h{block.level + 1}>{e(block.text)}</h{block.level + 1}>")
        else:
            classes = []
            if block.indent:
                classes.append("indent")
            if block.align == "center":
                classes.append("center")
            style = ("font-style:italic;" if block.italic else "") + (
                "font-weight:bold;" if block.bold else ""
            )
            out.append(f"<p class='{' '.join(classes)}' style='{style}'>{e(block.text)}</p>")
    recipients = "".join(
        f"<p>- {e(name.rstrip(';.'))}{'.' if i == len(meta.recipients) - 1 else ';'}</p>"
        for i, name in enumerate(meta.recipients)
    )
    signer = "".join(f"<p>{e(line)}</p>" for line in [*meta.signer_authority, meta.signer_title] if line)
    name = f"<p style='margin-top:48pt'>{e(meta.signer_name)}</p>" if meta.signer_name else ""
    out.append(
        f"<table class='sign'><tr><td class='recipients'><p class='head'>Nơi nhận:</p>{recipients}</td>"
        f"<td class='signer'>{signer}{name}</td></tr></table>"
    )
    for app in doc.appendices:
        out.append("<section class='appendix'>")
        out.append(
            f"<p class='center bold'>Phụ lục {e(app.code)}</p><p class='center bold'>{e(app.title)}</p>"
        )
        out.append(
            f"<p class='center italic'>(Kèm theo Báo cáo số {e(meta.reference)} {e(vn_long_date(meta.issued_on))}"
            f"<br>của {e(meta.issuing_body_full)})</p>"
        )
        for note in app.notes:
            out.append(f"<p class='italic'>{e(note)}</p>")
        out.append(_html_table(app.table))
        out.append("</section>")
    out.append("</body></html>")
    return "".join(out)


def _html_table(table: Table) -> str:
    e = html.escape
    weight = sum(w for _, w in table.columns)
    head = "".join(f"<th style='width:{100 * w / weight:.1f}%'>{e(t)}</th>" for t, w in table.columns)
    rows = []
    for row in table.rows:
        if row.kind == "group":
            rest = row.cells[1] if len(row.cells) > 1 else ""
            rows.append(
                f"<tr class='group'><td>{e(row.cells[0])}</td><td colspan='{len(table.columns) - 1}'>"
                f"{e(rest)}</td></tr>"
            )
            continue
        cells = []
        for i in range(len(table.columns)):
            text = row.cells[i] if i < len(row.cells) else ""
            cls = " class='num'" if i in table.numeric else ""
            cells.append(f"<td{cls}>{'<br>'.join(e(x) for x in text.split(chr(10)))}</td>")
        rows.append(f"<tr class='{row.kind}'>{''.join(cells)}</tr>")
    return f"<table class='data'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_pdf(doc: ReportDocument) -> bytes:
    """WeasyPrint (pango) from the HTML: no office suite needed on the server."""
    from weasyprint import HTML

    return HTML(string=render_html(doc)).write_pdf()
