"""JSON shapes of the services API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProcedureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    essential_no: int | None
    name: str
    name_en: str
    field: str
    agency_code: str
    agency_name: str
    level: str
    assurance_level: int = Field(description="e-ID level (1 or 2) a citizen needs")
    time_limit: int
    time_unit: str = Field(description='"working" or "calendar" days')
    fee: int
    fee_rules: dict[str, Any]
    fee_note: str
    result_name: str
    components: list[dict[str, Any]]
    form_schema: dict[str, Any]
    active: bool
    version: int


class ProcedureUpdate(BaseModel):
    """Fields an administrator may change; `version` is the one the editor saw."""

    version: int
    name: str | None = None
    name_en: str | None = None
    field: str | None = None
    agency_code: str | None = None
    level: str | None = None
    assurance_level: int | None = None
    time_limit: int | None = None
    time_unit: str | None = None
    fee: int | None = None
    fee_rules: dict[str, Any] | None = None
    fee_note: str | None = None
    result_name: str | None = None
    components: list[dict[str, Any]] | None = None
    form_schema: dict[str, Any] | None = None
    active: bool | None = None


class DossierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str | None
    procedure_code: str
    status: str
    channel: str
    fee: int
    paid: bool
    submitted_at: datetime | None
    due_date: date | None = Field(description="Due date in working days; null while the clock is stopped")
    finished_at: datetime | None
    decision: str | None
    version: int


class OfficerAction(BaseModel):
    version: int
    note: str = ""


class ServiceRow(BaseModel):
    code: str
    name: str
    total: int
    online: int
    online_rate: float
    on_time: int
    overdue: int


class StatsOut(BaseModel):
    services: list[ServiceRow]
    totals: dict[str, Any]
    agencies: list[dict[str, Any]] = []
    communes: list[dict[str, Any]] = []
    indicators: dict[str, Any] = {}
