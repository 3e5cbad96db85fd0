"""The register's JSON API: jurisdiction as 404, audited refusals, writes with token or CSRF header."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from hue06.core.audit import AuditEntry
from hue06.identity import service as identity
from hue06.registry.models import Resident


def audit_actions(session_factory, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def test_commune_officer_reads_own_resident_and_gets_404_outside(
    client, family, make_official, signed_in, session_factory
):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    ok = client.get(f"/api/v1/residents/{family['head'].personal_id}")
    assert ok.status_code == 200
    body = ok.json()
    assert body["full_name"] == "Nguyễn Văn Hùng" and body["current_commune_code"] == "19753"
    assert body["household_code"] == family["tl"].code

    outside = client.get(f"/api/v1/residents/{family['far'].personal_id}")
    unknown = client.get("/api/v1/residents/046190999999")
    assert outside.status_code == unknown.status_code == 404
    assert (
        outside.json()
        == unknown.json()
        == {"error": "not_found", "message": {"vi": "Không tìm thấy cư dân.", "en": "No such resident."}}
    )
    refused = audit_actions(session_factory, "resident.read_refused")
    assert [e.subject_id for e in refused] == [family["far"].personal_id, "046190999999"]
    assert all(e.actor == "official:xa" for e in refused)
    assert [e.subject_id for e in audit_actions(session_factory, "resident.read")] == [
        family["head"].personal_id
    ]


def test_anonymous_callers_get_401(client, family):
    r = client.get(f"/api/v1/residents/{family['head'].personal_id}")
    assert r.status_code == 401 and r.json()["error"] == "auth.required"
    assert client.get("/api/v1/residents?q=nguyen").status_code == 401


def test_search_api(client, family, make_official, signed_in):
    make_official("tinh", "province", "46")
    signed_in("tinh")
    r = client.get("/api/v1/residents", params={"q": "tran thi thuy"})
    assert r.status_code == 200
    page = r.json()
    assert [i["full_name"] for i in page["items"]] == ["Trần Thị Thúy"] and page["has_more"] is False
    r = client.get("/api/v1/residents", params={"q": "thuy", "year": "1990"})
    assert [i["full_name"] for i in r.json()["items"]] == ["Lê Thị Thúy"]
    r = client.get("/api/v1/residents", params={"q": "thuy", "commune": "19774"})
    assert [i["full_name"] for i in r.json()["items"]] == ["Lê Thị Thúy"]
    for bad, code in (
        ({"q": "x" * 500}, "search.too_long"),
        ({"commune": "99999"}, "admin_unit.unknown"),
        ({"dob": "31/02/1990"}, "date.invalid"),
    ):
        r = client.get("/api/v1/residents", params=bad)
        assert r.status_code == 422 and r.json()["error"] == code, bad
    r = client.get("/api/v1/residents", params={"q": "<script>alert(1)</script>' OR 1=1 --"})
    assert r.status_code == 200 and r.json()["items"] == []


def test_household_api(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    r = client.get(f"/api/v1/households/{family['tl'].id}")
    assert r.status_code == 200
    assert [m["relation_to_head"] for m in r.json()["members"]] == ["Chủ hộ", "Vợ", "Con"]
    assert client.get(f"/api/v1/households/{family['kl'].id}").status_code == 404


def test_birth_with_an_api_token(client, family, make_official, session, session_factory):
    make_official("xa", "commune", "19750")
    token = identity.create_api_token(session, "xa")
    session.commit()
    r = client.post(
        "/api/v1/residents",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "family_name": "Nguyễn",
            "middle_name": "Minh",
            "given_name": "Khang",
            "gender": "Nam",
            "date_of_birth": "2024-03-05",
            "household_id": family["tl"].id,
            "relation_to_head": "Con",
            "mother_id": family["wife"].personal_id,
            "source": "Giấy chứng sinh",
        },
    )
    assert r.status_code == 201, r.text
    pid = r.json()["personal_id"]
    assert pid.startswith("046224") and len(pid) == 12  # Huế, a boy of the 2000s, 2024
    with session_factory() as s:
        assert s.scalar(select(Resident.full_name).where(Resident.personal_id == pid)) == "Nguyễn Minh Khang"
    bad = client.post(
        "/api/v1/residents",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "family_name": "Nguyễn",
            "given_name": "Khang",
            "gender": "Nam",
            "date_of_birth": "31/02/2024",
            "household_id": family["tl"].id,
        },
    )
    assert bad.status_code == 422 and bad.json()["error"] == "date.invalid"


def test_browser_writes_need_the_csrf_header_and_a_writer_role(client, family, make_official, signed_in):
    make_official("xa", "commune", "19750")
    make_official("kiemtra", "auditor", "46")
    signed_in("xa")
    url = f"/api/v1/residents/{family['other'].personal_id}/death"
    assert client.post(url, json={"date_of_death": "01/06/2024"}).status_code == 403
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        url, json={"date_of_death": "01/06/2024", "source": "Trích lục"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200 and r.json()["status"] == "deceased"
    client.cookies.clear()
    signed_in("kiemtra")
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        f"/api/v1/residents/{family['head'].personal_id}/moves",
        headers={"X-CSRF-Token": csrf},
        json={"kind": "absence", "address_detail": "Hàn Quốc", "date_from": "01/06/2024"},
    )
    assert r.status_code == 403 and r.json()["error"] == "auth.role"


def test_move_and_correction_through_the_api(client, family, make_official, session):
    make_official("phuxuan", "district", "475")  # both Tây Lộc and Kim Long
    token = identity.create_api_token(session, "phuxuan")
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(
        f"/api/v1/residents/{family['head'].personal_id}/moves",
        headers=auth,
        json={
            "kind": "permanent",
            "to_commune_code": "19774",
            "address_detail": "45 Kim Long",
            "date_from": "01/06/2024",
        },
    )
    assert r.status_code == 200 and r.json()["commune_code"] == "19774"
    version = r.json()["version"]
    r = client.patch(
        f"/api/v1/residents/{family['head'].personal_id}",
        headers=auth,
        json={"changes": {"place_of_birth": "Huế"}, "expected_version": version, "source": "Đơn"},
    )
    assert r.status_code == 200 and r.json()["place_of_birth"] == "Huế"
    stale = client.patch(
        f"/api/v1/residents/{family['head'].personal_id}",
        headers=auth,
        json={"changes": {"place_of_birth": "Đà Nẵng"}, "expected_version": version, "source": "Đơn"},
    )
    assert stale.status_code == 409
    hist = client.get(f"/api/v1/residents/{family['head'].personal_id}/history", headers=auth)
    assert [h["action"] for h in hist.json()] == ["correction", "move.permanent"]


def test_nothing_personal_reaches_the_logs(client, family, make_official, signed_in, caplog):
    make_official("xa", "commune", "19750")
    signed_in("xa")
    with caplog.at_level(logging.DEBUG):
        client.get(f"/api/v1/residents/{family['head'].personal_id}")
        client.get(f"/api/v1/residents/{family['far'].personal_id}")
        client.get("/api/v1/residents", params={"q": "nguyen van hung"})
    # what the server logged (the test client's own httpx log line is not the server's)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "/api/v1/residents/{personal_id}" in text  # the access log names the route template
    for secret in (family["head"].personal_id, family["far"].personal_id, "nguyen van hung", "Nguyễn"):
        assert secret not in text


def test_openapi_describes_the_register(client):
    spec = client.get("/api/openapi.json").json()
    op = spec["paths"]["/api/v1/residents/{personal_id}"]["get"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ResidentOut")
    fields = spec["components"]["schemas"]["ResidentOut"]["properties"]
    assert {"personal_id", "current_commune_code", "household_code", "address"} <= set(fields)
    assert json.dumps(spec).count("/api/v1/households/{household_id}") == 1
