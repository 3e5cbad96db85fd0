"""Imported reports as stored: the latest one of a period, the list, the mismatches found in each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.steering.checks import Mismatch
from hue06.steering.models import SteeringMismatch, SteeringReport
from hue06.steering.report import parse_period
from hue06.steering.types import ImportProblem


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


@dataclass
class ReportMismatches:
    reports: list[SteeringReport]
    report: SteeringReport | None  # the one asked for, or the last imported
    items: list[Mismatch]
    problems: list[ImportProblem]  # what its import could not read, or read with an assumption


def mismatches_of(session: Session, chosen: str = "") -> ReportMismatches:
    """One imported report's mismatches and import problems (`chosen` is its id; the last by default)."""
    reports = list_reports(session)
    report = next((r for r in reports if str(r.id) == chosen), reports[0] if reports else None)
    if report is None:
        return ReportMismatches(reports, None, [], [])
    problems = [ImportProblem(**p) for p in json.loads(report.problems)]
    return ReportMismatches(reports, report, stored_mismatches(session, report.id), problems)
