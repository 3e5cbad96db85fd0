"""`hue06 synth dossiers`: a realistic history of public-service dossiers for the demo and benchmarks.

Dossiers are spread over the 25 essential services in the proportions of the report's Appendix II
(2024 H1): each service's share of all dossiers, its online share, and its overdue share among
the dossiers handled. Applicants are living residents drawn from the register; submission times
fall mostly on working days and office hours; due dates are computed with the working-day
calendar (holidays included); dossiers whose result would fall after the end of the period are
still open. Rows are written in bulk (COPY on PostgreSQL) without history events or snapshots —
those belong to dossiers that went through the real flow.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import typer
from sqlalchemy.orm import Session

from hue06.cliutil import console, fail, open_session, out, progress
from hue06.core.db import chunked
from hue06.core.errors import Hue06Error, InvalidInput
from hue06.registry import service as registry
from hue06.services import service as svc

CHUNK = 20_000
REFUSED_SHARE = 0.02
REUSE_SHARE = 0.3


def _weights() -> dict[int, dict[str, float]]:
    """Per essential service (1..25): share of dossiers, online share, overdue share (Appendix II)."""
    rows = svc.appendix_ii()["rows"]
    total = sum(r["total"] for r in rows)
    out = {}
    for r in rows:
        handled = r["on_time"] + r["overdue"]
        out[r["no"]] = {
            "share": r["total"] / total if total else 0.0,
            "online": r["online"] / r["total"] if r["total"] else 0.0,
            "overdue": r["overdue"] / handled if handled else 0.0,
        }
    return out


def _applicants(session: Session) -> list[tuple[int, str]]:
    people: list[tuple[int, str]] = []
    for batch in registry.iter_register(session):
        people.extend((row["id"], row["commune_code"]) for row in batch if row["status"] == "alive")
    return people


def generate(
    session: Session,
    count: int,
    date_from: date,
    date_to: date,
    seed: int = 6,
    on_progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Insert `count` synthetic dossiers submitted between date_from and date_to (all or nothing)."""
    if count <= 0:
        raise InvalidInput("synth.count", "Số hồ sơ phải lớn hơn 0.", "The count must be positive.")
    if date_to < date_from:
        raise InvalidInput(
            "synth.period", "Ngày kết thúc phải sau ngày bắt đầu.", "The end date must follow the start."
        )
    svc.ensure_catalogue(session)
    people = _applicants(session)
    if not people:
        raise InvalidInput(
            "synth.empty_register",
            "CSDL dân cư trống: hãy tạo tỉnh giả lập trước (hue06 synth province).",
            "The register is empty: build the synthetic province first (hue06 synth province).",
        )
    procs = svc.essential_procedures(session)
    weights = _weights()
    numbers = [n for n in sorted(weights) if weights[n]["share"] > 0 and n in procs]
    shares = [weights[n]["share"] for n in numbers]
    rng = random.Random(seed)
    cal = svc.calendar()
    today = today or svc.local_now().date()
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    day_weights = [1.0 if cal.is_working_day(d) else 0.12 for d in days]  # online filings go on at weekends
    # A result due after today is still being processed.
    history = _History(procs, weights, people, rng, cal, today)
    first_id = svc.next_dossier_id(session)
    made = open_count = 0
    for ids in chunked(range(first_id, first_id + count), CHUNK):
        picks = rng.choices(numbers, shares, k=len(ids))
        when = rng.choices(days, day_weights, k=len(ids))
        rows = [history.dossier(i, no, day) for i, no, day in zip(ids, picks, when, strict=True)]
        open_count += sum(1 for r in rows if r["finished_on"] is None)
        svc.load_dossiers(session, rows)
        made += len(rows)
        if on_progress:
            on_progress(len(rows))
    svc.finish_dossier_load(session)
    return {"dossiers": made, "open": open_count, "from": date_from.isoformat(), "to": date_to.isoformat()}


class _History:
    """One run's state: the seeded random source, the calendar (with caches of its answers, the
    same few days come back thousands of times) and what is drawn from per service."""

    def __init__(
        self,
        procs: dict[int, Any],
        weights: dict[int, dict[str, float]],
        people: list[tuple[int, str]],
        rng: random.Random,
        cal: Any,
        end_of_history: date,
    ) -> None:
        self.procs = procs
        self.weights = weights
        self.people = people
        self.rng = rng
        self.cal = cal
        self.end_of_history = end_of_history
        self.fees = {n: svc.typical_fee(p) for n, p in procs.items()}
        self.now = datetime.now(UTC)
        self._due: dict[tuple[date, bool, int, str], date] = {}
        self._added: dict[tuple[date, int], date] = {}

    def due_for(self, local: datetime, limit: int, unit: str) -> date:
        key = (local.date(), local.time() >= self.cal.cutoff, limit, unit)
        if key not in self._due:
            self._due[key] = self.cal.due_date(local, limit, unit)
        return self._due[key]

    def add_wd(self, d: date, n: int) -> date:
        key = (d, n)
        if key not in self._added:
            self._added[key] = self.cal.add_working_days(d, n)
        return self._added[key]

    def dossier(self, dossier_id: int, no: int, day: date) -> dict[str, Any]:
        """One dossier's row: when it was filed, by whom, and how (and whether) it was finished."""
        rng, cal = self.rng, self.cal
        p = self.procs[no]
        w = self.weights[no]
        online = rng.random() < w["online"]
        working = cal.is_working_day(day)
        hour = (
            rng.randint(7, 16) + rng.random()
            if (working and (not online or rng.random() < 0.7))
            else rng.uniform(0, 24)
        )
        local = datetime.combine(day, time(0), tzinfo=svc.VN_TZ) + timedelta(hours=min(hour, 23.99))
        due = self.due_for(local, p.time_limit, p.time_unit)
        resident_id, commune = self.people[rng.randrange(len(self.people))]
        late = rng.random() < w["overdue"]
        if late:
            finished = self.add_wd(due, rng.randint(1, 8))
        else:
            span = max(cal.working_days_between(cal.received_on(local), due), 0)
            finished = (
                self.add_wd(cal.received_on(local), rng.randint(0, span)) if span else cal.received_on(local)
            )
        refused = rng.random() < REFUSED_SHARE
        is_open = finished > self.end_of_history
        status = "received" if is_open else ("refused" if refused else "returned")
        finished_at = (
            None if is_open else datetime.combine(finished, time(15, 30), tzinfo=svc.VN_TZ).astimezone(UTC)
        )
        submitted_at = local.astimezone(UTC)
        fee = self.fees[no]
        now = self.now
        return {
            "id": dossier_id,
            "code": f"{p.agency_code}-{local:%y%m%d}-{dossier_id:06d}",
            "procedure_id": p.id,
            "procedure_no": no,
            "agency_code": p.agency_code,
            "resident_id": resident_id,
            "commune_code": commune,
            "channel": "online" if online else "desk",
            "status": status,
            "fee": fee,
            "paid": fee > 0,
            "payment_key": None,
            "time_limit": p.time_limit,
            "time_unit": p.time_unit,
            "created_by": "system:synth",
            "created_at": submitted_at,
            "submitted_at": submitted_at,
            "submitted_on": day,
            "received_at": submitted_at,
            "due_date": due,
            "decided_at": finished_at,
            "finished_at": finished_at,
            "finished_on": None if is_open else finished,
            "decision": None if is_open else ("refused" if refused else "approved"),
            "decision_note": "",
            "result_document_id": None,
            "result_electronic": (not is_open and not refused and (online or rng.random() < 0.8)),
            "digitised": online or rng.random() < 0.97,
            "reused_documents": 1 if rng.random() < REUSE_SHARE else 0,
            "prefilled_fields": 6,
            "assigned_to": "",
            "version": 1,
            "updated_at": now,
        }


def register(app: typer.Typer) -> None:
    """Add `hue06 synth dossiers` to the synth command group."""

    @app.command("dossiers")
    def dossiers_command(
        count: int = typer.Option(10_000, "--count", help="How many dossiers."),
        date_from: str = typer.Option(..., "--from", help="First submission day, YYYY-MM-DD."),
        date_to: str = typer.Option(..., "--to", help="Last submission day, YYYY-MM-DD."),
        seed: int = typer.Option(6, "--seed", help="The same seed gives the same dossiers."),
        db: str | None = typer.Option(
            None,
            "--db",
            help="Database URL (default: HUE06_DATABASE_URL or var/hue06.db).",
            envvar="HUE06_DATABASE_URL",
        ),
    ) -> None:
        """Generate dossiers over the 25 essential services with the report's proportions."""
        try:
            d_from, d_to = date.fromisoformat(date_from), date.fromisoformat(date_to)
        except ValueError:
            raise fail(
                InvalidInput("synth.date", "Ngày phải có dạng YYYY-MM-DD.", "Dates must be YYYY-MM-DD.")
            ) from None
        try:
            with progress() as bar, open_session(db) as session:
                task = bar.add_task("Hồ sơ / dossiers", total=count)
                figures = generate(session, count, d_from, d_to, seed, lambda n: bar.advance(task, n))
        except Hue06Error as exc:
            raise fail(exc) from None
        console.print("[green]Đã tạo hồ sơ giả lập[/green] / synthetic dossiers written.")
        out.print(
            f"dossiers={figures['dossiers']} open={figures['open']} from={figures['from']} to={figures['to']}",
            markup=False,
            highlight=False,
        )
