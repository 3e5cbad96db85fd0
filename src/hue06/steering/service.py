"""Steering logic: import a report into the database, keep tasks and models current, answer leaders.

Plain functions taking a `Session`; the caller's unit of work commits. An import writes nothing
until the whole file has been read and checked, so a bad file leaves the database as it was.
Every change to a task or model is kept in `steering_changes` and in the audit log.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden, InvalidInput, not_found
from hue06.core.security import SYSTEM, Actor
from hue06.core.text import fold
from hue06.steering.checks import Mismatch, check_report, rate_of
from hue06.steering.deadlines import Deadline, DeadlineError, DeadlineKind, parse_deadline
from hue06.steering.importers import (
    EssentialService,
    HanoiModel,
    ImportProblem,
    ModelState,
    ParsedReport,
    PilotModel,
    ReportImportError,
    Resolution175Task,
    Service422,
    SubTask,
    Task,
    TaskStatus,
    parse_report,
)
from hue06.steering.models import (
    SteeringChange,
    SteeringHanoiModel,
    SteeringMismatch,
    SteeringModel,
    SteeringR175Task,
    SteeringReport,
    SteeringService25,
    SteeringService28,
    SteeringSubTask,
    SteeringTask,
    SteeringTaskUnit,
    SteeringUnit,
    SteeringUnitMember,
)
from hue06.steering.report import (
    ExternalFigures,
    Figure,
    ReportData,
    ReportDocument,
    ReportMeta,
    ReportPeriod,
    build_report,
    is_open,
    parse_period,
    render_docx,
    render_pdf,
)

REPORT_ROLES = ("admin", "province")  # may generate the report (reads only)
IMPORT_ROLES = ("admin",)  # the secretariat: imports reports, sets model states, edits any task


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


# --------------------------------------------------------------------------- units


_UNIT_START = (
    r"Sở|Công an|UBND|Ủy ban|Ban |Văn phòng|Cục|Bảo hiểm|Ngân hàng|Tòa án|Viện|Thanh tra|Bộ Chỉ huy|Bưu điện|"
    r"Điện lực|Trường|Bệnh viện|Đài|Báo |Liên đoàn|Hội |Tỉnh đoàn|Tổ "
)
_SPLIT_UNITS = re.compile(rf";|,\s+(?=(?:{_UNIT_START}))")


def responsible_units(text: str) -> list[str]:
    """'Sở Y tế, Sở Giáo dục và Đào tạo' -> two units; 'Các sở, ngành, địa phương' stays one."""
    parts = [p.strip(" .;,") for p in _SPLIT_UNITS.split(text or "")]
    return [p for p in parts if p]


def unit_kind(name: str) -> str:
    low = name.lower()
    if low.startswith("các "):
        return "collective"
    if low.startswith("công an"):
        return "police"
    if low.startswith(("ubnd", "ủy ban")) and any(w in low for w in ("huyện", "thị xã", "thành phố")):
        return "district"
    if low.startswith(
        ("sở ", "văn phòng", "ban ", "thanh tra", "cục ", "bảo hiểm", "ngân hàng", "tòa án", "viện ")
    ):
        return "department"
    return "other"


def _unit(session: Session, name: str, cache: dict[str, SteeringUnit]) -> SteeringUnit:
    code = fold(name)[:120]
    unit = cache.get(code) or session.scalar(select(SteeringUnit).where(SteeringUnit.code == code))
    if unit is None:
        unit = SteeringUnit(code=code, name=name[:300], kind=unit_kind(name))
        session.add(unit)
        session.flush()
    cache[code] = unit
    return unit


def list_units(session: Session) -> list[SteeringUnit]:
    return list(session.scalars(select(SteeringUnit).order_by(SteeringUnit.name)))


def get_unit(session: Session, unit_id_or_code: int | str) -> SteeringUnit:
    if isinstance(unit_id_or_code, int) or str(unit_id_or_code).isdigit():
        unit = session.get(SteeringUnit, int(unit_id_or_code))
    else:
        unit = session.scalar(select(SteeringUnit).where(SteeringUnit.code == fold(str(unit_id_or_code))))
    if unit is None:
        raise not_found("đơn vị", "unit")
    return unit


def add_member(
    session: Session, unit_id_or_code: int | str, username: str, actor: Actor = SYSTEM
) -> SteeringUnitMember:
    """Let an official update the tasks of a unit (the unit's focal point for Đề án 06)."""
    unit = get_unit(session, unit_id_or_code)
    existing = session.scalar(
        select(SteeringUnitMember).where(
            SteeringUnitMember.unit_id == unit.id, SteeringUnitMember.username == username
        )
    )
    if existing is not None:
        return existing
    member = SteeringUnitMember(unit_id=unit.id, username=username)
    session.add(member)
    session.flush()
    audit.record(session, actor, "steering.member_added", "steering_unit", unit.code, {"username": username})
    return member


def units_of(session: Session, username: str) -> list[SteeringUnit]:
    stmt = (
        select(SteeringUnit)
        .join(SteeringUnitMember, SteeringUnitMember.unit_id == SteeringUnit.id)
        .where(SteeringUnitMember.username == username)
        .order_by(SteeringUnit.name)
    )
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- import


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
        return {
            "report_id": self.report_id,
            "reference": self.reference,
            "period": self.period_code,
            "already_imported": self.already_imported,
            "counts": self.counts,
            "stated": self.stated,
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
    if isinstance(text, bytes):
        from hue06.core.text import decode_bytes

        text, _encoding = decode_bytes(text)
    normalized = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    sha = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
    existing = session.scalar(select(SteeringReport).where(SteeringReport.sha256 == sha))
    if existing is not None:
        return outcome_of(session, existing, already=True)
    try:
        parsed = parse_report(normalized, partial=partial, source_name=source_name)
    except ReportImportError as exc:
        raise ReportRejected(exc.problems) from None
    period = period_code or infer_period(parsed)
    if period is None:
        raise InvalidInput(
            "steering.period_unknown",
            "Không xác định được kỳ báo cáo từ trích yếu; hãy ghi rõ kỳ (ví dụ --period 2024-H1).",
            "Cannot tell the report's period from its title; give it (e.g. --period 2024-H1).",
        )
    period_obj = parse_period(period)
    mismatches = check_report(parsed)
    report = SteeringReport(
        sha256=sha,
        source_name=source_name[:300],
        source_kind="text",
        number=parsed.header.number,
        symbol=parsed.header.symbol,
        place=parsed.header.place,
        issued_on=parsed.header.issued_on,
        period_code=period_obj.code,
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
    session.add(report)
    session.flush()
    store_rows(
        session,
        report,
        period_obj.start.year,
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


def store_rows(
    session: Session,
    report: SteeringReport,
    year: int,
    tasks: Sequence[Task],
    models: Sequence[PilotModel],
    hanoi: Sequence[HanoiModel],
    services25: Sequence[EssentialService],
    services25_total: EssentialService | None,
    services28: Sequence[Service422],
    r175: Sequence[Resolution175Task],
    mismatches: Sequence[Mismatch],
    actor: Actor,
    source: str,
    evidence: dict[str, str] | None = None,
) -> None:
    """Upsert tasks and models (keeping history), and attach the period's figures to the report.

    `evidence` (by task code) comes with XLSX updates; an XLSX row carries no sub-tasks, so a task's
    sub-tasks are only replaced when the incoming task has some.
    """
    evidence = evidence or {}
    units: dict[str, SteeringUnit] = {}
    existing = {t.code: t for t in session.scalars(select(SteeringTask).where(SteeringTask.year == year))}
    for task in tasks:
        row = existing.get(task.code)
        values = {
            "seq": task.seq,
            "number": task.number,
            "group_code": task.group_code,
            "group_title": task.group_title[:300],
            "carried_over": task.carried_over,
            "content": task.content,
            "directing_document": task.directing_document,
            "responsible_unit": task.responsible_unit,
            "deadline_text": task.deadline_text[:300],
            "deadline_kind": task.deadline.kind.value,
            "due_date": task.deadline.due,
            "result": task.result,
            "status": task.status.value,
            "status_text": task.status_text[:80],
            "source_line": task.line,
        }
        if task.code in evidence:
            values["evidence"] = evidence[task.code]
        if row is None:
            row = SteeringTask(
                report_id=report.id, year=year, code=task.code, updated_by=actor.label, **values
            )
            session.add(row)
            session.flush()
            _change(session, "task", row.id, actor, source, {"status": [None, row.status]}, "")
        else:
            diff = {
                k: [getattr(row, k), v]
                for k, v in values.items()
                if k in ("status", "result", "evidence") and getattr(row, k) != v
            }
            for k, v in values.items():
                setattr(row, k, v)
            row.report_id = report.id
            if diff:
                row.version += 1
                row.updated_at, row.updated_by = utcnow(), actor.label
                _change(session, "task", row.id, actor, source, diff, "")
            if task.sub_tasks:
                session.execute(SteeringSubTask.__table__.delete().where(SteeringSubTask.task_id == row.id))
            session.execute(SteeringTaskUnit.__table__.delete().where(SteeringTaskUnit.task_id == row.id))
        for i, sub in enumerate(task.sub_tasks, start=1):
            session.add(
                SteeringSubTask(
                    task_id=row.id,
                    seq=i,
                    content=sub.content,
                    directing_document=sub.directing_document,
                    responsible_unit=sub.responsible_unit,
                    deadline_text=sub.deadline_text[:300],
                    due_date=sub.deadline.due,
                    result=sub.result,
                    note=sub.note,
                )
            )
        unit_ids = {_unit(session, name, units).id for name in responsible_units(task.responsible_unit)}
        for unit_id in sorted(unit_ids):
            session.add(SteeringTaskUnit(task_id=row.id, unit_id=unit_id))
    session.flush()

    existing_models = {m.number: m for m in session.scalars(select(SteeringModel))}
    for model in models:
        mrow = existing_models.get(model.number)
        mvalues = {
            "group_code": model.group_code,
            "group_title": model.group_title[:300],
            "name": model.name,
            "result": model.result,
            "difficulties": model.difficulties,
            "value": model.value,
            "funding": model.funding,
            "proposal": model.proposal,
            "state": model.state.value,
        }
        if mrow is None:
            mrow = SteeringModel(report_id=report.id, number=model.number, updated_by=actor.label, **mvalues)
            session.add(mrow)
            session.flush()
            _change(session, "model", mrow.id, actor, source, {"state": [None, mrow.state]}, "")
        else:
            diff = {
                k: [getattr(mrow, k), v]
                for k, v in mvalues.items()
                if k in ("state", "result") and getattr(mrow, k) != v
            }
            for k, v in mvalues.items():
                setattr(mrow, k, v)
            mrow.report_id = report.id
            if diff:
                mrow.version += 1
                mrow.updated_at, mrow.updated_by = utcnow(), actor.label
                _change(session, "model", mrow.id, actor, source, diff, "")

    for h in hanoi:
        session.add(
            SteeringHanoiModel(
                report_id=report.id,
                seq=h.seq,
                number=h.number,
                name=h.name,
                result=h.result,
                difficulties=h.difficulties,
                proposal=h.proposal,
                state=h.state.value,
            )
        )
    for s in [*services25, *([services25_total] if services25_total else [])]:
        session.add(
            SteeringService25(
                report_id=report.id,
                number=s.number,
                is_total_row=s is services25_total,
                name=s.name,
                total=s.total,
                online=s.online,
                rate=s.rate,
                rate_decimals=s.rate_decimals,
                on_time=s.on_time,
                overdue=s.overdue,
                difficulties=s.difficulties,
                note=s.note,
                source_line=s.line,
            )
        )
    for s28 in services28:
        session.add(
            SteeringService28(
                report_id=report.id,
                seq=s28.seq,
                number=s28.number,
                section=s28.section[:80],
                completed=s28.completed,
                name=s28.name,
                ministry=s28.ministry,
                local_agency=s28.local_agency,
                on_national_portal=s28.on_national_portal,
                provincial_status=s28.provincial_status,
                note=s28.note,
                result=s28.result,
            )
        )
    for r in r175:
        session.add(
            SteeringR175Task(
                report_id=report.id,
                number=r.number,
                lead_unit=r.lead_unit[:300],
                content=r.content,
                partner_units=r.partner_units,
                directing_document=r.directing_document,
                deadline_text=r.deadline_text[:300],
                due_date=r.deadline.due,
                completed=r.completed,
                result=r.result,
                cause=r.cause,
            )
        )
    for i, m in enumerate(mismatches, start=1):
        d = m.as_dict()
        session.add(
            SteeringMismatch(
                report_id=report.id,
                seq=i,
                check=m.check,
                appendix=m.appendix,
                row=(m.row or None) and m.row[:40],
                column=(m.column or None) and m.column[:120],
                stated=d["stated"],
                computed=d["computed"],
                difference=d["difference"],
                line=m.line,
                message_vi=m.message_vi,
                message_en=m.message_en,
            )
        )
    session.flush()
    session.expire_all()  # task-unit links were rewritten underneath loaded collections


def _change(
    session: Session, entity: str, entity_id: int, actor: Actor, source: str, changes: dict, comment: str
) -> None:
    session.add(
        SteeringChange(
            entity=entity,
            entity_id=entity_id,
            actor=actor.label,
            source=source,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
            comment=comment,
        )
    )


def outcome_of(session: Session, report: SteeringReport, already: bool) -> ImportOutcome:
    year = int(report.period_code[:4])
    counts = {
        "tasks": session.scalar(
            select(func.count()).select_from(SteeringTask).where(SteeringTask.report_id == report.id)
        )
        or 0,
        "tasks_in_year": session.scalar(
            select(func.count()).select_from(SteeringTask).where(SteeringTask.year == year)
        )
        or 0,
        "services25": session.scalar(
            select(func.count())
            .select_from(SteeringService25)
            .where(SteeringService25.report_id == report.id, SteeringService25.is_total_row.is_(False))
        )
        or 0,
        "services28": session.scalar(
            select(func.count())
            .select_from(SteeringService28)
            .where(SteeringService28.report_id == report.id)
        )
        or 0,
        "models": session.scalar(
            select(func.count()).select_from(SteeringModel).where(SteeringModel.report_id == report.id)
        )
        or 0,
        "hanoi_models": session.scalar(
            select(func.count())
            .select_from(SteeringHanoiModel)
            .where(SteeringHanoiModel.report_id == report.id)
        )
        or 0,
        "r175_tasks": session.scalar(
            select(func.count()).select_from(SteeringR175Task).where(SteeringR175Task.report_id == report.id)
        )
        or 0,
    }
    status_counts = Counter(
        session.scalars(select(SteeringTask.status).where(SteeringTask.report_id == report.id))
    )
    counts.update({f"tasks_{s.value}": status_counts.get(s.value, 0) for s in TaskStatus})
    stated = {k: v["value"] for k, v in json.loads(report.stated_figures or "{}").items()}
    problems = [ImportProblem(**p) for p in json.loads(report.problems or "[]")]
    return ImportOutcome(
        report.id,
        report.reference,
        report.period_code,
        already,
        counts,
        stated,
        stored_mismatches(session, report.id),
        problems,
    )


def stored_mismatches(session: Session, report_id: int | None = None) -> list[Mismatch]:
    """The mismatches found when the report was imported (the latest report by default)."""
    if report_id is None:
        latest = latest_report(session)
        if latest is None:
            return []
        report_id = latest.id
    rows = session.scalars(
        select(SteeringMismatch).where(SteeringMismatch.report_id == report_id).order_by(SteeringMismatch.seq)
    )
    return [
        Mismatch(
            r.check,
            r.appendix,
            r.row,
            r.column,
            _dec(r.stated),
            _dec(r.computed),
            _dec(r.difference),
            r.message_vi,
            r.message_en,
            r.line,
        )
        for r in rows
    ]


def _dec(text: str | None) -> Decimal | str | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


def latest_report(session: Session, period_code: str | None = None) -> SteeringReport | None:
    """The report of the latest period (the last imported one within a period)."""
    stmt = select(SteeringReport)
    if period_code:
        stmt = stmt.where(SteeringReport.period_code == period_code)
    reports = list(session.scalars(stmt))
    if not reports:
        return None
    return max(reports, key=lambda r: (parse_period(r.period_code).end, r.id))


def list_reports(session: Session) -> list[SteeringReport]:
    return list(session.scalars(select(SteeringReport).order_by(SteeringReport.id.desc())))


# --------------------------------------------------------------------------- tasks as living data


def can_update_task(session: Session, actor: Actor | None, task: SteeringTask) -> bool:
    """Admins, and the focal points of one of the task's units."""
    if actor is None or actor.kind not in ("official", "system"):
        return False
    if actor.kind == "system" or actor.role == "admin":
        return True
    mine = {u.id for u in units_of(session, actor.id)}
    return any(u.id in mine for u in task.units)


def get_task(session: Session, task_id: int) -> SteeringTask:
    task = session.get(SteeringTask, task_id)
    if task is None:
        raise not_found("nhiệm vụ", "task")
    return task


def update_task(
    session: Session,
    task_id: int,
    *,
    actor: Actor,
    status: str | None = None,
    result: str | None = None,
    evidence: str | None = None,
    comment: str = "",
    expected_version: int | None = None,
    source: str = "web",
) -> SteeringTask:
    """A unit reports progress on one of its tasks; the change is kept with who, when and why."""
    task = get_task(session, task_id)
    if not can_update_task(session, actor, task):
        raise Forbidden(
            "steering.not_your_task",
            "Nhiệm vụ này không thuộc đơn vị của bạn.",
            "This task is not assigned to your unit.",
        )
    if expected_version is not None and expected_version != task.version:
        raise Conflict(
            "steering.stale",
            "Nhiệm vụ vừa được người khác cập nhật; vui lòng tải lại trang.",
            "Someone else has just updated this task; please reload the page.",
        )
    changes: dict[str, list[object]] = {}
    if status is not None:
        try:
            new_status = TaskStatus(status)
        except ValueError:
            raise InvalidInput(
                "steering.status",
                f"Tình trạng “{status}” không hợp lệ.",
                f"Unknown status “{status}”.",
            ) from None
        if new_status.value != task.status:
            changes["status"] = [task.status, new_status.value]
            task.status = new_status.value
            from hue06.steering.importers import TASK_STATUS_LABELS

            task.status_text = TASK_STATUS_LABELS[new_status][0]
    for name, value in (("result", result), ("evidence", evidence)):
        if value is not None:
            value = unicodedata.normalize("NFC", value.strip())
            if value != getattr(task, name):
                changes[name] = [getattr(task, name), value]
                setattr(task, name, value)
    if not changes and not comment:
        return task
    task.version += 1
    task.updated_at, task.updated_by = utcnow(), actor.label
    _change(session, "task", task.id, actor, source, changes, comment.strip())
    audit.record(
        session,
        actor,
        "steering.task_updated",
        "steering_task",
        f"{task.year}/{task.code}",
        {"fields": sorted(changes)},
    )
    session.flush()
    return task


def update_model(
    session: Session,
    model_id: int,
    *,
    actor: Actor,
    state: str | None = None,
    result: str | None = None,
    comment: str = "",
    source: str = "web",
) -> SteeringModel:
    """Model states are set by the secretariat (admins) as units report."""
    model = session.get(SteeringModel, model_id)
    if model is None:
        raise not_found("mô hình", "model")
    if actor.kind != "system" and actor.role != "admin":
        raise Forbidden(
            "steering.model_admin",
            "Chỉ tổ giúp việc (quản trị) cập nhật tình trạng mô hình.",
            "Only the secretariat (admins) update a model's state.",
        )
    changes: dict[str, list[object]] = {}
    if state is not None:
        try:
            new = ModelState(state)
        except ValueError:
            raise InvalidInput(
                "steering.model_state", f"Tình trạng “{state}” không hợp lệ.", f"Unknown state “{state}”."
            ) from None
        if new.value != model.state:
            changes["state"] = [model.state, new.value]
            model.state = new.value
    if result is not None and result.strip() != model.result:
        changes["result"] = [model.result, result.strip()]
        model.result = result.strip()
    if changes or comment:
        model.version += 1
        model.updated_at, model.updated_by = utcnow(), actor.label
        _change(session, "model", model.id, actor, source, changes, comment)
        audit.record(
            session,
            actor,
            "steering.model_updated",
            "steering_model",
            model.number,
            {"fields": sorted(changes)},
        )
    return model


def list_models(session: Session) -> list[SteeringModel]:
    return list(session.scalars(select(SteeringModel).order_by(SteeringModel.number)))


def history(session: Session, entity: str, entity_id: int) -> list[SteeringChange]:
    stmt = (
        select(SteeringChange)
        .where(SteeringChange.entity == entity, SteeringChange.entity_id == entity_id)
        .order_by(SteeringChange.at.desc(), SteeringChange.id.desc())
    )
    return list(session.scalars(stmt))


def task_is_overdue(task: SteeringTask, today: date) -> bool:
    return (
        task.status in (TaskStatus.IN_PROGRESS.value, TaskStatus.BEHIND.value)
        and task.due_date is not None
        and task.due_date < today
    )


@dataclass
class TaskFilter:
    year: int | None = None
    status: str | None = None
    group: str | None = None
    unit_id: int | None = None
    overdue_on: date | None = None  # only tasks overdue on this day
    q: str | None = None


def list_tasks(session: Session, flt: TaskFilter | None = None) -> list[SteeringTask]:
    flt = flt or TaskFilter()
    stmt = select(SteeringTask)
    if flt.year:
        stmt = stmt.where(SteeringTask.year == flt.year)
    if flt.status:
        stmt = stmt.where(SteeringTask.status == flt.status)
    if flt.group:
        stmt = stmt.where(SteeringTask.group_code == flt.group)
    if flt.unit_id:
        stmt = stmt.where(
            SteeringTask.id.in_(
                select(SteeringTaskUnit.task_id).where(SteeringTaskUnit.unit_id == flt.unit_id)
            )
        )
    if flt.overdue_on:
        stmt = stmt.where(
            SteeringTask.status.in_([TaskStatus.IN_PROGRESS.value, TaskStatus.BEHIND.value]),
            SteeringTask.due_date.is_not(None),
            SteeringTask.due_date < flt.overdue_on,
        )
    tasks = list(session.scalars(stmt.order_by(SteeringTask.year, SteeringTask.seq)))
    if flt.q:
        key = fold(flt.q)
        tasks = [t for t in tasks if key in fold(f"{t.code} {t.content} {t.responsible_unit}")]
    return tasks


def current_year(session: Session) -> int | None:
    return session.scalar(select(func.max(SteeringTask.year)))


# --------------------------------------------------------------------------- dashboard


@dataclass
class Dashboard:
    today: date
    year: int | None
    total: int
    by_status: dict[str, int]
    by_group: list[tuple[str, str, dict[str, int]]]  # (code, title, {status: n})
    by_unit: list[tuple[int, str, int, int, int]]  # (unit id, name, tasks, done, overdue)
    overdue: list[SteeringTask]
    models_by_group: list[tuple[str, str, dict[str, int]]]
    models_by_state: dict[str, int]
    services: dict[str, object]
    report: SteeringReport | None
    mismatch_count: int
    groups: list[tuple[str, str]] = field(default_factory=list)


def dashboard(session: Session, today: date, flt: TaskFilter | None = None) -> Dashboard:
    """Leaders' figures, all computed from the rows."""
    flt = flt or TaskFilter()
    if flt.year is None:
        flt.year = current_year(session)
    tasks = list_tasks(session, flt)
    by_status = {s.value: 0 for s in TaskStatus}
    for t in tasks:
        by_status[t.status] = by_status.get(t.status, 0) + 1
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for t in tasks:
        counts = groups.setdefault((t.group_code, t.group_title), {s.value: 0 for s in TaskStatus})
        counts[t.status] += 1
    per_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[int, str] = {}
    for t in tasks:
        for u in t.units:
            names[u.id] = u.name
            per_unit[u.id][0] += 1
            per_unit[u.id][1] += t.status in (TaskStatus.COMPLETED.value,)
            per_unit[u.id][2] += task_is_overdue(t, today)
    by_unit = sorted(((uid, names[uid], *v) for uid, v in per_unit.items()), key=lambda x: (-x[2], x[1]))
    overdue = [t for t in tasks if task_is_overdue(t, today)]
    overdue.sort(key=lambda t: (t.due_date or today, t.seq))

    models = list(session.scalars(select(SteeringModel).order_by(SteeringModel.number)))
    models_by_state = Counter(m.state for m in models)
    mgroups: dict[tuple[str, str], dict[str, int]] = {}
    for m in models:
        counts = mgroups.setdefault(
            (m.group_code, m.group_title), {s.value: 0 for s in ModelState if s is not ModelState.STUDYING}
        )
        counts[m.state] = counts.get(m.state, 0) + 1

    report = latest_report(session)
    services: dict[str, object] = {}
    if report is not None:
        rows = list(
            session.scalars(
                select(SteeringService25)
                .where(SteeringService25.report_id == report.id, SteeringService25.is_total_row.is_(False))
                .order_by(SteeringService25.number)
            )
        )
        counted = [r for r in rows if r.total is not None]
        total = sum(r.total or 0 for r in counted)
        online = sum(r.online or 0 for r in counted)
        services = {
            "rows": rows,
            "total": total,
            "online": online,
            "on_time": sum(r.on_time or 0 for r in counted),
            "overdue": sum(r.overdue or 0 for r in counted),
            "rate": rate_of(online, total, 2) if total else None,
            "s28_total": session.scalar(
                select(func.count())
                .select_from(SteeringService28)
                .where(SteeringService28.report_id == report.id)
            )
            or 0,
            "s28_integrated": session.scalar(
                select(func.count())
                .select_from(SteeringService28)
                .where(
                    SteeringService28.report_id == report.id, SteeringService28.on_national_portal.is_(True)
                )
            )
            or 0,
        }
    mismatch_count = 0
    if report is not None:
        mismatch_count = (
            session.scalar(
                select(func.count())
                .select_from(SteeringMismatch)
                .where(SteeringMismatch.report_id == report.id)
            )
            or 0
        )
    all_groups = sorted(
        {(t.group_code, t.group_title) for t in list_tasks(session, TaskFilter(year=flt.year))},
        key=lambda g: _roman_key(g[0]),
    )
    return Dashboard(
        today=today,
        year=flt.year,
        total=len(tasks),
        by_status=by_status,
        by_group=[
            (c, t, v) for (c, t), v in sorted(groups.items(), key=lambda kv: _group_order(tasks, kv[0]))
        ],
        by_unit=by_unit,
        overdue=overdue,
        models_by_group=[(c, t, v) for (c, t), v in mgroups.items()],
        models_by_state=dict(models_by_state),
        services=services,
        report=report,
        mismatch_count=mismatch_count,
        groups=all_groups,
    )


def _roman_key(code: str) -> int:
    from hue06.steering.importers import roman_value

    return roman_value(code) or 0


def _group_order(tasks: Sequence[SteeringTask], key: tuple[str, str]) -> int:
    return min((t.seq for t in tasks if (t.group_code, t.group_title) == key), default=0)


# --------------------------------------------------------------------------- report generation


def _deadline_of(text: str) -> Deadline:
    try:
        return parse_deadline(text)
    except DeadlineError:
        return Deadline(text, DeadlineKind.NONE)


def _task_dc(row: SteeringTask) -> Task:
    return Task(
        seq=row.seq,
        code=row.code,
        number=row.number,
        group_code=row.group_code,
        group_title=row.group_title,
        carried_over=row.carried_over,
        content=row.content,
        directing_document=row.directing_document,
        responsible_unit=row.responsible_unit,
        deadline_text=row.deadline_text,
        deadline=_deadline_of(row.deadline_text),
        result=row.result,
        status=TaskStatus(row.status),
        status_text=row.status_text,
        line=row.source_line or 0,
        sub_tasks=[
            SubTask(
                s.content,
                s.directing_document,
                s.responsible_unit,
                s.deadline_text,
                _deadline_of(s.deadline_text),
                s.result,
                s.note,
                0,
            )
            for s in row.sub_tasks
        ],
    )


def report_data(session: Session, period: ReportPeriod, data_as_of: date) -> ReportData:
    """The rows of the period: current tasks and models, the period's service figures and mismatches."""
    tasks = [_task_dc(t) for t in list_tasks(session, TaskFilter(year=period.start.year))]
    models = [
        PilotModel(
            m.number,
            m.group_code,
            m.group_title,
            m.name,
            m.result,
            m.difficulties,
            m.value,
            m.funding,
            m.proposal,
            ModelState(m.state),
            0,
        )
        for m in session.scalars(select(SteeringModel).order_by(SteeringModel.number))
    ]
    report = latest_report(session, period.code) or latest_report(session)
    services25: list[EssentialService] = []
    services28: list[Service422] = []
    hanoi: list[HanoiModel] = []
    r175: list[Resolution175Task] = []
    mismatches: list[Mismatch] = []
    source = "Dữ liệu theo dõi Đề án 06 trên hue06"
    if report is not None:
        for s in session.scalars(
            select(SteeringService25)
            .where(SteeringService25.report_id == report.id, SteeringService25.is_total_row.is_(False))
            .order_by(SteeringService25.number)
        ):
            services25.append(
                EssentialService(
                    s.number,
                    s.name,
                    s.total,
                    s.online,
                    s.rate,
                    s.rate_decimals,
                    s.on_time,
                    s.overdue,
                    s.difficulties,
                    s.note,
                    s.source_line or 0,
                )
            )
        for s in session.scalars(
            select(SteeringService28)
            .where(SteeringService28.report_id == report.id)
            .order_by(SteeringService28.seq)
        ):
            services28.append(
                Service422(
                    s.seq,
                    s.number,
                    s.section,
                    s.completed,
                    s.name,
                    s.ministry,
                    s.local_agency,
                    s.on_national_portal,
                    s.provincial_status,
                    s.note,
                    s.result,
                    0,
                )
            )
        for h in session.scalars(
            select(SteeringHanoiModel)
            .where(SteeringHanoiModel.report_id == report.id)
            .order_by(SteeringHanoiModel.seq)
        ):
            hanoi.append(
                HanoiModel(
                    h.seq, h.number, h.name, h.result, h.difficulties, h.proposal, ModelState(h.state), 0
                )
            )
        for r in session.scalars(
            select(SteeringR175Task)
            .where(SteeringR175Task.report_id == report.id)
            .order_by(SteeringR175Task.number)
        ):
            r175.append(
                Resolution175Task(
                    r.number,
                    r.lead_unit,
                    r.content,
                    r.partner_units,
                    r.directing_document,
                    r.deadline_text,
                    _deadline_of(r.deadline_text),
                    r.completed,
                    r.result,
                    r.cause,
                    0,
                )
            )
        mismatches = stored_mismatches(session, report.id)
        if report.reference and report.issued_on:
            source += (
                f"; số liệu dịch vụ công theo Báo cáo số {report.reference} ngày {report.issued_on:%d/%m/%Y}"
            )
    stated: dict[str, str] = {}
    stated_source = ""
    if report is not None and report.period_code == period.code:
        stated = {k: v["value"] for k, v in json.loads(report.stated_figures or "{}").items()}
        if report.reference and report.issued_on:
            stated_source = f"Báo cáo số {report.reference} ngày {report.issued_on:%d/%m/%Y}"
    return ReportData(
        tasks,
        services25,
        services28,
        models,
        hanoi,
        r175,
        data_as_of,
        source,
        mismatches,
        stated,
        stated_source or "báo cáo đã nhập",
    )


def report_meta(
    session: Session, period: ReportPeriod, issued_on: date, number: str | None = None
) -> ReportMeta:
    """Header, signer and recipients: the last imported report's, or the province's defaults."""
    meta = ReportMeta(issued_on=issued_on, number=number)
    last = latest_report(session)
    if last is not None:
        if last.symbol:
            meta.symbol = last.symbol
        if last.place:
            meta.place = last.place
        authority = json.loads(last.signer_authority or "[]")
        if authority:
            meta.signer_authority = authority[:-1] if len(authority) > 1 else authority
            meta.signer_title = authority[-1] if len(authority) > 1 else ""
        meta.signer_name = last.signer_name or ""
        recipients = json.loads(last.recipients or "[]")
        if recipients:
            meta.recipients = recipients
    return meta


FigureFactory = Callable[[Session], ExternalFigures]
_FIGURE_FACTORIES: list[FigureFactory] = []


def register_figures(factory: FigureFactory) -> None:
    """Let another module's figures (register, e-ID, verification, dossiers, lodging) into the report.

    The integrator registers one factory per module where the app and the CLI are assembled; the
    factory gets the session and returns an `ExternalFigures` that calls that module's service.
    """
    if factory not in _FIGURE_FACTORIES:
        _FIGURE_FACTORIES.append(factory)


def _platform_figures(session: Session) -> ExternalFigures:
    """hue06's own modules (register, e-ID, verification, dossiers), always wired."""
    from hue06.steering.figures import PlatformFigures

    return PlatformFigures(session)


register_figures(_platform_figures)


@dataclass
class _Combined:
    providers: list[ExternalFigures]

    def figures(self, period: ReportPeriod) -> list[Figure]:
        return [fig for p in self.providers for fig in p.figures(period)]


def external_figures(session: Session) -> ExternalFigures | None:
    """All registered providers as one, or None when nothing is wired."""
    if not _FIGURE_FACTORIES:
        return None
    return _Combined([factory(session) for factory in _FIGURE_FACTORIES])


@dataclass
class GeneratedReport:
    document: ReportDocument
    docx: bytes
    pdf: bytes | None


def generate_report(
    session: Session,
    period_code: str,
    *,
    issued_on: date,
    number: str | None = None,
    external: ExternalFigures | None = None,
    with_pdf: bool = True,
    actor: Actor = SYSTEM,
) -> GeneratedReport:
    """Build the period's report from the database and render it as DOCX (and PDF)."""
    period = parse_period(period_code)
    if current_year(session) is None:
        raise InvalidInput(
            "steering.no_data",
            "Chưa có dữ liệu nhiệm vụ; hãy nhập báo cáo trước.",
            "There are no tasks yet; import a report first.",
        )
    data = report_data(session, period, issued_on)
    meta = report_meta(session, period, issued_on, number)
    document = build_report(data, meta, period, external)
    docx = render_docx(document)
    pdf = render_pdf(document) if with_pdf else None
    audit.record(
        session,
        actor,
        "steering.report_generated",
        "steering_period",
        period.code,
        {"pdf": with_pdf, "tasks": len(data.tasks)},
    )
    return GeneratedReport(document, docx, pdf)


def open_tasks_of_unit(session: Session, unit_id: int, year: int | None = None) -> list[SteeringTask]:
    return [
        t
        for t in list_tasks(session, TaskFilter(year=year or current_year(session), unit_id=unit_id))
        if is_open(_task_dc(t))
    ]
