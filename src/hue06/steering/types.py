"""Steering's domain types: what a report holds once read, shared by the importers, checks,
report writer, XLSX template and service.

Plain dataclasses and enums, no reading code (that stays in `importers.py`) and no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from hue06.steering.deadlines import Deadline

APPENDICES = ("I", "II", "III", "IV", "V", "VI")

APPENDIX_TITLES: dict[str, tuple[str, str]] = {
    "I": ("Kiểm đếm nhiệm vụ triển khai thực hiện Đề án 06", "Project 06 tasks"),
    "II": ("Kết quả thực hiện 25 dịch vụ công thiết yếu", "The 25 essential public services"),
    "III": ("Kết quả thực hiện 28 dịch vụ công thiết yếu", "The 28 services of Decision 422"),
    "IV": ("Kết quả triển khai 46 mô hình điểm", "The 46 pilot models"),
    "V": ("Kết quả thực hiện 17 mô hình tại tỉnh", "The 17 models borrowed from Hanoi"),
    "VI": ("Kết quả triển khai các nhiệm vụ của Nghị quyết 175", "Resolution 175 tasks"),
}


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ImportProblem:
    """One thing the importer could not read, or read with an assumption (severity "warning")."""

    appendix: str  # "I".."VI", or "body"
    row: str | None  # the row's number as written, or None for the whole appendix
    field: str | None  # the column, as the report names it
    message_vi: str
    message_en: str
    line: int | None = None  # 1-based line in the source text
    severity: str = "error"  # "error" rejects the row; "warning" keeps it

    def message(self, lang: str) -> str:
        """The message in the page's language (both are written where the problem is found)."""
        return self.message_en if lang == "en" else self.message_vi

    def as_dict(self) -> dict[str, object]:
        return {
            "appendix": self.appendix,
            "row": self.row,
            "field": self.field,
            "line": self.line,
            "severity": self.severity,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


class TaskStatus(StrEnum):
    COMPLETED = "completed"
    RECURRING = "recurring"
    IN_PROGRESS = "in_progress"
    BEHIND = "behind"  # "Chậm tiến độ"; the body summary counts these as "chưa hoàn thành"


TASK_STATUS_LABELS: dict[TaskStatus, tuple[str, str]] = {
    TaskStatus.COMPLETED: ("Hoàn thành", "Completed"),
    TaskStatus.RECURRING: ("Thực hiện thường xuyên", "Recurring"),
    TaskStatus.IN_PROGRESS: ("Đang triển khai", "In progress"),
    TaskStatus.BEHIND: ("Chậm tiến độ", "Behind schedule"),
}


class ModelState(StrEnum):
    NOT_STARTED = "not_started"
    DEPLOYED = "deployed"  # deployed, the report does not say whether finished
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    STUDYING = "studying"  # Appendix V: "đang nghiên cứu triển khai"


MODEL_STATE_LABELS: dict[ModelState, tuple[str, str]] = {
    ModelState.NOT_STARTED: ("Chưa triển khai", "Not started"),
    ModelState.DEPLOYED: ("Đã triển khai", "Deployed"),
    ModelState.IN_PROGRESS: ("Đang triển khai", "In progress"),
    ModelState.COMPLETED: ("Cơ bản hoàn thành", "Completed"),
    ModelState.STUDYING: ("Đang nghiên cứu triển khai", "Being studied"),
}


# --------------------------------------------------------------------------- dataclasses


@dataclass
class ReportHeader:
    number: str | None = None  # "108"
    symbol: str | None = None  # "BC-BCĐ"
    place: str | None = None
    issued_on: date | None = None
    doc_type: str | None = None  # "BÁO CÁO"
    title: str | None = None
    signer_authority: list[str] = field(default_factory=list)  # ["KT. TRƯỞNG BAN", ...]
    signer_name: str | None = None
    recipients: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str | None:
        return f"{self.number}/{self.symbol}" if self.number and self.symbol else None


@dataclass(frozen=True)
class StatedFigure:
    """A figure the report states in prose, kept with where it was written, for the checks."""

    key: str
    value: Decimal
    where: str  # "body" or an appendix
    line: int
    excerpt: str


@dataclass(frozen=True)
class RateStatement:
    """'a/b ..., đạt tỷ lệ r%' in the prose: the rate can be checked against its counts."""

    numerator: int
    denominator: int
    rate: Decimal
    decimals: int
    where: str  # "body" or an appendix
    line: int
    excerpt: str


@dataclass
class TaskGroup:
    code: str  # "I", "II", ...
    title: str
    carried_over: bool
    stated_count: int | None
    line: int


@dataclass
class SubTask:
    """An unnumbered row under a task: a sharper target set by a later directive."""

    content: str
    directing_document: str
    responsible_unit: str
    deadline_text: str
    deadline: Deadline
    result: str
    note: str
    line: int


@dataclass
class Task:
    seq: int  # order in the appendix, from 1
    code: str  # "I.3" for a carried-over task, "87" for a task of the year
    number: int
    group_code: str
    group_title: str
    carried_over: bool
    content: str
    directing_document: str
    responsible_unit: str
    deadline_text: str
    deadline: Deadline
    result: str
    status: TaskStatus
    status_text: str
    line: int
    sub_tasks: list[SubTask] = field(default_factory=list)


@dataclass
class EssentialService:
    """A row of Appendix II (or its total row, number None)."""

    number: int | None
    name: str
    total: int | None
    online: int | None
    rate: Decimal | None  # percent, as written
    rate_decimals: int
    on_time: int | None
    overdue: int | None
    difficulties: str
    note: str  # "Chưa phát sinh hồ sơ..." where the row has no counts
    line: int

    @property
    def has_counts(self) -> bool:
        return self.total is not None


@dataclass
class Service422:
    """A row of Appendix III: one of the 28 services of Decision 422/QĐ-TTg."""

    seq: int
    number: int
    section: str  # the section row above it, e.g. "ĐÃ HOÀN THÀNH"
    completed: bool
    name: str
    ministry: str
    local_agency: str
    on_national_portal: bool
    provincial_status: str
    note: str
    result: str
    line: int


@dataclass
class ModelGroup:
    code: str
    title: str
    stated_count: int | None
    line: int


@dataclass
class PilotModel:
    """A row of Appendix IV: one of the province's pilot models."""

    number: int
    group_code: str
    group_title: str
    name: str
    result: str
    difficulties: str
    value: str
    funding: str
    proposal: str
    state: ModelState
    line: int


@dataclass
class HanoiModel:
    """Appendix V: a model Hanoi deployed, and what the province did with it."""

    seq: int
    number: int | None  # None for the models still being studied (listed in prose)
    name: str
    result: str
    difficulties: str
    proposal: str
    state: ModelState
    line: int


@dataclass
class Resolution175Task:
    """Appendix VI: a task of Resolution 175/NQ-CP."""

    number: int
    lead_unit: str
    content: str
    partner_units: str
    directing_document: str
    deadline_text: str
    deadline: Deadline
    completed: bool | None
    result: str
    cause: str
    line: int


@dataclass
class ParsedReport:
    source_name: str
    sha256: str
    header: ReportHeader
    stated: dict[str, StatedFigure]
    rate_statements: list[RateStatement]
    footnotes: dict[int, str]
    task_groups: list[TaskGroup]
    tasks: list[Task]
    services25: list[EssentialService]
    services25_total: EssentialService | None
    services28: list[Service422]
    model_groups: list[ModelGroup]
    models: list[PilotModel]
    hanoi_models: list[HanoiModel]
    r175_tasks: list[Resolution175Task]
    appendix_stated_counts: dict[str, int]  # "25 DỊCH VỤ CÔNG" in an appendix title
    problems: list[ImportProblem]  # warnings, and with partial=True the rows left out

    @property
    def errors(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "warning"]
