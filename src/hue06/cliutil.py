"""What every `hue06` command shares: the `--db URL` option, a session, progress bars, errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.orm import Session

from hue06.core.config import Settings, load_settings
from hue06.core.db import make_engine, make_sessionmaker, session_scope
from hue06.core.errors import Hue06Error

console = Console(stderr=True)
out = Console()

DbOption = typer.Option(
    None,
    "--db",
    help="Database URL (default: HUE06_DATABASE_URL or var/hue06.db).",
    envvar="HUE06_DATABASE_URL",
)
LangOption = typer.Option("vi", "--lang", help="vi or en, for messages.")


def settings_for(db: str | None) -> Settings:
    return load_settings().with_database(db)


@contextmanager
def open_session(db: str | None, *, read_only: bool = False) -> Iterator[Session]:
    """A unit of work against the chosen database; errors a user can fix exit 1 with their message.

    `read_only` sessions never take SQLite's write lock, so they do not hold up a running server."""
    settings = settings_for(db)
    engine = make_engine(settings.database_url, immediate=not read_only)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def fail(exc: Hue06Error, lang: str = "vi") -> typer.Exit:
    console.print(f"[red]{exc.message_vi}[/red]\n[dim]{exc.message_en}[/dim] ({exc.code})")
    return typer.Exit(1)


def progress() -> Progress:
    """The progress bar every long job shows (on stderr, so stdout stays machine-readable)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
