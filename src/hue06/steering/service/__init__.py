"""Steering logic: import a report into the database, keep tasks and models current, answer leaders.

Plain functions taking a `Session`; the caller's unit of work commits. An import writes nothing
until the whole file has been read and checked, so a bad file leaves the database as it was.
Every change to a task or model is kept in `steering_changes` and in the audit log.

The package is the one door into steering for the routes, the CLI, the XLSX template and other
modules; its files group the actions: `units`, `imports` (and `storing`), `reports`, `tasks`,
`dashboard` and `generation`.
"""

from __future__ import annotations

from hue06.steering.service._common import IMPORT_ROLES, REPORT_ROLES
from hue06.steering.service.dashboard import Dashboard, dashboard
from hue06.steering.service.generation import external_figures, generate_report, report_data, report_meta
from hue06.steering.service.imports import ImportOutcome, ReportRejected, import_report, outcome_of
from hue06.steering.service.reports import latest_report, list_reports, mismatches_of, stored_mismatches
from hue06.steering.service.storing import store_rows
from hue06.steering.service.tasks import (
    TaskFilter,
    can_update_task,
    current_year,
    get_task,
    history,
    list_models,
    list_tasks,
    task_form_problems,
    task_is_overdue,
    update_model,
    update_task,
)
from hue06.steering.service.units import (
    add_member,
    get_unit,
    list_units,
    responsible_units,
    unit_kind,
    units_of,
)

__all__ = [
    "IMPORT_ROLES",
    "REPORT_ROLES",
    "Dashboard",
    "ImportOutcome",
    "ReportRejected",
    "TaskFilter",
    "add_member",
    "can_update_task",
    "current_year",
    "dashboard",
    "external_figures",
    "generate_report",
    "get_task",
    "get_unit",
    "history",
    "import_report",
    "latest_report",
    "list_models",
    "list_reports",
    "list_tasks",
    "list_units",
    "mismatches_of",
    "outcome_of",
    "report_data",
    "report_meta",
    "responsible_units",
    "store_rows",
    "stored_mismatches",
    "task_form_problems",
    "task_is_overdue",
    "unit_kind",
    "units_of",
    "update_model",
    "update_task",
]
