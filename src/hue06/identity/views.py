"""Pages: officials' and citizens' sign-in with the second factor, citizens' registration and
password reset, one's sessions and connected apps, the desk's level-2 check, and the OpenID
Connect authorization (consent) and logout pages."""

from __future__ import annotations

import io
import time
from urllib.parse import urlencode, urlparse

import segno
from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.errors import Hue06Error, InvalidInput
from hue06.identity import oidc, service
from hue06.identity.models import LoginChallenge
from hue06.identity.sms import get_sender
from hue06.registry import service as registry
from hue06.web.deps import SESSION_COOKIE, client_ip, csrf_protect, official
from hue06.web.i18n import translate
from hue06.web.templating import render
from hue06.web.transaction import db, finished

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


def _missing(request: Request, *fields: tuple[str, bool, str]) -> dict[str, str]:
    """The message of each (field, missing, Vietnamese message) that is missing, in the page's language."""
    lang = _lang(request)
    return {name: translate(message, lang) for name, missing, message in fields if missing}


def _sign_in(request: Request, session: Session, who: service.Authenticated, next_url: str) -> Response:
    """Start a browser session (ending the one this browser had) and go on."""
    settings = request.app.state.settings
    new = service.replace_session(
        session,
        request.cookies.get(SESSION_COOKIE),
        who,
        settings.session_hours,
        client_ip(request),
        request.headers.get("user-agent", ""),
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


def _signed_in_or_challenged(
    request: Request, session: Session, step: service.Authenticated | service.Challenge, next_url: str
) -> Response:
    """Signed in with the password alone, or on to the second factor."""
    if isinstance(step, service.Authenticated):
        return _sign_in(request, session, step, next_url)
    return _to_challenge(request, step, next_url)


def _to_challenge(request: Request, ch: service.Challenge, next_url: str) -> Response:
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
    errors = _missing(
        request,
        ("username", not username.strip(), "Nhập tên đăng nhập"),
        ("password", not password, "Nhập mật khẩu"),
    )
    status = 400
    if not errors:
        # A refused attempt keeps its trace (failure counts, audit entry) though the answer is 4xx.
        with finished(session):
            try:
                step = service.sign_in_official(
                    session, username, password, client_ip(request), request.app.state.settings.is_production
                )
            except Hue06Error as exc:
                errors["password"] = exc.message(_lang(request))
                status = exc.status_code if exc.status_code == 429 else 400
            else:
                return _signed_in_or_challenged(request, session, step, next)
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
    ch: LoginChallenge,
    next_url: str,
    errors: dict[str, str],
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
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True, border=2)
    return buf.getvalue().decode()


@router.post("/login/totp", dependencies=[Depends(csrf_protect)])
def totp_submit(
    request: Request, code: str = Form(""), next: str = Form("/"), session: Session = Depends(db)
) -> Response:
    token = request.cookies.get(MFA_COOKIE)
    with finished(session):  # a refused code keeps its trace (attempts, failure count, audit entry)
        try:
            who = service.complete_challenge(session, token, code, client_ip(request))
        except Hue06Error as exc:
            refused = exc
        else:
            default = "/" if who.subject_kind == "official" else "/account"
            return _sign_in(request, session, who, next if next != "/" else default)
    ch = service.load_challenge(session, token)
    if ch is None:
        target = "/account/login" if refused.code == "mfa.expired" and "/oauth/" in next else "/login"
        return RedirectResponse(target, status_code=303)
    return _totp_page(
        request,
        session,
        ch,
        next,
        {"code": refused.message(_lang(request))},
        status=429 if refused.status_code == 429 else 400,
    )


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
    errors = _missing(
        request,
        ("personal_id", not personal_id.strip(), "Nhập số định danh cá nhân"),
        ("password", not password, "Nhập mật khẩu"),
    )
    status = 400
    if not errors:
        # A refused attempt keeps its trace (failure counts, audit entry) though the answer is 4xx.
        with finished(session):
            try:
                step = service.sign_in_citizen(session, personal_id, password, client_ip(request))
            except Hue06Error as exc:
                errors["password"] = exc.message(_lang(request))
                status = exc.status_code if exc.status_code == 429 else 400
            else:
                return _signed_in_or_challenged(request, session, step, next)
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
    errors = _missing(
        request,
        ("personal_id", not personal_id.strip(), "Nhập số định danh cá nhân"),
        ("full_name", not full_name.strip(), "Nhập họ và tên"),
        ("date_of_birth", not date_of_birth.strip(), "Nhập ngày sinh"),
        ("phone", not phone.strip(), "Nhập số điện thoại"),
        ("password", not password.strip(), "Nhập mật khẩu"),
    )
    if not errors and password != password2:
        errors["password2"] = translate("Hai mật khẩu không giống nhau", lang)
    if not errors:
        with finished(session):  # a refused registration keeps its trace (failure count, audit entry)
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
                errors[_register_field(exc.code)] = exc.message(lang)
            else:
                return render(
                    request, "identity/code.html", {"errors": {}, "flow": flow, "purpose": "register"}
                )
    return render(request, "identity/register.html", {"errors": errors, "form": form}, status_code=400)


def _register_field(code: str) -> str:
    """The form field a refusal of the registration is shown under."""
    if code.startswith("password."):
        return "password"
    if code == "identity.phone":
        return "phone"
    if code.startswith(("date", "personal_id")):
        return "date_of_birth"
    return "personal_id"


@router.post("/account/register/verify", dependencies=[Depends(csrf_protect)])
def register_verify(
    request: Request, flow: str = Form(""), code: str = Form(""), session: Session = Depends(db)
) -> Response:
    with finished(session):  # a wrong code keeps its trace (the attempt, the audit entry)
        try:
            service.verify_registration(session, flow, code, client_ip(request))
        except Hue06Error as exc:
            refused = exc
        else:
            return render(request, "identity/done.html", {"kind": "registered"})
    return render(
        request,
        "identity/code.html",
        {"errors": {"code": refused.message(_lang(request))}, "flow": flow, "purpose": "register"},
        status_code=400,
    )


@router.get("/account/reset")
def reset_form(request: Request) -> Response:
    return render(request, "identity/reset.html", {"errors": {}, "personal_id": ""})


@router.post("/account/reset", dependencies=[Depends(csrf_protect)])
def reset_start(request: Request, personal_id: str = Form(""), session: Session = Depends(db)) -> Response:
    with finished(session):  # a refused request keeps its trace (the audit entry)
        try:
            flow = service.start_password_reset(
                session, get_sender(request.app.state.settings), personal_id, client_ip(request)
            )
        except Hue06Error as exc:
            refused = exc
        else:
            return render(request, "identity/code.html", {"errors": {}, "flow": flow, "purpose": "reset"})
    return render(
        request,
        "identity/reset.html",
        {"errors": {"personal_id": refused.message(_lang(request))}, "personal_id": personal_id},
        status_code=refused.status_code,
    )


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
        errors["password2"] = translate("Hai mật khẩu không giống nhau", lang)
    if not errors:
        with finished(session):  # a wrong code keeps its trace (the attempt, the audit entry)
            try:
                service.finish_password_reset(session, flow, code, password, client_ip(request))
            except Hue06Error as exc:
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
        message = translate("Xác nhận đã kiểm tra thẻ và người mang thẻ trực tiếp", lang)
        return render(
            request,
            "identity/level2.html",
            {"errors": {"confirm": message}, "qr": qr, "done": None},
            status_code=400,
        )
    with finished(session):  # a refused check keeps its audit entry
        try:
            done = service.raise_assurance_level(session, qr, who)
        except Hue06Error as exc:
            refused = exc
        else:
            return render(request, "identity/level2.html", {"errors": {}, "qr": "", "done": done})
    return render(
        request,
        "identity/level2.html",
        {"errors": {"qr": refused.message(lang)}, "qr": qr, "done": None},
        status_code=refused.status_code,
    )


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
