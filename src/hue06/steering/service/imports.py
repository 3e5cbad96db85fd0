"""Import a report's text: read, check and store it, or reject it whole.

An import writes nothing until the whole file has been read and checked, so a bad file leaves the
database as it was. The same text imported twice is recognised by its digest and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.errors import InvalidInput
from hue06.core.security import SYSTEM, Actor
from hue06.core.text import decode_bytes
from hue06.steering.checks import Mismatch, check_report
from hue06.steering.importers import ReportImportError, parse_report
from hue06.steering.models import (
    SteeringHanoiModel,
    SteeringModel,
    SteeringR175Task,
    SteeringReport,
    SteeringService25,
    SteeringService28,
    SteeringTask,
)
from hue06.steering.report import ReportPeriod, parse_period
from hue06.steering.service._common import stated_values
from hue06.steering.service.reports import stored_mismatches
from hue06.steering.service.storing import store_rows
from hue06.steering.types import ImportProblem, ParsedReport, TaskStatus

# What scripts reading `--json` knew the behind-schedule count as, before it had one name.
_STATED_ALIASES = {"tasks_behind": "tasks_not_completed"}


class ReportRejected(InvalidInput):
    """The file has errors; nothing was imported. `problems` says which rows and why."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0] if errors else None
        where = ""
        if first is not None:
            where = f" (Phụ lục {first.appendix}" + (f", dòng {first.row}" if first.row else "") + ")"
        super().__init__(
            "steering.import_rejected",
            f"Báo cáo có {len(errors)} lỗi, chưa nhập dữ liệu nào{where}: "
            f"{first.message_vi if first else ''}",
            f"The report has {len(errors)} error(s); nothing was imported: {first.message_en if first else ''}",
        )
        self.problems = problems

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": [p.as_dict() for p in self.problems]}


@dataclass
class ImportOutcome:
    report_id: int
    reference: str | None
    period_code: str
    already_imported: bool
    counts: dict[str, int]
    stated: dict[str, str]
    mismatches: list[Mismatch]
    problems: list[ImportProblem]

    def as_dict(self) -> dict[str, object]:
        stated = dict(self.stated)
        for key, alias in _STATED_ALIASES.items():
            if key in stated:
                stated.setdefault(alias, stated[key])
        return {
            "report_id": self.report_id,
            "reference": self.reference,
            "period": self.period_code,
            "already_imported": self.already_imported,
            "counts": self.counts,
            "stated": stated,
            "mismatches": [m.as_dict() for m in self.mismatches],
            "problems": [p.as_dict() for p in self.problems],
        }


def infer_period(parsed: ParsedReport) -> str | None:
    """'Kết quả 06 tháng đầu năm 2024 ...' -> '2024-H1'."""
    title = parsed.header.title or ""
    m = re.search(r"(?:06|6) tháng (đầu|cuối) năm (\d{4})", title, flags=re.IGNORECASE)
    if m:
        return f"{m.group(2)}-{'H1' if m.group(1).lower() == 'đầu' else 'H2'}"
    m = re.search(r"quý (IV|III|II|I) năm (\d{4})", title, flags=re.IGNORECASE)
    if m:
        return f"{m.group(2)}-Q{['I', 'II', 'III', 'IV'].index(m.group(1).upper()) + 1}"
    m = re.search(r"năm (\d{4})", title)
    if m:
        return m.group(1)
    return None


def import_report(
    session: Session,
    text: str | bytes,
    *,
    source_name: str = "",
    partial: bool = False,
    period_code: str | None = None,
    actor: Actor = SYSTEM,
) -> ImportOutcome:
    """Read, check and store a report; raise `ReportRejected` (nothing stored) if it has errors."""
    normalized = _normalised_text(text)
    sha = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
    existing = session.scalar(select(SteeringReport).where(SteeringReport.sha256 == sha))
    if existing is not None:
        return outcome_of(session, existing, already=True)
    parsed = _read_or_reject(normalized, partial, source_name)
    period = _period_of(parsed, period_code)
    mismatches = check_report(parsed)
    report = _report_row(parsed, sha, source_name, period, actor)
    session.add(report)
    session.flush()
    store_rows(
        session,
        report,
        period.start.year,
        parsed.tasks,
        parsed.models,
        parsed.hanoi_models,
        parsed.services25,
        parsed.services25_total,
        parsed.services28,
        parsed.r175_tasks,
        mismatches,
        actor,
        "import",
    )
    audit.record(
        session,
        actor,
        "steering.report_imported",
        "steering_report",
        report.id,
        {
            "reference": report.reference,
            "period": report.period_code,
            "tasks": len(parsed.tasks),
            "mismatches": len(mismatches),
            "errors_skipped": len(parsed.errors),
        },
    )
    return outcome_of(session, report, already=False)


def _normalised_text(text: str | bytes) -> str:
    """One text whatever the upload: decoded, Unix line ends, NFC (so the digest finds a re-import)."""
    if isinstance(text, bytes):
        text, _encoding = decode_bytes(text)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _read_or_reject(text: str, partial: bool, source_name: str) -> ParsedReport:
    try:
        return parse_report(text, partial=partial, source_name=source_name)
    except ReportImportError as exc:
        raise ReportRejected(exc.problems) from None


def _period_of(parsed: ParsedReport, period_code: str | None) -> ReportPeriod:
    period = period_code or infer_period(parsed)
    if period is None:
        raise InvalidInput(
            "steering.period_unknown",
            "Không xác định được kỳ báo cáo từ trích yếu; hãy ghi rõ kỳ (ví dụ --period 2024-H1).",
            "Cannot tell the report's period from its title; give it (e.g. --period 2024-H1).",
        )
    return parse_period(period)


def _report_row(
    parsed: ParsedReport, sha: str, source_name: str, period: ReportPeriod, actor: Actor
) -> SteeringReport:
    """The report's own row: its header, what it states about itself, and what could not be read."""
    return SteeringReport(
        sha256=sha,
        source_name=source_name[:300],
        source_kind="text",
        number=parsed.header.number,
        symbol=parsed.header.symbol,
        place=parsed.header.place,
        issued_on=parsed.header.issued_on,
        period_code=period.code,
        title=parsed.header.title or "",
        signer_name=parsed.header.signer_name or "",
        signer_authority=json.dumps(parsed.header.signer_authority, ensure_ascii=False),
        recipients=json.dumps(parsed.header.recipients, ensure_ascii=False),
        stated_figures=json.dumps(
            {k: {"value": str(v.value), "where": v.where, "line": v.line} for k, v in parsed.stated.items()},
            ensure_ascii=False,
        ),
        problems=json.dumps([p.as_dict() for p in parsed.problems], ensure_ascii=False),
        partial=bool(parsed.errors),
        imported_by=actor.label,
    )


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _row_counts(session: Session, report: SteeringReport) -> dict[str, int]:
    """How many rows of each appendix the report left in the database."""
    year = int(report.period_code[:4])
    counts = {
        "tasks": _count(session, SteeringTask, SteeringTask.report_id == report.id),
        "tasks_in_year": _count(session, SteeringTask, SteeringTask.year == year),
        "services25": _count(
            session,
            SteeringService25,
            SteeringService25.report_id == report.id,
            SteeringService25.is_total_row.is_(False),
        ),
        "services28": _count(session, SteeringService28, SteeringService28.report_id == report.id),
        "models": _count(session, SteeringModel, SteeringModel.report_id == report.id),
        "hanoi_models": _count(session, SteeringHanoiModel, SteeringHanoiModel.report_id == report.id),
        "r175_tasks": _count(session, SteeringR175Task, SteeringR175Task.report_id == report.id),
    }
    status_counts = Counter(
        session.scalars(select(SteeringTask.status).where(SteeringTask.report_id == report.id))
    )
    counts.update({f"tasks_{s.value}": status_counts.get(s.value, 0) for s in TaskStatus})
    return counts


def outcome_of(session: Session, report: SteeringReport, already: bool) -> ImportOutcome:
    problems = [ImportProblem(**p) for p in json.loads(report.problems or "[]")]
    return ImportOutcome(
        report.id,
        report.reference,
        report.period_code,
        already,
        _row_counts(session, report),
        stated_values(report),
        stored_mismatches(session, report.id),
        problems,
    )
