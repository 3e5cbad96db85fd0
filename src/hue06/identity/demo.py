"""`hue06 demo`'s identity part: the SSO demo app's client, a level-2 citizen, TOTP for officials.

Returns the lines the demo prints: who can sign in with what, and where. Re-running the demo
keeps the same client (its secret is kept in `var/demo-client.json`, mode 600) and resets the
demo accounts' passwords and second factors.
"""

from __future__ import annotations

import json
import os
from datetime import date

from hue06.core.db import session_scope
from hue06.identity import keys, oidc, service
from hue06.identity.demo_app import TITLE, client_file
from hue06.registry import service as registry

DEMO_PORT = 8001
DEMO_REDIRECT = f"http://127.0.0.1:{DEMO_PORT}/callback"
DEMO_OFFICIALS = ("tinh", "huyen", "xa", "kiemtra", "quantri")


def _pick_resident(session):  # type: ignore[no-untyped-def]
    """An adult, living resident of the synthetic province (first batch of the register)."""
    today = date.today()
    for batch in registry.iter_register(session, batch=500):
        for row in batch:
            dob = row["date_of_birth"]
            if row["status"] == "alive" and 25 <= (today.year - dob.year) <= 60:
                return registry.match_identity(session, row["personal_id"])
        break
    return None


def _ensure_client(session, settings) -> dict:  # type: ignore[no-untyped-def]
    path = client_file(settings)
    issuer = settings.base_url.rstrip("/")
    if path.exists():
        data = json.loads(path.read_text())
        if oidc.get_client(session, data.get("client_id", "")) is not None:
            data["issuer"] = issuer
            return data
    new = oidc.register_client(session, TITLE, [DEMO_REDIRECT], ["openid profile address phone"])
    data = {
        "issuer": issuer,
        "client_id": new.client_id,
        "client_secret": new.client_secret,
        "redirect_uri": DEMO_REDIRECT,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return data


def setup(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    settings = ctx.settings
    lines: list[str] = []
    with session_scope(ctx.session_factory) as session:
        keys.ensure_keys(session, settings.get_secret_key())
        client = _ensure_client(session, settings)
        officials = []
        for username in DEMO_OFFICIALS:
            if service.get_official_by_username(session, username) is not None:
                secret = service.new_totp_secret()
                service.set_official_totp(session, username, secret)
                officials.append((username, secret))
        resident = _pick_resident(session)
        citizen_line = []
        if resident is not None:
            secret = service.new_totp_secret()
            account = service.get_citizen_by_resident(session, resident.id)
            if account is None:
                service.create_citizen_account(
                    session,
                    resident.id,
                    resident.personal_id,
                    ctx.password,
                    resident.phone or "0912345678",
                    level=2,
                    totp_secret=secret,
                    checked_by="xa",
                )
            else:
                service.set_citizen_credentials(session, account.id, ctx.password, secret)
            citizen_line = [
                "Công dân mức 2 / level-2 citizen (đăng nhập tại /account/login):",
                f"  số định danh / ID: {resident.personal_id}  ({resident.full_name})",
                f"  mật khẩu / password: {ctx.password}   khóa TOTP / TOTP secret: {secret}",
                f"  mã hiện tại / current code: hue06 user totp-code {resident.personal_id} --citizen",
            ]
    if officials:
        lines.append(
            "Xác thực hai lớp của cán bộ / officials' TOTP secrets (mã hiện tại: hue06 user totp-code NAME):"
        )
        lines.extend(f"  {name:<10} {secret}" for name, secret in officials)
    lines.extend(citizen_line)
    lines.append(f"SSO: {TITLE}: http://127.0.0.1:{DEMO_PORT}/  (client_id {client['client_id']})")
    lines.append("  OpenID Connect: " + settings.base_url.rstrip("/") + "/.well-known/openid-configuration")
    return lines
