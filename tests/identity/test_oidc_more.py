"""The rest of the provider's behaviour: assurance levels, nonce replay, prompt, key rotation,
consent withdrawal, the audit log's content, and the operator's commands."""

from __future__ import annotations

import os
import subprocess
import sys

from joserfc import jwt
from joserfc.jwk import KeySet
from tests.identity.factories import REDIRECT, citizen_sign_in, form_csrf, pkce_pair, query_of
from tests.identity.test_oidc_flow import _authorize_params, _code_for, _consent, _token


def test_an_app_asking_for_level2_refuses_a_level1_sign_in(web, make_citizen, make_app):
    _a, resident, _ = make_citizen(level=1)
    app = make_app()
    citizen_sign_in(web, resident.personal_id)
    _v, challenge = pkce_pair()
    r = _consent(web, _authorize_params(app.client_id, challenge, acr_values="urn:hue06:loa:2"))
    assert query_of(r.headers["location"])["error"] == "access_denied"


def test_a_nonce_is_good_once_per_client(web, make_citizen, make_app):
    app = make_app()
    citizen = make_citizen()
    _code_for(web, citizen, app, nonce="same-nonce")
    _v, challenge = pkce_pair()
    r = _consent(web, _authorize_params(app.client_id, challenge, nonce="same-nonce"))
    assert query_of(r.headers["location"])["error"] == "invalid_request"
    r = _consent(web, _authorize_params(app.client_id, challenge, nonce=""))
    assert query_of(r.headers["location"])["error"] == "invalid_request"  # nonce is required


def test_prompt_none_without_a_session_and_login_redirect(web, make_app):
    app = make_app()
    _v, challenge = pkce_pair()
    r = web.get(
        "/oauth/authorize",
        params=_authorize_params(app.client_id, challenge, prompt="none"),
        follow_redirects=False,
    )
    assert query_of(r.headers["location"])["error"] == "login_required"
    r = web.get(
        "/oauth/authorize", params=_authorize_params(app.client_id, challenge), follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith(
        "/account/login?next=%2Foauth%2Fauthorize"
    )


def test_key_rotation_keeps_old_keys_published_until_their_tokens_expire(
    web, make_citizen, make_app, session, settings
):
    from datetime import timedelta

    from hue06.core.db import utcnow
    from hue06.identity import keys
    from hue06.identity.models import SigningKey

    app = make_app()
    code, verifier = _code_for(web, make_citizen(), app)
    old = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()["id_token"]
    new_kids = keys.rotate_keys(session, settings.get_secret_key())
    session.commit()
    jwks = web.get("/oauth/jwks").json()
    kids = {k["kid"] for k in jwks["keys"]}
    assert set(new_kids) <= kids and len(kids) == 4
    assert jwt.decode(old, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims["aud"] == app.client_id
    code, verifier = _code_for(web, make_citizen(full_name="Lê Văn Tám", gender="male"), app)
    fresh = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()["id_token"]
    assert jwt.decode(fresh, KeySet.import_key_set(jwks), algorithms=["RS256"]).header["kid"] in new_kids
    # once every token the old keys signed has expired, they leave the JWKS
    for row in session.query(SigningKey).filter(SigningKey.retired_at.is_not(None)):
        row.unpublish_after = utcnow() - timedelta(seconds=1)
    session.commit()
    assert {k["kid"] for k in web.get("/oauth/jwks").json()["keys"]} == set(new_kids)
    # private halves are stored encrypted, never as a readable key
    row = session.query(SigningKey).first()
    assert '"d"' not in row.private_enc and "PRIVATE" not in row.private_enc


def test_withdrawing_consent_revokes_the_apps_tokens_and_asks_again(web, make_citizen, make_app, session):
    app = make_app()
    citizen = make_citizen()
    code, verifier = _code_for(web, citizen, app)
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    page = web.get("/account").text
    assert "Cổng dịch vụ công (thử)" in page
    r = web.post(
        f"/account/apps/{app.client_id}/withdraw", data={"csrf_token": form_csrf(web)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert (
        web.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tok['access_token']}"}).status_code
        == 401
    )
    assert (
        _token(web, app, grant_type="refresh_token", refresh_token=tok["refresh_token"]).json()["error"]
        == "invalid_grant"
    )
    _v, challenge = pkce_pair()
    again = web.get("/oauth/authorize", params=_authorize_params(app.client_id, challenge))
    assert again.status_code == 200 and "consent-scopes" in again.text
    from hue06.core.audit import AuditEntry

    actions = [e.action for e in session.query(AuditEntry)]
    assert "oidc.consent_given" in actions and "oidc.consent_withdrawn" in actions


def test_the_audit_log_never_holds_a_password_token_code_or_secret(web, make_citizen, make_app, session):
    from tests.identity.factories import CITIZEN_PASSWORD

    from hue06.core import audit
    from hue06.core.audit import AuditEntry

    app = make_app()
    account, resident, secret = make_citizen(level=2)
    code, verifier = _code_for(web, (account, resident, secret), app)
    tok = _token(
        web, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    new = _token(web, app, grant_type="refresh_token", refresh_token=tok["refresh_token"]).json()
    web.post("/oauth/revoke", data={"token": new["access_token"]}, auth=(app.client_id, app.client_secret))
    citizen_sign_in(web, resident.personal_id, "mat-khau-sai-123")
    session.expire_all()
    entries = list(session.query(AuditEntry))
    text = " ".join(e.actor + e.action + e.subject_id + e.detail for e in entries)
    for secret_value in (
        CITIZEN_PASSWORD,
        "mat-khau-sai-123",
        code,
        verifier,
        tok["access_token"],
        tok["refresh_token"],
        new["refresh_token"],
        app.client_secret,
        secret,
        resident.personal_id,
    ):
        assert secret_value not in text
    actions = {e.action for e in entries}
    assert {
        "login.succeeded",
        "login.failed",
        "oidc.consent_given",
        "oidc.token_issued",
        "oidc.token_revoked",
    } <= actions
    assert audit.verify(session)[1] is None


def _hue06(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hue06", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=300,
    )


def test_operator_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'oidc.db'}"
    env = {"HUE06_DATA_DIR": str(tmp_path), "HUE06_SECRET_KEY": "k" * 40}
    assert _hue06("init", "--db", url, env=env).returncode == 0
    r = _hue06(
        "oidc",
        "client",
        "add",
        "Cổng DVC",
        "--redirect-uri",
        "https://dvc.example.vn/cb",
        "--scope",
        "openid profile",
        "--db",
        url,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.strip().splitlines())
    assert lines["client_id"].startswith("h06c_") and len(lines["client_secret"]) > 30
    r = _hue06(
        "oidc", "client", "add", "Xấu", "--redirect-uri", "http://evil.example/cb", "--db", url, env=env
    )
    assert r.returncode == 1 and "https" in r.stderr
    r = _hue06(
        "oidc",
        "client",
        "add",
        "Không tin cậy",
        "--redirect-uri",
        "https://x.example.vn/cb",
        "--scope",
        "openid personal_id",
        "--db",
        url,
        env=env,
    )
    assert r.returncode == 1 and "--trusted" in r.stderr
    assert lines["client_id"] in _hue06("oidc", "client", "list", "--db", url, env=env).stdout
    r = _hue06("oidc", "rotate-keys", "--db", url, env=env)
    assert r.returncode == 0 and "rs256-" in r.stdout and "es256-" in r.stdout
    r = _hue06(
        "user",
        "add",
        "canbo_mfa",
        "--role",
        "commune",
        "--unit",
        "19750",
        "--totp",
        "--db",
        url,
        env={**env, "HUE06_PASSWORD": "mat-khau-rat-dai-123"},
    )
    assert r.returncode == 0 and "otpauth://totp/hue06:canbo_mfa?secret=" in r.stdout
    r = _hue06("user", "totp-code", "canbo_mfa", "--db", url, env=env)
    assert r.returncode == 0 and r.stdout.strip().isdigit() and len(r.stdout.strip()) == 6
