"""The whole OpenID Connect code flow against a running server, driven by a client library that is
not ours: Authlib's OAuth2Client (httpx) for the protocol, joserfc for checking the ID token
against the published JWKS, and a plain httpx client as the citizen's browser."""

from __future__ import annotations

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from tests.identity.factories import CITIZEN_PASSWORD, make_app, make_citizen, make_resident

from hue06.identity.testing import totp_code

FIXTURES = (make_app, make_citizen, make_resident)  # the identity factories, used as fixtures here
pytestmark = pytest.mark.slow

REDIRECT = "https://portal.example.vn/callback"


def _sign_in_and_consent(browser: httpx.Client, authorize_url: str, personal_id: str, secret: str) -> str:
    """What the citizen's browser does between authorize and the redirect back: returns its Location."""
    r = browser.get(authorize_url)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/login")
    login_page = r.headers["location"]
    browser.get(login_page)
    csrf = browser.cookies.get("hue06_csrf")
    next_url = httpx.URL(login_page).params["next"]
    r = browser.post(
        "/account/login",
        data={"personal_id": personal_id, "password": CITIZEN_PASSWORD, "csrf_token": csrf, "next": next_url},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")
    r = browser.post("/login/totp", data={"code": totp_code(secret), "csrf_token": csrf, "next": next_url})
    assert r.status_code == 303 and r.headers["location"].startswith("/oauth/authorize")
    consent = browser.get(r.headers["location"])
    assert consent.status_code == 200 and "Cổng dịch vụ công" in consent.text
    form = dict(httpx.URL(r.headers["location"]).params.multi_items())
    r = browser.post("/oauth/authorize", data={**form, "decision": "allow", "csrf_token": csrf})
    assert r.status_code == 302, r.text
    return r.headers["location"]


def test_full_code_flow_with_a_real_client_library(live_server, make_citizen, make_app):
    account, resident, secret = make_citizen(level=2, full_name="Tôn Nữ Minh Thư", phone="0905123456")
    app = make_app(name="Cổng dịch vụ công (e2e)", redirect_uris=[REDIRECT], id_token_alg="ES256")

    meta = httpx.get(f"{live_server}/.well-known/openid-configuration").json()
    assert meta["issuer"] == live_server

    client = OAuth2Client(
        app.client_id,
        app.client_secret,
        scope="openid profile address phone",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(64), generate_token(20)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    with httpx.Client(base_url=live_server, follow_redirects=False) as browser:
        location = _sign_in_and_consent(browser, url, resident.personal_id, secret)
        assert location.startswith(REDIRECT)

        token = client.fetch_token(
            meta["token_endpoint"], authorization_response=location, code_verifier=verifier, state=state
        )
        assert {"access_token", "refresh_token", "id_token", "expires_in"} <= set(token)

        # ID token: signature against the JWKS, then the claims a relying party must check
        jwks = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
        decoded = jwt.decode(token["id_token"], jwks, algorithms=["ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": live_server},
            aud={"essential": True, "value": app.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True, "value": account.subject},
        ).validate(decoded.claims)
        assert decoded.header["kid"] in {k["kid"] for k in jwks.as_dict()["keys"]}
        assert decoded.claims["acr"] == "urn:hue06:loa:2" and decoded.claims["amr"] == ["pwd", "otp"]

        info = client.get(meta["userinfo_endpoint"]).json()
        assert info["sub"] == account.subject and info["name"] == "Tôn Nữ Minh Thư"
        assert info["phone_number"] == "+84905123456" and info["phone_number_verified"] is True
        assert "12 Lê Lợi" in info["address"]["formatted"] and "personal_id" not in info

        # refresh: a new pair; the old refresh token is spent
        old_refresh = token["refresh_token"]
        new = client.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
        assert new["refresh_token"] != old_refresh and new["access_token"] != token["access_token"]
        assert client.get(meta["userinfo_endpoint"]).status_code == 200

        # revocation (RFC 7009) of the refresh token ends the grant: userinfo refuses the access token
        r = client.revoke_token(
            meta["revocation_endpoint"], token=new["refresh_token"], token_type_hint="refresh_token"
        )
        assert r.status_code == 200
        r = client.get(meta["userinfo_endpoint"])
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        intro = httpx.post(
            meta["introspection_endpoint"],
            data={"token": new["access_token"]},
            auth=(app.client_id, app.client_secret),
        ).json()
        assert intro == {"active": False}

        # RP-initiated logout ends the citizen's session at hue06
        assert browser.get("/account").status_code == 200
        r = browser.get(
            meta["end_session_endpoint"],
            params={
                "id_token_hint": token["id_token"],
                "post_logout_redirect_uri": "https://portal.example.vn/",
            },
        )
        assert r.status_code == 302 and r.headers["location"] == "https://portal.example.vn/"
        assert browser.get("/account").status_code == 303
    client.close()


def test_client_credentials_and_introspection_against_the_server(live_server, make_app):
    app = make_app(
        name="Hệ thống BHXH", redirect_uris=[], scopes="registry.verify", grant_types=["client_credentials"]
    )
    meta = httpx.get(f"{live_server}/.well-known/openid-configuration").json()
    with OAuth2Client(app.client_id, app.client_secret, scope="registry.verify") as client:
        token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert token["scope"] == "registry.verify" and "refresh_token" not in token
    intro = httpx.post(
        meta["introspection_endpoint"],
        data={"token": token["access_token"]},
        auth=(app.client_id, app.client_secret),
    ).json()
    assert intro["active"] is True and intro["client_id"] == app.client_id and "sub" not in intro
