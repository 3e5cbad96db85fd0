"""In Chromium: a department's focal point reports a task done and the leaders' dashboard moves."""

from __future__ import annotations

import pytest

from hue06.steering import service
from tests.a11y import assert_accessible
from tests.conftest import sign_in_page

pytestmark = pytest.mark.browser


def test_officer_updates_a_task_and_the_dashboard_changes(
    live_server, page, session, imported, make_official, sqlite_only
):
    make_official("stp_dau_moi", "province", "46")
    service.add_member(session, "Sở Tư pháp", "stp_dau_moi")
    session.commit()

    sign_in_page(page, live_server, "stp_dau_moi", "/steering")
    page.wait_for_url(f"{live_server}/steering")

    page.goto(f"{live_server}/steering?today=10/07/2024")
    assert page.inner_text('[data-figure="completed"]') == "22"
    assert page.inner_text('[data-figure="overdue"]') == "29"
    page.wait_for_selector("#chart-status .main-svg")  # Plotly drew the chart from the local script
    assert_accessible(page, "dashboard")

    page.click("#my-units >> text=Sở Tư pháp")  # "Việc của đơn vị tôi"
    page.wait_for_selector("#unit-tasks")
    assert_accessible(page, "unit tasks")
    page.click("text=Triển khai cấp phiếu lý lịch tư pháp trên VNeID")
    page.select_option("#f-status", "completed")
    page.fill("#f-result", "Đã triển khai cấp Phiếu LLTP trên VNeID toàn tỉnh")
    page.fill("#f-evidence", "Công văn 512/STP-HCTP ngày 01/7/2024")
    page.click("text=Lưu cập nhật")
    page.wait_for_selector("text=Đã lưu cập nhật nhiệm vụ.")
    assert page.inner_text("#task-status").startswith("Hoàn thành")
    assert "official:stp_dau_moi" in page.inner_text("#history")
    assert_accessible(page, "task")

    page.goto(f"{live_server}/steering?today=10/07/2024")
    assert page.inner_text('[data-figure="completed"]') == "23"
    assert page.inner_text('[data-figure="in_progress"]') == "64"
    assert page.inner_text('[data-figure="overdue"]') == "28"
