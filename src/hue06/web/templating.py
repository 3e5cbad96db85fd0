"""One Jinja2 environment that finds `templates/` in the web package and in every module."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from hue06 import modules
from hue06.web.i18n import translate

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _loaders() -> list[PackageLoader]:
    return [
        PackageLoader(f"hue06.{name}", "templates") for name, _ in modules.folders("templates", extra=True)
    ]


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """1234567.5 → '1.234.567,5' as Vietnamese documents write numbers."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "§").replace(".", ",").replace("§", ".")


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


env = Environment(
    loader=ChoiceLoader(_loaders()),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["vn_number"] = vn_number
env.filters["vn_date"] = vn_date


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with what every page needs: language, the signed-in user, the CSRF token."""
    lang = getattr(request.state, "lang", "vi")
    ctx = {
        "request": request,
        "lang": lang,
        "_": lambda text: translate(text, lang),
        "actor": getattr(request.state, "actor", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "path": request.url.path,
    }
    ctx.update(context or {})
    html = env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
