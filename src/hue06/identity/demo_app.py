"""A second app for the demo: "Cổng dịch vụ công tỉnh (demo)", a relying party that signs citizens
in through hue06 with Authlib's own OpenID Connect *client* (Starlette integration).

It shows single sign-on: a citizen already signed in to hue06 goes straight through (no second
password), and the page shows the verified claims and the assurance level (`acr`) it received.
It keeps the claims on the server (a dict keyed by a random id in its signed session cookie),
not in the cookie itself, because they are personal data.
"""

from __future__ import annotations

import json
import secrets
from html import escape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from hue06.core.config import Settings

TITLE = "Cổng dịch vụ công tỉnh (demo)"
CLIENT_FILE = "demo-client.json"
ACR_TEXT = {
    "urn:hue06:loa:2": "Mức 2 — đã kiểm tra thẻ căn cước trực tiếp, đăng nhập hai lớp",
    "urn:hue06:loa:1": "Mức 1 — tự đăng ký, khớp Cơ sở dữ liệu dân cư",
}
CLAIM_LABELS = {
    "name": "Họ và tên",
    "gender": "Giới tính",
    "birthdate": "Ngày sinh",
    "address": "Địa chỉ thường trú",
    "phone_number": "Số điện thoại",
    "personal_id": "Số định danh cá nhân",
    "sub": "Mã tài khoản (sub)",
}


def _page(body: str) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(TITLE)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c}}
header{{border-bottom:4px solid #b10e1e;margin-bottom:1.5rem}} .button{{display:inline-block;background:#00703c;color:#fff;
padding:.6rem 1rem;text-decoration:none;border:0;font-size:1rem;cursor:pointer}} dt{{font-weight:bold;margin-top:.6rem}}
dd{{margin-left:0}} .tag{{background:#cce2d8;padding:.1rem .4rem}} .error{{border-left:5px solid #d4351c;padding-left:1rem}}</style>
</head><body><header><h1>{escape(TITLE)}</h1><p>Ứng dụng thử nghiệm đăng nhập một lần (SSO) qua hue06</p></header>
{body}</body></html>""")


def create_demo_app(
    issuer: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    *,
    scope: str = "openid profile address phone",
) -> FastAPI:
    """The relying party; `redirect_uri` must be the one registered for `client_id`."""
    app = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secrets.token_urlsafe(32),
        session_cookie="demo_portal_session",
        same_site="lax",
        https_only=issuer.startswith("https://"),
    )
    oauth = _oauth_client(issuer, client_id, client_secret, scope)
    users: dict[str, dict] = {}
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(redirect_uri))

    def signed_in(request: Request) -> dict | None:
        return users.get(request.session.get("uid", ""))

    @app.get("/")
    def home(request: Request) -> Response:
        return _page(_home_html(signed_in(request)))

    @app.get("/login")
    async def login(request: Request) -> Response:
        return await oauth.hue06.authorize_redirect(request, redirect_uri)

    @app.get("/callback")
    async def callback(request: Request) -> Response:
        try:
            token = await oauth.hue06.authorize_access_token(request)
            userinfo = await oauth.hue06.userinfo(token=token)
        except OAuthError as exc:
            return _page(
                f"<div class='error'><h2>Không đăng nhập được</h2><p>{escape(exc.error or '')}: "
                f"{escape(exc.description or '')}</p></div><p><a href='/'>Thử lại</a></p>"
            )
        id_claims = dict(token.get("userinfo") or {})
        uid = secrets.token_urlsafe(16)
        users[uid] = {
            "claims": {**dict(userinfo), "sub": id_claims.get("sub")},
            "acr": id_claims.get("acr", ""),
            "id_token": token.get("id_token", ""),
        }
        request.session["uid"] = uid
        return RedirectResponse("/", status_code=303)

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        user = users.pop(request.session.pop("uid", ""), None)
        if user is None:
            return RedirectResponse("/", status_code=303)
        metadata = await oauth.hue06.load_server_metadata()
        params = {
            "id_token_hint": user["id_token"],
            "post_logout_redirect_uri": origin,
            "client_id": client_id,
        }
        return RedirectResponse(metadata["end_session_endpoint"] + "?" + urlencode(params), status_code=303)

    return app


def _oauth_client(issuer: str, client_id: str, client_secret: str, scope: str) -> OAuth:
    """Authlib's client for hue06, configured from its discovery document (PKCE with S256)."""
    oauth = OAuth()
    oauth.register(
        "hue06",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": scope, "code_challenge_method": "S256"},
    )
    return oauth


def _home_html(user: dict | None) -> str:
    """The sign-in button, or the verified claims and the assurance level the portal received."""
    if user is None:
        return (
            "<p>Đăng nhập bằng tài khoản định danh của tỉnh để dùng dịch vụ công.</p>"
            '<p><a class="button" id="sign-in" href="/login">Đăng nhập bằng hue06</a></p>'
        )
    claims = user["claims"]
    acr = user["acr"]
    rows = []
    for key, label in CLAIM_LABELS.items():
        value = claims.get(key)
        if isinstance(value, dict):
            value = value.get("formatted")
        if value:
            rows.append(f"<dt>{escape(label)}</dt><dd data-claim='{key}'>{escape(str(value))}</dd>")
    return (
        f"<p>Xin chào <strong id='who'>{escape(str(claims.get('name') or claims.get('sub')))}</strong>.</p>"
        f"<p>Mức bảo đảm: <span class='tag' id='acr'>{escape(acr)}</span> {escape(ACR_TEXT.get(acr, ''))}</p>"
        f"<h2>Thông tin đã xác thực từ Cơ sở dữ liệu dân cư</h2><dl>{''.join(rows)}</dl>"
        "<p><a class='button' href='/logout' id='sign-out'>Đăng xuất</a></p>"
    )


def client_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / CLIENT_FILE


def create_demo_app_from_settings(settings: Settings) -> FastAPI:
    """The demo app as `hue06 demo` registered it (raises LookupError before `setup` has run)."""
    path = client_file(settings)
    if not path.exists():
        raise LookupError(f"{path} not found: run `hue06 demo` first")
    data = json.loads(path.read_text())
    return create_demo_app(data["issuer"], data["client_id"], data["client_secret"], data["redirect_uri"])
