"""Store a read report's rows: tasks and models are upserted with their history, the period's
figures (services, Hanoi models, Resolution 175, mismatches) are attached to the report."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core.db import utcnow
from hue06.core.security import Actor
from hue06.steering.checks import Mismatch
from hue06.steering.models import (
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
)
from hue06.steering.service._common import record_change
from hue06.steering.service.units import responsible_units, unit_named
from hue06.steering.types import (
    EssentialService,
    HanoiModel,
    PilotModel,
    Resolution175Task,
    Service422,
    Task,
)


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
    _store_tasks(session, report, year, tasks, actor, source, evidence or {})
    _store_models(session, report, models, actor, source)
    _add_hanoi_models(session, report, hanoi)
    _add_services25(session, report, services25, services25_total)
    _add_services28(session, report, services28)
    _add_r175_tasks(session, report, r175)
    _add_mismatches(session, report, mismatches)
    session.flush()
    session.expire_all()  # task-unit links were rewritten underneath loaded collections


def _task_values(task: Task) -> dict[str, object]:
    return {
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


def _store_tasks(
    session: Session,
    report: SteeringReport,
    year: int,
    tasks: Sequence[Task],
    actor: Actor,
    source: str,
    evidence: dict[str, str],
) -> None:
    units: dict[str, SteeringUnit] = {}
    existing = {t.code: t for t in session.scalars(select(SteeringTask).where(SteeringTask.year == year))}
    for task in tasks:
        values = _task_values(task)
        if task.code in evidence:
            values["evidence"] = evidence[task.code]
        row = existing.get(task.code)
        if row is None:
            row = _add_task(session, report, year, task, values, actor, source)
        else:
            _update_task_row(session, report, row, task, values, actor, source)
        _add_sub_tasks(session, row, task)
        _link_units(session, row, task, units)
    session.flush()


def _add_task(
    session: Session,
    report: SteeringReport,
    year: int,
    task: Task,
    values: dict[str, object],
    actor: Actor,
    source: str,
) -> SteeringTask:
    row = SteeringTask(report_id=report.id, year=year, code=task.code, updated_by=actor.label, **values)
    session.add(row)
    session.flush()
    record_change(session, "task", row.id, actor, source, {"status": [None, row.status]}, "")
    return row


def _update_task_row(
    session: Session,
    report: SteeringReport,
    row: SteeringTask,
    task: Task,
    values: dict[str, object],
    actor: Actor,
    source: str,
) -> None:
    """A task seen before: a new version when its status, result or evidence changed."""
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
        record_change(session, "task", row.id, actor, source, diff, "")
    if task.sub_tasks:
        session.execute(SteeringSubTask.__table__.delete().where(SteeringSubTask.task_id == row.id))
    session.execute(SteeringTaskUnit.__table__.delete().where(SteeringTaskUnit.task_id == row.id))


def _add_sub_tasks(session: Session, row: SteeringTask, task: Task) -> None:
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


def _link_units(session: Session, row: SteeringTask, task: Task, units: dict[str, SteeringUnit]) -> None:
    unit_ids = {unit_named(session, name, units).id for name in responsible_units(task.responsible_unit)}
    for unit_id in sorted(unit_ids):
        session.add(SteeringTaskUnit(task_id=row.id, unit_id=unit_id))


def _store_models(
    session: Session, report: SteeringReport, models: Sequence[PilotModel], actor: Actor, source: str
) -> None:
    """Pilot models by number: a new version when their state or result changed."""
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
            record_change(session, "model", mrow.id, actor, source, {"state": [None, mrow.state]}, "")
            continue
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
            record_change(session, "model", mrow.id, actor, source, diff, "")


def _add_hanoi_models(session: Session, report: SteeringReport, hanoi: Sequence[HanoiModel]) -> None:
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


def _add_services25(
    session: Session,
    report: SteeringReport,
    services25: Sequence[EssentialService],
    total: EssentialService | None,
) -> None:
    for s in [*services25, *([total] if total else [])]:
        session.add(
            SteeringService25(
                report_id=report.id,
                number=s.number,
                is_total_row=s is total,
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


def _add_services28(session: Session, report: SteeringReport, services28: Sequence[Service422]) -> None:
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


def _add_r175_tasks(session: Session, report: SteeringReport, r175: Sequence[Resolution175Task]) -> None:
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


def _add_mismatches(session: Session, report: SteeringReport, mismatches: Sequence[Mismatch]) -> None:
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
