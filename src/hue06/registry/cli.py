"""`hue06 registry ...`: the register's command-line jobs."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from sqlalchemy import func, select

from hue06.cliutil import DbOption, console, open_session, progress
from hue06.core import audit
from hue06.core.security import SYSTEM
from hue06.registry import service
from hue06.registry.models import Resident

app = typer.Typer(help="CSDL dân cư / the population register.", no_args_is_help=True)

EXPORT_COLUMNS = (
    "personal_id",
    "family_name",
    "middle_name",
    "given_name",
    "full_name",
    "gender",
    "date_of_birth",
    "commune_code",
    "current_commune_code",
    "household_id",
    "status",
)


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="CSV file to write (UTF-8, one row per resident)."),
    batch: int = typer.Option(50_000, help="Rows read per query."),
    db: str | None = DbOption,
) -> None:
    """Export every resident to CSV, streaming (the register never sits in memory whole)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open_session(db) as session:
        total = session.scalar(select(func.count()).select_from(Resident)) or 0
        with out.open("w", encoding="utf-8", newline="") as fh, progress() as bar:
            task = bar.add_task("Xuất CSV / export", total=total)
            writer = csv.writer(fh)
            writer.writerow(EXPORT_COLUMNS)
            for rows in service.iter_register(session, batch=max(1000, batch)):
                for r in rows:
                    writer.writerow(
                        (
                            r["personal_id"],
                            r["family_name"],
                            r["middle_name"],
                            r["given_name"],
                            r["full_name"],
                            r["gender"],
                            r["date_of_birth"].isoformat(),
                            r["commune_code"],
                            r["current_commune_code"],
                            "" if r["household_id"] is None else r["household_id"],
                            r["status"],
                        )
                    )
                written += len(rows)
                bar.advance(task, len(rows))
        audit.record(session, SYSTEM, "registry.export", "register", "csv", {"rows": written})
    console.print(f"[green]Đã xuất {written:,} cư dân[/green] / exported {written:,} residents → {out}")
