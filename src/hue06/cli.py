"""The `hue06` command. Each module adds its own group from `hue06/<module>/cli.py`."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings

import typer
import uvicorn

from hue06 import modules
from hue06.cliutil import DbOption, console, fail, open_session, settings_for
from hue06.core import audit
from hue06.core.errors import Hue06Error
from hue06.core.migrate import upgrade

# Library deprecation notices are for developers (pytest shows them), not for operators' terminals.
warnings.filterwarnings("ignore", message=r".*(httpx module is deprecated|httpx2).*")
warnings.filterwarnings("ignore", category=DeprecationWarning)

app = typer.Typer(help="hue06 — Đề án 06 platform.", no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@app.command()
def init(db: str | None = DbOption) -> None:
    """Create or upgrade the database schema (Alembic, every module)."""

    settings = settings_for(db)
    upgrade(settings.database_url)
    console.print("[green]Cơ sở dữ liệu đã sẵn sàng.[/green] / Database ready.")


@app.command()
def serve(
    db: str | None = DbOption,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="Uvicorn worker processes."),
) -> None:
    """Serve the web app and the JSON API."""

    if db:
        os.environ["HUE06_DATABASE_URL"] = db
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        "hue06.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
    )


@audit_app.command("verify")
def audit_verify(db: str | None = DbOption) -> None:
    """Check every entry's hash and link; exit 1 naming the first broken entry."""
    with open_session(db, read_only=True) as session:
        count, broken = audit.verify(session)
    if broken:
        console.print(
            f"[red]Nhật ký bị sửa hoặc xóa tại mục {broken.seq}.[/red] / Audit log broken at entry "
            f"{broken.seq}: {broken.reason}"
        )
        raise typer.Exit(1)
    console.print(f"[green]Nhật ký toàn vẹn: {count} mục.[/green] / Audit log intact: {count} entries.")


def _mount_modules() -> None:
    for name, module in modules.parts("cli", extra=True):
        for command_name, sub in getattr(module, "commands", {name: getattr(module, "app", None)}).items():
            if sub is not None:
                app.add_typer(sub, name=command_name)


_mount_modules()
app.command(name="demo")(importlib.import_module("hue06.demo").demo)


def main() -> None:
    try:
        app()
    except Hue06Error as exc:
        fail(exc)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
