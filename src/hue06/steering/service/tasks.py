"""Tasks and models as living data: units report progress, the secretariat sets model states.

Every change is kept in `steering_changes` (who, when, from where, why) and in the audit log.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.core.text import fold
from hue06.steering.models import SteeringChange, SteeringModel, SteeringTask, SteeringTaskUnit
from hue06.steering.report import is_open
from hue06.steering.service._common import record_change, task_of_row
from hue06.steering.service.units import units_of
from hue06.steering.types import TASK_STATUS_LABELS, ModelState, TaskStatus


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


def _check_may_update(
    session: Session, actor: Actor, task: SteeringTask, expected_version: int | None
) -> None:
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


def _task_status(status: str) -> TaskStatus:
    try:
        return TaskStatus(status)
    except ValueError:
        raise InvalidInput(
            "steering.status",
            f"Tình trạng “{status}” không hợp lệ.",
            f"Unknown status “{status}”.",
        ) from None


def task_form_problems(task: SteeringTask, status: str, evidence: str) -> dict[str, str]:
    """What the update form must say before anything is saved (by field, in Vietnamese: the page
    translates): a status is chosen, and a completed task says what shows it is done."""
    problems: dict[str, str] = {}
    if status not in {s.value for s in TaskStatus}:
        problems["status"] = "Chọn tình trạng thực hiện"
    if status == TaskStatus.COMPLETED.value and not (evidence.strip() or task.evidence):
        problems["evidence"] = "Ghi căn cứ hoàn thành (số văn bản, đường dẫn)"
    return problems


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
    _check_may_update(session, actor, task, expected_version)
    changes: dict[str, list[object]] = {}
    if status is not None:
        new_status = _task_status(status)
        if new_status.value != task.status:
            changes["status"] = [task.status, new_status.value]
            task.status = new_status.value
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
    record_change(session, "task", task.id, actor, source, changes, comment.strip())
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
        record_change(session, "model", model.id, actor, source, changes, comment)
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


def open_tasks_of_unit(session: Session, unit_id: int, year: int | None = None) -> list[SteeringTask]:
    return [
        t
        for t in list_tasks(session, TaskFilter(year=year or current_year(session), unit_id=unit_id))
        if is_open(task_of_row(t))
    ]
