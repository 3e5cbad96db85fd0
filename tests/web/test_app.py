"""The app shell: health, language switch, login safety, CSRF, error shapes, logs without personal data."""

from __future__ import annotations

import logging

from tests.conftest import TEST_PASSWORD

from hue06.identity.testing import TEST_TOTP_SECRET, complete_totp


def test_healthz_names_the_database(client, backend):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] == ("postgresql" if backend == "postgresql" else "sqlite")


def test_home_is_vietnamese_with_an_english_switch(client):
    r = client.get("/")
    assert r.status_code == 200
    assert 'lang="vi"' in r.text and "Cán bộ đăng nhập" in r.text
    r = client.get("/?lang=en")
    assert 'lang="en"' in r.text and "Sign in" in r.text
    # the choice sticks through a cookie
    assert 'lang="en"' in client.get("/").text


def test_login_failure_does_not_reveal_whether_the_account_exists(client, make_official):
    make_official("canbo_xa", "commune", "19750")
    client.get("/login")
    csrf = client.cookies.get("hue06_csrf")
    wrong_password = client.post(
        "/login", data={"username": "canbo_xa", "password": "sai-mat-khau", "csrf_token": csrf}
    )
    no_account = client.post(
        "/login", data={"username": "khong_co", "password": "sai-mat-khau", "csrf_token": csrf}
    )
    assert wrong_password.status_code == no_account.status_code == 400
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in wrong_password.text
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in no_account.text


def test_login_without_csrf_token_is_refused(client, make_official):
    make_official("canbo_xa", "commune", "19750")
    client.get("/login")
    r = client.post("/login", data={"username": "canbo_xa", "password": TEST_PASSWORD})
    assert r.status_code == 403
    assert "hue06_session" not in client.cookies


def test_login_then_logout(client, make_official, signed_in, session):
    make_official("canbo_xa", "commune", "19750")
    signed_in("canbo_xa")
    assert "canbo_xa" in client.get("/").text
    csrf = client.cookies.get("hue06_csrf")
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "canbo_xa" not in client.get("/").text


def test_failed_logins_are_audited_and_counted(client, make_official, session):
    from hue06.core.audit import AuditEntry
    from hue06.identity.models import Official

    make_official("canbo_xa", "commune", "19750")
    client.get("/login")
    csrf = client.cookies.get("hue06_csrf")
    client.post("/login", data={"username": "canbo_xa", "password": "sai", "csrf_token": csrf})
    session.expire_all()
    assert session.query(Official).filter_by(username="canbo_xa").one().failed_logins == 1
    actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
    assert "login.failed" in actions


def test_open_redirect_after_login_is_refused(client, make_official):
    make_official("canbo_xa", "commune", "19750")
    client.get("/login")
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        "/login",
        data={
            "username": "canbo_xa",
            "password": TEST_PASSWORD,
            "csrf_token": csrf,
            "next": "https://evil.example/phish",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/login/totp?next=%2F"  # the foreign address is dropped at once
    r = complete_totp(
        client, TEST_TOTP_SECRET, next_url="https://evil.example/phish"
    )  # and at the second step
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_api_errors_are_json_in_both_languages(client):
    r = client.get("/api/v1/residents/046090001234")
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "auth.required"
    assert body["message"]["vi"] and body["message"]["en"]


def test_access_log_names_routes_not_personal_ids(client, make_official, caplog):
    from hue06.identity import service

    make_official("tinh", "province", "46")
    caplog.set_level(logging.INFO, logger="hue06.access")
    with client.app.state.sessionmaker() as s:
        token = service.create_api_token(s, "tinh")
        s.commit()
    client.get("/api/v1/residents/046190012345", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/residents?q=nguyen+thi+lan", headers={"Authorization": f"Bearer {token}"})
    text = caplog.text
    assert "046190012345" not in text and "nguyen" not in text
    assert "/api/v1/residents/{personal_id}" in text


def test_unknown_page_is_a_friendly_404(client):
    r = client.get("/khong-co-trang-nay", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "Không tìm thấy trang" in r.text


def test_numbers_beyond_a_column_answer_like_an_unknown_id_not_500(client, make_official, signed_in):
    """Found by schemathesis: an ID past the database's integer range crashed the route (500)."""
    make_official("tinh", "province", "46")
    signed_in("tinh")
    for path in (
        "/api/v1/quality/runs/9223372036854775808",
        "/api/v1/quality/runs/2147483648",
        "/api/v1/services/dossiers/9223372036854775808",
        "/api/v1/steering/tasks/-9223372036854775809",
    ):
        big = client.get(path)
        unknown = client.get(path.rsplit("/", 1)[0] + "/999999")
        assert big.status_code == 404, (path, big.status_code, big.text)
        assert unknown.status_code == 404 and big.json()["error"] == unknown.json()["error"]


def test_answers_with_personal_data_are_not_cacheable(client, make_official, signed_in):
    make_official("tinh", "province", "46")
    signed_in("tinh")
    for path in ("/registry/residents", "/api/v1/residents?q=nguyen", "/"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    # Public documents keep their own caching; static files are not personal.
    assert "max-age" in client.get("/.well-known/openid-configuration").headers["cache-control"]
    assert client.get("/static/css/app.css").headers.get("cache-control", "") != "no-store"
