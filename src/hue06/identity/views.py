"""Officials' sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core.errors import Unauthenticated
from hue06.identity import service
from hue06.web.deps import SESSION_COOKIE, client_ip, csrf_protect, db
from hue06.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would hand a phishing page our login."""
    parsed = urlparse(target or "/")
    if parsed.scheme or parsed.netloc or not (target or "/").startswith("/") or target.startswith("//"):
        return "/"
    return target or "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "identity/login.html", {"errors": {}, "username": "", "next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(csrf_protect)])
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
          session: Session = Depends(db)) -> Response:
    errors: dict[str, str] = {}
    lang = request.state.lang
    if not username.strip():
        errors["username"] = "Enter your username" if lang == "en" else "Nhập tên đăng nhập"
    if not password:
        errors["password"] = "Enter your password" if lang == "en" else "Nhập mật khẩu"
    if not errors:
        try:
            official = service.authenticate_official(session, username, password, client_ip(request))
        except Unauthenticated as exc:
            session.commit()  # keep the failure count and the audit entry
            errors["password"] = exc.message(lang)
        else:
            settings = request.app.state.settings
            new = service.start_session(session, "official", official.id, settings.session_hours,
                                        client_ip(request), request.headers.get("user-agent", ""))
            response = RedirectResponse(_safe_next(next), status_code=303)
            response.set_cookie(SESSION_COOKIE, new.token, httponly=True, samesite="lax",
                                secure=settings.is_production, max_age=settings.session_hours * 3600)
            return response
    return render(request, "identity/login.html", {"errors": errors, "username": username, "next": _safe_next(next)},
                  status_code=400)


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, session: Session = Depends(db)) -> Response:
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
