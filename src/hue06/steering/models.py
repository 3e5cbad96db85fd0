"""Steering tables: imported reports, units, tasks with their history, pilot models, service figures.

Tasks and models are living data: units update them between reports and every change is kept in
`steering_changes`. Service statistics, Resolution 175 tasks and mismatches belong to the report
they were imported from (a period's figures do not change after the period).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hue06.core.db import Base, UTCDateTime, utcnow


class SteeringReport(Base):
    """One imported report (text or XLSX): its header, what it states, and what the import noted."""

    __tablename__ = "steering_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source_name: Mapped[str] = mapped_column(String(300), default="")
    source_kind: Mapped[str] = mapped_column(String(10), default="text")  # "text" or "xlsx"
    number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    symbol: Mapped[str | None] = mapped_column(String(40), nullable=True)
    place: Mapped[str | None] = mapped_column(String(120), nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_code: Mapped[str] = mapped_column(String(10), index=True)  # "2024-H1"
    title: Mapped[str] = mapped_column(Text, default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_authority: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    recipients: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    stated_figures: Mapped[str] = mapped_column(Text, default="{}")  # JSON {key: {value, where, line}}
    problems: Mapped[str] = mapped_column(Text, default="[]")  # JSON: warnings and rows left out
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(120), default="")

    @property
    def reference(self) -> str | None:
        return f"{self.number}/{self.symbol}" if self.number and self.symbol else None


class SteeringUnit(Base):
    """A department, district, police or other body that tasks are assigned to."""

    __tablename__ = "steering_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)  # folded name, e.g. "so tu phap"
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(
        String(20), default="other"
    )  # department, district, police, collective, other


class SteeringUnitMember(Base):
    """An official who may update the tasks of a unit."""

    __tablename__ = "steering_unit_members"
    __table_args__ = (UniqueConstraint("unit_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("steering_units.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)


class SteeringTask(Base):
    __tablename__ = "steering_tasks"
    __table_args__ = (UniqueConstraint("year", "code"), Index("ix_steering_tasks_status", "year", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))  # "I.3" (carried over) or "87"
    number: Mapped[int] = mapped_column(Integer)
    group_code: Mapped[str] = mapped_column(String(10))
    group_title: Mapped[str] = mapped_column(String(300))
    carried_over: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[str] = mapped_column(Text)
    directing_document: Mapped[str] = mapped_column(Text, default="")
    responsible_unit: Mapped[str] = mapped_column(Text, default="")
    deadline_text: Mapped[str] = mapped_column(String(300), default="")
    deadline_kind: Mapped[str] = mapped_column(String(12))
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    result: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))
    status_text: Mapped[str] = mapped_column(String(80), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    source_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")

    sub_tasks: Mapped[list[SteeringSubTask]] = relationship(order_by="SteeringSubTask.seq", lazy="selectin")
    units: Mapped[list[SteeringUnit]] = relationship(
        secondary="steering_task_units", lazy="selectin", order_by="SteeringUnit.name"
    )


class SteeringTaskUnit(Base):
    __tablename__ = "steering_task_units"

    task_id: Mapped[int] = mapped_column(ForeignKey("steering_tasks.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("steering_units.id"), primary_key=True, index=True)


class SteeringSubTask(Base):
    """An unnumbered row under a task in Appendix I (a sharper target from a later directive)."""

    __tablename__ = "steering_sub_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("steering_tasks.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    directing_document: Mapped[str] = mapped_column(Text, default="")
    responsible_unit: Mapped[str] = mapped_column(Text, default="")
    deadline_text: Mapped[str] = mapped_column(String(300), default="")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    result: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")


class SteeringChange(Base):
    """History of a task or model: who changed what, when, with what evidence."""

    __tablename__ = "steering_changes"
    __table_args__ = (Index("ix_steering_changes_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(10))  # "task" or "model"
    entity_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20))  # "import", "web", "api", "xlsx"
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: [before, after]}
    comment: Mapped[str] = mapped_column(Text, default="")


class SteeringModel(Base):
    """A pilot model of the province's plan (Appendix IV)."""

    __tablename__ = "steering_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    group_code: Mapped[str] = mapped_column(String(10))
    group_title: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[str] = mapped_column(Text, default="")
    funding: Mapped[str] = mapped_column(Text, default="")
    proposal: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class SteeringHanoiModel(Base):
    """Appendix V: a model Hanoi deployed and what the province did with it."""

    __tablename__ = "steering_hanoi_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    proposal: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12))


class SteeringService25(Base):
    """Appendix II: one essential service's dossier counts for the report's period."""

    __tablename__ = "steering_services25"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None on the stated total row
    is_total_row: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(Text)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    online: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), nullable=True)  # percent, as written
    rate_decimals: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int | None] = mapped_column(Integer, nullable=True)
    overdue: Mapped[int | None] = mapped_column(Integer, nullable=True)
    difficulties: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source_line: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SteeringService28(Base):
    """Appendix III: one of the 28 services of Decision 422 and where it stands."""

    __tablename__ = "steering_services28"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(80), default="")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(Text)
    ministry: Mapped[str] = mapped_column(Text, default="")
    local_agency: Mapped[str] = mapped_column(Text, default="")
    on_national_portal: Mapped[bool] = mapped_column(Boolean, default=False)
    provincial_status: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")


class SteeringR175Task(Base):
    """Appendix VI: a task of Resolution 175/NQ-CP."""

    __tablename__ = "steering_r175_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    lead_unit: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[str] = mapped_column(Text)
    partner_units: Mapped[str] = mapped_column(Text, default="")
    directing_document: Mapped[str] = mapped_column(Text, default="")
    deadline_text: Mapped[str] = mapped_column(String(300), default="")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    result: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")


class SteeringMismatch(Base):
    """A figure of an imported report that does not add up, with where and by how much."""

    __tablename__ = "steering_mismatches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("steering_reports.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    check: Mapped[str] = mapped_column(String(40))
    appendix: Mapped[str] = mapped_column(String(10))
    row: Mapped[str | None] = mapped_column(String(40), nullable=True)
    column: Mapped[str | None] = mapped_column(String(120), nullable=True)
    stated: Mapped[str | None] = mapped_column(String(60), nullable=True)
    computed: Mapped[str | None] = mapped_column(String(60), nullable=True)
    difference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
