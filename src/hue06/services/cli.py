"""`hue06 services ...`: the statistics table from the command line, and the catalogue seed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from hue06.cliutil import DbOption, console, fail, open_session, out
from hue06.core.errors import InvalidInput
from hue06.services import service, stats

app = typer.Typer(help="Dịch vụ công / public services.", no_args_is_help=True)


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(
            InvalidInput("stats.date", f"{what} phải có dạng YYYY-MM-DD.", f"{what} must be YYYY-MM-DD.")
        ) from None


@app.command("stats")
def stats_command(
    date_from: str = typer.Option(..., "--from", help="First day of the period, YYYY-MM-DD."),
    date_to: str = typer.Option(..., "--to", help="Last day of the period, YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: {services: [...], totals: {...}}."),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the tables to this XLSX file."),
    db: str | None = DbOption,
) -> None:
    """The Appendix II table (per service: total, online, rate, on time, overdue) for any period."""
    d_from, d_to = _day(date_from, "--from"), _day(date_to, "--to")
    with open_session(db) as session:
        try:
            result = stats.compute(session, d_from, d_to)
        except InvalidInput as exc:
            raise fail(exc) from None
    if xlsx:
        xlsx.write_bytes(stats.to_xlsx(result))
        console.print(f"XLSX: {xlsx}")
    if as_json:
        data = result.to_json()
        data["services"] = [
            {k: r[k] for k in ("code", "name", "total", "online", "online_rate", "on_time", "overdue")}
            for r in data["services"]
        ]
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    table = Table(title=f"Dịch vụ công thiết yếu {d_from:%d/%m/%Y} – {d_to:%d/%m/%Y}")
    for col in ("STT", "Dịch vụ công", "Tổng", "Trực tuyến", "Tỷ lệ", "Đúng hạn", "Quá hạn"):
        table.add_column(col, justify="left" if col == "Dịch vụ công" else "right")
    for r in result.services:
        table.add_row(
            str(r["no"] or ""),
            r["name"][:70],
            f"{r['total']:,}",
            f"{r['online']:,}",
            f"{r['online_rate']:.0%}",
            f"{r['on_time']:,}",
            f"{r['overdue']:,}",
        )
    t = result.totals
    table.add_row(
        "",
        "Tổng cộng",
        f"{t['total']:,}",
        f"{t['online']:,}",
        f"{t['online_rate']:.0%}",
        f"{t['on_time']:,}",
        f"{t['overdue']:,}",
    )
    out.print(table)


@app.command("seed")
def seed_command(db: str | None = DbOption) -> None:
    """Add the missing procedures of the shipped catalogue (administrators' edits are kept)."""
    with open_session(db) as session:
        added = service.ensure_catalogue(session)
    console.print(f"[green]Danh mục thủ tục: thêm {added}.[/green] / catalogue: {added} added.")
