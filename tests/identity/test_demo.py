"""The demo's identity part: the SSO client, a level-2 citizen, officials' second factors."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from hue06.identity import demo
from hue06.identity.demo_app import client_file, create_demo_app_from_settings


def test_demo_setup_registers_the_second_app_and_a_level2_citizen(
    settings, session_factory, session, make_resident, make_official
):
    from datetime import date

    from hue06.identity import service

    make_resident(full_name="Hoàng Văn Nam", gender="male", dob=date(1985, 3, 2))
    make_official("xa", "commune", "19750")
    ctx = SimpleNamespace(
        settings=settings,
        session_factory=session_factory,
        console=None,
        residents=1,
        password="demo-mat-khau-123",
    )
    lines = demo.setup(ctx)
    text = "\n".join(lines)
    assert "http://127.0.0.1:8001/" in text and "Công dân mức 2" in text and "xa " in text
    data = json.loads(client_file(settings).read_text())
    assert data["redirect_uri"] == "http://127.0.0.1:8001/callback"
    assert oct(os.stat(client_file(settings)).st_mode & 0o777) == "0o600"
    session.expire_all()
    assert service.get_official_by_username(session, "xa").totp_secret
    citizen = service.get_citizen_by_personal_id(session, text.split("số định danh / ID: ")[1].split()[0])
    assert citizen.level == 2 and citizen.totp_secret
    # running it again keeps the client and resets the demo accounts
    demo.setup(ctx)
    assert json.loads(client_file(settings).read_text())["client_id"] == data["client_id"]
    assert create_demo_app_from_settings(settings).title == "Cổng dịch vụ công tỉnh (demo)"


def test_pages_speak_english_on_request(web):
    page = web.get("/account/login?lang=en").text
    assert "Sign in with your e-ID" in page and "Personal ID number" in page
