"""The `hue06` command. Each module adds its own group from `hue06/<module>/cli.py`."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import sys
import warnings
from pathlib import Path

import typer
import uvicorn
from sqlalchemy.engine import make_url

from hue06 import modules
from hue06.cliutil import DbOption, console, fail, open_session, settings_for
from hue06.core import audit
from hue06.core.config import Settings
from hue06.core.db import normalize_url
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
def audit_verify(
    db: str | None = DbOption,
    full: bool = typer.Option(
        False, "--full", help="Walk every entry again, not only those since the last run."
    ),
    head: list[Path] = typer.Option(
        [],
        "--head",
        help="A checkpoint exported earlier (`audit checkpoint --out`): it must still be in the log.",
    ),
    key_file: Path | None = typer.Option(None, "--key", help="The audit key (public half is enough)."),
    state_file: Path | None = typer.Option(None, "--state", help="Where the last verification is kept."),
) -> None:
    """Check every chain, every signed checkpoint and every exported one; exit 1 naming the first break."""
    settings = settings_for(db)
    key = _audit_key(settings, key_file, create=False)
    state_path = state_file or _state_path(settings)
    since = audit.VerifiedState.from_json(state_path.read_text()) if state_path.exists() else None
    if full and since is not None:
        since = audit.VerifiedState(checkpoint=since.checkpoint)  # walk everything, keep the anchor
    anchors = [audit.Checkpoint.from_json(p.read_text()) for p in head]
    with open_session(db, read_only=True) as session:
        report = audit.verify_log(session, key=key, anchors=anchors, since=since)
    for warning in report.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
    if report.breaks:
        first = report.breaks[0]
        console.print(
            f"[red]Nhật ký bị sửa hoặc xóa tại mục {first.n}.[/red] / Audit log broken at entry {first.n}: "
            f"{first.reason}"
        )
        raise typer.Exit(1)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(report.state.to_json())
    newest = report.newest
    signed = (
        f" Newest signed checkpoint: {newest.id} of {newest.at[:19]}Z, root {newest.root[:16]}…"
        if newest
        else " No checkpoint signed yet."
    )
    console.print(
        f"[green]Nhật ký toàn vẹn: {report.entries} mục.[/green] / Audit log intact: {report.entries} entries "
        f"checked in {report.chains} chains, {report.checkpoints} checkpoints.{signed}"
    )


@audit_app.command("checkpoint")
def audit_checkpoint(
    db: str | None = DbOption,
    out: Path | None = typer.Option(
        None, "--out", help="Also write the checkpoint to this file (keep it elsewhere)."
    ),
) -> None:
    """Sign every chain's head now and print (or export) the checkpoint."""
    settings = settings_for(db)
    key = _audit_key(settings, None, create=True)
    with open_session(db) as session:
        cp = audit.checkpoint(session, key, only_if_changed=False)
    assert cp is not None
    if out is not None:
        out.write_text(cp.to_json())
    console.print(f"Checkpoint {cp.id}: {cp.entries} entries in {len(cp.heads)} chains, root {cp.root}")


@audit_app.command("public-key")
def audit_public_key(db: str | None = DbOption) -> None:
    """Print the audit key's public half (PEM), for verifiers who must not hold the private key."""
    print(_audit_key(settings_for(db), None, create=True).public_pem(), end="")


def _audit_key(settings: Settings, path: Path | None, *, create: bool) -> audit.CheckpointKey | None:
    try:
        return audit.CheckpointKey.load(path or settings.audit_key_file, create=create)
    except FileNotFoundError:
        return None


def _state_path(settings: Settings) -> Path:
    """One file per database (the URL without its password names it)."""
    url = make_url(normalize_url(settings.database_url)).render_as_string(hide_password=True)
    return settings.data_dir / f"audit-verified-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"


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
