"""The flagship in Chromium: a level-2 citizen asks for judicial record forms 1 and 2 in one dossier,
sees the fields filled from the register, reuses a wallet document, pays and sees the due date; an
officer asks for a supplement, the citizen answers, the officer approves and signs; the citizen
opens the signed result from the wallet; the statistics page counts the dossier."""

from __future__ import annotations

import re

import pytest
from tests.a11y import assert_accessible
from tests.conftest import sign_in_page
from tests.identity.factories import CITIZEN_PASSWORD, make_citizen, make_resident
from tests.services.conftest import pdf_bytes

from hue06.core.security import Actor
from hue06.identity.testing import totp_code
from hue06.services import service
from hue06.services.models import Dossier

FIXTURES = (make_citizen, make_resident)
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_lltp_from_request_to_signed_result(
    sqlite_only, live_server, browser, page, session, make_citizen, make_official, tmp_path
):
    service.ensure_catalogue(session)
    account, resident, secret = make_citizen(level=2, full_name="Tôn Nữ Minh Châu", place_of_birth="Huế")
    citizen_actor = Actor(kind="citizen", id=str(account.id), resident_id=resident.id, extra={"level": "2"})
    service.wallet_upload(
        session, citizen_actor, "Giấy xác nhận cư trú 2010-2020", "xac-nhan-cu-tru.pdf", pdf_bytes()
    )
    session.commit()
    officer_model = make_official("stp_e2e", "province", "46")
    officer_model.agency = "STP"
    session.commit()

    # --- the citizen signs in at level 2 and starts the judicial record request
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server}/account/login?next=/services/procedures/DVC06-22")
    assert_accessible(page, "citizen sign-in")
    page.fill("#f-personal_id", resident.personal_id)
    page.fill("#f-password", CITIZEN_PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#f-code", totp_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/services/procedures/DVC06-22$"))
    assert_accessible(page, "procedure page")
    page.click("text=Bắt đầu")

    # fields from the register are shown, not asked
    page.wait_for_url(re.compile(r".*/details$"))
    assert page.inner_text("[data-field=ho_ten]") == "Tôn Nữ Minh Châu"
    assert page.inner_text("[data-field=so_dinh_danh]") == resident.personal_id
    assert page.inner_text("[data-field=noi_sinh]") == "Huế"
    assert page.locator("input[name=ho_ten]").count() == 0
    assert_accessible(page, "details from the register")
    page.click("text=Tiếp tục")

    # one question per page; both forms in one dossier
    page.check("label:has-text('Phiếu số 1')")
    page.check("label:has-text('Phiếu số 2')")
    page.fill("#f-so_ban", "1")
    assert_accessible(page, "question page")
    page.click("main button[type=submit]")
    page.fill("#f-ho_ten_cha", "Tôn Thất Hùng")
    page.fill("#f-ho_ten_me", "Lê Thị Mai")
    page.click("main button[type=submit]")
    page.fill("#f-qua_trinh_cu_tru", "2008-2024: Phường Tây Lộc, Huế")
    page.click("main button[type=submit]")
    page.fill("#f-muc_dich", "Bổ sung hồ sơ xin việc")
    page.check("label:has-text('Không')")
    page.click("main button[type=submit]")

    # reuse a document from the wallet
    page.wait_for_url(re.compile(r".*/components$"))
    assert_accessible(page, "components")
    page.select_option("#f-w-cu_tru", label="Giấy xác nhận cư trú 2010-2020 (xac-nhan-cu-tru.pdf)")
    page.click("#h-cu_tru >> xpath=.. >> text=Dùng giấy tờ này")
    assert "từ kho dữ liệu" in page.inner_text("main")
    page.click("main a.button:has-text('Tiếp tục')")

    # check your answers, pay, receipt with the due date
    page.wait_for_url(re.compile(r".*/check$"))
    assert_accessible(page, "check your answers")
    assert "Phiếu số 1" in page.inner_text("[data-field=loai_phieu]") and "Phiếu số 2" in page.inner_text(
        "[data-field=loai_phieu]"
    )
    assert page.inner_text("[data-field=fee]") == "400.000 đồng"
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/payments/simulator/.*"))
    assert_accessible(page, "payment")
    page.click("text=Xác nhận thanh toán")
    page.wait_for_url(re.compile(r".*/receipt$"))
    assert_accessible(page, "receipt")
    code = page.inner_text("[data-field=code]")
    dossier_id = int(re.search(r"/dossiers/(\d+)/", page.url).group(1))
    d = session.get(Dossier, dossier_id)
    session.refresh(d)
    assert code == d.code and page.inner_text("[data-field=due_date]") == d.due_date.strftime("%d/%m/%Y")
    session.rollback()

    # --- the officer receives it and asks for a supplement
    officer_ctx = browser.new_context(locale="vi-VN")
    officer = officer_ctx.new_page()
    officer.set_default_timeout(15000)
    sign_in_page(officer, live_server, "stp_e2e", "/services/inbox")
    officer.wait_for_url(re.compile(r".*/services/inbox$"))
    assert_accessible(officer, "officer inbox")
    officer.click(f"text={code}")
    officer.click("text=Tiếp nhận hồ sơ")
    officer.fill("#f-note-supplement", "Bổ sung giấy xác nhận nơi cư trú 2020-2024")
    officer.click("text=Yêu cầu bổ sung")
    assert "Tạm dừng" in officer.inner_text("[data-field=due_date]")
    assert_accessible(officer, "officer dossier")

    # --- the citizen answers
    page.goto(f"{live_server}/services/dossiers/{dossier_id}")
    assert "Bổ sung giấy xác nhận nơi cư trú" in page.inner_text("[data-field=supplement_reason]")
    assert_accessible(page, "dossier status with a supplement request")
    supplement = tmp_path / "xac-nhan-2020-2024.pdf"
    supplement.write_bytes(pdf_bytes(body=b"BT (2020-2024) Tj ET"))
    page.set_input_files("#f-upload", str(supplement))
    page.click("form[enctype] button:has-text('Tải lên')")
    page.fill("#f-note", "Đã bổ sung giấy xác nhận")
    page.click("text=Gửi bổ sung")
    assert "Đang giải quyết" in page.inner_text("[data-field=status]")

    # --- the officer approves, signs and returns the result
    officer.reload()
    officer.click("text=Duyệt hồ sơ")
    officer.click("text=Ký số và phát hành kết quả")
    officer.click("text=Trả kết quả cho công dân")
    assert "Đã trả kết quả" in officer.inner_text("[data-field=status]")

    # --- the citizen opens the signed result in the wallet
    page.goto(f"{live_server}/services/wallet")
    assert page.locator("[data-field=signature]:has-text('Chữ ký hợp lệ')").count() == 2
    assert_accessible(page, "wallet")
    link = page.locator("a:has-text('Phiếu lý lịch tư pháp — Phiếu số 2')")
    response = page.request.get(live_server + link.get_attribute("href"))
    assert (
        response.ok
        and response.headers["content-type"] == "application/pdf"
        and response.body().startswith(b"%PDF")
    )

    # --- the statistics page counts it
    officer.goto(f"{live_server}/services/stats")
    assert officer.inner_text("tr[data-code=DVC06-22] [data-field=total]") == "1"
    assert_accessible(officer, "statistics")
    officer_ctx.close()
