"""`hue06 user add` and `hue06 token create`."""

from __future__ import annotations

import os

import typer

from hue06.cliutil import DbOption, open_session, out
from hue06.identity import service

user_app = typer.Typer(help="Officials' accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    username: str,
    role: str = typer.Option(..., help="province, district, commune, auditor or admin"),
    unit: str = typer.Option(..., "--unit", help="Official code of the unit, e.g. 46, 474, 19750"),
    full_name: str = typer.Option("", "--name"),
    agency: str = typer.Option("", "--agency", help="Agency whose dossiers the official handles"),
    db: str | None = DbOption,
) -> None:
    """Create an official; the password comes from HUE06_PASSWORD or a prompt."""
    password = os.environ.get("HUE06_PASSWORD") or typer.prompt("Mật khẩu / Password", hide_input=True,
                                                                 confirmation_prompt=True)
    with open_session(db) as session:
        official = service.create_official(session, username, password, role, unit, full_name, agency)
    out.print(f"Đã tạo cán bộ / created official: {official.username} ({official.role}, {official.unit_code})")


@token_app.command("create")
def token_create(username: str, name: str = typer.Option("cli", help="What the token is for"),
                 db: str | None = DbOption) -> None:
    """Print a new API token for USERNAME as the last line (shown once, stored hashed)."""
    with open_session(db) as session:
        token = service.create_api_token(session, username, name)
    print(token)


commands = {"user": user_app, "token": token_app}
