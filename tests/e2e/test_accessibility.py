"""WCAG 2.2 AA checks (axe-core) of the pages every kind of user opens first, on a phone and a desktop.

The journeys' own browser tests check each page they reach (tests/e2e/test_services_lltp.py); this
file covers the public and signed-in entry pages, and proves that the checker does find faults.
"""

from __future__ import annotations

import pytest
from tests.a11y import assert_accessible, axe_violations
from tests.conftest import sign_in_page
from tests.identity.factories import make_citizen, make_resident

from hue06.services import service

FIXTURES = (make_citizen, make_resident)
pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_the_checker_finds_what_it_should(page):
    page.set_content(
        '<html><body><img src="x.png"><p style="color:#bbb;background:#fff">mờ</p>'
        '<input type="text"></body></html>'
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "color-contrast", "label", "html-has-lang"} <= found


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_public_pages(sqlite_only, live_server, page, session, viewport):
    service.ensure_catalogue(session)
    session.commit()
    page.set_viewport_size(viewport)
    for path in (
        "/",
        "/login",
        "/account/login",
        "/account/register",
        "/services",
        "/services/procedures/DVC06-22",
        "/?lang=en",
        "/services?lang=en",
    ):
        page.goto(live_server + path)
        assert_accessible(page, path)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_an_officials_pages(sqlite_only, live_server, page, session, make_official, make_resident, viewport):
    service.ensure_catalogue(session)
    resident = make_resident(full_name="Nguyễn Thị Lan")
    session.commit()
    make_official("tinh_a11y", "province", "46")
    page.set_viewport_size(viewport)
    sign_in_page(page, live_server, "tinh_a11y", "/registry")
    for path in (
        "/registry",
        "/registry/residents?q=nguyen+thi+lan",
        f"/registry/residents/{resident.personal_id}",
        "/registry/map?commune=19750",
        "/services/inbox",
        "/services/stats",
        "/services/desk",
        "/quality",
        "/steering",
        "/account",
    ):
        page.goto(live_server + path)
        assert_accessible(page, path)


def test_a_citizens_pages_and_a_form_with_errors_on_a_phone(
    sqlite_only, live_server, page, session, make_citizen
):
    from tests.identity.factories import CITIZEN_PASSWORD

    from hue06.identity.testing import totp_code

    service.ensure_catalogue(session)
    session.commit()
    _account, resident, secret = make_citizen(level=2)
    page.set_viewport_size(PHONE)

    # a form sent back with errors: the error summary and the fields' messages must be accessible too
    page.goto(f"{live_server}/account/register")
    page.click("main button[type=submit]")
    assert page.locator(".error-summary, [role=alert]").count() >= 1
    assert_accessible(page, "registration with errors")

    page.goto(f"{live_server}/account/login?next=/services/my")
    page.fill("#f-personal_id", resident.personal_id)
    page.fill("#f-password", CITIZEN_PASSWORD)
    page.click("main button[type=submit]")
    assert_accessible(page, "second factor")
    page.fill("#f-code", totp_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/services/my")
    for path in ("/services/my", "/services/wallet", "/account", "/services/procedures/DVC06-05"):
        page.goto(live_server + path)
        assert_accessible(page, path)


def test_the_catalogue_editor(sqlite_only, live_server, page, session, make_official):
    service.ensure_catalogue(session)
    session.commit()
    make_official("quantri_a11y", "admin", "46")
    sign_in_page(page, live_server, "quantri_a11y", "/services/admin/procedures")
    for path in ("/services/admin/procedures", "/services/admin/procedures/DVC06-22"):
        page.goto(live_server + path)
        assert page.locator("h1").count() == 1
        assert_accessible(page, path)
