"""`hue06 quality ...`: verify a sector's file against the register from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hue06.cliutil import DbOption, console, open_session, out, progress
from hue06.core.security import SYSTEM

app = typer.Typer(
    help="Xác thực, làm sạch dữ liệu ngành với CSDL dân cư / verify sector data against the register.",
    no_args_is_help=True,
)

STAGES = {
    "read": "Đọc và chuẩn hóa tệp / reading the file",
    "register": "Nạp CSDL dân cư / loading the register",
    "match": "Đối sánh / matching",
    "save": "Lưu kết quả / saving",
}


@app.command("verify")
def verify_command(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The sector's file (CSV, XLSX, XLS, ODS)."
    ),
    sector: str = typer.Option(
        ...,
        "--sector",
        help="health_insurance, social_insurance, welfare, workers, "
        "civil_status, tax, association or vehicle.",
    ),
    result: Path = typer.Option(..., "--out", help="RESULT.csv: one line per data row."),
    report: Path | None = typer.Option(
        None, "--report", help="REPORT.xlsx: totals, per commune, corrections."
    ),
    corrections: Path | None = typer.Option(
        None, "--corrections", help="CSV of corrections to send back to the sector."
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        exists=True,
        dir_okay=False,
        help="Column mapping (JSON or TOML) when the headers are not recognised.",
    ),
    header_line: int | None = typer.Option(
        None, "--header-line", help="The header's line (1-based; 0 = no header)."
    ),
    db: str | None = DbOption,
) -> None:
    """Verify FILE against the register; print the summary, write RESULT.csv (and the report)."""
    from hue06.quality import mapping as mp
    from hue06.quality import reports, service

    service.check_sector(sector)
    spec = mp.read_mapping_file(mapping) if mapping else None
    data = file.read_bytes()
    with progress() as bar:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                for other in tasks.values():
                    bar.update(other, total=bar.tasks[other].completed or 1)
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(
                tasks[stage],
                completed=done,
                total=total if total is not None else bar.tasks[tasks[stage]].total,
            )

        with open_session(db, read_only=True) as read:
            prepared = service.prepare(
                data, file.name, sector, spec=spec, header_line=header_line, session=read
            )
            for vi, en in prepared.mapping.warnings:
                console.print(f"[yellow]{vi}[/yellow] / {en}")
            with open_session(db) as write:
                run = service.verify(read, prepared, sector, SYSTEM, write=write, progress=on_progress)
        for task in tasks.values():
            bar.update(task, total=bar.tasks[task].completed or 1)
    reports.write_result_csv(run.rows, result)
    console.print(
        f"Ghép cột / columns: {json.dumps(prepared.mapping.as_json(prepared.imported), ensure_ascii=False)}",
        highlight=False,
        markup=False,
    )
    if report is not None or corrections is not None:
        with open_session(db) as session:
            stored = service.get_run(session, run.run_id, SYSTEM)
            fixes = list(service.corrections(session, stored, SYSTEM))
        if corrections is not None:
            reports.write_corrections_csv(fixes, corrections)
        if report is not None:
            report.parent.mkdir(parents=True, exist_ok=True)
            reports.write_report_xlsx(
                report,
                sector=sector,
                file_name=file.name,
                total=run.total,
                counts=run.counts,
                summary_vi=run.summary_vi,
                summary_en=run.summary_en,
                by_commune=run.by_commune,
                corrections=fixes,
                changes=run.changes,
                skipped=run.skipped,
                problems=run.problems,
            )
    for line in run.summary_vi + run.summary_en:
        typer.echo(line)
    if run.changes:
        c = run.changes
        out.print(
            f"So với lần chạy #{c['previous_run_id']}: {c['new_rows']} dòng mới, {c['gone_rows']} dòng không còn, "
            f"{c['fixed']} đã được sửa, {c['new_problems']} vấn đề mới. / Since run #{c['previous_run_id']}: "
            f"{c['new_rows']} new rows, {c['gone_rows']} gone, {c['fixed']} fixed, {c['new_problems']} new problems.",
            markup=False,
            highlight=False,
        )
    if run.skipped:
        out.print(
            "Dòng bỏ qua hoặc không hợp lệ (tối đa 20) / lines left out or invalid (first 20):",
            markup=False,
            highlight=False,
        )
        for line, vi, en in run.skipped[:20]:
            out.print(
                f"  dòng/line {line}: {vi} / {reports.problem_label(en, 'en') if ':' in en or en in reports.INVALID_REASONS else en}",
                markup=False,
                highlight=False,
            )
    console.print(f"[green]Lần kiểm tra #{run.run_id}[/green] / run #{run.run_id}: {result}")


@app.command("runs")
def runs_command(db: str | None = DbOption, limit: int = typer.Option(20, "--limit")) -> None:
    """List the latest runs."""
    from hue06.quality import service

    with open_session(db, read_only=True) as session:
        for run in service.list_runs(session, SYSTEM, limit):
            counts = json.loads(run.counts)
            out.print(
                f"#{run.id} {run.finished_at:%Y-%m-%d %H:%M} {run.sector} {run.file_name} rows={run.total_rows} "
                + " ".join(f"{k}={v}" for k, v in counts.items() if v),
                markup=False,
                highlight=False,
            )
