"""Fixtures shared by the whole suite.

Every test that takes `session`, `client` or `app` runs once on SQLite and once on PostgreSQL
(the `backend` parameter). The PostgreSQL database is created for this run and dropped at the
end; PostgreSQL tests are skipped only when no server answers and CI is not set.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from hue06.core.config import Settings
from hue06.core.db import Base, make_engine, make_sessionmaker, normalize_url
from hue06.core.migrate import upgrade
from hue06.modules import import_all_models

PG_ADMIN_URL = normalize_url(
    os.environ.get("HUE06_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
TEST_PASSWORD = "mat-khau-thu-nghiem-2024"  # test fixture password, not a secret


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but {make_url(PG_ADMIN_URL).host} does not answer")
        pytest.skip("no PostgreSQL server configured (set HUE06_TEST_PG_URL)")
    name = f"hue06_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "hue06-test.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def db_url(backend: str, request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")


_engines: dict[str, Engine] = {}


@pytest.fixture(scope="session")
def engine(db_url: str) -> Engine:
    if db_url not in _engines:
        # Deferred transactions: a test's own session must not hold SQLite's write lock while the app
        # under test (another connection) writes.
        _engines[db_url] = make_engine(db_url, immediate=False)
    return _engines[db_url]


def _wipe(engine: Engine) -> None:
    import_all_models()
    tables = [t for t in Base.metadata.sorted_tables if t.name != "alembic_version"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_sessionmaker(engine)
    _wipe(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on a clean database; commit freely, everything is wiped after the test."""
    s = session_factory()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    # No background checkpoints: a test signs one when it means to.
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        audit_checkpoint_seconds=0,
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    from hue06.web.app import create_app

    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_official(session: Session) -> Callable[..., object]:
    """Create an official with TEST_PASSWORD and, as in production, a second factor (the shared test
    TOTP secret; pass `totp_secret=None` for an account without one). Committed so the app sees it."""
    from hue06.identity import service
    from hue06.identity.testing import TEST_TOTP_SECRET

    def _make(username: str = "canbo", role: str = "commune", unit_code: str = "19750", **kw: Any) -> object:
        kw.setdefault("totp_secret", TEST_TOTP_SECRET)
        official = service.create_official(session, username, TEST_PASSWORD, role, unit_code, **kw)
        session.commit()
        return official

    return _make


def login(client, username: str, password: str = TEST_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign an official in through the real login form (CSRF included), second factor too."""
    from hue06.identity.testing import TEST_TOTP_SECRET, complete_totp

    client.get("/login")
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    if r.headers["location"].startswith("/login/totp"):
        r = complete_totp(client, TEST_TOTP_SECRET)
        assert r.status_code == 303, r.text


def sign_in_page(page, base: str, username: str, next_url: str = "/") -> None:  # type: ignore[no-untyped-def]
    """Sign an official in with Playwright through the login page and the second-factor page.

    The code of the current 30-second step first; if this account already used it (the server
    refuses a replay), the next step's code, which the server accepts for clock drift."""
    from urllib.parse import quote

    import pyotp

    from hue06.identity.testing import TEST_TOTP_SECRET

    page.goto(f"{base}/login?next={quote(next_url)}")
    page.fill("#f-username", username)
    page.fill("#f-password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url or "/login/totp" in url)
    for ahead in (0, 30):
        if "/login/totp" not in page.url:
            break
        page.fill("#f-code", pyotp.TOTP(TEST_TOTP_SECRET).at(time.time() + ahead))
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    assert "/login" not in page.url, f"signing in as {username} failed"


@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    return lambda username, password=TEST_PASSWORD: login(client, username, password)


# ---------------------------------------------------------------- live server and browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[str]:
    """The real app under Uvicorn on a free loopback port, on the test's database."""
    import uvicorn

    from hue06.web.app import create_app

    port = _free_port()
    application = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Chromium is required in CI (make test installs it)")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """For tests that need no second run on PostgreSQL (browser flows, file formats)."""
    if backend != "sqlite":
        pytest.skip("covered on SQLite; the service tests run on PostgreSQL")
