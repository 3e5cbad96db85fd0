"""Pages of the public services: the citizen's journey (GOV.UK patterns: one question per page,
check your answers, error summary), the officer's inbox and dossier page, the one-stop desk,
the statistics and the catalogue editor. Routes parse, authorise, call the service and render.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core.errors import Forbidden, Hue06Error, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.services import eform, files, service, stats
from hue06.services.deps import gateway_for, signer_for
from hue06.services.models import Dossier, Procedure
from hue06.web.deps import SignInRequired, csrf_protect, official_page
from hue06.web.i18n import translate
from hue06.web.templating import render
from hue06.web.transaction import db, finished, keeps_changes

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = files.MAX_FILE_BYTES


# --------------------------------------------------------------------------- helpers


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "vi")


def _actor(request: Request) -> Actor | None:
    """The signed-in person, with the e-ID level of this very sign-in (the session's acr)."""
    who = getattr(request.state, "actor", None)
    ws = getattr(request.state, "web_session", None)
    if who is not None and who.kind == "citizen" and ws is not None and getattr(ws, "acr", ""):
        who = dataclasses.replace(who, extra={**who.extra, "acr": ws.acr})
    return who


async def form_data(request: Request) -> Any:
    """The posted form, read on the event loop so that the route itself can be a plain function.

    Routes that touch the database must not be `async def`: a blocking query (or a lock wait)
    on the event loop would stall every other request, including the one holding the lock.
    """
    return await request.form()


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def _citizen(request: Request) -> Actor | None:
    who = _actor(request)
    return who if who is not None and who.kind == "citizen" else None


def _person(request: Request) -> Actor | None:
    """A citizen, or an official working at the one-stop desk."""
    who = _actor(request)
    return who if who is not None and who.kind in ("citizen", "official") else None


async def citizen_page(request: Request) -> Actor:
    """Page dependency: the signed-in citizen, or off to the citizens' sign-in and back."""
    who = _citizen(request)
    if who is None:
        raise SignInRequired("/account/login")
    return who


async def person_page(request: Request) -> Actor:
    """Page dependency: a citizen, or an official at the one-stop desk; else the citizens' sign-in."""
    who = _person(request)
    if who is None:
        raise SignInRequired("/account/login")
    return who


def _errors_text(errors: dict[str, dict[str, str]], lang: str) -> dict[str, str]:
    return {k: v.get(lang, v["vi"]) for k, v in errors.items()}


def _proc_of(session: Session, d: Dossier) -> Procedure:
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    return proc


def _status_ctx(d: Dossier, lang: str) -> dict[str, str]:
    _, _, colour = service.STATUSES.get(d.status, (d.status, d.status, ""))
    return {"label": service.status_label(d.status, lang), "colour": colour}


def _nav(actor: Actor | None) -> list[dict[str, str]]:
    if actor is None or actor.kind != "official":
        return []
    items = [
        {"href": "/services/inbox", "label": "Hồ sơ cần xử lý"},
        {"href": "/services/desk", "label": "Một cửa"},
        {"href": "/services/stats", "label": "Thống kê dịch vụ công"},
    ]
    if actor.role == "admin":
        items.append({"href": "/services/admin/procedures", "label": "Danh mục thủ tục"})
    return items


def _page(request: Request, template: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    who = _actor(request)
    base = {"nav_items": _nav(who), "statuses": service.STATUSES, "svc": service, "eform": eform}
    base.update(ctx)
    return render(request, template, base, status_code=status_code)


def _steps(form: eform.Form, d: Dossier) -> list[str]:
    """The journey's URLs in order, given the answers so far."""
    ids = [p.id for p in form.active_pages(d.form_data)]
    return ["details", *(f"page/{i}" for i in ids), "components", "check"]


def _next_step(form: eform.Form, d: Dossier, current: str, has_components: bool) -> str:
    steps = _steps(form, d)
    if not has_components:
        steps.remove("components")
    if current in steps:
        i = steps.index(current)
        return steps[min(i + 1, len(steps) - 1)]
    return steps[0]


def _back_step(form: eform.Form, d: Dossier, current: str, has_components: bool) -> str | None:
    steps = _steps(form, d)
    if not has_components:
        steps.remove("components")
    if current in steps and steps.index(current) > 0:
        return steps[steps.index(current) - 1]
    return None


def _goto(d: Dossier, step: str, change: bool = False) -> RedirectResponse:
    return RedirectResponse(f"/services/dossiers/{d.id}/{'check' if change else step}", status_code=303)


def _editable_dossier(session: Session, who: Actor, dossier_id: int) -> Dossier:
    d = service.get_dossier(session, who, dossier_id)
    if who.kind == "official" and d.channel != "desk":
        raise not_found("hồ sơ", "dossier")
    if d.status not in service.EDITABLE_STATUSES:
        raise _Redirect(f"/services/dossiers/{d.id}")
    return d


def _handle(fn):  # type: ignore[no-untyped-def]
    """Turn the internal redirect signal (a dossier that is no longer editable) into a response."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                return await fn(*args, **kwargs)
            except _Redirect as r:
                return RedirectResponse(r.url, status_code=303)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return fn(*args, **kwargs)
        except _Redirect as r:
            return RedirectResponse(r.url, status_code=303)

    return wrapper


# --------------------------------------------------------------------------- catalogue (public)


@router.get("/services")
def catalogue(request: Request, session: Session = Depends(db)) -> Response:
    with finished(session):
        procs = service.list_procedures(session)
        return _page(request, "services/catalogue.html", {"procedures": procs})


@router.get("/services/procedures/{code}")
def procedure_page(code: str, request: Request, session: Session = Depends(db)) -> Response:
    with finished(session):
        proc = service.get_procedure(session, code)
        who = _citizen(request)
        level = service.citizen_level(who) if who else 0
        return _page(
            request,
            "services/procedure.html",
            {"proc": proc, "form": service.procedure_form(proc), "citizen": who, "level": level},
        )


@router.post("/services/procedures/{code}/start", dependencies=[Depends(csrf_protect)])
def start(code: str, request: Request, session: Session = Depends(db)) -> Response:
    with finished(session):
        who = _citizen(request)
        if who is None:
            return RedirectResponse(
                f"/account/login?next={quote('/services/procedures/' + code)}", status_code=303
            )
        d = service.start_dossier(session, who, code)
        return RedirectResponse(f"/services/dossiers/{d.id}/details", status_code=303)


@router.get("/services/signing-key.pem")
def signing_key(request: Request) -> Response:
    return Response(signer_for(request).public_pem(), media_type="application/x-pem-file")


# --------------------------------------------------------------------------- the e-form journey


@router.get("/services/dossiers/{dossier_id}/details")
@_handle
def details(
    dossier_id: int, request: Request, who: Actor = Depends(person_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d = _editable_dossier(session, who, dossier_id)
        proc = _proc_of(session, d)
        form = service.procedure_form(proc)
        nxt = _next_step(form, d, "details", bool(proc.components))
        return _page(request, "services/details.html", {"d": d, "proc": proc, "form": form, "next": nxt})


@router.get("/services/dossiers/{dossier_id}/page/{page_id}")
@_handle
def question_page(
    dossier_id: int,
    page_id: str,
    request: Request,
    change: int = 0,
    who: Actor = Depends(person_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d = _editable_dossier(session, who, dossier_id)
        proc = _proc_of(session, d)
        form = service.procedure_form(proc)
        page = form.page(page_id)
        if page is None:
            raise not_found("trang", "page")
        back = _back_step(form, d, f"page/{page_id}", bool(proc.components))
        return _page(
            request,
            "services/question.html",
            {
                "d": d,
                "proc": proc,
                "form": form,
                "page": page,
                "values": d.form_data,
                "errors": {},
                "back": back,
                "change": change,
            },
        )


@router.post("/services/dossiers/{dossier_id}/page/{page_id}", dependencies=[Depends(csrf_protect)])
@_handle
def question_post(
    dossier_id: int,
    page_id: str,
    request: Request,
    raw: Any = Depends(form_data),
    who: Actor = Depends(person_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d = _editable_dossier(session, who, dossier_id)
        proc = _proc_of(session, d)
        form = service.procedure_form(proc)
        page = form.page(page_id)
        if page is None:
            raise not_found("trang", "page")
        posted: dict[str, Any] = {}
        for f in page.fields:
            posted[f.name] = raw.getlist(f.name) if f.type == "checkboxes" else raw.get(f.name, "")
        change = raw.get("change") == "1"
        errors = service.save_answers(session, who, d.id, posted, page_id)
        if errors:
            values = {**d.form_data, **posted}
            back = _back_step(form, d, f"page/{page_id}", bool(proc.components))
            return _page(
                request,
                "services/question.html",
                {
                    "d": d,
                    "proc": proc,
                    "form": form,
                    "page": page,
                    "values": values,
                    "errors": _errors_text(errors, _lang(request)),
                    "back": back,
                    "change": int(change),
                },
                status_code=400,
            )
        if change and not [p for p in service.problems(session, d) if p.where != "components"]:
            return _goto(d, "check")
        return _goto(d, _next_step(form, d, f"page/{page_id}", bool(proc.components)))


@router.get("/services/dossiers/{dossier_id}/components")
@_handle
def components_page(
    dossier_id: int, request: Request, who: Actor = Depends(person_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d = _editable_dossier(session, who, dossier_id)
        return _components(request, session, who, d, {})


def _components(
    request: Request, session: Session, who: Actor, d: Dossier, errors: dict[str, str], status_code: int = 200
) -> Response:
    proc = _proc_of(session, d)
    form = service.procedure_form(proc)
    wallet = service.wallet_documents(session, who) if who.kind == "citizen" else []
    attached = service.active_files(session, d)
    back = _back_step(form, d, "components", True)
    return _page(
        request,
        "services/components.html",
        {
            "d": d,
            "proc": proc,
            "attached": attached,
            "wallet": wallet,
            "errors": errors,
            "back": back,
            "max_mb": MAX_UPLOAD // (1024 * 1024),
        },
        status_code=status_code,
    )


def _read_upload(upload: UploadFile) -> bytes:
    """Read at most the limit plus one byte: a bigger file is refused without reading it all."""
    upload.file.seek(0)
    return upload.file.read(MAX_UPLOAD + 1)


@router.post("/services/dossiers/{dossier_id}/components/upload", dependencies=[Depends(csrf_protect)])
@_handle
def components_upload(
    dossier_id: int,
    request: Request,
    component: str = Form(""),
    upload: UploadFile | None = File(None),
    who: Actor = Depends(person_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d = service.get_dossier(session, who, dossier_id)
        supplement = d.status == "supplement_requested"
        if not supplement:
            d = _editable_dossier(session, who, dossier_id)
        lang = _lang(request)
        try:
            if upload is None or not upload.filename:
                raise InvalidInput("upload.missing", "Chọn một tệp để tải lên.", "Choose a file to upload.")
            data = _read_upload(upload)
            service.attach_upload(session, who, d.id, component, upload.filename, data)
        except InvalidInput as exc:
            session.rollback()
            msg = exc.message(lang)
            if supplement:
                return _status_page(
                    request,
                    session,
                    who,
                    service.get_dossier(session, who, dossier_id),
                    {"upload": msg},
                    status_code=422,
                )
            return _components(
                request,
                session,
                who,
                service.get_dossier(session, who, dossier_id),
                {f"c-{component}": msg},
                status_code=422,
            )
        return RedirectResponse(
            f"/services/dossiers/{d.id}" if supplement else f"/services/dossiers/{d.id}/components",
            status_code=303,
        )


@router.post("/services/dossiers/{dossier_id}/components/wallet", dependencies=[Depends(csrf_protect)])
@_handle
def components_wallet(
    dossier_id: int,
    request: Request,
    component: str = Form(""),
    document: str = Form(""),
    who: Actor = Depends(citizen_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d = service.get_dossier(session, who, dossier_id)
        supplement = d.status == "supplement_requested"
        if not supplement:
            d = _editable_dossier(session, who, dossier_id)
        if not document.isdigit():
            msg = translate("Chọn một giấy tờ trong kho.", _lang(request))
            if supplement:
                return _status_page(request, session, who, d, {"upload": msg}, status_code=422)
            return _components(request, session, who, d, {f"w-{component}": msg}, status_code=422)
        service.attach_from_wallet(session, who, d.id, component, int(document))
        return RedirectResponse(
            f"/services/dossiers/{d.id}" if supplement else f"/services/dossiers/{d.id}/components",
            status_code=303,
        )


@router.post("/services/dossiers/{dossier_id}/files/{file_id}/remove", dependencies=[Depends(csrf_protect)])
@_handle
def file_remove(
    dossier_id: int,
    file_id: int,
    request: Request,
    who: Actor = Depends(person_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        _editable_dossier(session, who, dossier_id)
        service.remove_file(session, who, dossier_id, file_id)
        return RedirectResponse(f"/services/dossiers/{dossier_id}/components", status_code=303)


@router.get("/services/dossiers/{dossier_id}/check")
@_handle
def check_page(
    dossier_id: int, request: Request, who: Actor = Depends(person_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d = _editable_dossier(session, who, dossier_id)
        return _check(request, session, who, d, [])


def _check(
    request: Request,
    session: Session,
    who: Actor,
    d: Dossier,
    extra_errors: list[str],
    status_code: int = 200,
) -> Response:
    proc = _proc_of(session, d)
    form = service.procedure_form(proc)
    found = service.problems(session, d)
    lang = _lang(request)
    errors = {p.field: p.message.get(lang, p.message["vi"]) for p in found}
    links = {
        p.field: (
            f"/services/dossiers/{d.id}/page/{p.where}?change=1"
            if p.where != "components"
            else f"/services/dossiers/{d.id}/components"
        )
        for p in found
    }
    back = _back_step(form, d, "check", bool(proc.components))
    return _page(
        request,
        "services/check.html",
        {
            "d": d,
            "proc": proc,
            "form": form,
            "active_pages": form.active_pages(d.form_data),
            "attached": service.active_files(session, d),
            "fee": service.current_fee(session, d),
            "errors": errors,
            "links": links,
            "extra_errors": extra_errors,
            "back": back,
        },
        status_code=status_code,
    )


@router.post("/services/dossiers/{dossier_id}/submit", dependencies=[Depends(csrf_protect)])
@_handle
def submit(
    dossier_id: int, request: Request, who: Actor = Depends(person_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d = _editable_dossier(session, who, dossier_id)
        if service.problems(session, d):
            return _check(request, session, who, d, [], status_code=400)
        fee = service.current_fee(session, d)
        if who.kind == "official":
            service.desk_take_cash(session, who, d.id)
            return RedirectResponse(f"/services/officer/dossiers/{d.id}", status_code=303)
        if fee > 0:
            gw = gateway_for(request)
            pay = service.begin_payment(session, who, d.id, gw)
            return RedirectResponse(gw.checkout_url(pay.ref, pay.amount), status_code=303)
        service.submit_dossier(session, who, d.id)
        return RedirectResponse(f"/services/dossiers/{d.id}/receipt", status_code=303)


# --------------------------------------------------------------------------- the payment simulator


@router.get("/services/payments/simulator/{ref}")
def simulator_page(
    ref: str, request: Request, who: Actor = Depends(citizen_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        pay, d = service.get_payment(session, who, ref)
        return _page(request, "services/simulator.html", {"pay": pay, "d": d, "proc": _proc_of(session, d)})


@router.post("/services/payments/simulator/{ref}", dependencies=[Depends(csrf_protect)])
def simulator_post(
    ref: str,
    request: Request,
    action: str = Form("pay"),
    who: Actor = Depends(citizen_page),
    session: Session = Depends(db),
) -> Response:
    """The simulated bank: it posts the signed callback exactly as a real gateway would, then returns."""
    with finished(session):
        pay, d = service.get_payment(session, who, ref)
        gw = gateway_for(request)
        if pay.state == "pending":
            body, sig = gw.make_callback(pay.ref, pay.amount, "captured" if action == "pay" else "failed")
            service.handle_payment_callback(session, gw, body, sig)
        if action == "pay":
            return RedirectResponse(f"/services/dossiers/{d.id}/receipt", status_code=303)
        return RedirectResponse(f"/services/dossiers/{d.id}/check?payment=failed", status_code=303)


# --------------------------------------------------------------------------- after submission


@router.get("/services/dossiers/{dossier_id}/receipt")
def receipt(
    dossier_id: int, request: Request, who: Actor = Depends(citizen_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d = service.get_dossier(session, who, dossier_id)
        proc = _proc_of(session, d)
        return _page(
            request,
            "services/receipt.html",
            {"d": d, "proc": proc, "payments": service.payments_of(session, d)},
        )


@router.get("/services/dossiers/{dossier_id}")
def dossier_status(
    dossier_id: int, request: Request, who: Actor = Depends(person_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        if who.kind == "official":
            return RedirectResponse(f"/services/officer/dossiers/{dossier_id}", status_code=303)
        d = service.get_dossier(session, who, dossier_id)
        if d.status in service.EDITABLE_STATUSES:
            return RedirectResponse(f"/services/dossiers/{d.id}/check", status_code=303)
        return _status_page(request, session, who, d, {})


def _status_page(
    request: Request, session: Session, who: Actor, d: Dossier, errors: dict[str, str], status_code: int = 200
) -> Response:
    proc = _proc_of(session, d)
    pauses = service.pauses_of(session, d)
    return _page(
        request,
        "services/status.html",
        {
            "d": d,
            "proc": proc,
            "events": service.history(session, d, citizen=True),
            "status": _status_ctx(d, _lang(request)),
            "results": service.results_of(session, d),
            "supplement_files": service.active_files(session, d, "supplement"),
            "open_pause": next((p for p in pauses if p.ended_at is None), None),
            "wallet": service.wallet_documents(session, who) if d.status == "supplement_requested" else [],
            "errors": errors,
        },
        status_code=status_code,
    )


@router.post("/services/dossiers/{dossier_id}/supplement", dependencies=[Depends(csrf_protect)])
def supplement(
    dossier_id: int,
    request: Request,
    note: str = Form(""),
    who: Actor = Depends(citizen_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        try:
            service.answer_supplement(session, who, dossier_id, note)
        except InvalidInput as exc:
            session.rollback()
            d = service.get_dossier(session, who, dossier_id)
            return _status_page(
                request, session, who, d, {"note": exc.message(_lang(request))}, status_code=422
            )
        return RedirectResponse(f"/services/dossiers/{dossier_id}", status_code=303)


@router.get("/services/my")
def my_dossiers(
    request: Request, who: Actor = Depends(citizen_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        rows = service.my_dossiers(session, who)
        return _page(request, "services/my.html", {"rows": rows})


@router.get("/services/dossiers/{dossier_id}/files/{file_id}")
def dossier_file(
    dossier_id: int,
    file_id: int,
    request: Request,
    who: Actor = Depends(person_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        f, data = service.get_dossier_file(session, who, dossier_id, file_id)
        return _file_response(data, f.content_type, f.filename)


def _file_response(data: bytes, content_type: str, filename: str) -> Response:
    inline = content_type in ("application/pdf", "image/jpeg", "image/png")
    disposition = ("inline" if inline else "attachment") + f"; filename*=UTF-8''{quote(filename)}"
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


# --------------------------------------------------------------------------- the wallet


@router.get("/services/wallet")
def wallet(request: Request, who: Actor = Depends(citizen_page), session: Session = Depends(db)) -> Response:
    with finished(session):
        return _wallet_page(request, session, who, {})


def _wallet_page(
    request: Request,
    session: Session,
    who: Actor,
    errors: dict[str, str],
    status_code: int = 200,
    title: str = "",
) -> Response:
    signer = signer_for(request)
    docs = service.wallet_documents(session, who)
    verified = {doc.id: service.verify_document(session, signer, doc) for doc in docs if doc.kind == "result"}
    return _page(
        request,
        "services/wallet.html",
        {
            "docs": docs,
            "verified": verified,
            "errors": errors,
            "title_value": title,
            "key_id": signer.key_id,
            "max_mb": MAX_UPLOAD // (1024 * 1024),
        },
        status_code=status_code,
    )


@router.post("/services/wallet", dependencies=[Depends(csrf_protect)])
def wallet_add(
    request: Request,
    title: str = Form(""),
    upload: UploadFile | None = File(None),
    who: Actor = Depends(citizen_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        try:
            if upload is None or not upload.filename:
                raise InvalidInput("upload.missing", "Chọn một tệp để tải lên.", "Choose a file to upload.")
            service.wallet_upload(session, who, title, upload.filename, _read_upload(upload))
        except InvalidInput as exc:
            session.rollback()
            key = "title" if exc.code.startswith("wallet.") else "upload"
            return _wallet_page(
                request, session, who, {key: exc.message(_lang(request))}, status_code=422, title=title
            )
        return RedirectResponse("/services/wallet", status_code=303)


@router.get("/services/wallet/{doc_id}/file")
def wallet_file(
    doc_id: int, request: Request, who: Actor = Depends(citizen_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        doc = service.get_wallet_document(session, who, doc_id)
        return _file_response(service.blob_data(session, doc.sha256), doc.content_type, doc.filename)


@router.get("/services/wallet/{doc_id}/signature")
def wallet_signature(
    doc_id: int, request: Request, who: Actor = Depends(citizen_page), session: Session = Depends(db)
) -> Response:
    """The detached signature, for anyone who wants to check it with the public key themselves."""
    with finished(session):
        doc = service.get_wallet_document(session, who, doc_id)
        if not doc.signature:
            raise not_found("chữ ký", "signature")
        body = f"algorithm: {doc.signature_alg}\nkey_id: {doc.key_id}\nsha256: {doc.sha256}\nsignature: {doc.signature}\n"
        return Response(body, media_type="text/plain; charset=utf-8")


# --------------------------------------------------------------------------- officers


@router.get("/services/inbox")
def inbox(
    request: Request,
    status: str = "open",
    page: int = 1,
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        box = service.inbox(session, who, status=status, page=page)
        today = service.local_now().date()
        return _page(
            request,
            "services/inbox.html",
            {
                "box": box,
                "today": today,
                "agency_label": service.agency_name(box.agency, _lang(request)) if box.agency else None,
            },
        )


@router.get("/services/officer/dossiers/{dossier_id}")
def officer_dossier(
    dossier_id: int, request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d = service.view_for_officer(session, who, dossier_id)
        if d.status in service.EDITABLE_STATUSES:
            return RedirectResponse(f"/services/dossiers/{d.id}/check", status_code=303)
        return _officer_page(request, session, d, {})


def _officer_page(
    request: Request,
    session: Session,
    d: Dossier,
    errors: dict[str, str],
    status_code: int = 200,
    note: str = "",
) -> Response:
    proc = _proc_of(session, d)
    return _page(
        request,
        "services/officer_dossier.html",
        {
            "d": d,
            "proc": proc,
            "form": service.procedure_form(proc),
            "status": _status_ctx(d, _lang(request)),
            "events": service.history(session, d),
            "snapshots": service.snapshots(session, d),
            "files": service.active_files(session, d),
            "results": service.results_of(session, d, released_only=False),
            "pauses": service.pauses_of(session, d),
            "payments": service.payments_of(session, d),
            "overdue": service.is_overdue(d),
            "can_act": service.may_act(request.state.actor),
            "errors": errors,
            "note": note,
        },
        status_code=status_code,
    )


@router.post("/services/officer/dossiers/{dossier_id}/{action}", dependencies=[Depends(csrf_protect)])
def officer_action(
    dossier_id: int,
    action: str,
    request: Request,
    version: str = Form(""),
    note: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        v = int(version) if version.isdigit() else None
        try:
            service.run_officer_action(
                session, who, dossier_id, action, v, note, signer_for(request), _base_url(request)
            )
        except InvalidInput as exc:
            session.rollback()
            d = service.get_dossier(session, who, dossier_id)
            return _officer_page(
                request, session, d, {"note": exc.message(_lang(request))}, status_code=422, note=note
            )
        return RedirectResponse(f"/services/officer/dossiers/{dossier_id}", status_code=303)


def _base_url(request: Request) -> str:
    """The app's address, printed on a signed result for checking it."""
    return str(request.base_url).rstrip("/")


@router.get("/services/officer/dossiers/{dossier_id}/snapshots/{snap_id}")
def officer_snapshot(
    dossier_id: int,
    snap_id: int,
    request: Request,
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d = service.view_for_officer(session, who, dossier_id)
        snap = next((s for s in service.snapshots(session, d) if s.id == snap_id), None)
        if snap is None:
            raise not_found("bản lưu", "snapshot")
        content = service.snapshot_content(snap)
        proc = _proc_of(session, d)
        return _page(
            request,
            "services/snapshot.html",
            {"d": d, "snap": snap, "content": content, "form": service.procedure_form(proc), "proc": proc},
        )


@router.get("/services/officer/dossiers/{dossier_id}/results/{doc_id}")
def officer_result(
    dossier_id: int,
    doc_id: int,
    request: Request,
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d = service.get_dossier(session, who, dossier_id)
        doc = next((x for x in service.results_of(session, d, released_only=False) if x.id == doc_id), None)
        if doc is None:
            raise not_found("kết quả", "result")
        return _file_response(service.blob_data(session, doc.sha256), doc.content_type, doc.filename)


# --------------------------------------------------------------------------- one-stop desk


@router.get("/services/desk")
def desk(request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)) -> Response:
    with finished(session):
        return _desk_page(request, session, who, {}, "", "")


def _desk_page(
    request: Request,
    session: Session,
    who: Actor,
    errors: dict[str, str],
    qr: str,
    code: str,
    status_code: int = 200,
) -> Response:
    agency = service.official_agency(session, who)
    procs = [p for p in service.list_procedures(session) if agency is None or p.agency_code == agency]
    return _page(
        request,
        "services/desk.html",
        {"procedures": procs, "errors": errors, "qr": qr, "code": code},
        status_code=status_code,
    )


@router.post("/services/desk", dependencies=[Depends(csrf_protect)])
def desk_start(
    request: Request,
    qr: str = Form(""),
    procedure: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        lang = _lang(request)
        errors: dict[str, str] = {}
        if not qr.strip():
            errors["qr"] = translate("Quét mã QR trên thẻ căn cước.", lang)
        if not procedure:
            errors["procedure"] = translate("Chọn thủ tục.", lang)
        if not errors:
            try:
                d = service.desk_start(session, who, qr, procedure)
            except Hue06Error as exc:
                # The page is shown again with the error: end the unit of work here by the same rule.
                if keeps_changes(exc.status_code, exc):
                    session.commit()
                else:
                    session.rollback()
                errors["qr"] = exc.message(lang)
            else:
                return RedirectResponse(f"/services/dossiers/{d.id}/details", status_code=303)
        return _desk_page(request, session, who, errors, "", procedure, status_code=422)


# --------------------------------------------------------------------------- statistics


def _period(date_from: str, date_to: str) -> tuple[date, date]:
    today = service.local_now().date()
    try:
        d_to = date.fromisoformat(date_to) if date_to else today
        d_from = date.fromisoformat(date_from) if date_from else d_to - timedelta(days=182)
    except ValueError:
        raise InvalidInput(
            "stats.date", "Ngày phải có dạng YYYY-MM-DD.", "Dates must be YYYY-MM-DD."
        ) from None
    return d_from, d_to


@router.get("/services/stats")
def stats_page(
    request: Request,
    date_from: str = "",
    date_to: str = "",
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        d_from, d_to = _period(
            request.query_params.get("from", date_from), request.query_params.get("to", date_to)
        )
        result = stats.compute(session, d_from, d_to, communes=who.communes)
        return _page(request, "services/stats.html", {"s": result, "labels": stats.INDICATOR_LABELS})


@router.get("/services/stats.xlsx")
def stats_xlsx(
    request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        d_from, d_to = _period(request.query_params.get("from", ""), request.query_params.get("to", ""))
        result = stats.compute(session, d_from, d_to, communes=who.communes)
        name = f"dich-vu-cong-{d_from:%Y%m%d}-{d_to:%Y%m%d}.xlsx"
        return Response(
            stats.to_xlsx(result),
            media_type=files.CONTENT_TYPES["xlsx"],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


# --------------------------------------------------------------------------- catalogue editor


@router.get("/services/admin/procedures")
def admin_list(
    request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        _require_admin(who)
        return _page(
            request,
            "services/admin_list.html",
            {"procedures": service.list_procedures(session, include_inactive=True)},
        )


def _require_admin(who: Actor) -> None:
    if who.role != "admin":
        raise Forbidden(
            "auth.role",
            "Chỉ quản trị viên được sửa danh mục thủ tục.",
            "Only an administrator may edit the catalogue.",
        )


@router.get("/services/admin/procedures/{code}")
def admin_edit(
    code: str, request: Request, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    with finished(session):
        _require_admin(who)
        proc = service.get_procedure(session, code)
        return _admin_page(request, proc, {}, {})


def _admin_page(
    request: Request, proc: Procedure, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    v = {
        "name": proc.name,
        "name_en": proc.name_en,
        "agency_code": proc.agency_code,
        "assurance_level": proc.assurance_level,
        "time_limit": proc.time_limit,
        "time_unit": proc.time_unit,
        "fee": proc.fee,
        "fee_note": proc.fee_note,
        "result_name": proc.result_name,
        "components": json.dumps(proc.components, ensure_ascii=False, indent=1),
        "form_schema": json.dumps(proc.form_schema, ensure_ascii=False, indent=1),
        "active": proc.active,
        "version": proc.version,
    }
    v.update(values)
    return _page(
        request,
        "services/admin_edit.html",
        {"proc": proc, "v": v, "errors": errors, "agencies": service.agencies()},
        status_code=status_code,
    )


@router.post("/services/admin/procedures/{code}", dependencies=[Depends(csrf_protect)])
def admin_save(
    code: str,
    request: Request,
    raw: Any = Depends(form_data),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    with finished(session):
        _require_admin(who)
        posted = {
            k: str(raw.get(k, ""))
            for k in (
                "name",
                "name_en",
                "agency_code",
                "assurance_level",
                "time_limit",
                "time_unit",
                "fee",
                "fee_note",
                "result_name",
                "components",
                "form_schema",
                "version",
            )
        }
        posted["active"] = raw.get("active") == "1"  # type: ignore[assignment]
        changes: dict[str, Any] = {
            k: posted[k]
            for k in (
                "name",
                "name_en",
                "agency_code",
                "assurance_level",
                "time_limit",
                "time_unit",
                "fee",
                "fee_note",
                "result_name",
                "active",
            )
        }
        errors: dict[str, str] = {}
        lang = _lang(request)
        for key in ("components", "form_schema"):
            try:
                changes[key] = json.loads(posted[key])
            except ValueError:
                errors[key] = translate("Không phải JSON hợp lệ.", lang)
        proc = service.get_procedure(session, code)
        if not errors:
            try:
                service.update_procedure(session, who, code, changes, int(posted["version"] or 0))
            except InvalidInput as exc:
                session.rollback()
                field = {
                    "eform.schema": "form_schema",
                    "procedure.components": "components",
                    "procedure.time_unit": "time_unit",
                    "procedure.agency": "agency_code",
                    "procedure.name": "name",
                }.get(exc.code, "time_limit")
                errors[field] = exc.message(lang)
            else:
                return RedirectResponse(f"/services/admin/procedures/{code}?saved=1", status_code=303)
        return _admin_page(
            request, service.get_procedure(session, proc.code), posted, errors, status_code=422
        )
