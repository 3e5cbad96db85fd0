"""The pages and the API through HTTP: the citizen journey, refusals a user sees, officers, statistics."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from hue06.services import service
from hue06.services.models import Dossier
from tests.services.conftest import LLTP, citizen_sign_in, fill_lltp, pdf_bytes, submitted_lltp


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    return client.cookies.get("hue06_csrf")


@pytest.fixture
def browser_citizen(web, citizen):  # type: ignore[no-untyped-def]
    r = citizen_sign_in(web, citizen.resident.personal_id, totp_secret=citizen.secret)
    assert r.status_code == 303
    return web


def _start(web) -> int:  # type: ignore[no-untyped-def]
    r = web.post(f"/services/procedures/{LLTP}/start", data={"csrf_token": csrf(web)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return int(re.search(r"/dossiers/(\d+)/", r.headers["location"]).group(1))


def test_catalogue_is_public_and_lists_the_25_services(web, catalogue):
    r = web.get("/services")
    assert r.status_code == 200
    assert "Cấp phiếu lý lịch tư pháp" in r.text and r.text.count('href="/services/procedures/DVC06-') == 25


def test_starting_needs_a_signed_in_citizen(web, catalogue):
    web.get("/services")
    r = web.post(f"/services/procedures/{LLTP}/start", data={"csrf_token": csrf(web)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/login")


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/services/my", "/account/login"),
        ("/services/wallet", "/account/login"),
        ("/services/dossiers/1/check", "/account/login"),
        ("/services/inbox?status=open", "/login"),
    ],
)
def test_pages_send_a_signed_out_browser_to_the_right_sign_in_and_back(web, catalogue, path, login):
    r = web.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{login}?next={quote(path)}"


def test_a_citizen_is_sent_to_the_officials_sign_in_for_the_inbox(browser_citizen):
    r = browser_citizen.get("/services/inbox", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_citizen_journey_lltp_both_forms_through_the_pages(browser_citizen, citizen, session):
    web = browser_citizen
    dossier_id = _start(web)
    details = web.get(f"/services/dossiers/{dossier_id}/details")
    assert "Trần Thị Hoài Thương" in details.text and citizen.resident.personal_id in details.text
    assert 'name="ho_ten"' not in details.text  # shown, not asked
    # an empty page shows the GOV.UK error summary
    r = web.post(
        f"/services/dossiers/{dossier_id}/page/loai_phieu", data={"csrf_token": csrf(web), "so_ban": ""}
    )
    assert r.status_code == 400 and "error-summary" in r.text and 'href="#f-loai_phieu"' in r.text
    r = web.post(
        f"/services/dossiers/{dossier_id}/page/loai_phieu",
        data={"csrf_token": csrf(web), "loai_phieu": ["1", "2"], "so_ban": "1", "ho_ten": "Giả Mạo"},
        follow_redirects=False,
    )
    assert r.headers["location"].endswith("/page/gia_dinh")
    web.post(
        f"/services/dossiers/{dossier_id}/page/gia_dinh",
        data={"csrf_token": csrf(web), "ho_ten_cha": "Trần Văn Hùng", "ho_ten_me": "Lê Thị Mai"},
    )
    web.post(
        f"/services/dossiers/{dossier_id}/page/cu_tru",
        data={"csrf_token": csrf(web), "qua_trinh_cu_tru": "Huế"},
    )
    r = web.post(
        f"/services/dossiers/{dossier_id}/page/muc_dich",
        data={"csrf_token": csrf(web), "muc_dich": "Xin việc", "xac_nhan_cam_dam_nhiem": "no"},
        follow_redirects=False,
    )
    assert r.headers["location"].endswith("/components")
    r = web.post(
        f"/services/dossiers/{dossier_id}/components/upload",
        data={"csrf_token": csrf(web), "component": "cu_tru"},
        files={"upload": ("xac-nhan.pdf", pdf_bytes(), "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    check = web.get(f"/services/dossiers/{dossier_id}/check")
    assert "Phiếu số 1" in check.text and "Phiếu số 2" in check.text and "400.000" in check.text
    assert "Giả Mạo" not in check.text
    r = web.post(
        f"/services/dossiers/{dossier_id}/submit", data={"csrf_token": csrf(web)}, follow_redirects=False
    )
    assert r.headers["location"].startswith("/services/payments/simulator/")
    bank = r.headers["location"]
    assert "400.000" in web.get(bank).text
    r = web.post(bank, data={"csrf_token": csrf(web), "action": "pay"}, follow_redirects=False)
    receipt = web.get(r.headers["location"])
    d = session.get(Dossier, dossier_id)
    session.refresh(d)
    assert d.code in receipt.text and d.due_date.strftime("%d/%m/%Y") in receipt.text
    # paying again from the bank page changes nothing
    web.post(bank, data={"csrf_token": csrf(web), "action": "pay"})
    session.refresh(d)
    assert len(service.payments_of(session, d)) == 1 and len(service.snapshots(session, d)) == 1


def test_bad_uploads_are_refused_on_the_page_with_a_clear_message(browser_citizen):
    web = browser_citizen
    dossier_id = _start(web)
    cases = [
        (
            ("don.pdf", pdf_bytes(b"/OpenAction << /S /JavaScript /JS (x) >> "), "application/pdf"),
            "JavaScript",
        ),
        (("anh.pdf", b"GIF89a" + b"\x00" * 50, "application/pdf"), "Tệp phải là"),
        (("to.pdf", pdf_bytes() + b"0" * (11 * 1024 * 1024), "application/pdf"), "lớn hơn 10 MB"),
    ]
    for upload, message in cases:
        r = web.post(
            f"/services/dossiers/{dossier_id}/components/upload",
            data={"csrf_token": csrf(web), "component": "cu_tru"},
            files={"upload": upload},
        )
        assert r.status_code == 422 and message in r.text and "error-summary" in r.text
    assert "xac-nhan" not in web.get(f"/services/dossiers/{dossier_id}/components").text


def test_another_citizens_dossier_is_a_404_page(web, session, citizen, new_citizen, gateway):
    d = submitted_lltp(session, citizen.actor, gateway)
    other = new_citizen(full_name="Lê Văn Tám")
    citizen_sign_in(web, other.resident.personal_id, totp_secret=other.secret)
    for path in (
        f"/services/dossiers/{d.id}",
        f"/services/dossiers/{d.id}/receipt",
        f"/services/dossiers/{d.id}/check",
    ):
        assert web.get(path, headers={"accept": "text/html"}).status_code == 404


def test_payment_callback_api_refuses_forged_and_ignores_replays(client, session, citizen, gateway):
    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    intent = service.begin_payment(session, citizen.actor, d.id, gateway)
    session.commit()
    body, sig = gateway.make_callback(intent.ref, intent.amount)
    url = "/api/v1/services/payments/callback/simulator"
    r = client.post(url, content=body, headers={"X-Hue06-Signature": "ab" * 32})
    assert r.status_code == 422 and r.json()["error"] == "payment.signature"
    r = client.post(url, content=body, headers={"X-Hue06-Signature": sig})
    assert r.status_code == 200 and r.json()["outcome"] == "captured"
    r = client.post(url, content=body, headers={"X-Hue06-Signature": sig})
    assert r.json()["outcome"] == "duplicate"
    session.expire_all()
    assert session.get(Dossier, d.id).status == "submitted"


def test_officer_pages_supplement_and_stale_write(client, signed_in, session, citizen, gateway, officer):
    d = submitted_lltp(session, citizen.actor, gateway)
    officer()
    signed_in("stp_canbo")
    page = client.get(f"/services/officer/dossiers/{d.id}")
    assert page.status_code == 200 and d.code in page.text and "Tiếp nhận hồ sơ" in page.text
    v = d.version
    r = client.post(
        f"/services/officer/dossiers/{d.id}/receive",
        data={"csrf_token": csrf(client), "version": v},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"/services/officer/dossiers/{d.id}/approve",
        data={"csrf_token": csrf(client), "version": v},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 409 and "người khác" in r.text
    session.expire_all()
    v = session.get(Dossier, d.id).version
    r = client.post(
        f"/services/officer/dossiers/{d.id}/supplement",
        data={"csrf_token": csrf(client), "version": v, "note": ""},
    )
    assert r.status_code == 422 and "Nêu rõ" in r.text
    r = client.post(
        f"/services/officer/dossiers/{d.id}/supplement",
        data={"csrf_token": csrf(client), "version": v, "note": "Bổ sung giấy xác nhận cư trú"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    inbox = client.get("/services/inbox?status=supplement_requested")
    assert d.code in inbox.text


def test_snapshot_page_shows_what_was_submitted(client, signed_in, session, citizen, gateway, officer):
    d = submitted_lltp(session, citizen.actor, gateway)
    officer()
    signed_in("stp_canbo")
    snap = service.snapshots(session, d)[0]
    r = client.get(f"/services/officer/dossiers/{d.id}/snapshots/{snap.id}")
    assert r.status_code == 200 and snap.sha256 in r.text and "Bổ sung hồ sơ xin việc" in r.text


def test_statistics_page_and_xlsx_and_api(client, signed_in, session, citizen, gateway, officer):
    d = submitted_lltp(session, citizen.actor, gateway)
    officer("tinh_tk", agency="", role="province")
    signed_in("tinh_tk")
    day = d.submitted_on.isoformat()
    r = client.get(f"/services/stats?from={day}&to={day}")
    row = re.search(r'<tr data-code="DVC06-22">.*?data-field="total">(\d+)<', r.text, re.S)
    assert row and row.group(1) == "1"
    x = client.get(f"/services/stats.xlsx?from={day}&to={day}")
    ws = load_workbook(io.BytesIO(x.content))["Phu luc II"]
    lltp = next(row for row in ws.iter_rows(values_only=True) if row[1] == LLTP)
    assert lltp[3] == 1 and lltp[4] == 1
    api = client.get(f"/api/v1/services/stats?from={day}&to={day}").json()
    assert api["totals"]["total"] == 1 and api["indicators"]["online_rate"] == 1.0


def test_catalogue_editor_changes_the_time_limit_and_refuses_bad_json(
    client, signed_in, session, catalogue, officer
):
    officer("quantri_dv", agency="", role="admin")
    signed_in("quantri_dv")
    page = client.get(f"/services/admin/procedures/{LLTP}")
    form = dict(re.findall(r'name="(\w+)" (?:type="\w+" )?value="([^"]*)"', page.text))
    proc = service.get_procedure(session, LLTP)
    data = {
        "csrf_token": csrf(client),
        "version": str(proc.version),
        "name": proc.name,
        "name_en": proc.name_en,
        "agency_code": "STP",
        "assurance_level": "2",
        "time_limit": "15",
        "time_unit": "working",
        "fee": "0",
        "fee_note": proc.fee_note,
        "result_name": proc.result_name,
        "active": "1",
        "components": json.dumps(proc.components),
        "form_schema": "{not json",
    }
    assert form["time_limit"] == "10" and form["version"] == "1"
    session.rollback()  # end the test's read transaction before the app writes
    r = client.post(f"/services/admin/procedures/{LLTP}", data=data)
    assert r.status_code == 422 and "JSON" in r.text
    data["form_schema"] = json.dumps(proc.form_schema)
    r = client.post(f"/services/admin/procedures/{LLTP}", data=data, follow_redirects=False)
    assert r.status_code == 303
    session.rollback()
    assert service.get_procedure(session, LLTP).time_limit == 15


def test_a_clerk_cannot_open_the_catalogue_editor(client, signed_in, catalogue, officer):
    officer()
    signed_in("stp_canbo")
    assert (
        client.get(f"/services/admin/procedures/{LLTP}", headers={"accept": "text/html"}).status_code == 403
    )


def test_english_pages(web, catalogue):
    r = web.get(f"/services/procedures/{LLTP}?lang=en")
    assert "Judicial record certificate" in r.text and ">Start<" in r.text and "Bắt đầu" not in r.text


def test_one_stop_desk_scans_the_card_and_uses_the_same_pages(client, signed_in, session, citizen, officer):
    officer("motcua_stp")
    signed_in("motcua_stp")
    r = citizen.resident
    qr = f"{r.personal_id}||{r.full_name.upper()}|{r.date_of_birth:%d%m%Y}|Nữ|12 Lê Lợi, Huế|01012022"
    client.get("/services/desk")
    bad = client.post(
        "/services/desk",
        data={"csrf_token": csrf(client), "qr": qr.replace("|Nữ|", "|Nam|"), "procedure": LLTP},
    )
    assert bad.status_code == 422 and "error-summary" in bad.text
    resp = client.post(
        "/services/desk",
        data={"csrf_token": csrf(client), "qr": qr, "procedure": LLTP},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"].endswith("/details")
    details = client.get(resp.headers["location"])
    assert "Trần Thị Hoài Thương" in details.text
    dossier_id = int(re.search(r"/dossiers/(\d+)/", resp.headers["location"]).group(1))
    session.rollback()
    for page, data in (
        ("loai_phieu", {"loai_phieu": ["1"], "so_ban": "1"}),
        ("cu_tru", {"qua_trinh_cu_tru": "Huế"}),
        ("muc_dich", {"muc_dich": "Xin việc", "xac_nhan_cam_dam_nhiem": "no"}),
    ):
        client.post(f"/services/dossiers/{dossier_id}/page/{page}", data={"csrf_token": csrf(client), **data})
    check = client.get(f"/services/dossiers/{dossier_id}/check")
    assert "Thu lệ phí và tiếp nhận hồ sơ" in check.text
    done = client.post(
        f"/services/dossiers/{dossier_id}/submit", data={"csrf_token": csrf(client)}, follow_redirects=False
    )
    assert done.headers["location"] == f"/services/officer/dossiers/{dossier_id}"
    session.rollback()
    d = session.get(Dossier, dossier_id)
    assert d.status == "received" and d.channel == "desk" and d.paid and d.fee == 200_000


def test_an_auditor_reads_a_dossier_without_action_buttons_and_cannot_act(
    client, signed_in, session, citizen, gateway, officer
):
    """Buttons appear only for what the role may do: the auditor reads, the agency's clerk acts."""
    d = submitted_lltp(session, citizen.actor, gateway)
    officer("kiemtoan", agency="", role="auditor")
    signed_in("kiemtoan")
    page = client.get(f"/services/officer/dossiers/{d.id}")
    assert page.status_code == 200 and d.code in page.text
    assert "Tiếp nhận hồ sơ" not in page.text and "Từ chối" not in page.text
    assert "Người nộp (từ CSDL dân cư)" in page.text
    r = client.post(
        f"/services/officer/dossiers/{d.id}/receive",
        data={"csrf_token": csrf(client), "version": d.version},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 403
    session.expire_all()
    assert session.get(Dossier, d.id).status == "submitted"
    client.cookies.clear()
    officer()  # the Department of Justice's clerk
    signed_in("stp_canbo")
    page = client.get(f"/services/officer/dossiers/{d.id}")
    assert "Tiếp nhận hồ sơ" in page.text and "Người nộp (từ CSDL dân cư)" in page.text
