"""Steering JSON API: tasks, a task's update, the dashboard's figures, mismatches, units, models."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Depends, File, Query, UploadFile
from sqlalchemy.orm import Session

from hue06.core.security import Actor
from hue06.steering import service
from hue06.steering.models import SteeringTask
from hue06.steering.schemas import (
    ChangeOut,
    DashboardOut,
    GroupCount,
    MismatchOut,
    ModelOut,
    ModelUpdate,
    ServicesOut,
    TaskDetail,
    TaskOut,
    TaskUpdate,
    UnitCount,
    UnitOut,
)
from hue06.web.deps import official, require_role
from hue06.web.transaction import db

router = APIRouter(prefix="/api/v1/steering", tags=["steering"])


def _task_out(task: SteeringTask, today: date) -> TaskOut:
    return TaskOut(
        id=task.id,
        year=task.year,
        code=task.code,
        group_code=task.group_code,
        group_title=task.group_title,
        carried_over=task.carried_over,
        content=task.content,
        directing_document=task.directing_document,
        responsible_unit=task.responsible_unit,
        units=[UnitOut(id=u.id, code=u.code, name=u.name, kind=u.kind) for u in task.units],
        deadline_text=task.deadline_text,
        deadline_kind=task.deadline_kind,
        due_date=task.due_date,
        status=task.status,
        overdue=service.task_is_overdue(task, today),
        result=task.result,
        evidence=task.evidence,
        version=task.version,
        updated_at=task.updated_at,
        updated_by=task.updated_by,
    )


@router.get("/tasks", response_model=list[TaskOut])
def list_tasks(
    year: int | None = None,
    status: str | None = None,
    group: str | None = None,
    unit: int | None = None,
    overdue: bool = False,
    q: str | None = Query(None, max_length=200),
    today: date | None = None,
    session: Session = Depends(db),
    who: Actor = Depends(official),
) -> list[TaskOut]:
    day = today or date.today()
    flt = service.TaskFilter(
        year=year, status=status, group=group, unit_id=unit, q=q, overdue_on=day if overdue else None
    )
    return [_task_out(t, day) for t in service.list_tasks(session, flt)]


def _detail(session: Session, task: SteeringTask, today: date) -> TaskDetail:
    history = [
        ChangeOut(
            at=c.at, actor=c.actor, source=c.source, changes=json.loads(c.changes or "{}"), comment=c.comment
        )
        for c in service.history(session, "task", task.id)
    ]
    return TaskDetail(**_task_out(task, today).model_dump(), history=history)


@router.get("/tasks/{task_id}", response_model=TaskDetail)
def get_task(task_id: int, session: Session = Depends(db), who: Actor = Depends(official)) -> TaskDetail:
    return _detail(session, service.get_task(session, task_id), date.today())


@router.patch("/tasks/{task_id}", response_model=TaskDetail)
def update_task(
    task_id: int, body: TaskUpdate, session: Session = Depends(db), who: Actor = Depends(official)
) -> TaskDetail:
    task = service.update_task(
        session,
        task_id,
        actor=who,
        status=body.status,
        result=body.result,
        evidence=body.evidence,
        comment=body.comment,
        expected_version=body.version,
        source="api",
    )
    return _detail(session, task, date.today())


@router.get("/dashboard", response_model=DashboardOut)
def dashboard(
    year: int | None = None,
    today: date | None = None,
    session: Session = Depends(db),
    who: Actor = Depends(official),
) -> DashboardOut:
    dash = service.dashboard(session, today or date.today(), service.TaskFilter(year=year))
    services = None
    if dash.services:
        s = dash.services
        services = ServicesOut(
            total=int(s["total"]),
            online=int(s["online"]),
            on_time=int(s["on_time"]),  # type: ignore[call-overload]
            overdue=int(s["overdue"]),
            rate=float(s["rate"]) if s["rate"] is not None else None,  # type: ignore[call-overload, arg-type]
            s28_total=int(s["s28_total"]),
            s28_integrated=int(s["s28_integrated"]),
        )  # type: ignore[call-overload]
    return DashboardOut(
        today=dash.today,
        year=dash.year,
        total=dash.total,
        by_status=dash.by_status,
        by_group=[GroupCount(code=c, title=t, by_status=v) for c, t, v in dash.by_group],
        by_unit=[
            UnitCount(unit_id=u[0], name=u[1], tasks=u[2], completed=u[3], overdue=u[4]) for u in dash.by_unit
        ],
        overdue=[t.code for t in dash.overdue],
        models_by_state=dash.models_by_state,
        services=services,
        mismatches=dash.mismatch_count,
    )


@router.get("/mismatches", response_model=list[MismatchOut])
def mismatches(
    report: int | None = None, session: Session = Depends(db), who: Actor = Depends(official)
) -> list[MismatchOut]:
    return [MismatchOut(**m.as_dict()) for m in service.stored_mismatches(session, report)]  # type: ignore[arg-type]


@router.get("/units", response_model=list[UnitOut])
def units(session: Session = Depends(db), who: Actor = Depends(official)) -> list[UnitOut]:
    return [UnitOut(id=u.id, code=u.code, name=u.name, kind=u.kind) for u in service.list_units(session)]


@router.get("/models", response_model=list[ModelOut])
def models(session: Session = Depends(db), who: Actor = Depends(official)) -> list[ModelOut]:
    rows = service.list_models(session)
    return [
        ModelOut(
            id=m.id,
            number=m.number,
            group_code=m.group_code,
            group_title=m.group_title,
            name=m.name,
            state=m.state,
            result=m.result,
        )
        for m in rows
    ]


@router.patch("/models/{model_id}", response_model=ModelOut)
def update_model(
    model_id: int, body: ModelUpdate, session: Session = Depends(db), who: Actor = Depends(official)
) -> ModelOut:
    """The secretariat records a model's state as units report (admins only)."""
    m = service.update_model(
        session, model_id, actor=who, state=body.state, result=body.result, comment=body.comment, source="api"
    )
    return ModelOut(
        id=m.id,
        number=m.number,
        group_code=m.group_code,
        group_title=m.group_title,
        name=m.name,
        state=m.state,
        result=m.result,
    )


@router.post("/reports", status_code=201)
async def import_report(
    file: UploadFile = File(...),
    partial: bool = False,
    session: Session = Depends(db),
    who: Actor = Depends(require_role(*service.IMPORT_ROLES)),
) -> dict[str, object]:
    """Import a report's text; 422 with every problem (appendix, row, column) if it has errors."""
    data = await file.read()
    outcome = service.import_report(
        session, data, source_name=file.filename or "", partial=partial, actor=who
    )
    return outcome.as_dict()
