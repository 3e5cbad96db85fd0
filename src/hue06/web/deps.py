"""What routes depend on: the request's database session, the actor, roles, CSRF.

Routes stay thin: `web.transaction.db` gives the unit of work (the transaction policy is written
there), `official`/`actor` give who is asking, `csrf_protect` guards every form post and
`api_write_guard` every JSON write.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from hue06.core.errors import Forbidden, Unauthenticated
from hue06.core.security import Actor, constant_equals

SESSION_COOKIE = "hue06_session"
CSRF_COOKIE = "hue06_csrf"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def actor(request: Request) -> Actor | None:
    return getattr(request.state, "actor", None)


def login_required_error() -> Unauthenticated:
    return Unauthenticated("auth.required", "Vui lòng đăng nhập.", "Please sign in.")


def official(request: Request) -> Actor:
    """The signed-in official (browser session or API token); 401 otherwise."""
    who = getattr(request.state, "actor", None)
    if who is None or who.kind != "official":
        raise login_required_error()
    return who


def citizen(request: Request) -> Actor:
    who = getattr(request.state, "actor", None)
    if who is None or who.kind != "citizen":
        raise login_required_error()
    return who


def require_role(*roles: str) -> Callable[[Actor], Actor]:
    def check(who: Actor = Depends(official)) -> Actor:
        if who.role not in roles:
            raise Forbidden(
                "auth.role",
                "Tài khoản của bạn không có quyền thực hiện việc này.",
                "Your account may not do this.",
            )
        return who

    return check


async def csrf_protect(request: Request) -> None:
    """Double-submit check: the form's csrf_token must equal the CSRF cookie."""
    form = await request.form()
    sent = str(form.get("csrf_token", "")) or request.headers.get("x-csrf-token", "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not constant_equals(sent, expected):
        raise Forbidden(
            "csrf",
            "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
            "The form has expired or is not valid. Please reload the page and try again.",
        )


async def api_write_guard(request: Request) -> None:
    """JSON writes: a script sends its bearer token (which a cross-site page cannot), a browser page
    must echo the CSRF cookie in `X-CSRF-Token`."""
    if request.headers.get("authorization", "")[:7].lower() == "bearer ":
        return
    sent = request.headers.get("x-csrf-token", "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not constant_equals(sent, expected):
        raise Forbidden(
            "csrf", "Thiếu mã chống giả mạo (X-CSRF-Token).", "Missing or wrong X-CSRF-Token header."
        )


class SignInRequired(Exception):
    """Raised by a page dependency when nobody of the right kind is signed in. The app answers
    with a redirect to `login_path` that brings the browser back to the page afterwards."""

    def __init__(self, login_path: str = "/login") -> None:
        super().__init__(login_path)
        self.login_path = login_path


def signed_in_official(request: Request) -> Actor | None:
    """The signed-in official, or None."""
    who = getattr(request.state, "actor", None)
    return who if who is not None and who.kind == "official" else None


async def official_page(request: Request) -> Actor:
    """Page dependency: the signed-in official, or off to the officials' sign-in and back here."""
    who = signed_in_official(request)
    if who is None:
        raise SignInRequired("/login")
    return who


def login_redirect(request: Request, login_path: str = "/login") -> RedirectResponse:
    """Back to this very page after signing in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{login_path}?next={quote(target)}", status_code=303)
