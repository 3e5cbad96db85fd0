"""`hue06 steering ...`: import a report, generate one, manage units' focal points, XLSX templates."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from hue06.cliutil import DbOption, console, open_session, out
from hue06.steering import service
from hue06.steering.types import ImportProblem

app = typer.Typer(
    help="Điều hành Đề án 06: nhiệm vụ, mô hình, báo cáo định kỳ / Project 06 steering.", no_args_is_help=True
)


def _print_problems(problems: list[ImportProblem]) -> None:
    table = Table("Phụ lục", "Dòng", "Cột", "Mức", "Vấn đề / Problem", show_lines=False)
    for p in problems:
        table.add_row(
            p.appendix,
            p.row or "",
            p.field or "",
            "lỗi" if p.severity == "error" else "lưu ý",
            f"{p.message_vi}\n[dim]{p.message_en}[/dim]",
        )
    console.print(table)


@app.command("import-report")
def import_report(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The report's text export"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON on stdout."),
    partial: bool = typer.Option(
        False, "--partial", help="Import the good rows even if some rows have errors."
    ),
    period: str | None = typer.Option(None, "--period", help="e.g. 2024-H1; read from the title if omitted."),
    db: str | None = DbOption,
) -> None:
    """Import a six-month report (Appendices I-VI), check its figures and list what does not add up."""
    data = file.read_bytes()
    try:
        with open_session(db) as session:
            outcome = service.import_report(
                session, data, source_name=file.name, partial=partial, period_code=period
            )
    except service.ReportRejected as exc:
        if as_json:
            out.print_json(
                json.dumps(
                    {
                        "imported": False,
                        "message": {"vi": exc.message_vi, "en": exc.message_en},
                        "problems": [p.as_dict() for p in exc.problems],
                    },
                    ensure_ascii=False,
                )
            )
        else:
            console.print(f"[red]{exc.message_vi}[/red]\n[dim]{exc.message_en}[/dim]")
            _print_problems([p for p in exc.problems if p.severity == "error"])
            console.print("Dùng --partial để nhập các dòng hợp lệ. / Use --partial to import the valid rows.")
        raise typer.Exit(1) from None
    if as_json:
        out.print_json(
            json.dumps({"imported": not outcome.already_imported, **outcome.as_dict()}, ensure_ascii=False)
        )
        return
    if outcome.already_imported:
        console.print(
            f"Báo cáo này đã được nhập (mã {outcome.report_id}); không thay đổi gì. / "
            "This report was imported before; nothing changed."
        )
    else:
        console.print(
            f"[green]Đã nhập báo cáo {outcome.reference or ''} kỳ {outcome.period_code}.[/green] / "
            f"Imported report {outcome.reference or ''} for {outcome.period_code}."
        )
    counts = Table("Nội dung / What", "Số lượng / Count")
    labels = {
        "tasks": "Nhiệm vụ (Phụ lục I) / tasks",
        "tasks_completed": "  hoàn thành / completed",
        "tasks_recurring": "  thường xuyên / recurring",
        "tasks_in_progress": "  đang triển khai / in progress",
        "tasks_behind": "  chậm tiến độ / behind",
        "services25": "DVC thiết yếu (Phụ lục II) / services",
        "services28": "DVC QĐ 422 (Phụ lục III)",
        "models": "Mô hình điểm (Phụ lục IV) / pilot models",
        "hanoi_models": "Mô hình Hà Nội (Phụ lục V)",
        "r175_tasks": "Nhiệm vụ NQ 175 (Phụ lục VI)",
    }
    for key, label in labels.items():
        counts.add_row(label, str(outcome.counts.get(key, 0)))
    out.print(counts)
    warnings = [p for p in outcome.problems if p.severity == "warning"]
    skipped = [p for p in outcome.problems if p.severity == "error"]
    if skipped:
        console.print(
            f"[yellow]Đã bỏ qua {len(skipped)} dòng lỗi / skipped {len(skipped)} bad row(s):[/yellow]"
        )
        _print_problems(skipped)
    if warnings:
        console.print(f"Lưu ý khi đọc / read with assumptions: {len(warnings)}")
        _print_problems(warnings)
    if outcome.mismatches:
        out.print(
            f"[bold]Số liệu chưa thống nhất / figures that do not add up: {len(outcome.mismatches)}[/bold]"
        )
        for i, m in enumerate(outcome.mismatches, start=1):
            out.print(f"{i:>2}. {m.message_vi}\n    [dim]{m.message_en}[/dim]")
    else:
        out.print("Số liệu khớp. / All figures add up.")


@app.command("report")
def report(
    period: str = typer.Option(..., "--period", help="2024-H1, 2024-H2, 2024-Q3 or 2024"),
    out_file: Path = typer.Option(..., "--out", help="Where to write the Word file (.docx)"),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write a PDF here"),
    issued: str | None = typer.Option(None, "--date", help="Issue date dd/mm/yyyy (default: today)"),
    number: str | None = typer.Option(None, "--number", help="Document number; '...' if omitted"),
    db: str | None = DbOption,
) -> None:
    """Generate the periodic report (DOCX, and PDF with --pdf) from the data."""
    try:
        issued_on = datetime.strptime(issued, "%d/%m/%Y").date() if issued else date.today()
    except ValueError:
        console.print(f"[red]Ngày “{issued}” không hợp lệ (dd/mm/yyyy).[/red] / Date must be dd/mm/yyyy.")
        raise typer.Exit(2) from None
    with open_session(db) as session:
        generated = service.generate_report(
            session,
            period,
            issued_on=issued_on,
            number=number,
            external=service.external_figures(session),
            with_pdf=pdf is not None,
        )
    out_file.write_bytes(generated.docx)
    if pdf is not None and generated.pdf is not None:
        pdf.write_bytes(generated.pdf)
    figs = generated.document.figures
    out.print(f"Đã tạo / written: {out_file}" + (f", {pdf}" if pdf else ""))
    out.print(
        f"Nhiệm vụ / tasks: {figs['tasks_total']} (hoàn thành {figs['tasks_completed']}, thường xuyên "
        f"{figs['tasks_recurring']}, đang triển khai {figs['tasks_in_progress']}, chậm tiến độ "
        f"{figs['tasks_behind']}, quá hạn {figs['tasks_overdue']})"
    )


@app.command("units")
def units(db: str | None = DbOption) -> None:
    """List the units tasks are assigned to, with their codes."""
    with open_session(db) as session:
        table = Table("ID", "Mã / code", "Đơn vị / unit", "Loại / kind")
        for u in service.list_units(session):
            table.add_row(str(u.id), u.code, u.name, u.kind)
    out.print(table)


@app.command("member-add")
def member_add(
    username: str = typer.Argument(..., help="The official's username"),
    unit: str = typer.Argument(..., help="Unit id or name (e.g. 'Sở Tư pháp')"),
    db: str | None = DbOption,
) -> None:
    """Make an official a focal point of a unit: they may update that unit's tasks."""
    with open_session(db) as session:
        member = service.add_member(session, unit, username)
        name = service.get_unit(session, member.unit_id).name
    out.print(f"{username} → {name}")


@app.command("export-xlsx")
def export_xlsx(
    out_file: Path = typer.Option(..., "--out", help="Where to write the template (.xlsx)"),
    year: int | None = typer.Option(None, "--year"),
    db: str | None = DbOption,
) -> None:
    """Write the template units fill in for the next period (tasks, models, service figures)."""
    from hue06.steering import xlsx

    with open_session(db) as session:
        out_file.write_bytes(xlsx.export_template(session, year))
    out.print(f"Đã tạo / written: {out_file}")


@app.command("import-xlsx")
def import_xlsx(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    period: str = typer.Option(..., "--period", help="The period the figures are for, e.g. 2024-H2"),
    partial: bool = typer.Option(False, "--partial"),
    as_json: bool = typer.Option(False, "--json"),
    db: str | None = DbOption,
) -> None:
    """Import a filled-in template for a later period (all-or-nothing unless --partial)."""
    from hue06.steering import xlsx

    try:
        with open_session(db) as session:
            outcome = xlsx.import_template(
                session, file.read_bytes(), period_code=period, source_name=file.name, partial=partial
            )
    except service.ReportRejected as exc:
        if as_json:
            out.print_json(
                json.dumps(
                    {"imported": False, "problems": [p.as_dict() for p in exc.problems]}, ensure_ascii=False
                )
            )
        else:
            console.print(f"[red]{exc.message_vi}[/red]\n[dim]{exc.message_en}[/dim]")
            _print_problems([p for p in exc.problems if p.severity == "error"])
        raise typer.Exit(1) from None
    if as_json:
        out.print_json(
            json.dumps({"imported": not outcome.already_imported, **outcome.as_dict()}, ensure_ascii=False)
        )
    else:
        out.print(f"Đã nhập / imported: {outcome.counts}")
