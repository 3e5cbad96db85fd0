"""In Chromium: a commune officer signs in, finds a resident by a name typed without diacritics,
opens the household, and is refused a resident of another commune."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.a11y import assert_accessible
from tests.conftest import sign_in_page
from tests.registry.conftest import Register

from hue06.core.audit import AuditEntry

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_commune_officer_finds_a_resident_and_is_refused_another_commune(
    live_server, page, sqlite_only, session, make_official
):
    make_official("xa_tayloc", "commune", "19750")
    reg = Register(session)
    home = reg.household("19750", "27 Đinh Tiên Hoàng")
    reg.resident("Nguyễn Văn Thành", gender="male", dob=date(1970, 4, 2), household=home)
    reg.resident("Trần Thị Thuý", dob=date(1974, 9, 1), household=home, relation="Vợ")
    reg.resident("Nguyễn Thị Thùy Dương", dob=date(2001, 1, 15), household=home, relation="Con")
    elsewhere = reg.household("19774", "Kim Long")
    stranger = reg.resident("Trần Thị Thúy", dob=date(1980, 3, 3), household=elsewhere)
    session.commit()

    page.goto(f"{live_server}/registry/residents")
    assert "/login" in page.url  # sent to sign in first
    sign_in_page(page, live_server, "xa_tayloc", "/registry/residents")
    page.wait_for_url("**/registry/residents")

    page.fill("#f-q", "tran thi thuy")  # no diacritics
    page.get_by_role("button", name="Tìm").click()
    results = page.locator("table.stack tbody tr")
    assert results.count() == 1  # the Kim Long namesake is outside this officer's commune
    assert_accessible(page, "search results")
    page.get_by_role("link", name="Trần Thị Thúy").click()
    page.wait_for_url("**/registry/residents/0*")
    assert page.locator("h1").inner_text().startswith("Trần Thị Thúy")
    assert_accessible(page, "resident")

    page.get_by_role("link", name=home.code).first.click()
    page.wait_for_url(f"**/registry/households/{home.id}")
    members = page.locator("table.stack tbody tr")
    assert members.count() == 3
    assert "Nguyễn Văn Thành" in members.nth(0).inner_text() and "Chủ hộ" in members.nth(0).inner_text()
    assert "Nguyễn Thị Thùy Dương" in page.content()
    assert_accessible(page, "household")

    response = page.goto(f"{live_server}/registry/residents/{stranger.personal_id}")
    assert response is not None and response.status == 404
    assert "Không tìm thấy cư dân" in page.locator("main").inner_text()
    assert_accessible(page, "refused")
    assert stranger.personal_id not in page.content()
    session.rollback()
    refusals = session.scalars(
        select(AuditEntry.actor).where(
            AuditEntry.action == "resident.read_refused", AuditEntry.subject_id == stranger.personal_id
        )
    ).all()
    assert refusals == ["official:xa_tayloc"]  # and the refusal is logged
