"""Officials' pages: upload a sector's file, map its columns, follow the run, read the results,
decide the review rows. Routes parse, authorise, call the service and render."""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core.errors import Forbidden, Hue06Error, InvalidInput
from hue06.core.security import Actor
from hue06.quality import jobs, reports, service
from hue06.quality import mapping as mp
from hue06.quality.fields import FIELDS, SECTORS
from hue06.quality.importers import MAX_BYTES, read_file, too_big
from hue06.web.deps import csrf_protect, official_page
from hue06.web.templating import render
from hue06.web.transaction import db

router = APIRouter(prefix="/quality", include_in_schema=False)

NAV = [{"href": "/quality", "label": "Làm sạch dữ liệu"}]
SAMPLE_ROWS = 3


def _require_runner(who: Actor) -> None:
    if who.role not in service.REVIEW_ROLES:
        raise Forbidden(
            "auth.role",
            "Tài khoản của bạn không chạy được việc xác thực dữ liệu.",
            "Your account may not run verifications.",
        )


def _page(request: Request, template: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, template, {"nav_items": NAV, "sectors": SECTORS, **ctx}, status_code=status_code)


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "vi")


# --------------------------------------------------------------------------- home and upload


@router.get("")
def home(request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)) -> Response:
    runs = service.list_runs(session, who)
    items = [{"run": r, "counts": json.loads(r.counts)} for r in runs]
    return _page(request, "quality/index.html", {"runs": items, "errors": {}, "form": {}})


@router.post("/upload", dependencies=[Depends(csrf_protect)])
async def upload(
    request: Request,
    sector: str = Form(""),
    file: UploadFile | None = File(None),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    _require_runner(who)
    lang = _lang(request)
    errors: dict[str, str] = {}
    if sector not in SECTORS:
        errors["sector"] = "Choose the sector" if lang == "en" else "Chọn ngành gửi dữ liệu"
    data = b""
    if file is None or not file.filename:
        errors["file"] = "Choose a file" if lang == "en" else "Chọn tệp dữ liệu"
    else:
        chunks = []
        size = 0
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_BYTES:
                errors["file"] = too_big().message(lang)
                break
            chunks.append(chunk)
        data = b"".join(chunks)
    if not errors:
        try:
            read_file(data, file.filename or "")  # type: ignore[union-attr]
        except InvalidInput as exc:
            errors["file"] = exc.message(lang)
    if errors:
        runs = [{"run": r, "counts": json.loads(r.counts)} for r in service.list_runs(session, who)]
        return _page(
            request,
            "quality/index.html",
            {"runs": runs, "errors": errors, "form": {"sector": sector}},
            status_code=422,
        )
    token = jobs.save_upload(request.app.state.settings, data, file.filename or "tep", sector, who)  # type: ignore[union-attr]
    return RedirectResponse(f"/quality/uploads/{token}", status_code=303)


# --------------------------------------------------------------------------- column mapping


def _mapping_context(
    request: Request,
    session: Session,
    token: str,
    meta: dict[str, Any],
    data: bytes,
    chosen: dict[int, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    lang = _lang(request)
    imported = read_file(data, meta["name"], header_line=meta.get("header_line"))
    if chosen is None:
        saved = service.saved_mapping_for(session, meta["sector"], imported)
        mapping = mp.from_spec(imported, saved, "saved") if saved else mp.recognised(imported)
        chosen = {i: f for f, i in mapping.columns.items()}
        source = mapping.source
    else:
        source = "form"
    samples: dict[int, list[str]] = {c.index: [] for c in imported.columns}
    for row in imported.rows(limit=SAMPLE_ROWS):
        for c in imported.columns:
            value = row.cells[c.index] if c.index < len(row.cells) else None
            samples[c.index].append("" if value is None else str(value)[:60])
    columns = [
        {
            "index": c.index,
            "letter": c.letter,
            "header": c.header,
            "field": chosen.get(c.index, ""),
            "samples": samples[c.index],
        }
        for c in imported.columns
    ]
    fields = [{"name": f.name, "label": f.label_en if lang == "en" else f.label_vi} for f in FIELDS.values()]
    return {
        "token": token,
        "meta": meta,
        "columns": columns,
        "fields": fields,
        "source": source,
        "errors": errors or {},
        "encoding": imported.encoding,
        "format": imported.format,
        "header_line": imported.header_line,
        "sector_label": SECTORS[meta["sector"]],
    }


@router.get("/uploads/{token}")
def mapping_page(
    request: Request, token: str, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    data, meta = jobs.load_upload(request.app.state.settings, token, who)
    try:
        ctx = _mapping_context(request, session, token, meta, data)
    except InvalidInput as exc:
        return _page(
            request,
            "quality/header.html",
            {"token": token, "meta": meta, "errors": {"header_line": exc.message(_lang(request))}},
            status_code=422,
        )
    return _page(request, "quality/mapping.html", ctx)


@router.post("/uploads/{token}/header", dependencies=[Depends(csrf_protect)])
def set_header(
    request: Request, token: str, header_line: str = Form(""), who: Actor = Depends(official_page)
) -> Response:
    jobs.load_upload(request.app.state.settings, token, who)
    line = int(header_line) if header_line.strip().isdigit() else None
    jobs.update_upload(request.app.state.settings, token, header_line=line)
    return RedirectResponse(f"/quality/uploads/{token}", status_code=303)


@router.post("/uploads/{token}/run", dependencies=[Depends(csrf_protect)])
async def run(
    request: Request, token: str, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    _require_runner(who)
    settings = request.app.state.settings
    data, meta = jobs.load_upload(settings, token, who)
    form = await request.form()
    chosen: dict[int, str] = {}
    for key, value in form.items():
        if key.startswith("col_") and key[4:].isdigit() and str(value) in FIELDS:
            chosen[int(key[4:])] = str(value)
    spec = {"columns": {f: i + 1 for i, f in chosen.items()}}
    lang = _lang(request)
    if len(set(chosen.values())) != len(chosen):
        exc: Hue06Error = InvalidInput(
            "quality.mapping.same_field",
            "Một trường được ghép với hai cột.",
            "One field is mapped to two columns.",
        )
        ctx = _mapping_context(request, session, token, meta, data, chosen, {"_form": exc.message(lang)})
        return _page(request, "quality/mapping.html", ctx, status_code=422)
    try:
        prepared = service.prepare(
            data, meta["name"], meta["sector"], spec=spec, header_line=meta.get("header_line")
        )
    except InvalidInput as exc:
        ctx = _mapping_context(request, session, token, meta, data, chosen, {"_form": exc.message(lang)})
        return _page(request, "quality/mapping.html", ctx, status_code=422)
    if form.get("save_mapping"):
        headers = {c.index: c.header for c in prepared.imported.columns}
        by_header = {f: headers[i] for i, f in chosen.items() if headers.get(i)}
        service.save_mapping(
            session,
            meta["sector"],
            str(form.get("mapping_name") or "mặc định"),
            by_header,
            who,
            meta.get("header_line"),
        )
        session.commit()
    job = jobs.start(settings, request.app.state.sessionmaker, who, token, data, meta, spec)
    return RedirectResponse(f"/quality/jobs/{job.id}", status_code=303)


# --------------------------------------------------------------------------- progress


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str, who: Actor = Depends(official_page)) -> Response:
    job = jobs.get(job_id, who)
    if job.run_id is not None:
        return RedirectResponse(f"/quality/runs/{job.run_id}", status_code=303)
    return _page(
        request, "quality/job.html", {"job": job.as_dict(), "file_name": job.file_name, "stages": jobs.STAGES}
    )


# --------------------------------------------------------------------------- results


@router.get("/runs/{run_id}")
def run_page(
    request: Request, run_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    lang = _lang(request)
    the_run = service.get_run(session, run_id, who)
    totals = service.run_counts(session, the_run, who)
    communes = service.commune_breakdown(session, the_run, who)
    changes = json.loads(the_run.changes or "{}") if totals["whole_file"] else {}
    summary_lines = service.run_summary(the_run, lang) if totals["whole_file"] else []
    chart = {
        "statuses": [reports.STATUS_LABELS[s][1 if lang == "en" else 0] for s in reports.STATUSES],
        "counts": [totals["counts"].get(s, 0) for s in reports.STATUSES],
        "communes": [c["name"] for c in communes],
        "by_status": {
            reports.STATUS_LABELS[s][1 if lang == "en" else 0]: [c["counts"].get(s, 0) for c in communes]
            for s in reports.STATUSES
        },
    }
    return _page(
        request,
        "quality/run.html",
        {
            "run": the_run,
            "totals": totals,
            "communes": communes,
            "changes": changes,
            "summary": summary_lines,
            "statuses": reports.STATUSES,
            "labels": reports.STATUS_LABELS,
            "chart": json.dumps(chart, ensure_ascii=False),
            "review_count": service.review_count(session, the_run, who),
            "diff_labels": reports.DIFF_LABELS,
            "sector_label": SECTORS.get(the_run.sector, (the_run.sector, the_run.sector)),
            "skipped": json.loads(the_run.skipped or "[]")[:50] if totals["whole_file"] else [],
        },
    )


@router.get("/runs/{run_id}/result.csv")
def result_csv(
    request: Request, run_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    the_run = service.get_run(session, run_id, who)
    buf = io.StringIO()
    buf.write("\ufeff")
    reports.write_result_csv(service.result_dicts(service.iter_rows(session, the_run, who)), buf)
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ket-qua-{run_id}.csv"'},
    )


@router.get("/runs/{run_id}/corrections.csv")
def corrections_csv(
    request: Request, run_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    the_run = service.get_run(session, run_id, who)
    buf = io.StringIO()
    buf.write("\ufeff")
    reports.write_corrections_csv(service.corrections(session, the_run, who), buf, _lang(request))
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="can-sua-{run_id}.csv"'},
    )


@router.get("/runs/{run_id}/report.xlsx")
def report_xlsx(
    request: Request, run_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    the_run = service.get_run(session, run_id, who)
    totals = service.run_counts(session, the_run, who)
    whole = totals["whole_file"]
    out = io.BytesIO()
    reports.write_report_xlsx(
        out,
        sector=the_run.sector,
        file_name=the_run.file_name,
        total=totals["total"],
        counts=totals["counts"],
        summary_vi=service.run_summary(the_run, "vi") if whole else [],
        summary_en=service.run_summary(the_run, "en") if whole else [],
        by_commune=service.commune_breakdown(session, the_run, who),
        corrections=service.corrections(session, the_run, who),
        changes=json.loads(the_run.changes or "{}") if whole else None,
        skipped=json.loads(the_run.skipped or "[]") if whole else [],
        problems=json.loads(the_run.problems or "{}") if whole else {},
    )
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="bao-cao-{run_id}.xlsx"'},
    )


# --------------------------------------------------------------------------- review


@router.get("/runs/{run_id}/review")
def review_list(
    request: Request, run_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    the_run = service.get_run(session, run_id, who)
    items = service.review_queue(session, the_run, who)
    rows = [{"row": r, "data": json.loads(r.data or "{}")} for r in items]
    return _page(
        request,
        "quality/review_list.html",
        {"run": the_run, "rows": rows, "total": service.review_count(session, the_run, who)},
    )


@router.get("/runs/{run_id}/review/{row}")
def review_page(
    request: Request,
    run_id: int,
    row: int,
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    the_run = service.get_run(session, run_id, who)
    item = service.review_item(session, the_run, row, who)
    others = []
    for pid, p in item.data.get("alternatives", []):
        if pid and pid != item.row.personal_id:
            others.append({"personal_id": pid, "probability": p})
    people = service.registry.lookup_many(session, [o["personal_id"] for o in others]) if others else {}
    alternatives = [
        {"person": people[o["personal_id"]], "probability": o["probability"]}
        for o in others
        if o["personal_id"] in people
        and (who.communes is None or people[o["personal_id"]].commune_code in who.communes)
    ]
    return _page(
        request,
        "quality/review.html",
        {"item": item, "run": the_run, "alternatives": alternatives, "decided": item.row.status != "review"},
    )


@router.post("/runs/{run_id}/review/{row}", dependencies=[Depends(csrf_protect)])
def review_decide(
    request: Request,
    run_id: int,
    row: int,
    decision: str = Form(""),
    candidate: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    the_run = service.get_run(session, run_id, who)
    service.decide_review(session, the_run, row, decision, who, candidate=candidate or None)
    nxt = service.review_queue(session, the_run, who, limit=1)
    target = f"/quality/runs/{run_id}/review/{nxt[0].row}" if nxt else f"/quality/runs/{run_id}/review"
    return RedirectResponse(target + "?decided=" + str(row), status_code=303)


# --------------------------------------------------------------------------- charts (served here, no CDN)


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    """Plotly's JavaScript from the Python package, so the charts work with no Internet access."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    return FileResponse(
        str(path), media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/static/quality.js")
def quality_js() -> Response:
    path = resources.files("hue06.quality") / "static" / "quality.js"
    return FileResponse(
        str(path), media_type="application/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )
