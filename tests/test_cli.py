"""The `hue06` command as an operator uses it: init, user add, token create and revoke, and the token works."""

from __future__ import annotations

import os
import subprocess
import sys


def hue06(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hue06", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=300,
    )


def test_init_user_and_token_on_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    r = hue06("init", "--db", url)
    assert r.returncode == 0, r.stderr
    r = hue06(
        "user",
        "add",
        "canbo_xa",
        "--role",
        "commune",
        "--unit",
        "19750",
        "--db",
        url,
        env={"HUE06_PASSWORD": "mat-khau-rat-dai-123"},
    )
    assert r.returncode == 0, r.stderr
    assert "canbo_xa" in r.stdout
    r = hue06("token", "create", "canbo_xa", "--db", url)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("h06_") and len(token) > 40

    from fastapi.testclient import TestClient

    from hue06.core.config import Settings
    from hue06.web.app import create_app

    app = create_app(Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 40))
    with TestClient(app) as client:
        assert (
            client.get("/api/v1/residents?q=x", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
        assert (
            client.get("/api/v1/residents?q=x", headers={"Authorization": "Bearer h06_wrong"}).status_code
            == 401
        )
        r = hue06("token", "revoke", "canbo_xa", "--db", url)
        assert r.returncode == 0 and "Revoked 1 token" in r.stdout + r.stderr, r.stderr
        # the server remembers a token for a few seconds; a new process asks the database
        from hue06.identity.service import forget_api_tokens

        forget_api_tokens()
        assert (
            client.get("/api/v1/residents?q=x", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )
    app.state.engine.dispose()


def test_bad_role_and_unknown_unit_are_explained(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert hue06("init", "--db", url).returncode == 0
    r = hue06(
        "user", "add", "x1", "--role", "mayor", "--unit", "46", "--db", url, env={"HUE06_PASSWORD": "p" * 12}
    )
    assert r.returncode == 1
    assert "Vai trò không hợp lệ" in r.stderr and "Unknown role" in r.stderr
    r = hue06(
        "user",
        "add",
        "x2",
        "--role",
        "commune",
        "--unit",
        "99999",
        "--db",
        url,
        env={"HUE06_PASSWORD": "p" * 12},
    )
    assert r.returncode == 1
    assert "99999" in r.stderr


def test_a_disabled_official_is_signed_out_and_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert hue06("init", "--db", url).returncode == 0
    assert (
        hue06(
            "user",
            "add",
            "canbo_tinh",
            "--role",
            "province",
            "--unit",
            "46",
            "--db",
            url,
            env={"HUE06_PASSWORD": "mat-khau-rat-dai-123"},
        ).returncode
        == 0
    )
    token = hue06("token", "create", "canbo_tinh", "--db", url).stdout.strip().splitlines()[-1]

    from fastapi.testclient import TestClient

    from hue06.core.config import Settings
    from hue06.identity.service import forget_api_tokens
    from hue06.web.app import create_app

    app = create_app(Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 40))
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": "canbo_tinh",
                "password": "mat-khau-rat-dai-123",
                "csrf_token": client.cookies.get("hue06_csrf"),
            },
            follow_redirects=False,
        )
        assert (
            r.status_code == 303
            and client.get("/registry/residents", follow_redirects=False).status_code == 200
        )
        assert client.get("/api/v1/residents?q=x", headers=auth).status_code == 200

        r = hue06("user", "disable", "canbo_tinh", "--db", url)
        assert r.returncode == 0 and "Disabled canbo_tinh" in r.stdout + r.stderr
        forget_api_tokens()  # what 10 seconds would do in a server that used the token
        assert (
            client.get("/registry/residents", follow_redirects=False).status_code == 303
        )  # the session is over
        assert client.get("/api/v1/residents?q=x", headers=auth).status_code == 401
        client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": "canbo_tinh",
                "password": "mat-khau-rat-dai-123",
                "csrf_token": client.cookies.get("hue06_csrf"),
            },
            follow_redirects=False,
        )
        assert r.status_code != 303  # nor can they sign in again

        assert hue06("user", "enable", "canbo_tinh", "--db", url).returncode == 0
        assert client.get("/api/v1/residents?q=x", headers=auth).status_code == 200
    app.state.engine.dispose()
