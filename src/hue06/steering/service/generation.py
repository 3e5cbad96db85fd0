"""Generate the periodic report from the database: the period's rows, the header of the last
imported report, the platform's own figures, rendered as DOCX (and PDF)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.errors import InvalidInput
from hue06.core.security import SYSTEM, Actor
from hue06.steering.figures import PlatformFigures
from hue06.steering.models import (
    SteeringHanoiModel,
    SteeringModel,
    SteeringR175Task,
    SteeringReport,
    SteeringService25,
    SteeringService28,
)
from hue06.steering.report import (
    ExternalFigures,
    Figure,
    ReportData,
    ReportDocument,
    ReportMeta,
    ReportPeriod,
    build_report,
    parse_period,
    render_docx,
    render_pdf,
)
from hue06.steering.service._common import deadline_of, stated_values, task_of_row
from hue06.steering.service.reports import latest_report, stored_mismatches
from hue06.steering.service.tasks import TaskFilter, current_year, list_tasks
from hue06.steering.types import (
    EssentialService,
    HanoiModel,
    ModelState,
    PilotModel,
    Resolution175Task,
    Service422,
)

_OWN_SOURCE = "Dữ liệu theo dõi Đề án 06 trên hue06"


def report_data(session: Session, period: ReportPeriod, data_as_of: date) -> ReportData:
    """The rows of the period: current tasks and models, the period's service figures and mismatches."""
    tasks = [task_of_row(t) for t in list_tasks(session, TaskFilter(year=period.start.year))]
    models = _pilot_models(session)
    report = latest_report(session, period.code) or latest_report(session)
    stated: dict[str, str] = {}
    stated_source = ""
    if report is not None and report.period_code == period.code:
        stated = stated_values(report)
        if report.reference and report.issued_on:
            stated_source = f"Báo cáo số {report.reference} ngày {report.issued_on:%d/%m/%Y}"
    return ReportData(
        tasks,
        _services25(session, report) if report is not None else [],
        _services28(session, report) if report is not None else [],
        models,
        _hanoi_models(session, report) if report is not None else [],
        _r175_tasks(session, report) if report is not None else [],
        data_as_of,
        _source_note(report),
        stored_mismatches(session, report.id) if report is not None else [],
        stated,
        stated_source or "báo cáo đã nhập",
    )


def _source_note(report: SteeringReport | None) -> str:
    """Where the report's figures come from: hue06's rows, and the imported report for the services."""
    source = _OWN_SOURCE
    if report is not None and report.reference and report.issued_on:
        source += (
            f"; số liệu dịch vụ công theo Báo cáo số {report.reference} ngày {report.issued_on:%d/%m/%Y}"
        )
    return source


def _pilot_models(session: Session) -> list[PilotModel]:
    return [
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


def _services25(session: Session, report: SteeringReport) -> list[EssentialService]:
    return [
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
        for s in session.scalars(
            select(SteeringService25)
            .where(SteeringService25.report_id == report.id, SteeringService25.is_total_row.is_(False))
            .order_by(SteeringService25.number)
        )
    ]


def _services28(session: Session, report: SteeringReport) -> list[Service422]:
    return [
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
        for s in session.scalars(
            select(SteeringService28)
            .where(SteeringService28.report_id == report.id)
            .order_by(SteeringService28.seq)
        )
    ]


def _hanoi_models(session: Session, report: SteeringReport) -> list[HanoiModel]:
    return [
        HanoiModel(h.seq, h.number, h.name, h.result, h.difficulties, h.proposal, ModelState(h.state), 0)
        for h in session.scalars(
            select(SteeringHanoiModel)
            .where(SteeringHanoiModel.report_id == report.id)
            .order_by(SteeringHanoiModel.seq)
        )
    ]


def _r175_tasks(session: Session, report: SteeringReport) -> list[Resolution175Task]:
    return [
        Resolution175Task(
            r.number,
            r.lead_unit,
            r.content,
            r.partner_units,
            r.directing_document,
            r.deadline_text,
            deadline_of(r.deadline_text),
            r.completed,
            r.result,
            r.cause,
            0,
        )
        for r in session.scalars(
            select(SteeringR175Task)
            .where(SteeringR175Task.report_id == report.id)
            .order_by(SteeringR175Task.number)
        )
    ]


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
