"""In Chromium: a provincial official uploads a sector's file, maps its columns, runs the verification,
watches the progress, reads the results with their charts and decides a review row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.a11y import assert_accessible
from tests.conftest import sign_in_page
from tests.quality.conftest import add_person, csv_file, province

from hue06.core.audit import AuditEntry

FIXTURES = (province,)  # the quality tests' synthetic province, used as a fixture here
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_upload_map_verify_and_decide_a_review_row(
    sqlite_only, live_server, page, session, province, make_official, tmp_path
):
    make_official("so_ldtbxh", "province", "46")
    khai = add_person(session, "Trần", "Văn", "Khải", date(1980, 4, 12), "male")
    add_person(session, "Nguyễn", "Văn", "Bảo", date(1990, 1, 5), "male")
    bao = add_person(session, "Nguyễn", "Văn", "Bảo", date(1990, 7, 21), "male")
    session.commit()
    # An unusual layout: the name column is called "Tên đối tượng hưởng" and must be mapped by hand.
    data = csv_file(
        ["TT", "Tên đối tượng hưởng", "Năm sinh", "Giới tính", "Số CCCD", "Nơi thường trú"],
        [
            ["1", "Trần Văn Khải", "12/04/1980", "Nam", khai.personal_id, "Phường Phú Xuân"],
            ["2", "Nguyễn Văn Bảo", "1990", "Nam", "", "Phường Phú Xuân"],
        ],
        title="DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI",
    )
    path = tmp_path / "bao-tro.csv"
    path.write_bytes(data)

    page.goto(f"{live_server}/quality")
    assert "/login" in page.url  # sent to sign in first
    sign_in_page(page, live_server, "so_ldtbxh", "/quality")
    page.wait_for_url("**/quality")

    page.select_option("#f-sector", "welfare")
    page.set_input_files("#f-file", str(path))
    page.get_by_role("button", name="Tải lên và ghép cột").click()
    page.wait_for_url("**/quality/uploads/*")
    assert page.locator("#col-2").input_value() == "birth_year"  # recognised from "Năm sinh"
    assert page.locator("#col-1").input_value() == ""  # not recognised: mapped by hand below
    assert_accessible(page, "column mapping")
    page.select_option("#col-1", "full_name")
    page.get_by_role("button", name="Bắt đầu xác thực").click()

    page.wait_for_url("**/quality/runs/*", timeout=120_000)
    assert "Đã xác thực 1/2 trường hợp (50,00%)" in page.locator("main").inner_text()
    page.wait_for_function(
        "document.querySelector('#chart-status .main-svg') !== null"
    )  # Plotly, served locally
    assert_accessible(page, "run summary")

    page.get_by_role("link", name="Xác minh 1 dòng").click()
    page.wait_for_url("**/review")
    page.get_by_role("link", name="Xem").click()
    page.wait_for_url("**/review/2")
    assert "Trong CSDL dân cư" in page.content()
    assert_accessible(page, "review item")
    alternatives = page.locator("table").nth(1)
    assert "Nguyễn Văn Bảo" in alternatives.inner_text()
    page.locator("form").filter(has=page.locator(f"input[value='{bao.personal_id}']")).get_by_role(
        "button", name="Chọn người này"
    ).click()
    page.wait_for_url("**/review?decided=2")
    assert "Không còn dòng nào chờ xác minh" in page.content()

    session.rollback()
    decision = session.scalars(select(AuditEntry).where(AuditEntry.action == "quality.review_decision")).one()
    assert decision.actor == "official:so_ldtbxh" and bao.personal_id in decision.detail
