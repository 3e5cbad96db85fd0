"""Pages: officials' and citizens' sign-in with the second factor, citizens' registration and
password reset, one's sessions and connected apps, the desk's level-2 check, and the OpenID
Connect authorization (consent) and logout pages."""

from __future__ import annotations

import io
import time
from urllib.parse import urlencode, urlparse

from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core.errors import Hue06Error, InvalidInput
from hue06.identity import oidc, service
from hue06.identity.sms import get_sender
from hue06.web.deps import SESSION_COOKIE, client_ip, csrf_protect, official
from hue06.web.templating import render
from hue06.web.transaction import db

router = APIRouter(include_in_schema=False)
MFA_COOKIE = "hue06_mfa"


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would hand a phishing page our login."""
    target = target or "/"
    parsed = urlparse(target)
    if (
        parsed.scheme
        or parsed.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/"
    return target


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "vi")


def _sign_in(request: Request, session: Session, who: service.Authenticated, next_url: str) -> Response:
    """Start a browser session (ending the one this browser had) and go on."""
    settings = request.app.state.settings
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    new = service.start_session(
        session,
        who.subject_kind,
        who.subject_id,
        settings.session_hours,
        client_ip(request),
        request.headers.get("user-agent", ""),
        acr=who.acr,
        amr=who.amr,
    )
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        max_age=settings.session_hours * 3600,
    )
    response.delete_cookie(MFA_COOKIE)
    return response


def _to_challenge(
    request: Request, session: Session, kind: str, subject_id: int, purpose: str, next_url: str
) -> Response:
    ch = service.begin_challenge(session, kind, subject_id, purpose, client_ip(request))
    response = RedirectResponse("/login/totp?" + urlencode({"next": _safe_next(next_url)}), status_code=303)
    response.set_cookie(
        MFA_COOKIE,
        ch.token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.is_production,
        max_age=service.CHALLENGE_MINUTES * 60,
    )
    return response


def _commit_failure(session: Session) -> None:
    """A refused attempt keeps its trace (failure counts, audit entry) even though we answer 4xx."""
    session.commit()


# --------------------------------------------------------------------------- officials


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "identity/login.html", {"errors": {}, "username": "", "next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(csrf_protect)])
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    session: Session = Depends(db),
) -> Response:
    errors: dict[str, str] = {}
    lang = _lang(request)
    if not username.strip():
        errors["username"] = "Enter your username" if lang == "en" else "Nhập tên đăng nhập"
    if not password:
        errors["password"] = "Enter your password" if lang == "en" else "Nhập mật khẩu"
    status = 400
    if not errors:
        try:
            off = service.authenticate_official(session, username, password, client_ip(request))
        except Hue06Error as exc:
            _commit_failure(session)
            errors["password"] = exc.message(lang)
            status = exc.status_code if exc.status_code == 429 else 400
        else:
            step = service.official_mfa_step(off, request.app.state.settings.is_production)
            if step:
                return _to_challenge(request, session, "official", off.id, step, next)
            service.finish_official_login(session, off, client_ip(request), "pwd")
            return _sign_in(request, session, service.Authenticated("official", off.id, "", "pwd"), next)
    return render(
        request,
        "identity/login.html",
        {"errors": errors, "username": username, "next": _safe_next(next)},
        status_code=status,
    )


@router.get("/login/totp")
def totp_form(request: Request, next: str = "/", session: Session = Depends(db)) -> Response:
    ch = service.load_challenge(session, request.cookies.get(MFA_COOKIE))
    if ch is None:
        return RedirectResponse("/login", status_code=303)
    return _totp_page(request, session, ch, next, {})


def _totp_page(
    request: Request,
    session: Session,
    ch,
    next_url: str,
    errors: dict[str, str],  # type: ignore[no-untyped-def]
    status: int = 200,
) -> Response:
    ctx = {
        "errors": errors,
        "next": _safe_next(next_url),
        "enrol": ch.purpose == "enrol",
        "secret": None,
        "uri": None,
        "qr_svg": None,
    }
    if ch.purpose == "enrol" and ch.pending_secret:
        uri = service.totp_uri(ch.pending_secret, service.challenge_label(session, ch))
        ctx.update(secret=ch.pending_secret, uri=uri, qr_svg=_qr_svg(uri))
    return render(request, "identity/totp.html", ctx, status_code=status)


def _qr_svg(data: str) -> str:
    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True, border=2)
    return buf.getvalue().decode()


@router.post("/login/totp", dependencies=[Depends(csrf_protect)])
def totp_submit(
    request: Request, code: str = Form(""), next: str = Form("/"), session: Session = Depends(db)
) -> Response:
    token = request.cookies.get(MFA_COOKIE)
    try:
        who = service.complete_challenge(session, token, code, client_ip(request))
    except Hue06Error as exc:
        _commit_failure(session)
        ch = service.load_challenge(session, token)
        if ch is None:
            target = "/account/login" if exc.code == "mfa.expired" and "/oauth/" in next else "/login"
            return RedirectResponse(target, status_code=303)
        return _totp_page(
            request,
            session,
            ch,
            next,
            {"code": exc.message(_lang(request))},
            status=429 if exc.status_code == 429 else 400,
        )
    default = "/" if who.subject_kind == "official" else "/account"
    return _sign_in(request, session, who, next if next != "/" else default)


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, session: Session = Depends(db)) -> Response:
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --------------------------------------------------------------------------- citizens: sign in, register, reset


@router.get("/account/login")
def citizen_login_form(request: Request, next: str = "/account") -> Response:
    return render(
        request, "identity/citizen_login.html", {"errors": {}, "personal_id": "", "next": _safe_next(next)}
    )


@router.post("/account/login", dependencies=[Depends(csrf_protect)])
def citizen_login(
    request: Request,
    personal_id: str = Form(""),
    password: str = Form(""),
    next: str = Form("/account"),
    session: Session = Depends(db),
) -> Response:
    lang = _lang(request)
    errors: dict[str, str] = {}
    if not personal_id.strip():
        errors["personal_id"] = (
            "Enter your personal ID number" if lang == "en" else "Nhập số định danh cá nhân"
        )
    if not password:
        errors["password"] = "Enter your password" if lang == "en" else "Nhập mật khẩu"
    status = 400
    if not errors:
        try:
            account = service.authenticate_citizen(session, personal_id, password, client_ip(request))
        except Hue06Error as exc:
            _commit_failure(session)
            errors["password"] = exc.message(lang)
            status = exc.status_code if exc.status_code == 429 else 400
        else:
            step = service.citizen_mfa_step(account)
            if step:
                return _to_challenge(request, session, "citizen", account.id, step, next)
            who = service.finish_citizen_login(session, account, client_ip(request))
            return _sign_in(request, session, who, next)
    return render(
        request,
        "identity/citizen_login.html",
        {"errors": errors, "personal_id": personal_id, "next": _safe_next(next)},
        status_code=status,
    )


@router.get("/account/register")
def register_form(request: Request) -> Response:
    return render(request, "identity/register.html", {"errors": {}, "form": {}})


@router.post("/account/register", dependencies=[Depends(csrf_protect)])
def register(
    request: Request,
    personal_id: str = Form(""),
    full_name: str = Form(""),
    date_of_birth: str = Form(""),
    phone: str = Form(""),
    password: str = Form(""),
    password2: str = Form(""),
    session: Session = Depends(db),
) -> Response:
    lang = _lang(request)
    form = {
        "personal_id": personal_id,
        "full_name": full_name,
        "date_of_birth": date_of_birth,
        "phone": phone,
    }
    errors: dict[str, str] = {}
    for name, vi, en in (
        ("personal_id", "Nhập số định danh cá nhân", "Enter your personal ID number"),
        ("full_name", "Nhập họ và tên", "Enter your full name"),
        ("date_of_birth", "Nhập ngày sinh", "Enter your date of birth"),
        ("phone", "Nhập số điện thoại", "Enter your phone number"),
        ("password", "Nhập mật khẩu", "Enter a password"),
    ):
        if not form.get(name, password if name == "password" else "").strip():
            errors[name] = en if lang == "en" else vi
    if not errors and password != password2:
        errors["password2"] = "The passwords differ" if lang == "en" else "Hai mật khẩu không giống nhau"
    if not errors:
        try:
            flow = service.start_registration(
                session,
                get_sender(request.app.state.settings),
                personal_id,
                full_name,
                date_of_birth,
                phone,
                password,
                client_ip(request),
            )
        except Hue06Error as exc:
            _commit_failure(session)
            field = {"identity.phone": "phone", "personal_id.date": "date_of_birth"}.get(exc.code, "")
            if exc.code.startswith("password."):
                field = "password"
            elif exc.code.startswith(("date", "personal_id")):
                field = "date_of_birth"
            errors[field or "personal_id"] = exc.message(lang)
        else:
            return render(request, "identity/code.html", {"errors": {}, "flow": flow, "purpose": "register"})
    return render(request, "identity/register.html", {"errors": errors, "form": form}, status_code=400)


@router.post("/account/register/verify", dependencies=[Depends(csrf_protect)])
def register_verify(
    request: Request, flow: str = Form(""), code: str = Form(""), session: Session = Depends(db)
) -> Response:
    try:
        service.verify_registration(session, flow, code, client_ip(request))
    except Hue06Error as exc:
        _commit_failure(session)
        return render(
            request,
            "identity/code.html",
            {"errors": {"code": exc.message(_lang(request))}, "flow": flow, "purpose": "register"},
            status_code=400,
        )
    return render(request, "identity/done.html", {"kind": "registered"})


@router.get("/account/reset")
def reset_form(request: Request) -> Response:
    return render(request, "identity/reset.html", {"errors": {}, "personal_id": ""})


@router.post("/account/reset", dependencies=[Depends(csrf_protect)])
def reset_start(request: Request, personal_id: str = Form(""), session: Session = Depends(db)) -> Response:
    try:
        flow = service.start_password_reset(
            session, get_sender(request.app.state.settings), personal_id, client_ip(request)
        )
    except Hue06Error as exc:
        _commit_failure(session)
        return render(
            request,
            "identity/reset.html",
            {"errors": {"personal_id": exc.message(_lang(request))}, "personal_id": personal_id},
            status_code=exc.status_code,
        )
    return render(request, "identity/code.html", {"errors": {}, "flow": flow, "purpose": "reset"})


@router.post("/account/reset/verify", dependencies=[Depends(csrf_protect)])
def reset_finish(
    request: Request,
    flow: str = Form(""),
    code: str = Form(""),
    password: str = Form(""),
    password2: str = Form(""),
    session: Session = Depends(db),
) -> Response:
    lang = _lang(request)
    errors: dict[str, str] = {}
    if password != password2:
        errors["password2"] = "The passwords differ" if lang == "en" else "Hai mật khẩu không giống nhau"
    if not errors:
        try:
            service.finish_password_reset(session, flow, code, password, client_ip(request))
        except Hue06Error as exc:
            _commit_failure(session)
            errors["password" if exc.code.startswith("password.") else "code"] = exc.message(lang)
        else:
            return render(request, "identity/done.html", {"kind": "reset"})
    return render(
        request, "identity/code.html", {"errors": errors, "flow": flow, "purpose": "reset"}, status_code=400
    )


# --------------------------------------------------------------------------- account: sessions and apps


def _subject(request: Request) -> tuple[str, int, int] | None:
    ws = getattr(request.state, "web_session", None)
    if ws is None or getattr(request.state, "actor", None) is None:
        return None
    return ws.subject_kind, ws.subject_id, ws.id


@router.get("/account")
def account_page(request: Request, session: Session = Depends(db)) -> Response:
    me = _subject(request)
    if me is None:
        return RedirectResponse("/account/login", status_code=303)
    kind, subject_id, current = me
    ctx: dict[str, object] = {
        "kind": kind,
        "sessions": service.list_sessions(session, kind, subject_id),
        "current": current,
        "account": None,
        "apps": [],
        "person": None,
    }
    if kind == "citizen":
        from hue06.registry import service as registry

        account = service.get_citizen(session, subject_id)
        ctx["account"] = account
        ctx["apps"] = oidc.connected_apps(session, subject_id)
        if account is not None:
            ctx["person"] = registry.get_resident_by_id(
                session, account.resident_id, request.state.actor, "citizen views own account"
            )
    return render(request, "identity/account.html", ctx)


@router.post("/account/sessions/{session_id}/end", dependencies=[Depends(csrf_protect)])
def end_one_session(session_id: int, request: Request, session: Session = Depends(db)) -> Response:
    me = _subject(request)
    if me is None:
        return RedirectResponse("/account/login", status_code=303)
    service.end_session_by_id(session, request.state.actor, me[0], me[1], session_id)
    return RedirectResponse("/account#sessions", status_code=303)


@router.post("/account/sessions/end-others", dependencies=[Depends(csrf_protect)])
def end_other_sessions(request: Request, session: Session = Depends(db)) -> Response:
    me = _subject(request)
    if me is None:
        return RedirectResponse("/account/login", status_code=303)
    service.end_all_sessions(session, me[0], me[1], except_id=me[2])
    return RedirectResponse("/account#sessions", status_code=303)


@router.post("/account/apps/{client_id}/withdraw", dependencies=[Depends(csrf_protect)])
def withdraw(client_id: str, request: Request, session: Session = Depends(db)) -> Response:
    me = _subject(request)
    if me is None or me[0] != "citizen":
        return RedirectResponse("/account/login", status_code=303)
    oidc.withdraw_consent(session, request.state.actor, me[1], client_id)
    return RedirectResponse("/account#apps", status_code=303)


# --------------------------------------------------------------------------- the desk: level 2


@router.get("/identity/level2")
def level2_form(request: Request, who=Depends(official)) -> Response:  # type: ignore[no-untyped-def]
    return render(request, "identity/level2.html", {"errors": {}, "qr": "", "done": None})


@router.post("/identity/level2", dependencies=[Depends(csrf_protect)])
def level2(
    request: Request,
    qr: str = Form(""),
    confirm: str = Form(""),
    session: Session = Depends(db),
    who=Depends(official),
) -> Response:  # type: ignore[no-untyped-def]
    lang = _lang(request)
    if confirm != "yes":
        return render(
            request,
            "identity/level2.html",
            {
                "errors": {
                    "confirm": (
                        "Confirm that you checked the card and its holder in person"
                        if lang == "en"
                        else "Xác nhận đã kiểm tra thẻ và người mang thẻ trực tiếp"
                    )
                },
                "qr": qr,
                "done": None,
            },
            status_code=400,
        )
    try:
        done = service.raise_assurance_level(session, qr, who)
    except Hue06Error as exc:
        _commit_failure(session)
        return render(
            request,
            "identity/level2.html",
            {"errors": {"qr": exc.message(lang)}, "qr": qr, "done": None},
            status_code=exc.status_code,
        )
    return render(request, "identity/level2.html", {"errors": {}, "qr": "", "done": done})


# --------------------------------------------------------------------------- OpenID Connect: authorize and logout


def _oauth_error_page(request: Request, error: OAuth2Error) -> Response:
    return render(
        request,
        "identity/oauth_error.html",
        {"error": error.error, "description": error.get_error_description() or ""},
        status_code=400,
    )


def _authorize(
    request: Request, form: list[tuple[str, str]], session: Session, decision: str | None
) -> Response:
    server = oidc.server_for(request, session)
    server.endpoint = "authorization"
    try:
        oreq = server.wrap(request, form)
    except OAuth2Error as error:
        server.log_refusal(None, error)
        return _oauth_error_page(request, error)
    end_user = oidc.end_user_from_session(session, getattr(request.state, "web_session", None))
    try:
        grant = server.get_consent_grant(oreq, end_user)
    except OAuth2Error as error:
        server.log_refusal(oreq, error)
        if error.redirect_uri:
            return server.handle_response(*error())
        return _oauth_error_page(request, error)
    data = oreq.payload.data
    redirect_uri, state = grant.redirect_uri, data.get("state")
    prompt = (data.get("prompt") or "").split()
    max_age = data.get("max_age") or ""
    stale = (
        end_user is not None and max_age.isdigit() and int(time.time()) - end_user.auth_time > int(max_age)
    )
    if end_user is None or (decision is None and ("login" in prompt or stale)):
        if "none" in prompt:
            return RedirectResponse(
                oidc.error_redirect(redirect_uri, "login_required", state), status_code=302
            )
        pairs = form if decision is not None else list(request.query_params.multi_items())
        params = [(k, v) for k, v in pairs if k != "prompt"]
        if end_user is not None:
            service.end_session(session, request.cookies.get(SESSION_COOKIE))
        target = "/oauth/authorize?" + urlencode(params)
        return RedirectResponse("/account/login?" + urlencode({"next": target}), status_code=303)
    assert end_user is not None
    if not oidc.acr_satisfied(data.get("acr_values"), end_user.acr):
        server.log_refusal(oreq, OAuth2Error(error="access_denied"))
        return RedirectResponse(
            oidc.error_redirect(
                redirect_uri, "access_denied", state, "The app asks for a higher assurance level (level 2)."
            ),
            status_code=302,
        )
    client = grant.client
    actor = request.state.actor
    scope = oreq.scope or ""
    if decision == "deny":
        oidc.deny_consent(session, actor, end_user.account_id, client.client_id)
        return server.create_authorization_response(oreq, grant_user=None, grant=grant)
    if decision == "allow":
        oidc.grant_consent(session, actor, end_user.account_id, client.client_id, scope)
        return server.create_authorization_response(oreq, grant_user=end_user, grant=grant)
    if "consent" not in prompt and oidc.consent_covers(session, end_user.account_id, client.client_id, scope):
        return server.create_authorization_response(oreq, grant_user=end_user, grant=grant)
    if "none" in prompt:
        return RedirectResponse(oidc.error_redirect(redirect_uri, "consent_required", state), status_code=302)
    scopes = [(s, oidc.USER_SCOPES[s]) for s in scope.split() if s in oidc.USER_SCOPES]
    params = [(k, v) for k, v in request.query_params.multi_items()]
    return render(
        request,
        "identity/consent.html",
        {"client": client.row, "scopes": scopes, "params": params, "level": end_user.acr},
    )


@router.get("/oauth/authorize")
def authorize(request: Request, session: Session = Depends(db)) -> Response:
    return _authorize(request, [], session, None)


@router.post("/oauth/authorize", dependencies=[Depends(csrf_protect)])
def authorize_decision(
    request: Request, form: list[tuple[str, str]] = Depends(oidc.read_form), session: Session = Depends(db)
) -> Response:
    fields = [(k, v) for k, v in form if k not in ("csrf_token", "decision")]
    decision = dict(form).get("decision")
    if decision not in ("allow", "deny"):
        raise InvalidInput("oidc.decision", "Chọn Đồng ý hoặc Từ chối.", "Choose Allow or Deny.")
    return _authorize(request, fields, session, decision)


def _logout(request: Request, form: list[tuple[str, str]], session: Session, confirmed: bool) -> Response:
    server = oidc.server_for(request, session)
    server.endpoint = "end_session"
    try:
        oreq = server.wrap(request, form)
        req = server.validate_endpoint_request("end_session", oreq)
    except OAuth2Error as error:
        server.log_refusal(None, error)
        return _oauth_error_page(request, error)
    if req.needs_confirmation and not confirmed:
        params = [(k, v) for k, v in request.query_params.multi_items()]
        return render(
            request,
            "identity/logout.html",
            {"client": req.client.row if req.client else None, "params": params, "done": False},
        )
    result = server.create_endpoint_response("end_session", req)
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    from hue06.core import audit

    audit.record(
        session,
        request.state.actor or f"ip:{client_ip(request)}",
        "oidc.logout",
        "oauth_client",
        req.client.client_id if req.client else "",
        {"redirect": bool(req.redirect_uri)},
    )
    response = result or render(request, "identity/logout.html", {"client": None, "params": [], "done": True})
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/oauth/logout")
def rp_logout(request: Request, session: Session = Depends(db)) -> Response:
    return _logout(request, [], session, confirmed=False)


@router.post("/oauth/logout", dependencies=[Depends(csrf_protect)])
def rp_logout_confirm(
    request: Request, form: list[tuple[str, str]] = Depends(oidc.read_form), session: Session = Depends(db)
) -> Response:
    return _logout(request, [(k, v) for k, v in form if k != "csrf_token"], session, confirmed=True)
