"""JSON shapes of the steering API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str


class TaskOut(BaseModel):
    id: int
    year: int
    code: str = Field(description="'I.3' for a task carried over, '87' for a task of the year")
    group_code: str
    group_title: str
    carried_over: bool
    content: str
    directing_document: str
    responsible_unit: str
    units: list[UnitOut]
    deadline_text: str
    deadline_kind: str
    due_date: date | None
    status: str = Field(description="completed, recurring, in_progress or behind")
    overdue: bool
    result: str
    evidence: str
    version: int
    updated_at: datetime
    updated_by: str


class TaskUpdate(BaseModel):
    status: str | None = Field(None, description="completed, recurring, in_progress or behind")
    result: str | None = None
    evidence: str | None = None
    comment: str = ""
    version: int | None = Field(None, description="The version read; a stale one answers 409")


class ChangeOut(BaseModel):
    at: datetime
    actor: str
    source: str
    changes: dict[str, list[object]]
    comment: str


class TaskDetail(TaskOut):
    history: list[ChangeOut]


class GroupCount(BaseModel):
    code: str
    title: str
    by_status: dict[str, int]


class UnitCount(BaseModel):
    unit_id: int
    name: str
    tasks: int
    completed: int
    overdue: int


class ServicesOut(BaseModel):
    total: int
    online: int
    on_time: int
    overdue: int
    rate: float | None
    s28_total: int
    s28_integrated: int


class DashboardOut(BaseModel):
    today: date
    year: int | None
    total: int
    by_status: dict[str, int]
    by_group: list[GroupCount]
    by_unit: list[UnitCount]
    overdue: list[str] = Field(description="codes of the overdue tasks, earliest deadline first")
    models_by_state: dict[str, int]
    services: ServicesOut | None
    mismatches: int


class MismatchOut(BaseModel):
    check: str
    appendix: str
    row: str | None
    column: str | None
    line: int | None
    stated: str | None
    computed: str | None
    difference: str | None
    message_vi: str
    message_en: str


class ModelOut(BaseModel):
    id: int
    number: int
    group_code: str
    group_title: str
    name: str
    state: str
    result: str


class ModelUpdate(BaseModel):
    state: str | None = Field(None, description="not_started, deployed, in_progress or completed")
    result: str | None = None
    comment: str = ""
