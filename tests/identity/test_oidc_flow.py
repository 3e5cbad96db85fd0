"""The authorization code flow through the app (TestClient), and each bad input refused by name."""

from __future__ import annotations

import base64
import json
import secrets

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from tests.identity.factories import REDIRECT, citizen_sign_in, form_csrf, pkce_pair, query_of


def _authorize_params(client_id: str, challenge: str, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "st-123",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v != ""}


def _consent(web, params: dict[str, str]):  # type: ignore[no-untyped-def]
    r = web.get("/oauth/authorize", params=params, follow_redirects=False)
    if r.status_code == 200 and "consent-scopes" in r.text:
        data = dict(params, decision="allow", csrf_token=form_csrf(web))
        r = web.post("/oauth/authorize", data=data, follow_redirects=False)
    return r


def _code_for(web, citizen, app, **extra: str):  # type: ignore[no-untyped-def]
    _account, resident, secret = citizen
    verifier, challenge = pkce_pair()
    params = _authorize_params(app.client_id, challenge, **extra)
    assert citizen_sign_in(web, resident.personal_id, totp_secret=secret).status_code == 303
    r = _consent(web, params)
    assert r.status_code == 302, r.text
    q = query_of(r.headers["location"])
    assert q.get("state") == "st-123"
    return q["code"], verifier


def _token(web, app, **data: str):  # type: ignore[no-untyped-def]
    return web.post("/oauth/token", data=data, auth=(app.client_id, app.client_secret))


def test_code_flow_issues_signed_id_token_and_userinfo_from_the_register(web, make_citizen, make_app):
    citizen = make_citizen(level=2)
    app = make_app()
    code, verifier = _code_for(web, citizen, app, nonce="n-456")
    r = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"] == "Bearer" and tok["refresh_token"] and r.headers["cache-control"] == "no-store"
    jwks = KeySet.import_key_set(web.get("/oauth/jwks").json())
    claims = jwt.decode(tok["id_token"], jwks, algorithms=["RS256"]).claims
    assert claims["iss"] == "http://localhost" and claims["aud"] == app.client_id
    assert claims["nonce"] == "n-456" and claims["acr"] == "urn:hue06:loa:2" and "otp" in claims["amr"]
    assert claims["sub"] == citizen[0].subject and claims["sub"] != citizen[1].personal_id
    info = web.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tok['access_token']}"}).json()
    assert (
        info["name"] == "Nguyễn Thị Thúy" and info["birthdate"] == "1990-05-17" and "personal_id" not in info
    )


def test_es256_client_gets_es256_id_tokens(web, make_citizen, make_app):
    app = make_app(id_token_alg="ES256")
    code, verifier = _code_for(web, make_citizen(), app)
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    header = json.loads(base64.urlsafe_b64decode(tok["id_token"].split(".")[0] + "=="))
    assert header["alg"] == "ES256"
    jwks = KeySet.import_key_set(web.get("/oauth/jwks").json())
    assert jwt.decode(tok["id_token"], jwks, algorithms=["ES256"]).claims["acr"] == "urn:hue06:loa:1"


# --------------------------------------------------------------------------- bad input


def _audit_actions(session) -> list[str]:  # type: ignore[no-untyped-def]
    from hue06.core.audit import AuditEntry

    session.expire_all()
    return [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]


@pytest.mark.parametrize(
    "redirect",
    [
        "https://app.example.vn/callback/extra",
        "https://evil.example/callback",
        "https://app.example.vn/callback?x=1",
    ],
)
def test_wrong_or_extra_redirect_uri_is_refused_without_redirecting(
    web, make_citizen, make_app, session, redirect
):
    _account, resident, _ = make_citizen()
    app = make_app()
    citizen_sign_in(web, resident.personal_id)
    _v, challenge = pkce_pair()
    r = web.get(
        "/oauth/authorize",
        params=_authorize_params(app.client_id, challenge, redirect_uri=redirect),
        follow_redirects=False,
    )
    assert r.status_code == 400 and "invalid_request" in r.text
    assert "oidc.refused" in _audit_actions(session)


def test_two_redirect_uris_are_refused(web, make_citizen, make_app):
    _a, resident, _ = make_citizen()
    app = make_app()
    citizen_sign_in(web, resident.personal_id)
    _v, challenge = pkce_pair()
    params = [*list(_authorize_params(app.client_id, challenge).items()), ("redirect_uri", REDIRECT)]
    r = web.get("/oauth/authorize", params=params, follow_redirects=False)
    assert r.status_code == 400 and "invalid_request" in r.text


@pytest.mark.parametrize(
    ("challenge_method", "send_challenge"), [("plain", True), ("", True), ("S256", False)]
)
def test_pkce_is_required_and_s256_only(web, make_citizen, make_app, challenge_method, send_challenge):
    _a, resident, _ = make_citizen()
    app = make_app()
    citizen_sign_in(web, resident.personal_id)
    verifier, challenge = pkce_pair()
    params = _authorize_params(
        app.client_id, challenge if send_challenge else "", code_challenge_method=challenge_method
    )
    if challenge_method == "plain":
        params["code_challenge"] = verifier
    r = web.get("/oauth/authorize", params=params, follow_redirects=False)
    assert r.status_code == 302
    q = query_of(r.headers["location"])
    assert q["error"] == "invalid_request" and q["state"] == "st-123" and "code" not in q


def test_missing_or_wrong_verifier_and_reused_code(web, make_citizen, make_app, session):
    citizen = make_citizen()
    app = make_app()
    code, verifier = _code_for(web, citizen, app)
    r = _token(web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = _token(
        web,
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=pkce_pair()[0],
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    first = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert first.status_code == 200
    again = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # the tokens issued from the code that was replayed are dead now
    info = web.get("/oauth/userinfo", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert info.status_code == 401 and info.json()["error"] == "invalid_token"
    assert "oidc.code_reuse" in _audit_actions(session)
    from hue06.core.audit import AuditEntry

    refused = [
        e.detail for e in session.query(AuditEntry).filter_by(action="oidc.refused", subject_id="token")
    ]
    assert any('"invalid_request"' in d for d in refused) and any('"invalid_grant"' in d for d in refused)


def test_token_redirect_uri_must_equal_the_authorize_one(web, make_citizen, make_app):
    app = make_app(redirect_uris=[REDIRECT, "https://app.example.vn/other"])
    code, verifier = _code_for(web, make_citizen(), app)
    r = _token(
        web,
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri="https://app.example.vn/other",
        code_verifier=verifier,
    )
    assert r.json()["error"] == "invalid_grant"


def test_unknown_client_and_wrong_secret(web, make_citizen, make_app):
    _a, resident, _ = make_citizen()
    app = make_app()
    citizen_sign_in(web, resident.personal_id)
    _v, challenge = pkce_pair()
    r = web.get(
        "/oauth/authorize", params=_authorize_params("h06c_nobody", challenge), follow_redirects=False
    )
    assert r.status_code == 400 and "invalid_client" in r.text
    r = web.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(app.client_id, "wrong"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = web.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("h06c_nobody", "x"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_scope_not_granted_to_the_client_is_refused(web, make_citizen, make_app):
    _a, resident, _ = make_citizen()
    app = make_app(scopes="openid profile")
    citizen_sign_in(web, resident.personal_id)
    _v, challenge = pkce_pair()
    for scope in ("openid profile phone", "openid personal_id"):
        r = web.get(
            "/oauth/authorize",
            params=_authorize_params(app.client_id, challenge, scope=scope),
            follow_redirects=False,
        )
        assert query_of(r.headers["location"])["error"] == "invalid_scope"


def test_personal_id_only_for_trusted_clients(web, make_citizen, make_app, session):
    from hue06.core.errors import InvalidInput
    from hue06.identity import oidc

    with pytest.raises(InvalidInput):
        oidc.register_client(session, "Untrusted", [REDIRECT], ["openid personal_id"])
    app = make_app(scopes="openid profile personal_id", trusted=True)
    citizen = make_citizen()
    code, verifier = _code_for(web, citizen, app, scope="openid personal_id")
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    info = web.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tok['access_token']}"}).json()
    assert info["personal_id"] == citizen[1].personal_id and "name" not in info


def test_unsupported_grant_type_and_unauthorized_client(web, make_app):
    app = make_app()  # a sign-in app: no client_credentials grant
    r = _token(web, app, grant_type="password", username="x", password="y")
    assert r.json()["error"] == "unsupported_grant_type"
    r = _token(web, app, grant_type="client_credentials")
    assert r.json()["error"] == "unauthorized_client"


def test_consent_denied_returns_access_denied_and_is_audited(web, make_citizen, make_app, session):
    _a, resident, _ = make_citizen()
    app = make_app()
    citizen_sign_in(web, resident.personal_id)
    _v, challenge = pkce_pair()
    params = _authorize_params(app.client_id, challenge)
    page = web.get("/oauth/authorize", params=params)
    assert "“Cổng dịch vụ công (thử)” muốn đăng nhập" in page.text
    assert "Họ tên, giới tính, ngày sinh" in page.text
    r = web.post(
        "/oauth/authorize",
        data=dict(params, decision="deny", csrf_token=form_csrf(web)),
        follow_redirects=False,
    )
    assert query_of(r.headers["location"])["error"] == "access_denied"
    assert "oidc.consent_denied" in _audit_actions(session)


def test_refresh_rotation_and_reuse_revokes_the_family(web, make_citizen, make_app, session):
    app = make_app()
    code, verifier = _code_for(web, make_citizen(), app)
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    r1 = _token(web, app, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    assert r1.status_code == 200
    new = r1.json()
    assert new["refresh_token"] != tok["refresh_token"]
    # the old refresh token comes back: that means it leaked, so everything of this grant dies
    reuse = _token(web, app, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    assert reuse.json()["error"] == "invalid_grant"
    after = _token(web, app, grant_type="refresh_token", refresh_token=new["refresh_token"])
    assert after.json()["error"] == "invalid_grant"
    info = web.get("/oauth/userinfo", headers={"Authorization": f"Bearer {new['access_token']}"})
    assert info.status_code == 401
    assert "oidc.refresh_reuse" in _audit_actions(session)


def test_revocation_introspection_and_expired_token(web, make_citizen, make_app, session):
    from hue06.identity.models import OAuthToken

    app = make_app()
    other = make_app(name="Ứng dụng khác")
    code, verifier = _code_for(web, make_citizen(), app)
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    r = web.post(
        "/oauth/introspect", data={"token": tok["access_token"]}, auth=(app.client_id, app.client_secret)
    )
    assert r.json()["active"] is True and r.json()["acr"] == "urn:hue06:loa:1"
    # another (untrusted) client may not look at it; an unauthenticated caller is refused
    r = web.post(
        "/oauth/introspect", data={"token": tok["access_token"]}, auth=(other.client_id, other.client_secret)
    )
    assert r.json() == {"active": False}
    assert web.post("/oauth/introspect", data={"token": tok["access_token"]}).status_code == 401
    r = web.post(
        "/oauth/revoke",
        data={"token": tok["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(app.client_id, app.client_secret),
    )
    assert r.status_code == 200
    r = web.post(
        "/oauth/introspect", data={"token": tok["access_token"]}, auth=(app.client_id, app.client_secret)
    )
    assert r.json() == {"active": False}
    assert (
        _token(web, app, grant_type="refresh_token", refresh_token=tok["refresh_token"]).json()["error"]
        == "invalid_grant"
    )
    assert "oidc.token_revoked" in _audit_actions(session)
    # an expired access token
    code, verifier = _code_for(web, make_citizen(full_name="Trần Văn Bình", gender="male"), app)
    tok2 = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    from datetime import timedelta

    from hue06.core.db import utcnow
    from hue06.core.security import token_hash

    session.expire_all()
    row = session.query(OAuthToken).filter_by(access_hash=token_hash(tok2["access_token"])).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    r = web.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tok2['access_token']}"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_client_credentials_grant(web, make_app):
    app = make_app(
        name="Hệ thống BHXH", redirect_uris=[], scopes="registry.verify", grant_types=["client_credentials"]
    )
    r = _token(web, app, grant_type="client_credentials", scope="registry.verify")
    assert r.status_code == 200 and "refresh_token" not in r.json() and "id_token" not in r.json()
    assert (
        _token(web, app, grant_type="client_credentials", scope="openid").json()["error"] == "invalid_scope"
    )


def _forge(claims: dict, key, alg: str) -> str:  # type: ignore[no-untyped-def]
    return jwt.encode({"alg": alg, "kid": "forged"}, claims, key, algorithms=[alg])


def test_logout_refuses_forged_id_tokens_and_ends_the_session_with_a_real_one(
    web, make_citizen, make_app, session
):
    app = make_app()
    code, verifier = _code_for(web, make_citizen(), app)
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    real = tok["id_token"]
    claims = jwt.decode(
        real, KeySet.import_key_set(web.get("/oauth/jwks").json()), algorithms=["RS256"]
    ).claims
    header, payload, sig = real.split(".")
    tampered_payload = base64.urlsafe_b64encode(json.dumps(dict(claims, sub="someone-else")).encode()).rstrip(
        b"="
    )
    alg_none = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode() + "." + payload + "."
    forged = {
        "other key (RS256)": _forge(claims, RSAKey.generate_key(2048), "RS256"),
        "other key (ES256)": _forge(claims, ECKey.generate_key("P-256"), "ES256"),
        "alg none": alg_none,
        "tampered": f"{header}.{tampered_payload.decode()}.{sig}",
    }
    for name, hint in forged.items():
        r = web.get(
            "/oauth/logout",
            params={"id_token_hint": hint, "post_logout_redirect_uri": "https://app.example.vn/"},
            follow_redirects=False,
        )
        assert r.status_code == 400 and "invalid_request" in r.text, name
    assert web.get("/account", follow_redirects=False).status_code == 200  # still signed in
    r = web.get(
        "/oauth/logout",
        params={"id_token_hint": real, "post_logout_redirect_uri": "https://app.example.vn/", "state": "bye"},
        follow_redirects=False,
    )
    assert r.status_code == 302 and r.headers["location"] == "https://app.example.vn/?state=bye"
    assert web.get("/account", follow_redirects=False).status_code == 303  # signed out
    assert _audit_actions(session).count("oidc.refused") >= 4


def test_discovery_document(web):
    d = web.get("/.well-known/openid-configuration").json()
    assert d["issuer"] == "http://localhost"
    assert d["code_challenge_methods_supported"] == ["S256"]
    assert set(d["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert d["acr_values_supported"] == ["urn:hue06:loa:1", "urn:hue06:loa:2"]
    assert web.get(d["jwks_uri"].replace("http://localhost", "")).json()["keys"]
