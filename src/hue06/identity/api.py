"""JSON endpoints: OpenID Connect (discovery, JWKS, token, userinfo, revocation, introspection)
and one's own sessions. OAuth errors are answered in the shape RFC 6749 names
(`{"error": "invalid_grant", ...}`), not in hue06's own error shape, because clients parse them.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from hue06.core.security import Actor
from hue06.identity import keys, oidc, service
from hue06.identity.schemas import LevelIn, LevelOut, SessionOut
from hue06.web.deps import api_write_guard, login_required_error, official
from hue06.web.transaction import db, finished

router = APIRouter(tags=["identity"])


def _run(
    server: oidc.HueAuthorizationServer, request: Request, form: list[tuple[str, str]], action
) -> Response:  # type: ignore[no-untyped-def]
    """Answer an OAuth request and end its unit of work here, in the route's worker thread.

    Issued tokens and refusals alike are audit entries, and the audit log's lock is held until
    commit: committing here releases it (and the connection) at once instead of after the response
    has passed back through the event loop, and saves the middleware a thread hop. OAuth answers its
    own errors as responses, so a 5xx answer is rolled back by hand (the policy's rule).
    """
    with finished(server.db):
        try:
            oreq = server.wrap(request, form)
        except OAuth2Error as error:
            response = server.handle_error_response(None, error)  # type: ignore[arg-type]
        else:
            response = action(oreq)
        if response.status_code >= 500:
            server.db.rollback()
    return response


@router.get("/.well-known/openid-configuration")
def openid_configuration(request: Request) -> JSONResponse:
    return JSONResponse(
        oidc.discovery(oidc.issuer_for(request)), headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/oauth/jwks")
def jwks(request: Request, session: Session = Depends(db)) -> JSONResponse:
    keys.ensure_keys(session, request.app.state.settings.get_secret_key())
    return JSONResponse(keys.public_jwks(session), headers={"Cache-Control": "public, max-age=300"})


@router.post("/oauth/token")
def token(
    request: Request,
    form: list[tuple[str, str]] = Depends(oidc.read_form),
    session: Session = Depends(db),
) -> Response:
    server = oidc.server_for(request, session)
    server.endpoint = "token"
    return _run(server, request, form, server.create_token_response)


@router.get("/oauth/userinfo", operation_id="userinfo_get")
@router.post("/oauth/userinfo", operation_id="userinfo_post")
def userinfo(
    request: Request,
    form: list[tuple[str, str]] = Depends(oidc.read_form),
    session: Session = Depends(db),
) -> Response:
    server = oidc.server_for(request, session)
    server.endpoint = "userinfo"
    return _run(server, request, form, server.userinfo)


@router.post("/oauth/revoke")
def revoke(
    request: Request,
    form: list[tuple[str, str]] = Depends(oidc.read_form),
    session: Session = Depends(db),
) -> Response:
    server = oidc.server_for(request, session)
    server.endpoint = "revocation"
    return _run(server, request, form, lambda oreq: server.create_endpoint_response("revocation", oreq))


@router.post("/oauth/introspect")
def introspect(
    request: Request,
    form: list[tuple[str, str]] = Depends(oidc.read_form),
    session: Session = Depends(db),
) -> Response:
    server = oidc.server_for(request, session)
    server.endpoint = "introspection"
    return _run(server, request, form, lambda oreq: server.create_endpoint_response("introspection", oreq))


# --------------------------------------------------------------------------- one's own sessions


def _me(request: Request, session: Session) -> tuple[Actor, str, int, int | None]:
    """Who is asking and which sessions are theirs: a signed-in browser or an official's API token."""
    who: Actor | None = getattr(request.state, "actor", None)
    if who is None:
        raise login_required_error()
    ws = getattr(request.state, "web_session", None)
    if ws is not None:
        return who, ws.subject_kind, ws.subject_id, ws.id
    if who.kind == "official":
        official = service.get_official_by_username(session, who.id)
        if official is not None:
            return who, "official", official.id, None
    raise login_required_error()


@router.get("/api/v1/me/sessions", response_model=list[SessionOut])
def my_sessions(request: Request, session: Session = Depends(db)) -> list[SessionOut]:
    """The caller's signed-in browsers."""
    _who, kind, subject_id, current = _me(request, session)
    return [
        SessionOut(
            id=s.id,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            expires_at=s.expires_at,
            ip=s.ip,
            user_agent=s.user_agent,
            acr=s.acr,
            current=s.id == current,
        )
        for s in service.list_sessions(session, kind, subject_id)
    ]


@router.delete("/api/v1/me/sessions/{session_id}", status_code=204, dependencies=[Depends(api_write_guard)])
def end_my_session(session_id: int, request: Request, session: Session = Depends(db)) -> Response:
    """Sign one of the caller's browsers out (404 for anybody else's session)."""
    who, kind, subject_id, _current = _me(request, session)
    service.end_session_by_id(session, who, kind, subject_id, session_id)
    return Response(status_code=204)


@router.post("/api/v1/identity/level2", response_model=LevelOut, dependencies=[Depends(api_write_guard)])
def raise_level(body: LevelIn, request: Request, session: Session = Depends(db)) -> LevelOut:
    """Raise a citizen's account to level 2 after checking the card: send the scanned QR string."""
    who = official(request)
    check = service.raise_assurance_level(session, body.qr, who)
    return LevelOut(
        account_id=check.account_id,
        level=check.level,
        checked_by=check.checked_by,
        checked_at=check.checked_at,
    )
