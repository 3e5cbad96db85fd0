"""Single sign-on in Chromium: a level-2 citizen signs in to hue06 once, then the second app (the
demo "Cổng dịch vụ công tỉnh") lets them in without a second password, showing the verified
claims and level 2."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from tests.a11y import assert_accessible
from tests.identity.factories import CITIZEN_PASSWORD, make_app, make_citizen, make_resident

from hue06.identity.testing import totp_code

FIXTURES = (make_app, make_citizen, make_resident)  # the identity factories, used as fixtures here
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_portal(live_server, make_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The demo relying party under Uvicorn, registered as a client of the live hue06."""
    import uvicorn

    from hue06.identity.demo_app import create_demo_app

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(name="Cổng dịch vụ công tỉnh (demo)", redirect_uris=[f"{base}/callback"])
    server = uvicorn.Server(
        uvicorn.Config(
            create_demo_app(live_server, app.client_id, app.client_secret, f"{base}/callback"),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "demo app did not start"
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_level2_citizen_signs_into_the_second_app_without_a_second_password(
    sqlite_only, live_server, demo_portal, make_citizen, page
):
    _account, resident, secret = make_citizen(level=2, full_name="Nguyễn Phước Bảo Châu")

    # 1. sign in to hue06 once: ID number, password, TOTP
    page.goto(f"{live_server}/account/login")
    page.fill("#f-personal_id", resident.personal_id)
    page.fill("#f-password", CITIZEN_PASSWORD)
    page.click("button[type=submit]")
    page.fill("#f-code", totp_code(secret))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/account")
    assert "Mức 2" in page.inner_text("#level")
    assert_accessible(page, "account")

    # 2. open the second app and sign in there: no password is asked, only the consent naming the app
    page.goto(demo_portal)
    page.click("#sign-in")
    page.wait_for_selector("#consent-scopes")
    assert page.locator("input[type=password]").count() == 0
    assert "Cổng dịch vụ công tỉnh (demo)" in page.inner_text("h1")
    assert "Họ tên, giới tính, ngày sinh" in page.inner_text("#consent-scopes")
    assert_accessible(page, "consent")
    page.click("button[value=allow]")
    page.wait_for_url(f"{demo_portal}/")
    assert page.inner_text("#who") == "Nguyễn Phước Bảo Châu"
    assert page.inner_text("#acr") == "urn:hue06:loa:2"
    assert "12 Lê Lợi" in page.inner_text("[data-claim=address]")

    # 3. the consent is remembered: a fresh visit to the app goes straight through
    page.context.clear_cookies(name="demo_portal_session")
    page.goto(demo_portal)
    page.click("#sign-in")
    page.wait_for_url(f"{demo_portal}/")
    assert page.inner_text("#who") == "Nguyễn Phước Bảo Châu"

    # 4. signing out of the app signs out of hue06 too (RP-initiated logout)
    page.click("#sign-out")
    page.wait_for_url(f"{demo_portal}/")
    page.goto(f"{live_server}/account")
    page.wait_for_url(f"{live_server}/account/login")
