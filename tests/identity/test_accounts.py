"""Citizens' accounts and login safety as a person meets them: registration against the register,
codes by SMS, throttling, second factors, password reset, sessions, the desk's level-2 check."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import date

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update as sa_update
from tests.conftest import TEST_PASSWORD
from tests.identity.factories import CITIZEN_PASSWORD, citizen_sign_in, form_csrf

from hue06.core.db import utcnow
from hue06.identity import service
from hue06.identity.models import ApiToken
from hue06.identity.service import _common, challenges, tokens
from hue06.identity.sms import read_outbox
from hue06.identity.testing import TEST_TOTP_SECRET, sign_in_official, totp_code


def _audit(session) -> list:  # type: ignore[no-untyped-def]
    from hue06.core.audit import AuditEntry

    session.expire_all()
    return list(session.query(AuditEntry).order_by(AuditEntry.seq))


def _register(client, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "personal_id": "",
        "full_name": "",
        "date_of_birth": "17/05/1990",
        "phone": "0912345678",
        "password": "hoa-phuong-do-2024",
        "password2": "hoa-phuong-do-2024",
        **fields,
    }
    return client.post("/account/register", data={**data, "csrf_token": form_csrf(client)})


def _last_code(settings) -> str:  # type: ignore[no-untyped-def]
    _phone, text = read_outbox(settings.sms_outbox)[-1]
    return re.search(r"\b(\d{6})\b", text).group(1)


@pytest.mark.parametrize("typed", ["Nguyễn Thị Thúy", "NGUYỄN THỊ THUÝ", "nguyen thi thuy"])
def test_self_registration_matches_the_register_and_proves_the_phone(
    web, make_resident, settings, session, typed
):
    resident = make_resident()
    r = _register(web, personal_id=resident.personal_id, full_name=typed)
    assert r.status_code == 200 and "Nhập mã xác thực" in r.text
    flow = re.search(r'name="flow" value="([^"]+)"', r.text).group(1)
    code = _last_code(settings)
    assert read_outbox(settings.sms_outbox)[-1][0] == "0912345678"
    assert (
        web.post(
            "/account/register/verify",
            data={
                "flow": flow,
                "code": "000000" if code != "000000" else "111111",
                "csrf_token": form_csrf(web),
            },
        ).status_code
        == 400
    )
    r = web.post("/account/register/verify", data={"flow": flow, "code": code, "csrf_token": form_csrf(web)})
    assert r.status_code == 200 and "Tài khoản đã được kích hoạt" in r.text
    assert citizen_sign_in(web, resident.personal_id, "hoa-phuong-do-2024").status_code == 303
    page = web.get("/account").text
    assert "Mức 1" in page and resident.full_name in page
    # the code went to the phone (outbox) and nowhere else: not in the audit log
    assert all(code not in (e.detail + e.subject_id + e.actor) for e in _audit(session))
    assert "citizen.registered" in [e.action for e in _audit(session)]


@pytest.mark.parametrize(
    "change",
    [
        {"full_name": "Nguyễn Thị Thu"},
        {"date_of_birth": "18/05/1990"},
        {"personal_id": "046190999999"},
        {"phone": "0987654321"},
        {"status": "deceased"},
    ],
)
def test_registration_refuses_details_that_disagree_with_the_register(
    web, make_resident, settings, session, change
):
    change = dict(change)
    resident = make_resident(phone="0912345678", status=change.pop("status", "alive"))
    fields = {"personal_id": resident.personal_id, "full_name": resident.full_name, **change}
    r = _register(web, **fields)
    assert r.status_code == 400
    assert "không khớp với Cơ sở dữ liệu dân cư" in r.text
    assert read_outbox(settings.sms_outbox) == []
    assert "citizen.registration_refused" in [e.action for e in _audit(session)]


def test_registering_again_does_not_reveal_the_account_but_warns_its_owner(
    web, make_citizen, settings, session
):
    _account, resident, _ = make_citizen(phone="0912345678")
    r = _register(web, personal_id=resident.personal_id, full_name=resident.full_name)
    assert r.status_code == 200 and "Nhập mã xác thực" in r.text
    phone, text = read_outbox(settings.sms_outbox)[-1]
    assert phone == "0912345678" and "Quen mat khau" in text and not re.search(r"\d{6}", text)
    from hue06.identity.models import CitizenAccount

    assert session.query(CitizenAccount).count() == 1


def test_weak_passwords_are_refused(web, make_resident):
    resident = make_resident()
    r = _register(
        web,
        personal_id=resident.personal_id,
        full_name=resident.full_name,
        password="12345678",
        password2="12345678",
    )
    assert r.status_code == 400 and "quá dễ đoán" in r.text
    r = _register(
        web, personal_id=resident.personal_id, full_name=resident.full_name, password="ngan", password2="ngan"
    )
    assert "ít nhất 8 ký tự" in r.text


def test_login_throttling_looks_the_same_for_unknown_accounts(web, make_citizen, session):
    _a, resident, _ = make_citizen()
    answers = {}
    for name in (resident.personal_id, "046190000001"):
        texts = [citizen_sign_in(web, name, "sai-mat-khau").status_code for _ in range(service.FREE_FAILURES)]
        assert texts == [400] * service.FREE_FAILURES
        r = citizen_sign_in(web, name, CITIZEN_PASSWORD)  # even the right password now waits
        answers[name] = (r.status_code, "Vui lòng thử lại sau" in r.text)
    assert answers[resident.personal_id] == answers["046190000001"] == (429, True)
    assert "login.throttled" in [e.action for e in _audit(session)]


def test_hard_limit_of_100_consecutive_failures(session, make_citizen):
    from hue06.core.errors import Hue06Error
    from hue06.identity.models import LoginThrottle

    _a, resident, _ = make_citizen()
    for _ in range(service.HARD_LIMIT - 1):
        service.record_failure(session, "citizen", resident.personal_id, "")
    row = session.get(LoginThrottle, _common._acct_key("citizen", resident.personal_id))
    row.locked_until = None  # the back-off has passed
    session.commit()
    with pytest.raises(Hue06Error):
        service.authenticate_citizen(session, resident.personal_id, "sai", "10.0.0.9")
    session.commit()
    row = session.get(LoginThrottle, _common._acct_key("citizen", resident.personal_id))
    row.locked_until = None
    session.commit()
    with pytest.raises(Hue06Error) as exc:
        service.authenticate_citizen(session, resident.personal_id, CITIZEN_PASSWORD, "10.0.0.9")
    assert exc.value.code == "login.locked"


def test_failures_from_one_address_are_limited(session, make_citizen):
    from hue06.core.errors import Hue06Error

    _a, resident, _ = make_citizen()
    for i in range(service.IP_LIMIT):
        service.record_failure(session, "citizen", f"04619000{i:04d}", "203.0.113.7")
    session.commit()
    with pytest.raises(Hue06Error) as exc:
        service.authenticate_citizen(session, resident.personal_id, CITIZEN_PASSWORD, "203.0.113.7")
    assert exc.value.code == "login.throttled"
    assert service.authenticate_citizen(session, resident.personal_id, CITIZEN_PASSWORD, "203.0.113.8").id


def test_official_with_totp_needs_the_code_and_a_code_is_good_once(client, make_official, session):
    secret = pyotp.random_base32()
    make_official("canbo_xa", "commune", "19750", totp_secret=secret)
    client.get("/login")
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        "/login",
        data={"username": "canbo_xa", "password": TEST_PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")
    assert "hue06_session" not in client.cookies
    r = client.post("/login/totp", data={"code": "123456", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 400 and "Mã xác thực không đúng" in r.text
    code = totp_code(secret)
    r = client.post("/login/totp", data={"code": code, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and client.cookies.get("hue06_session")
    # the same code again, in a new sign-in: refused (replay)
    client.cookies.delete("hue06_session")
    client.post("/login", data={"username": "canbo_xa", "password": TEST_PASSWORD, "csrf_token": csrf})
    r = client.post("/login/totp", data={"code": code, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 400
    actions = [e.action for e in _audit(session)]
    assert "login.succeeded" in actions and "login.failed" in actions


def test_production_officials_without_totp_enrol_on_first_login(
    settings, session_factory, make_official, session
):
    from hue06.identity.models import Official
    from hue06.web.app import create_app

    make_official("canbo_moi", "commune", "19750", totp_secret=None)
    app = create_app(dataclasses.replace(settings, environment="production", base_url="https://localhost"))
    with TestClient(app, base_url="https://localhost") as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={
                "username": "canbo_moi",
                "password": TEST_PASSWORD,
                "csrf_token": c.cookies.get("hue06_csrf"),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")
        page = c.get(r.headers["location"])
        assert "Thiết lập xác thực hai lớp" in page.text and "<svg" in page.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
        r = c.post(
            "/login/totp",
            data={"code": pyotp.TOTP(secret).now(), "csrf_token": c.cookies.get("hue06_csrf")},
            follow_redirects=False,
        )
        assert r.status_code == 303 and c.cookies.get("hue06_session")
    app.state.engine.dispose()
    session.expire_all()
    assert session.query(Official).filter_by(username="canbo_moi").one().totp_secret == secret
    assert "mfa.enrolled" in [e.action for e in _audit(session)]


def test_password_reset_by_code_ends_old_sessions(web, make_citizen, settings, app):
    _a, resident, _ = make_citizen(phone="0934567890")
    assert citizen_sign_in(web, resident.personal_id).status_code == 303
    with TestClient(app, base_url="http://localhost") as other:
        r = other.post("/account/reset", data={"personal_id": "046190000002", "csrf_token": form_csrf(other)})
        assert r.status_code == 200 and "Nhập mã xác thực" in r.text
        assert read_outbox(settings.sms_outbox) == []  # nobody to send to, and the page says the same
        r = other.post(
            "/account/reset", data={"personal_id": resident.personal_id, "csrf_token": form_csrf(other)}
        )
        flow = re.search(r'name="flow" value="([^"]+)"', r.text).group(1)
        phone, _ = read_outbox(settings.sms_outbox)[-1]
        assert phone == "0934567890"
        r = other.post(
            "/account/reset/verify",
            data={
                "flow": flow,
                "code": _last_code(settings),
                "password": "mot-mat-khau-moi-2025",
                "password2": "mot-mat-khau-moi-2025",
                "csrf_token": form_csrf(other),
            },
        )
        assert r.status_code == 200 and "Đã đặt lại mật khẩu" in r.text
    assert web.get("/account", follow_redirects=False).status_code == 303  # the old session ended
    assert citizen_sign_in(web, resident.personal_id, CITIZEN_PASSWORD).status_code == 400
    assert citizen_sign_in(web, resident.personal_id, "mot-mat-khau-moi-2025").status_code == 303


def test_list_and_end_sessions_by_page_and_api(web, make_citizen, app):
    _a, resident, _ = make_citizen()
    citizen_sign_in(web, resident.personal_id)
    with TestClient(app, base_url="http://localhost") as phone:
        citizen_sign_in(phone, resident.personal_id)
        sessions = web.get("/api/v1/me/sessions").json()
        assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
        other = next(s for s in sessions if not s["current"])
        assert web.delete(f"/api/v1/me/sessions/{other['id']}").status_code == 403  # no CSRF header
        r = web.delete(
            f"/api/v1/me/sessions/{other['id']}", headers={"X-CSRF-Token": web.cookies.get("hue06_csrf")}
        )
        assert r.status_code == 204
        assert phone.get("/account", follow_redirects=False).status_code == 303
        citizen_sign_in(phone, resident.personal_id)
        assert "Các phiên đăng nhập" in web.get("/account").text
        web.post("/account/sessions/end-others", data={"csrf_token": form_csrf(web)})
        assert phone.get("/account", follow_redirects=False).status_code == 303
        assert len(web.get("/api/v1/me/sessions").json()) == 1


def test_an_official_ends_only_their_own_sessions(client, make_official, signed_in, make_citizen):
    _a, _resident, _ = make_citizen()
    make_official("canbo_xa", "commune", "19750")
    signed_in("canbo_xa")
    mine = client.get("/api/v1/me/sessions").json()
    assert len(mine) == 1
    r = client.delete("/api/v1/me/sessions/99999", headers={"X-CSRF-Token": client.cookies.get("hue06_csrf")})
    assert r.status_code == 404


QR = "{pid}||{name}|{dob}|{gender}|12 Lê Lợi, Phường Tây Lộc, Thành phố Huế|01072021"


def test_level2_at_the_desk_checks_the_qr_against_the_register(
    client, make_official, signed_in, make_citizen, session
):
    account, resident, _ = make_citizen()
    make_official("motcua", "commune", "19750")
    signed_in("motcua")
    csrf = client.cookies.get("hue06_csrf")
    wrong = QR.format(pid=resident.personal_id, name="Nguyễn Thị Thu", dob="17051990", gender="Nữ")
    r = client.post("/identity/level2", data={"qr": wrong, "confirm": "yes", "csrf_token": csrf})
    assert r.status_code == 422 and "họ tên" in r.text
    r = client.post(
        "/identity/level2",
        data={
            "qr": QR.format(pid=resident.personal_id, name=resident.full_name, dob="17051990", gender="Nam"),
            "confirm": "yes",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422 and "giới tính" in r.text
    good = QR.format(pid=resident.personal_id, name="NGUYỄN THỊ THUÝ", dob="17051990", gender="Nữ")
    r = client.post("/identity/level2", data={"qr": good, "confirm": "yes", "csrf_token": csrf})
    assert r.status_code == 200 and "Đã nâng tài khoản lên mức 2" in r.text
    session.expire_all()
    session.refresh(account)
    assert account.level == 2 and account.level2_by == "motcua" and account.level2_at is not None
    entries = _audit(session)
    refused = [e for e in entries if e.action == "level.raise_refused"]
    assert len(refused) == 2 and "full_name" in refused[0].detail and "Thu" not in refused[0].detail
    assert any(e.action == "level.raised" and e.actor == "official:motcua" for e in entries)


def test_after_level2_the_citizen_enrols_totp_and_gets_loa2(web, make_citizen, session):
    _account, resident, _ = make_citizen()
    from hue06.core.security import Actor

    service.raise_assurance_level(
        session,
        QR.format(pid=resident.personal_id, name=resident.full_name, dob="17051990", gender="Nữ"),
        Actor(kind="official", id="motcua", role="commune", unit_code="19750"),
    )
    session.commit()
    csrf = form_csrf(web)
    r = web.post(
        "/account/login",
        data={"personal_id": resident.personal_id, "password": CITIZEN_PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    page = web.get(r.headers["location"]).text
    assert "Thiết lập xác thực hai lớp" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    r = web.post(
        "/login/totp", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    sessions = web.get("/api/v1/me/sessions").json()
    assert sessions[0]["acr"] == "urn:hue06:loa:2"


def test_desk_refuses_auditors_and_unknown_ids(session):
    from hue06.core.errors import Forbidden, InvalidInput
    from hue06.core.security import Actor

    with pytest.raises(Forbidden):
        service.raise_assurance_level(
            session, "x", Actor(kind="official", id="kt", role="auditor", unit_code="46")
        )
    desk = Actor(kind="official", id="motcua", role="commune", unit_code="19750")
    with pytest.raises(InvalidInput) as exc:
        service.raise_assurance_level(
            session, QR.format(pid="046090012345", name="Lê Văn A", dob="01011990", gender="Nam"), desk
        )
    assert exc.value.code == "cccd_qr.mismatch"
    with pytest.raises(InvalidInput):
        service.raise_assurance_level(session, "not a qr code", desk)


def test_otp_step_is_never_accepted_twice_and_drift_is_one_step(session, make_citizen):
    secret = pyotp.random_base32()
    import time

    step = int(time.time()) // 30
    assert challenges._check_totp(secret, pyotp.TOTP(secret).at(step * 30), step) is None
    assert challenges._check_totp(secret, pyotp.TOTP(secret).at((step + 1) * 30), step) == step + 1
    assert challenges._check_totp(secret, pyotp.TOTP(secret).at((step + 3) * 30), None) is None


def test_registration_accepts_short_vietnamese_dates(web, make_resident, settings):
    resident = make_resident(dob=date(2001, 1, 9))
    r = _register(
        web, personal_id=resident.personal_id, full_name=resident.full_name, date_of_birth="9/1/2001"
    )
    assert r.status_code == 200 and "Nhập mã xác thực" in r.text


def test_the_testing_helper_signs_an_official_in_twice_in_one_time_step(client, make_official):
    make_official("canbo_tinh", "province", "46", totp_secret=TEST_TOTP_SECRET)
    ids = []
    for _ in range(2):
        r = sign_in_official(client, "canbo_tinh", TEST_PASSWORD, TEST_TOTP_SECRET, next_url="/account")
        assert r.status_code == 303 and r.headers["location"] == "/account"
        ids.append(client.get("/api/v1/me/sessions").json()[0]["id"])
    assert ids[0] != ids[1]  # signing in again replaces this browser's session


def test_level2_by_api_with_an_officials_token(client, make_official, make_citizen, session):
    _a, resident, _ = make_citizen()
    make_official("motcua", "commune", "19750")
    token = service.create_api_token(session, "motcua")
    session.commit()
    qr = QR.format(pid=resident.personal_id, name=resident.full_name, dob="17051990", gender="Nữ")
    r = client.post("/api/v1/identity/level2", json={"qr": qr}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["level"] == 2 and r.json()["checked_by"] == "motcua"
    r = client.post(
        "/api/v1/identity/level2",
        json={"qr": qr.replace("17051990", "18051990")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 422 and r.json()["error"] in ("cccd_qr.mismatch", "personal_id.dob_mismatch")
    assert client.post("/api/v1/identity/level2", json={"qr": qr}).status_code in (401, 403)


def test_a_revoked_api_token_is_refused(client, make_official, session, monkeypatch):
    """Tokens are remembered for a few seconds per server process; revoking forgets them here at
    once, and another process (the CLI) is obeyed when the short cache window has passed."""
    make_official("motcua", "commune", "19750")
    keep, drop = (
        service.create_api_token(session, "motcua", "giu"),
        service.create_api_token(session, "motcua", "bo"),
    )
    session.commit()
    for token in (keep, drop):
        assert (
            client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
    assert service.revoke_api_tokens(session, "motcua", "bo") == 1
    session.commit()
    assert client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {drop}"}).status_code == 401
    assert client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {keep}"}).status_code == 200
    assert _audit(session)[-1].action == "api_token.revoked"

    # revoked behind the server's back (another process): refused once the cache window has passed
    monkeypatch.setattr(tokens, "API_TOKEN_CACHE_SECONDS", 0.2)
    service.forget_api_tokens()
    assert client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {keep}"}).status_code == 200
    session.execute(sa_update(ApiToken).values(revoked_at=utcnow()))
    session.commit()
    time.sleep(0.25)
    assert client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {keep}"}).status_code == 401
