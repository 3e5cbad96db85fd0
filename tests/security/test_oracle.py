"""No oracle: for a resident, household or dossier outside an official's area, every route answers
exactly as it does for an ID that does not exist, whatever the body.

The routes are taken from the app itself (`app.routes`), so a new route with a resident, household
or dossier ID in its path is covered without editing this file. Each is called by officials of
another area (a commune, a district, another agency of the province) with a valid-looking body and
an invalid one, first for an unknown ID, then for the real one; the two answers must be the same.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hue06.core.personal_id import make_personal_id
from hue06.identity import service as identity
from hue06.identity.testing import TEST_TOTP_SECRET
from hue06.services.models import Dossier
from tests.conftest import TEST_PASSWORD, login
from tests.registry.conftest import Register
from tests.services.conftest import submitted_lltp

UNKNOWN_HOUSEHOLD, UNKNOWN_DOSSIER = 987_654, 876_543
# Other parameters a path may hold, filled with values that would be right for a real record.
OTHER_PARAMS = {"action": "receive", "page_id": "loai_phieu", "file_id": "1", "snap_id": "1", "doc_id": "1"}
ID_PARAMS = ("personal_id", "household_id", "dossier_id")

# (username, role, unit, agency, a commune of their own): each outside the records below, which
# are in Phường Tây Lộc (19750) and belong to the Department of Justice (STP).
OUTSIDERS = {
    "commune": ("xa_kimlong", "commune", "19774", "", "19774"),
    "district": ("huyen_aluoi", "district", "481", "", "20044"),
    "province": ("so_yte", "province", "46", "SYT", "19750"),  # another agency: dossiers only
}


def _valid_body(own_commune: str) -> dict[str, Any]:
    """Every field any of these routes reads, with a value that would pass for a real record."""
    return {
        "kind": "temporary",
        "to_commune_code": own_commune,
        "address_detail": "1 Lê Lợi",
        "date_from": "01/06/2024",
        "date_to": "01/06/2026",
        "date_of_death": "01/06/2024",
        "source": "Đơn đề nghị",
        "family_name": "Nguyễn",
        "given_name": "An",
        "gender": "Nam",
        "date_of_birth": "01/01/2024",
        "relation_to_head": "Con",
        "changes": {"place_of_birth": "Huế"},
        "expected_version": 1,
        "version": 1,
        "note": "Bổ sung giấy tờ",
    }


def _invalid_body(own_commune: str) -> dict[str, Any]:
    """The same with values a real record would refuse (dates before the birth, a bad version)."""
    return {
        **_valid_body(own_commune),
        "date_from": "01/01/1901",
        "date_of_death": "01/01/1901",
        "date_of_birth": "31/02/2024",
        "changes": {"date_of_birth": "01/01/1901"},
        "expected_version": 99,
        "version": 99,
        "note": "",
    }


def _id_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every route whose path holds a resident, household or dossier ID."""
    found = []
    stack = list(app.routes)
    while stack:
        route = stack.pop()
        if hasattr(route, "original_router"):  # an included router (FastAPI keeps them apart)
            stack.extend(route.original_router.routes)
        elif isinstance(route, APIRoute) and any(f"{{{p}}}" in route.path for p in ID_PARAMS):
            found.extend((m, route.path) for m in sorted(route.methods - {"HEAD"}))
    return sorted(set(found))


def _path(template: str, ids: dict[str, Any]) -> str:
    values = {**OTHER_PARAMS, **{k: str(v) for k, v in ids.items()}}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def _answer(client: TestClient, token: str, method: str, path: str, body: dict[str, Any] | None) -> tuple:
    """JSON routes with the official's API token; pages with their signed-in session (and the
    CSRF token a form carries). Redirects are compared, not followed."""
    if path.startswith("/api/"):
        headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        r = client.request(method, path, headers=headers, json=body, follow_redirects=False)
    else:
        form = {k: v for k, v in (body or {}).items() if not isinstance(v, dict)}
        data = {**form, "csrf_token": client.cookies.get("hue06_csrf")} if body else None
        r = client.request(method, path, headers={"accept": "text/html"}, data=data, follow_redirects=False)
    return r.status_code, r.headers.get("location", ""), r.text


def _normalised(answer: tuple, path: str, ids: dict[str, Any]) -> tuple:
    """The answer with the path asked, and the IDs in it, blanked (a redirect names them)."""
    status, location, text = answer
    location = location.replace(path, "<path>")
    for value in ids.values():
        location = re.sub(rf"(?<=/){value}(?=[/?]|$)", "<id>", location)
    return status, location, text.replace(path, "<path>").replace(ids["personal_id"], "<personal_id>")


@pytest.fixture
def records(session, new_citizen, gateway):  # type: ignore[no-untyped-def]
    """A household and its head in Tây Lộc, and a submitted LLTP dossier of a Tây Lộc citizen."""
    reg = Register(session)
    household = reg.household("19750", "12 Lê Lợi")
    head = reg.resident("Nguyễn Văn Hùng", gender="male", household=household)
    citizen = new_citizen(full_name="Trần Thị Hoài Thương")
    dossier = submitted_lltp(session, citizen.actor, gateway)
    session.commit()
    assert session.get(Dossier, dossier.id).commune_code == "19750"
    real = {"personal_id": head.personal_id, "household_id": household.id, "dossier_id": dossier.id}
    unknown = {
        "personal_id": make_personal_id("046", "male", 1975, 999_999),
        "household_id": UNKNOWN_HOUSEHOLD,
        "dossier_id": UNKNOWN_DOSSIER,
    }
    return real, unknown


@pytest.mark.parametrize("role", sorted(OUTSIDERS))
def test_outside_the_area_every_route_answers_as_for_an_unknown_id(app, client, session, records, role):
    real, unknown = records
    username, role_name, unit, agency, own_commune = OUTSIDERS[role]
    identity.create_official(
        session, username, TEST_PASSWORD, role_name, unit, agency=agency, totp_secret=TEST_TOTP_SECRET
    )
    token = identity.create_api_token(session, username)
    session.commit()
    login(client, username)
    routes = _id_routes(app)
    assert any("{personal_id}" in p for _, p in routes) and any("{dossier_id}" in p for _, p in routes)
    differences = []
    for method, template in routes:
        if role == "province" and "{dossier_id}" not in template:
            continue  # a province official's area is the whole register
        bodies = [None] if method == "GET" else [_valid_body(own_commune), _invalid_body(own_commune)]
        for body in bodies:
            kinds = "valid" if body is None or body["version"] == 1 else "invalid"
            answers = []
            for ids in (unknown, real):
                path = _path(template, ids)
                answer = _answer(client, token, method, path, body)
                answers.append(_normalised(answer, path, ids))
            expected, got = answers
            if got != expected:
                differences.append(
                    f"{method} {template} ({kinds}): {got[:2]} {got[2][:200]!r} ≠ unknown {expected[:2]}"
                )
    assert not differences, "\n".join(differences)
