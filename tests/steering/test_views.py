"""Steering pages and API as officials use them."""

from __future__ import annotations

import io
import re

import pytest

from hue06.steering import service
from tests.conftest import login

REPORT_DAY = "10/07/2024"


@pytest.fixture
def people(session, imported, make_official):  # type: ignore[no-untyped-def]
    make_official("lanhdao", "province", "46")
    make_official("stp", "province", "46")
    make_official("totgiupviec", "admin", "46")
    service.add_member(session, "Sở Tư pháp", "stp")
    session.commit()
    return imported


def _figures(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-figure="(\w+)">(\d+)<', html)}


def _task_id(session, code: str) -> int:  # type: ignore[no-untyped-def]
    return next(t.id for t in service.list_tasks(session) if t.code == code)


def test_pages_need_a_signed_in_official(client):
    r = client.get("/steering", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/steering"
    assert client.get("/api/v1/steering/tasks").status_code == 401


def test_dashboard_shows_computed_figures_and_charts(client, people):
    login(client, "lanhdao")
    r = client.get(f"/steering?today={REPORT_DAY}")
    assert r.status_code == 200
    assert _figures(r.text) == {
        "total": 102,
        "completed": 22,
        "recurring": 11,
        "in_progress": 65,
        "behind": 4,
        "overdue": 29,
    }
    assert '<script src="/steering/static/plotly.min.js">' in r.text and "cdn" not in r.text.lower()
    assert "22 số liệu chưa thống nhất" in r.text
    js = client.get("/steering/static/plotly.min.js")
    assert js.status_code == 200 and b"plotly" in js.content[:2000].lower()
    filtered = client.get(f"/steering?today={REPORT_DAY}&status=behind")
    assert _figures(filtered.text)["total"] == 4
    english = client.get(f"/steering?today={REPORT_DAY}&lang=en")
    assert "Behind schedule" in english.text


def test_department_officer_updates_a_task_through_the_form(client, session, people):
    login(client, "stp")
    r = client.get("/steering/units", follow_redirects=False)
    unit = service.get_unit(session, "Sở Tư pháp")
    assert r.headers["location"] == f"/steering/units/{unit.id}"
    page = client.get(r.headers["location"])
    assert page.text.count("/steering/tasks/") == 4
    task_id = _task_id(session, "43")
    csrf = client.cookies.get("hue06_csrf")
    # "completed" needs a reason to believe it
    missing = client.post(
        f"/steering/tasks/{task_id}",
        data={"status": "completed", "result": "Xong", "evidence": "", "version": "1", "csrf_token": csrf},
    )
    assert missing.status_code == 400 and "Ghi căn cứ hoàn thành" in missing.text
    ok = client.post(
        f"/steering/tasks/{task_id}",
        data={
            "status": "completed",
            "result": "Đã triển khai",
            "evidence": "Công văn 55/STP",
            "comment": "quý III",
            "version": "1",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = client.get(ok.headers["location"])
    assert "Đã lưu cập nhật nhiệm vụ." in page.text and "Công văn 55/STP" in page.text
    assert "official:stp" in page.text and "quý III" in page.text  # the history
    stale = client.post(
        f"/steering/tasks/{task_id}", data={"status": "behind", "version": "1", "csrf_token": csrf}
    )
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.text
    no_csrf = client.post(f"/steering/tasks/{task_id}", data={"status": "behind", "version": "2"})
    assert no_csrf.status_code == 403


def test_an_officer_cannot_update_another_units_task(client, session, people):
    login(client, "stp")
    task_id = _task_id(session, "87")  # Sở Thông tin và Truyền thông
    page = client.get(f"/steering/tasks/{task_id}")
    assert "Lưu cập nhật" not in page.text
    r = client.post(
        f"/steering/tasks/{task_id}",
        data={
            "status": "completed",
            "evidence": "x",
            "version": "1",
            "csrf_token": client.cookies.get("hue06_csrf"),
        },
    )
    assert r.status_code == 403


def test_mismatches_page_lists_where_and_how_much(client, people):
    login(client, "lanhdao")
    r = client.get("/steering/mismatches")
    assert r.status_code == 200
    assert r.text.count("<tr><td>") >= 22
    assert "Dòng 19: đúng hạn 2.270 + quá hạn 0 = 2.270" in r.text
    assert "-3828" in r.text


def test_report_button_and_roles(client, people):
    login(client, "lanhdao")
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        "/steering/report",
        data={"period": "2024-H1", "fmt": "docx", "issued": REPORT_DAY, "number": "108", "csrf_token": csrf},
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert 'filename="bao-cao-de-an-06-2024-h1.docx"' in r.headers["content-disposition"]
    bad = client.post("/steering/report", data={"period": "2024-H9", "csrf_token": csrf})
    assert bad.status_code == 422
    assert client.get("/steering/import").status_code == 403  # leaders read; the secretariat imports


def test_import_page_rejects_a_bad_file_and_imports_nothing(client, session, reference_text, make_official):
    make_official("totgiupviec", "admin", "46")
    login(client, "totgiupviec")
    csrf = client.cookies.get("hue06_csrf")
    bad = reference_text.replace("\tTrong tháng 02/2024\t", "\tKhi nào rảnh\t").encode()
    r = client.post(
        "/steering/import",
        data={"csrf_token": csrf},
        files={"file": ("bao-cao.txt", io.BytesIO(bad), "text/plain")},
    )
    assert r.status_code == 422 and "Chưa nhập dữ liệu nào" in r.text and "Khi nào rảnh" in r.text
    assert service.list_reports(session) == []
    r = client.post(
        "/steering/import",
        data={"csrf_token": csrf, "partial": "1"},
        files={"file": ("bao-cao.txt", io.BytesIO(bad), "text/plain")},
    )
    assert r.status_code == 200 and "101 nhiệm vụ" in r.text


def test_export_is_a_workbook_with_the_filtered_tasks(client, people):
    from openpyxl import load_workbook

    login(client, "lanhdao")
    r = client.get("/steering/export.xlsx?status=behind")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert [row[0].value for row in wb["Nhiệm vụ"].iter_rows(min_row=2)] == ["I.1", "59", "83", "84"]


def test_api(client, session, people):
    login(client, "stp")
    tasks = client.get("/api/v1/steering/tasks?overdue=true&today=2024-07-10").json()
    assert len(tasks) == 29 and all(t["overdue"] for t in tasks)
    dash = client.get("/api/v1/steering/dashboard?today=2024-07-10").json()
    assert dash["by_status"] == {"completed": 22, "recurring": 11, "in_progress": 65, "behind": 4}
    assert dash["services"]["total"] == 183525 and dash["mismatches"] == 22
    task_id = _task_id(session, "43")
    csrf = client.cookies.get("hue06_csrf")
    r = client.patch(
        f"/api/v1/steering/tasks/{task_id}",
        json={"status": "completed", "evidence": "CV 9", "version": 1},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.json()["history"][0]["source"] == "api"
    assert (
        client.patch(f"/api/v1/steering/tasks/{task_id}", json={"status": "behind", "version": 1}).status_code
        == 409
    )
    assert len(client.get("/api/v1/steering/mismatches").json()) == 22
    assert len(client.get("/api/v1/steering/models").json()) == 46


def test_model_states_are_set_by_the_secretariat(client, people):
    login(client, "lanhdao")
    model = next(m for m in client.get("/api/v1/steering/models").json() if m["number"] == 25)
    assert model["state"] == "deployed"
    assert (
        client.patch(f"/api/v1/steering/models/{model['id']}", json={"state": "completed"}).status_code == 403
    )
    client.post("/logout", data={"csrf_token": client.cookies.get("hue06_csrf")})
    login(client, "totgiupviec")
    r = client.patch(
        f"/api/v1/steering/models/{model['id']}", json={"state": "completed", "comment": "SSO xong"}
    )
    assert r.status_code == 200 and r.json()["state"] == "completed"
    assert (
        client.patch(f"/api/v1/steering/models/{model['id']}", json={"state": "finished"}).status_code == 422
    )
    dash = client.get("/api/v1/steering/dashboard").json()
    assert dash["models_by_state"]["completed"] == 2
