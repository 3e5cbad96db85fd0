"""In Chromium: after signing out, the browser's Back button shows the sign-in page, never the
resident that was on screen (pages with personal data are sent Cache-Control: no-store)."""

from __future__ import annotations

from datetime import date

import pytest
from tests.conftest import sign_in_page
from tests.registry.conftest import Register

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_back_after_sign_out_shows_the_sign_in_page(live_server, page, sqlite_only, session, make_official):
    make_official("xa_tayloc", "commune", "19750")
    reg = Register(session)
    home = reg.household("19750", "27 Đinh Tiên Hoàng")
    person = reg.resident("Nguyễn Văn Thành", gender="male", dob=date(1970, 4, 2), household=home)
    session.commit()

    sign_in_page(page, live_server, "xa_tayloc", f"/registry/residents/{person.personal_id}")
    page.wait_for_url(f"**/registry/residents/{person.personal_id}")
    assert "Nguyễn Văn Thành" in page.locator("h1").inner_text()

    page.locator("form[action='/logout'] button").click()
    page.wait_for_load_state()
    assert "/registry/residents/" not in page.url
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url
    assert "Nguyễn Văn Thành" not in page.content()
    assert page.locator("#f-username").is_visible()
