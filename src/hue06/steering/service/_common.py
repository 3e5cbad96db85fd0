"""What the service's files share: who may do what, the change log, stored figures, rows as dataclasses."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from hue06.core.security import Actor
from hue06.steering.deadlines import Deadline, DeadlineError, DeadlineKind, parse_deadline
from hue06.steering.models import SteeringChange, SteeringReport, SteeringTask
from hue06.steering.types import SubTask, Task, TaskStatus

REPORT_ROLES = ("admin", "province")  # may generate the report (reads only)
IMPORT_ROLES = ("admin",)  # the secretariat: imports reports, sets model states, edits any task

# Reports imported before the two task counts became one name stored the figure under this key.
_LEGACY_STATED_KEYS = {"tasks_not_completed": "tasks_behind"}


def record_change(
    session: Session, entity: str, entity_id: int, actor: Actor, source: str, changes: dict, comment: str
) -> None:
    """Keep who changed what, from where and why, in `steering_changes`."""
    session.add(
        SteeringChange(
            entity=entity,
            entity_id=entity_id,
            actor=actor.label,
            source=source,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
            comment=comment,
        )
    )


def stated_values(report: SteeringReport) -> dict[str, str]:
    """The figures the report states about itself, by key (older imports' keys read as today's)."""
    stored = json.loads(report.stated_figures or "{}")
    return {_LEGACY_STATED_KEYS.get(k, k): v["value"] for k, v in stored.items()}


def deadline_of(text: str) -> Deadline:
    """A stored deadline read again; text that no longer parses is kept as a deadline of no kind."""
    try:
        return parse_deadline(text)
    except DeadlineError:
        return Deadline(text, DeadlineKind.NONE)


def task_of_row(row: SteeringTask) -> Task:
    """A task row as the dataclass the report writer and the checks read."""
    return Task(
        seq=row.seq,
        code=row.code,
        number=row.number,
        group_code=row.group_code,
        group_title=row.group_title,
        carried_over=row.carried_over,
        content=row.content,
        directing_document=row.directing_document,
        responsible_unit=row.responsible_unit,
        deadline_text=row.deadline_text,
        deadline=deadline_of(row.deadline_text),
        result=row.result,
        status=TaskStatus(row.status),
        status_text=row.status_text,
        line=row.source_line or 0,
        sub_tasks=[
            SubTask(
                s.content,
                s.directing_document,
                s.responsible_unit,
                s.deadline_text,
                deadline_of(s.deadline_text),
                s.result,
                s.note,
                0,
            )
            for s in row.sub_tasks
        ],
    )
