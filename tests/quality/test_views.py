"""The officials' pages: upload, map, run, results, downloads, review — and who may see what."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date

import pytest
from openpyxl import load_workbook

from .conftest import add_person, csv_file

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Địa chỉ"]
ADDRESS = "Tổ 3, Phường Phú Xuân, Thành phố Huế"


@pytest.fixture
def people(session, province):  # type: ignore[no-untyped-def]
    p = {
        "A": add_person(session, "Trần", "Văn", "Khải", date(1980, 4, 12), "male"),
        "E1": add_person(session, "Nguyễn", "Văn", "Bảo", date(1990, 1, 5), "male"),
        "E2": add_person(session, "Nguyễn", "Văn", "Bảo", date(1990, 7, 21), "male"),
    }
    session.commit()
    return {k: v.personal_id for k, v in p.items()}


def _data(p):
    return csv_file(
        HEADER,
        [
            ["1", "Trần Văn Khải", "12/04/1980", "Nam", p["A"], ADDRESS],
            ["2", "Nguyễn Văn Bảo", "1990", "Nam", "", ADDRESS],
            ["3", "Trần Văn Khải", "12/04/1980", "Nam", "", ADDRESS],
        ],
    )


def _csrf(client):
    client.get("/quality")
    return client.cookies.get("hue06_csrf")


def _upload(client, data, sector="health_insurance", name="bhyt.csv"):
    return client.post(
        "/quality/upload",
        data={"sector": sector, "csrf_token": _csrf(client)},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def _run_to_end(client, token, form):
    r = client.post(
        f"/quality/uploads/{token}/run", data={"csrf_token": _csrf(client), **form}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    job = r.headers["location"].rsplit("/", 1)[-1]
    for _ in range(240):
        state = client.get(f"/api/quality/jobs/{job}").json()
        if state["finished"]:
            break
        time.sleep(0.25)
    assert state["run_id"], state
    return state["run_id"], job


def test_anonymous_visitors_are_sent_to_login(sqlite_only, client):
    r = client.get("/quality", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/api/quality/jobs/x").status_code == 401


def test_upload_map_run_read_and_review(sqlite_only, client, make_official, signed_in, people):
    make_official("so_yte", role="province", unit_code="46")
    signed_in("so_yte")
    r = _upload(client, _data(people))
    assert r.status_code == 303
    token = r.headers["location"].rsplit("/", 1)[-1]
    page = client.get(f"/quality/uploads/{token}").text
    assert 'name="col_1"' in page and re.search(r'<option value="full_name" selected', page)
    run_id, job = _run_to_end(
        client,
        token,
        {
            "col_1": "full_name",
            "col_2": "date_of_birth",
            "col_3": "gender",
            "col_4": "personal_id",
            "col_5": "address",
            "save_mapping": "1",
            "mapping_name": "BHYT",
        },
    )
    assert (
        client.get(f"/quality/jobs/{job}", follow_redirects=False).headers["location"]
        == f"/quality/runs/{run_id}"
    )
    page = client.get(f"/quality/runs/{run_id}").text
    assert "Đã xác thực 2/3 trường hợp (66,67%)" in page
    assert "/quality/static/plotly.min.js" in page and "cdn" not in page.lower()
    assert client.get("/quality/static/plotly.min.js").status_code == 200

    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/quality/runs/{run_id}/result.csv").text.lstrip("\ufeff")))
    )
    assert [x["status"] for x in rows] == ["verified", "review", "duplicate"]
    fixes = client.get(f"/quality/runs/{run_id}/corrections.csv").text
    assert "Trùng lặp" in fixes
    book = load_workbook(
        io.BytesIO(client.get(f"/quality/runs/{run_id}/report.xlsx").content), read_only=True
    )
    assert "Theo xã" in book.sheetnames

    review = client.get(f"/quality/runs/{run_id}/review/2").text
    assert "Trong CSDL dân cư" in review and "Những người gần giống khác" in review
    r = client.post(
        f"/quality/runs/{run_id}/review/2",
        data={"decision": "confirm", "candidate": people["E2"], "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/quality/runs/{run_id}/result.csv").text.lstrip("\ufeff")))
    )
    assert (rows[1]["status"], rows[1]["personal_id"]) == ("linked", people["E2"])

    # The mapping was saved: the next file of the sector is pre-filled from it.
    token = _upload(client, _data(people)).headers["location"].rsplit("/", 1)[-1]
    assert "Đã điền sẵn theo cách ghép đã lưu" in client.get(f"/quality/uploads/{token}").text


def test_a_wrong_mapping_is_explained_on_the_page(sqlite_only, client, make_official, signed_in, people):
    make_official("so_yte", role="province", unit_code="46")
    signed_in("so_yte")
    token = _upload(client, _data(people)).headers["location"].rsplit("/", 1)[-1]
    r = client.post(
        f"/quality/uploads/{token}/run",
        data={"csrf_token": _csrf(client), "col_2": "full_name"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "Ngày sinh" in r.text and "Họ và tên" in r.text and "error-summary" in r.text


def test_bad_uploads_are_refused_with_a_reason(sqlite_only, client, make_official, signed_in):
    make_official("so_yte", role="province", unit_code="46")
    signed_in("so_yte")
    r = _upload(client, b"%PDF-1.5 not a table", name="x.pdf")
    assert r.status_code == 422 and "không phải bảng tính" in r.text
    r = _upload(client, b"", name="x.csv")
    assert r.status_code == 422
    r = client.post(
        "/quality/upload", data={"sector": "health_insurance"}, files={"file": ("a.csv", b"x", "text/csv")}
    )
    assert r.status_code == 403  # no CSRF token


def test_an_official_sees_only_their_communes(sqlite_only, client, make_official, signed_in, people):
    make_official("so_yte", role="province", unit_code="46")
    make_official("xa_khac", role="commune", unit_code="20014")
    signed_in("so_yte")
    token = _upload(client, _data(people)).headers["location"].rsplit("/", 1)[-1]
    run_id, job = _run_to_end(
        client,
        token,
        {"col_1": "full_name", "col_2": "date_of_birth", "col_4": "personal_id", "col_5": "address"},
    )
    client.post("/logout", data={"csrf_token": _csrf(client)})
    signed_in("xa_khac")
    page = client.get(f"/quality/runs/{run_id}").text
    assert "Chỉ hiển thị các dòng thuộc địa bàn của bạn" in page
    assert "Đã xác thực" not in page  # the whole file's summary is the province's
    assert client.get(f"/quality/runs/{run_id}/review/2").status_code == 404
    rows = client.get(f"/quality/runs/{run_id}/result.csv").text.strip().splitlines()
    assert len(rows) == 1  # the header only
    assert client.get(f"/api/quality/jobs/{job}").status_code == 404  # someone else's job
