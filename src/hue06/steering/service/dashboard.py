"""The leaders' dashboard: every figure computed from the rows, none typed in."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.steering.checks import rate_of
from hue06.steering.importers import roman_value
from hue06.steering.models import (
    SteeringMismatch,
    SteeringModel,
    SteeringReport,
    SteeringService25,
    SteeringService28,
    SteeringTask,
)
from hue06.steering.service.reports import latest_report
from hue06.steering.service.tasks import TaskFilter, current_year, list_tasks, task_is_overdue
from hue06.steering.types import ModelState, TaskStatus

GroupCounts = list[tuple[str, str, dict[str, int]]]  # (code, title, {status: n})


@dataclass
class Dashboard:
    today: date
    year: int | None
    total: int
    by_status: dict[str, int]
    by_group: GroupCounts
    by_unit: list[tuple[int, str, int, int, int]]  # (unit id, name, tasks, done, overdue)
    overdue: list[SteeringTask]
    models_by_group: GroupCounts
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
    overdue = [t for t in tasks if task_is_overdue(t, today)]
    overdue.sort(key=lambda t: (t.due_date or today, t.seq))
    models = list(session.scalars(select(SteeringModel).order_by(SteeringModel.number)))
    report = latest_report(session)
    return Dashboard(
        today=today,
        year=flt.year,
        total=len(tasks),
        by_status=_by_status(tasks),
        by_group=_by_group(tasks),
        by_unit=_by_unit(tasks, today),
        overdue=overdue,
        models_by_group=_models_by_group(models),
        models_by_state=dict(Counter(m.state for m in models)),
        services=_service_figures(session, report) if report is not None else {},
        report=report,
        mismatch_count=_mismatch_count(session, report) if report is not None else 0,
        groups=_all_groups(session, flt.year),
    )


def _by_status(tasks: Sequence[SteeringTask]) -> dict[str, int]:
    by_status = {s.value: 0 for s in TaskStatus}
    for t in tasks:
        by_status[t.status] = by_status.get(t.status, 0) + 1
    return by_status


def _by_group(tasks: Sequence[SteeringTask]) -> GroupCounts:
    """Status counts per task group, the groups in the appendix's order."""
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for t in tasks:
        counts = groups.setdefault((t.group_code, t.group_title), {s.value: 0 for s in TaskStatus})
        counts[t.status] += 1
    return [(c, t, v) for (c, t), v in sorted(groups.items(), key=lambda kv: _group_order(tasks, kv[0]))]


def _by_unit(tasks: Sequence[SteeringTask], today: date) -> list[tuple[int, str, int, int, int]]:
    """(unit id, name, tasks, completed, overdue), the busiest units first."""
    per_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[int, str] = {}
    for t in tasks:
        for u in t.units:
            names[u.id] = u.name
            per_unit[u.id][0] += 1
            per_unit[u.id][1] += t.status in (TaskStatus.COMPLETED.value,)
            per_unit[u.id][2] += task_is_overdue(t, today)
    return sorted(((uid, names[uid], *v) for uid, v in per_unit.items()), key=lambda x: (-x[2], x[1]))


def _models_by_group(models: Sequence[SteeringModel]) -> GroupCounts:
    mgroups: dict[tuple[str, str], dict[str, int]] = {}
    for m in models:
        counts = mgroups.setdefault(
            (m.group_code, m.group_title), {s.value: 0 for s in ModelState if s is not ModelState.STUDYING}
        )
        counts[m.state] = counts.get(m.state, 0) + 1
    return [(c, t, v) for (c, t), v in mgroups.items()]


def _service_figures(session: Session, report: SteeringReport) -> dict[str, object]:
    """The 25 essential services' rows and totals, and the Decision 422 services, of the report."""
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
    return {
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
            .where(SteeringService28.report_id == report.id, SteeringService28.on_national_portal.is_(True))
        )
        or 0,
    }


def _mismatch_count(session: Session, report: SteeringReport) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(SteeringMismatch).where(SteeringMismatch.report_id == report.id)
        )
        or 0
    )


def _all_groups(session: Session, year: int | None) -> list[tuple[str, str]]:
    """Every task group of the year (for the filter), whatever the other filters leave."""
    return sorted(
        {(t.group_code, t.group_title) for t in list_tasks(session, TaskFilter(year=year))},
        key=lambda g: _roman_key(g[0]),
    )


def _roman_key(code: str) -> int:
    return roman_value(code) or 0


def _group_order(tasks: Sequence[SteeringTask], key: tuple[str, str]) -> int:
    return min((t.seq for t in tasks if (t.group_code, t.group_title) == key), default=0)
