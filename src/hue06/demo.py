"""`hue06 demo`: build a living demo province, print the logins, serve the app (and the SSO demo app).

Steps: migrate; build the synthetic province unless one of that size is already there; create demo
officials for the province, one district and one commune; run `setup(ctx)` of each `demo.py` in
`hue06.modules.DEMO_ORDER` (identity's OIDC client and citizen, services' catalogue and officers,
synth's six months of dossiers, steering's reference report); then serve hue06 on :8000 and the
second app on :8001.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import sys
from dataclasses import dataclass

import typer
import uvicorn
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from hue06 import modules
from hue06.cliutil import DbOption, console, progress, settings_for
from hue06.core.config import Settings
from hue06.core.db import make_engine, make_sessionmaker, session_scope
from hue06.core.migrate import upgrade
from hue06.identity import service as identity
from hue06.registry import service as registry
from hue06.synth.province import build_province
from hue06.web.app import create_app

DEMO_PASSWORD_ENV = "HUE06_DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a password
DEMO_OFFICIALS = (
    ("tinh", "province", "46", "Cán bộ Công an tỉnh (demo)"),
    ("huyen", "district", "478", "Cán bộ Huyện Phú Vang (demo)"),
    ("xa", "commune", "19750", "Cán bộ Phường Tây Lộc cũ (demo)"),
    ("kiemtra", "auditor", "46", "Kiểm tra viên (demo)"),
    ("quantri", "admin", "46", "Quản trị viên (demo)"),
)


@dataclass
class DemoContext:
    settings: Settings
    session_factory: sessionmaker[Session]
    console: Console
    residents: int
    password: str


def _demo_password() -> str:
    """Demo accounts get a password from the environment, or a fresh one printed once."""

    return os.environ.get(DEMO_PASSWORD_ENV) or f"hue06-{secrets.token_hex(4)}"


def _ensure_officials(ctx: DemoContext) -> list[str]:

    lines = []
    with session_scope(ctx.session_factory) as session:
        for username, role, unit, name in DEMO_OFFICIALS:
            official = identity.get_official_by_username(session, username)
            if official is None:
                identity.create_official(session, username, ctx.password, role, unit, full_name=name)
            else:
                identity.reset_password(session, username, ctx.password)
            lines.append(f"  {username:<10} {role:<9} {unit:<6} {name}")
    return lines


def _province_size(ctx: DemoContext) -> int:

    with session_scope(ctx.session_factory) as session:
        return int(registry.register_counts(session)["residents"])


def build(ctx: DemoContext, seed: int = 6) -> list[str]:

    upgrade(ctx.settings.database_url)
    if _province_size(ctx) == 0:
        with progress() as bar:
            build_province(ctx.settings.database_url, ctx.residents, seed, progress=bar)
    lines = ["Cán bộ / officials (mật khẩu / password: " + ctx.password + "):", *_ensure_officials(ctx)]
    for _name, module in modules.demo_parts():
        lines.extend(module.setup(ctx))
    return lines


async def _serve_all(settings: Settings, host: str, port: int) -> None:

    servers = [
        uvicorn.Server(
            uvicorn.Config(create_app(settings), host=host, port=port, access_log=False, log_level="warning")
        )
    ]
    try:
        demo_app = importlib.import_module("hue06.identity.demo_app")
        second = demo_app.create_demo_app_from_settings(settings)
        servers.append(
            uvicorn.Server(
                uvicorn.Config(second, host=host, port=port + 1, access_log=False, log_level="warning")
            )
        )
    except (ModuleNotFoundError, AttributeError, LookupError) as exc:
        console.print(
            f"[yellow]Ứng dụng thứ hai không chạy / second app not started: {type(exc).__name__}[/yellow]"
        )
    await asyncio.gather(*(s.serve() for s in servers))


def demo(
    residents: int = typer.Option(200_000, help="Residents in the demo province (1,150,000 for full size)."),
    seed: int = typer.Option(6, help="Seed: the same seed builds the same province."),
    db: str | None = DbOption,
    host: str = "127.0.0.1",
    port: int = 8000,
    serve: bool = typer.Option(True, help="Serve the app after building."),
    build_first: bool = typer.Option(True, "--build/--no-build", help="Build (or top up) the demo first."),
) -> None:
    """Build the demo province, print the logins and serve the app."""
    settings = settings_for(db)
    if not build_first:
        asyncio.run(_serve_all(settings, host, port))
        return
    engine = make_engine(settings.database_url)
    ctx = DemoContext(settings, make_sessionmaker(engine), console, residents, _demo_password())
    lines = build(ctx, seed)
    engine.dispose()
    out = Console(soft_wrap=True)
    out.rule("hue06 demo")
    for line in lines:
        out.print(line, markup=False, highlight=False)
    out.print(f"\nhue06: http://{host}:{port}/   ·   API: http://{host}:{port}/api/docs", markup=False)
    if serve:
        # A fresh process serves: building a province leaves memory the server would otherwise keep.
        args = [
            sys.executable,
            "-m",
            "hue06",
            "demo",
            "--no-build",
            "--db",
            settings.database_url,
            "--host",
            host,
            "--port",
            str(port),
        ]
        sys.stdout.flush()
        os.execv(sys.executable, args)  # noqa: S606 - our own interpreter and module, no shell
