"""`hue06 user ...`, `hue06 token create|revoke` and `hue06 oidc ...` (clients, signing keys)."""

from __future__ import annotations

import os

import pyotp
import typer

from hue06.cliutil import DbOption, console, open_session, out, settings_for
from hue06.identity import keys, oidc, service

user_app = typer.Typer(help="Officials' accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)
oidc_app = typer.Typer(help="OpenID Connect provider: apps (clients) and signing keys.", no_args_is_help=True)
client_app = typer.Typer(help="Apps that sign citizens in through hue06.", no_args_is_help=True)
oidc_app.add_typer(client_app, name="client")


@user_app.command("add")
def user_add(
    username: str,
    role: str = typer.Option(..., help="province, district, commune, auditor or admin"),
    unit: str = typer.Option(..., "--unit", help="Official code of the unit, e.g. 46, 474, 19750"),
    full_name: str = typer.Option("", "--name"),
    agency: str = typer.Option("", "--agency", help="Agency whose dossiers the official handles"),
    totp_secret: str | None = typer.Option(None, "--totp-secret", help="Base32 TOTP secret (second factor)"),
    totp: bool = typer.Option(False, "--totp", help="Generate a TOTP secret and print its provisioning URI"),
    db: str | None = DbOption,
) -> None:
    """Create an official; the password comes from HUE06_PASSWORD or a prompt."""
    password = os.environ.get("HUE06_PASSWORD") or typer.prompt(
        "Mật khẩu / Password", hide_input=True, confirmation_prompt=True
    )
    secret = totp_secret or (service.new_totp_secret() if totp else None)
    with open_session(db) as session:
        official = service.create_official(
            session, username, password, role, unit, full_name, agency, totp_secret=secret
        )
    out.print(
        f"Đã tạo cán bộ / created official: {official.username} ({official.role}, {official.unit_code})"
    )
    if secret and totp:
        out.print(f"totp_uri: {service.totp_uri(secret, official.username)}", markup=False, highlight=False)


@user_app.command("disable")
def user_disable(username: str, db: str | None = DbOption) -> None:
    """Disable an official: sessions end at once, API tokens are refused within 10 seconds."""
    with open_session(db) as session:
        service.set_official_active(session, username, False)
    console.print(f"Đã khóa tài khoản {username}. / Disabled {username}.")


@user_app.command("enable")
def user_enable(username: str, db: str | None = DbOption) -> None:
    """Enable a disabled official again (the password and second factor are unchanged)."""
    with open_session(db) as session:
        service.set_official_active(session, username, True)
    console.print(f"Đã mở lại tài khoản {username}. / Enabled {username}.")


@user_app.command("totp")
def user_totp(
    username: str,
    secret: str | None = typer.Option(None, "--secret", help="Base32 secret to set"),
    clear: bool = typer.Option(False, "--clear", help="Remove it: the next login enrols again"),
    db: str | None = DbOption,
) -> None:
    """Give an official a new TOTP secret (printed once as a provisioning URI) or clear it."""
    with open_session(db) as session:
        value = None if clear else (secret or service.new_totp_secret())
        service.set_official_totp(session, username, value)
    if value:
        out.print(f"totp_uri: {service.totp_uri(value, username)}", markup=False, highlight=False)
    else:
        out.print("Đã xóa; lần đăng nhập sau sẽ thiết lập lại. / Cleared; the next login enrols again.")


@user_app.command("totp-code")
def user_totp_code(
    name: str,
    citizen: bool = typer.Option(False, "--citizen", help="NAME is a citizen's personal ID"),
    db: str | None = DbOption,
) -> None:
    """Print the current TOTP code of an official (or a citizen): development and demo only."""
    settings = settings_for(db)
    if settings.is_production:
        console.print("[red]Không dùng trong môi trường production.[/red] / Not available in production.")
        raise typer.Exit(1)
    with open_session(db) as session:
        row = (
            service.get_citizen_by_personal_id(session, name)
            if citizen
            else service.get_official_by_username(session, name)
        )
        secret = row.totp_secret if row else None
    if not secret:
        console.print("Tài khoản này chưa có TOTP. / This account has no TOTP secret.")
        raise typer.Exit(1)
    print(pyotp.TOTP(secret).now())


@token_app.command("create")
def token_create(
    username: str, name: str = typer.Option("cli", help="What the token is for"), db: str | None = DbOption
) -> None:
    """Print a new API token for USERNAME as the last line (shown once, stored hashed)."""
    with open_session(db) as session:
        token = service.create_api_token(session, username, name)
    print(token)


@token_app.command("revoke")
def token_revoke(
    username: str,
    name: str | None = typer.Option(None, help="Only the tokens with this name"),
    db: str | None = DbOption,
) -> None:
    """Revoke USERNAME's API tokens; running servers refuse them within 10 seconds."""
    with open_session(db) as session:
        count = service.revoke_api_tokens(session, username, name)
    console.print(f"Đã thu hồi {count} token. / Revoked {count} token(s).")


@client_app.command("add")
def client_add(
    name: str,
    redirect_uri: list[str] = typer.Option([], "--redirect-uri", help="Exact callback URL (repeatable)"),
    scope: list[str] = typer.Option(
        ["openid"], "--scope", help="Scopes the app may ask for (repeatable or spaced)"
    ),
    trusted: bool = typer.Option(
        False, "--trusted", help="May read the personal ID; may introspect any token"
    ),
    alg: str = typer.Option("RS256", "--alg", help="ID token signature: RS256 or ES256"),
    grant: list[str] = typer.Option(
        [], "--grant", help="authorization_code, refresh_token, client_credentials"
    ),
    post_logout_redirect_uri: list[str] = typer.Option([], "--post-logout-redirect-uri"),
    db: str | None = DbOption,
) -> None:
    """Register an app; prints client_id and client_secret (the secret is shown only now)."""
    with open_session(db) as session:
        new = oidc.register_client(
            session, name, redirect_uri, scope, trusted, alg, grant or None, post_logout_redirect_uri or None
        )
    print(f"client_id: {new.client_id}")
    print(f"client_secret: {new.client_secret}")


@client_app.command("list")
def client_list(db: str | None = DbOption) -> None:
    """The registered apps (never their secrets)."""
    with open_session(db) as session:
        for c in oidc.list_clients(session):
            flags = " trusted" if c.trusted else ""
            out.print(
                f"{c.client_id}\t{c.name}\t{c.scope}\t{c.grant_types}\t{c.id_token_alg}{flags}"
                f"{'' if c.active else ' (disabled)'}",
                markup=False,
                highlight=False,
            )


@oidc_app.command("rotate-keys")
def rotate_keys(db: str | None = DbOption) -> None:
    """New ID-token signing keys from now on; old ones stay in the JWKS until their tokens expire."""
    settings = settings_for(db)
    with open_session(db) as session:
        kids = keys.rotate_keys(session, settings.get_secret_key())
    out.print("Khóa ký mới / new signing keys: " + ", ".join(kids), markup=False, highlight=False)


commands = {"user": user_app, "token": token_app, "oidc": oidc_app}
