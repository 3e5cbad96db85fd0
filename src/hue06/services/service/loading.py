"""Bulk loading of dossiers that did not go through the flow (the synthetic history of the demo and
the benchmarks): the procedures they are for, the fee of their most common answers, and the rows
written in bulk (COPY on PostgreSQL) without history events or snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hue06.core.db import bulk_insert
from hue06.services import eform
from hue06.services.models import Dossier, Procedure


def essential_procedures(session: Session) -> dict[int, Procedure]:
    """The catalogue's essential services, by their number in Decision 06 (1..25)."""
    return {
        p.essential_no: p
        for p in session.scalars(select(Procedure).where(Procedure.essential_no.is_not(None)))
    }


def typical_fee(proc: Procedure) -> int:
    """The fee of the most common answers: the first option of each choice, one copy, one form."""
    answers: dict[str, Any] = {}
    for f in eform.parse_schema(proc.form_schema).typed:
        if f.type in ("select", "radio") and f.options:
            answers[f.name] = f.options[0][0]
        elif f.type == "checkboxes" and f.options:
            answers[f.name] = [f.options[0][0]]
        elif f.type == "integer":
            answers[f.name] = f.default or f.min or 1
    return eform.compute_fee(proc.fee, proc.fee_rules or {}, answers)


def count_dossiers(session: Session) -> int:
    """How many dossiers there are, of every kind (the demo loads its history only into an empty table)."""
    return int(session.scalar(select(func.count(Dossier.id))) or 0)


def next_dossier_id(session: Session) -> int:
    """The first free dossier id: loaded rows carry their ids (their codes are made from them)."""
    return int(session.scalar(select(func.max(Dossier.id))) or 0) + 1


def load_dossiers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write dossier rows (the table's columns, ids included) in bulk. Loaded dossiers have no
    answers: their form and register data are written empty."""
    # COPY writes JSON columns from their text; executemany goes through the JSON type.
    empty: Any = "{}" if session.get_bind().dialect.name == "postgresql" else {}
    for row in rows:
        row["form_data"] = empty
        row["register_data"] = empty
    bulk_insert(session, Dossier.__table__, rows)


def finish_dossier_load(session: Session) -> None:
    """After a bulk load on PostgreSQL: move the id sequence past the loaded ids, refresh the planner's
    statistics."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('svc_dossiers', 'id'), (SELECT MAX(id) FROM svc_dossiers))"
        )
    )
    session.execute(text("ANALYZE svc_dossiers"))
