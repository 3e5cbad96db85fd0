"""The register's pages: search, resident, household, map, and the birth/death/move forms."""

from __future__ import annotations

import re

from sqlalchemy import select

from hue06.registry.models import Resident

HTML = {"Accept": "text/html"}


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    return client.cookies.get("hue06_csrf")


def test_pages_send_anonymous_visitors_to_login(client, family):
    r = client.get("/registry/residents?q=nguyen", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/registry/residents")


def test_search_page_finds_names_typed_without_diacritics(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.get("/registry/residents", params={"q": "tran thi thuy"}, headers=HTML)
    assert r.status_code == 200
    assert "Trần Thị Thúy" in r.text and f"/registry/residents/{family['wife'].personal_id}" in r.text
    # Lê Thị Thúy lives in Kim Long: not listed for a Tây Lộc officer
    r = client.get("/registry/residents", params={"q": "thuy"}, headers=HTML)
    assert "Trần Thị Thúy" in r.text and "Lê Thị Thúy" not in r.text
    r = client.get("/registry/residents", params={"q": "<script>alert(1)</script>"}, headers=HTML)
    assert r.status_code == 200 and "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_search_page_shows_bad_input_in_an_error_summary(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.get("/registry/residents", params={"dob": "31/02/1990"}, headers=HTML)
    assert r.status_code == 422 and "error-summary" in r.text and "31/02/1990 không tồn tại" in r.text
    r = client.get("/registry/residents", params={"q": "a" * 300, "lang": "en"}, headers=HTML)
    assert r.status_code == 422 and "The search text is too long" in r.text


def test_resident_page_household_and_404_outside(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.get(f"/registry/residents/{family['head'].personal_id}", headers=HTML)
    assert r.status_code == 200
    assert "Nguyễn Văn Hùng" in r.text and "Phường Phú Xuân" in r.text and family["tl"].code in r.text
    assert "Trần Thị Thúy" in r.text  # household members
    r = client.get(f"/registry/households/{family['tl'].id}", headers=HTML)
    assert r.status_code == 200 and "Chủ hộ" in r.text and "16.47800" in r.text
    refused = client.get(f"/registry/residents/{family['far'].personal_id}", headers=HTML)
    assert refused.status_code == 404 and "Không tìm thấy cư dân" in refused.text
    assert family["far"].personal_id not in refused.text
    assert client.get(f"/registry/households/{family['kl'].id}", headers=HTML).status_code == 404


def test_auditors_see_who_read_the_record(client, family, make_official, signed_in):
    make_official("kiemtra", "auditor", "46")
    signed_in("kiemtra")
    client.get(f"/registry/residents/{family['head'].personal_id}", headers=HTML)
    r = client.get(f"/registry/residents/{family['head'].personal_id}", headers=HTML)
    assert (
        "Nhật ký truy cập hồ sơ này" in r.text and "official:kiemtra" in r.text and "resident.read" in r.text
    )
    assert "Đăng ký khai sinh" not in r.text and "Khai tử" not in r.text  # auditors do not write


def test_map_page_draws_an_svg_with_links_to_households(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.get("/registry/map", params={"commune": "19750"}, headers=HTML)
    assert r.status_code == 200
    assert re.search(rf'<a href="/registry/households/{family["tl"].id}" aria-label="[^"]+"><circle', r.text)
    assert "<table" in r.text and "16.47800" in r.text
    assert client.get("/registry/map", params={"commune": "19774"}, headers=HTML).status_code == 404


def test_birth_form_registers_a_child(client, family, make_official, signed_in, session_factory):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    form = client.get(f"/registry/households/{family['tl'].id}/birth", headers=HTML)
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    data = {
        "csrf_token": csrf(client),
        "family_name": "Nguyễn",
        "middle_name": "Gia",
        "given_name": "Bảo",
        "gender": "male",
        "date_of_birth": "31/02/2024",
        "place_of_birth": "Huế",
        "relation_to_head": "Con",
        "mother_id": family["wife"].personal_id,
        "father_id": "",
        "source": "Giấy chứng sinh",
    }
    bad = client.post(f"/registry/households/{family['tl'].id}/birth", data=data, headers=HTML)
    assert bad.status_code == 422 and "error-summary" in bad.text and 'href="#f-date_of_birth"' in bad.text
    assert 'value="Bảo"' in bad.text  # what was typed is kept
    data["date_of_birth"] = "29/02/2024"
    ok = client.post(
        f"/registry/households/{family['tl'].id}/birth", data=data, headers=HTML, follow_redirects=False
    )
    assert ok.status_code == 303
    pid = ok.headers["location"].split("/")[-1].split("?")[0]
    with session_factory() as s:
        assert s.scalar(select(Resident.full_name).where(Resident.personal_id == pid)) == "Nguyễn Gia Bảo"
    page = client.get(ok.headers["location"], headers=HTML)
    assert "Đã đăng ký khai sinh" in page.text and "birth" in page.text


def test_forms_refuse_a_post_without_csrf(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.post(
        f"/registry/residents/{family['other'].personal_id}/death",
        data={"date_of_death": "01/06/2024"},
        headers=HTML,
    )
    assert r.status_code == 403


def test_death_and_move_forms(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    pid = family["other"].personal_id
    assert client.get(f"/registry/residents/{pid}/death", headers=HTML).status_code == 200
    bad = client.post(
        f"/registry/residents/{pid}/death",
        headers=HTML,
        data={"csrf_token": csrf(client), "date_of_death": "01/01/2099"},
    )
    assert bad.status_code == 422 and "Ngày không được ở tương lai" in bad.text
    ok = client.post(
        f"/registry/residents/{pid}/death",
        headers=HTML,
        follow_redirects=False,
        data={"csrf_token": csrf(client), "date_of_death": "01/06/2024", "source": "Trích lục"},
    )
    assert ok.status_code == 303
    assert "Đã mất" in client.get(f"/registry/residents/{pid}", headers=HTML).text

    head = family["head"].personal_id
    assert client.get(f"/registry/residents/{head}/move", headers=HTML).status_code == 200
    bad = client.post(
        f"/registry/residents/{head}/move",
        headers=HTML,
        data={
            "csrf_token": csrf(client),
            "kind": "permanent",
            "to_commune_code": "19774",
            "address_detail": "1 Kim Long",
            "date_from": "01/06/2024",
        },
    )
    assert bad.status_code == 403  # Kim Long is not this officer's commune
    ok = client.post(
        f"/registry/residents/{head}/move",
        headers=HTML,
        follow_redirects=False,
        data={
            "csrf_token": csrf(client),
            "kind": "absence",
            "to_commune_code": "",
            "address_detail": "Nhật Bản",
            "date_from": "01/06/2024",
            "date_to": "01/06/2026",
        },
    )
    assert ok.status_code == 303
    assert "Nhật Bản" in client.get(f"/registry/residents/{head}", headers=HTML).text


def test_pages_in_english(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.get(f"/registry/residents/{family['head'].personal_id}?lang=en", headers=HTML)
    assert "Change history" in r.text and "Household members" in r.text


def test_an_agency_clerk_gets_no_register_search_and_no_change_buttons(
    client, family, make_official, signed_in
):
    """The Department of Justice's clerk (role province, agency STP, like the demo's `tuphap`) sees
    register data in the dossiers of the agency, not a province-wide search with "Khai tử" buttons;
    a province official of the population register still has both."""
    make_official("tuphap", "province", "46", agency="STP")
    signed_in("tuphap")
    head, unknown = family["head"], "046075999999"
    search = client.get("/registry/residents", params={"q": "nguyen"}, headers=HTML)
    assert search.status_code == 403 and "Nguyễn Văn Hùng" not in search.text
    assert "hồ sơ được giao" in search.text
    for path in (
        f"/registry/residents/{head.personal_id}",
        f"/registry/households/{family['tl'].id}",
        f"/registry/residents/{head.personal_id}/death",
        "/registry/map?commune=19750",
    ):
        r = client.get(path, headers=HTML)
        assert r.status_code == 403 and "Khai tử" not in r.text and head.personal_id not in r.text, path
    known = client.post(
        f"/registry/residents/{head.personal_id}/death",
        headers=HTML,
        data={"csrf_token": csrf(client), "date_of_death": "01/06/2024", "source": "x"},
    )
    other = client.post(
        f"/registry/residents/{unknown}/death",
        headers=HTML,
        data={"csrf_token": csrf(client), "date_of_death": "01/06/2024", "source": "x"},
    )
    assert known.status_code == other.status_code == 403
    api = client.get("/api/v1/residents", params={"q": "nguyen"})
    assert api.status_code == 403 and api.json()["error"] == "registry.agency"
    client.cookies.clear()
    make_official("tinh", "province", "46")
    signed_in("tinh")
    page = client.get(f"/registry/residents/{head.personal_id}", headers=HTML)
    assert page.status_code == 200 and "Khai tử" in page.text
    search = client.get("/registry/residents", params={"q": "nguyen"}, headers=HTML)
    assert search.status_code == 200 and "Nguyễn Văn Hùng" in search.text
