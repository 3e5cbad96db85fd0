"""Steering pages: leaders' dashboard, a unit's task list, a task's update form, mismatches, import.

Charts use Plotly's JavaScript from the Python wheel, served from here: no CDN, works offline.
Every chart has the same figures in a table next to it, so the page reads without JavaScript.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core.errors import Forbidden, Hue06Error, InvalidInput
from hue06.core.security import Actor
from hue06.steering import service, xlsx
from hue06.steering.deadlines import DEADLINE_KIND_LABELS, DeadlineKind
from hue06.steering.report import parse_period
from hue06.steering.types import MODEL_STATE_LABELS, TASK_STATUS_LABELS, ModelState, TaskStatus
from hue06.web.deps import csrf_protect, official_page
from hue06.web.i18n import translate
from hue06.web.templating import render
from hue06.web.transaction import db, keeps_changes

router = APIRouter(prefix="/steering", include_in_schema=False)

NAV = [{"href": "/steering", "label": "Đề án 06"}]
STATUS_COLOURS = {
    "completed": "#00703c",
    "recurring": "#1d70b8",
    "in_progress": "#f47738",
    "behind": "#d4351c",
}
STATE_COLOURS = {
    "completed": "#00703c",
    "in_progress": "#f47738",
    "deployed": "#1d70b8",
    "not_started": "#d4351c",
}


def _labels(lang: str) -> dict[str, object]:
    return {
        "status": {s.value: translate(TASK_STATUS_LABELS[s][0], lang) for s in TaskStatus},
        "state": {s.value: translate(MODEL_STATE_LABELS[s][0], lang) for s in ModelState},
        "deadline": {k.value: translate(DEADLINE_KIND_LABELS[k][0], lang) for k in DeadlineKind},
    }


def _require(who: Actor, roles: tuple[str, ...]) -> None:
    if who.role not in roles:
        raise Forbidden(
            "steering.role",
            "Tài khoản của bạn không thực hiện được việc này.",
            "Your account may not do this.",
        )


def _page(request: Request, template: str, ctx: dict[str, object], status_code: int = 200) -> Response:
    lang = getattr(request.state, "lang", "vi")
    base = {
        "nav_items": NAV,
        "labels": _labels(lang),
        "status_colours": STATUS_COLOURS,
        "state_colours": STATE_COLOURS,
    }
    return render(request, template, {**base, **ctx}, status_code=status_code)


def _today(request: Request) -> date:
    """Today, or `?today=dd/mm/yyyy` to see the dashboard as on another day (e.g. the report date)."""
    raw = request.query_params.get("today")
    if raw:
        try:
            return datetime.strptime(raw, "%d/%m/%Y").date()
        except ValueError:
            pass
    return date.today()


def _filter(request: Request) -> service.TaskFilter:
    q = request.query_params

    def as_int(name: str) -> int | None:
        value = q.get(name, "")
        return int(value) if value.isdigit() else None

    status = q.get("status") or None
    if status and status not in {s.value for s in TaskStatus}:
        status = None
    return service.TaskFilter(
        year=as_int("year"),
        status=status,
        group=q.get("group") or None,
        unit_id=as_int("unit"),
        q=q.get("q") or None,
    )


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    return Response(
        _plotly_js(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


def _charts(dash: service.Dashboard, lang: str) -> str:
    """Plotly figure specs as JSON (data and layout only; the page draws them)."""
    labels = _labels(lang)
    status_labels = labels["status"]
    state_labels = labels["state"]
    assert isinstance(status_labels, dict) and isinstance(state_labels, dict)
    statuses = [s.value for s in TaskStatus]
    charts = {
        "status": {
            "data": [
                {
                    "type": "pie",
                    "hole": 0.45,
                    "sort": False,
                    "labels": [status_labels[s] for s in statuses],
                    "values": [dash.by_status.get(s, 0) for s in statuses],
                    "marker": {"colors": [STATUS_COLOURS[s] for s in statuses]},
                }
            ],
            "layout": {"height": 320, "margin": {"t": 10, "b": 10, "l": 10, "r": 10}},
        },
        "groups": {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": status_labels[s],
                    "y": [f"{code}. {title[:55]}" for code, title, _ in dash.by_group],
                    "x": [counts.get(s, 0) for _, _, counts in dash.by_group],
                    "marker": {"color": STATUS_COLOURS[s]},
                }
                for s in statuses
            ],
            "layout": {
                "barmode": "stack",
                "height": 140 + 28 * max(1, len(dash.by_group)),
                "margin": {"t": 10, "l": 420, "r": 10},
                "yaxis": {"autorange": "reversed"},
                "legend": {"orientation": "h", "y": -0.15},
            },
        },
        "units": {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": name,
                    "y": [u[1][:45] for u in dash.by_unit[:12]],
                    "x": [vals(u) for u in dash.by_unit[:12]],
                    "marker": {"color": colour},
                }
                for name, vals, colour in (
                    (status_labels["completed"], lambda u: u[3], STATUS_COLOURS["completed"]),
                    (translate("Quá hạn", lang), lambda u: u[4], STATUS_COLOURS["behind"]),
                    (translate("Khác", lang), lambda u: u[2] - u[3] - u[4], "#b1b4b6"),
                )
            ],
            "layout": {
                "barmode": "stack",
                "height": 140 + 26 * min(12, max(1, len(dash.by_unit))),
                "margin": {"t": 10, "l": 300, "r": 10},
                "yaxis": {"autorange": "reversed"},
            },
        },
        "models": {
            "data": [
                {
                    "type": "bar",
                    "name": state_labels[s],
                    "x": [code for code, _, _ in dash.models_by_group],
                    "y": [counts.get(s, 0) for _, _, counts in dash.models_by_group],
                    "marker": {"color": STATE_COLOURS[s]},
                }
                for s in ("completed", "in_progress", "deployed", "not_started")
            ],
            "layout": {"barmode": "stack", "height": 300, "margin": {"t": 10, "b": 40, "l": 40, "r": 10}},
        },
    }
    return json.dumps(charts, ensure_ascii=False)


@router.get("")
def dashboard(
    request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    flt = _filter(request)
    today = _today(request)
    dash = service.dashboard(session, today, flt)
    query = {k: v for k, v in request.query_params.items() if v}
    return _page(
        request,
        "steering/dashboard.html",
        {
            "dash": dash,
            "flt": flt,
            "units": service.list_units(session),
            "my_units": service.units_of(session, who.id),
            "charts": _charts(dash, request.state.lang),
            "can_report": who.role in service.REPORT_ROLES,
            "can_import": who.role in service.IMPORT_ROLES,
            "export_query": urlencode(query),
            "today": today,
            "default_period": f"{today.year}-H1" if today.month >= 7 else f"{today.year - 1}-H2",
        },
    )


@router.get("/export.xlsx")
def export(request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)) -> Response:
    flt = _filter(request)
    data = xlsx.export_template(session, flt.year, flt)
    name = f"de-an-06-nhiem-vu-{date.today():%Y%m%d}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/units")
def my_units(
    request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    mine = service.units_of(session, who.id)
    if len(mine) == 1 and "all" not in request.query_params:
        return RedirectResponse(f"/steering/units/{mine[0].id}", status_code=303)
    return _page(request, "steering/units.html", {"mine": mine, "units": service.list_units(session)})


@router.get("/units/{unit_id}")
def unit_tasks(
    unit_id: int, request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    unit = service.get_unit(session, unit_id)
    today = _today(request)
    tasks = service.list_tasks(
        session, service.TaskFilter(year=service.current_year(session), unit_id=unit.id)
    )
    return _page(
        request,
        "steering/unit.html",
        {
            "unit": unit,
            "tasks": tasks,
            "today": today,
            "overdue": {t.id for t in tasks if service.task_is_overdue(t, today)},
            "is_member": unit.id in {u.id for u in service.units_of(session, who.id)},
        },
    )


@router.get("/tasks/{task_id}")
def task_page(
    task_id: int, request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    task = service.get_task(session, task_id)
    return _task_page(request, session, who, task, {}, {})


def _task_page(
    request: Request,
    session: Session,
    who: Actor,
    task,
    errors: dict[str, str],  # type: ignore[no-untyped-def]
    form: dict[str, str],
    status_code: int = 200,
) -> Response:
    changes = service.history(session, "task", task.id)
    return _page(
        request,
        "steering/task.html",
        {
            "task": task,
            "errors": errors,
            "form": form,
            "can_update": service.can_update_task(session, who, task),
            "history": [(c, json.loads(c.changes or "{}")) for c in changes],
            "today": _today(request),
            "overdue": service.task_is_overdue(task, _today(request)),
            "saved": request.query_params.get("saved") == "1",
            "statuses": [s.value for s in TaskStatus],
        },
        status_code=status_code,
    )


@router.post("/tasks/{task_id}", dependencies=[Depends(csrf_protect)])
def task_update(
    task_id: int,
    request: Request,
    status: str = Form(""),
    result: str = Form(""),
    evidence: str = Form(""),
    comment: str = Form(""),
    version: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    task = service.get_task(session, task_id)
    lang = request.state.lang
    errors = {k: translate(v, lang) for k, v in service.task_form_problems(task, status, evidence).items()}
    form = {"status": status, "result": result, "evidence": evidence, "comment": comment}
    if errors:
        return _task_page(request, session, who, task, errors, form, status_code=400)
    try:
        service.update_task(
            session,
            task_id,
            actor=who,
            status=status,
            result=result,
            evidence=evidence,
            comment=comment,
            expected_version=int(version) if version.isdigit() else None,
        )
    except Hue06Error as exc:
        if exc.status_code == 403:
            raise
        if not keeps_changes(exc.status_code, exc):
            session.rollback()
        return _task_page(
            request, session, who, task, {"status": exc.message(lang)}, form, status_code=exc.status_code
        )
    return RedirectResponse(f"/steering/tasks/{task_id}?saved=1", status_code=303)


@router.get("/mismatches")
def mismatches(
    request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    found = service.mismatches_of(session, request.query_params.get("report", ""))
    return _page(
        request,
        "steering/mismatches.html",
        {"reports": found.reports, "report": found.report, "items": found.items, "problems": found.problems},
    )


@router.get("/import")
def import_form(request: Request, who: Actor = Depends(official_page)) -> Response:
    _require(who, service.IMPORT_ROLES)
    return _page(request, "steering/import.html", {"outcome": None, "rejected": None})


@router.post("/import", dependencies=[Depends(csrf_protect)])
async def import_upload(
    request: Request,
    file: UploadFile = File(...),
    partial: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    _require(who, service.IMPORT_ROLES)
    data = await file.read()
    try:
        outcome = service.import_report(
            session, data, source_name=file.filename or "", partial=partial == "1", actor=who
        )
    except service.ReportRejected as exc:
        return _page(request, "steering/import.html", {"outcome": None, "rejected": exc}, status_code=422)
    return _page(request, "steering/import.html", {"outcome": outcome, "rejected": None})


@router.post("/report", dependencies=[Depends(csrf_protect)])
def generate(
    request: Request,
    period: str = Form(...),
    fmt: str = Form("docx"),
    number: str = Form(""),
    issued: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    _require(who, service.REPORT_ROLES)
    parse_period(period)  # a bad period is the user's to fix: 422 with the reason
    try:
        issued_on = datetime.strptime(issued, "%d/%m/%Y").date() if issued.strip() else date.today()
    except ValueError:
        raise InvalidInput(
            "steering.date", "Ngày ban hành phải có dạng dd/mm/yyyy.", "The issue date must be dd/mm/yyyy."
        ) from None
    generated = service.generate_report(
        session,
        period,
        issued_on=issued_on,
        number=number.strip() or None,
        external=service.external_figures(session),
        with_pdf=fmt == "pdf",
        actor=who,
    )
    stem = f"bao-cao-de-an-06-{period.lower()}"
    if fmt == "pdf" and generated.pdf is not None:
        return Response(
            generated.pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'},
        )
    return Response(
        generated.docx,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="{stem}.docx"'},
    )
