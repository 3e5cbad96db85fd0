"""Officials' pages of the register: search, resident, household, a commune's map, and the forms
for a birth, a death and a move.

Routes parse the request, call the service (which checks jurisdiction and audits) and render.
A resident outside the official's jurisdiction gives the same 404 page as an unknown one.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hue06.core.errors import Forbidden, InvalidInput
from hue06.core.security import Actor
from hue06.registry import service
from hue06.registry.schemas import CommuneAddressesOut
from hue06.web.deps import csrf_protect, official_page
from hue06.web.templating import render
from hue06.web.transaction import db, finished

router = APIRouter(prefix="/registry", include_in_schema=False)

NAV = [
    {"href": "/registry/residents", "label": "Tìm cư dân"},
    {"href": "/registry/map", "label": "Bản đồ địa chỉ số"},
]
PAGE_SIZE = 20
TABLE_PAGE = 200

# Which form field an error code belongs to, when the service did not say.
_FIELD_OF_CODE = {"search.too_long": "q", "search.year": "year", "date": "dob", "admin_unit": "commune"}


def _writer(who: Actor) -> bool:
    return who.role in ("province", "district", "commune")


def _require_writer(who: Actor) -> None:
    if not _writer(who):
        raise Forbidden(
            "registry.role",
            "Tài khoản của bạn không cập nhật được dữ liệu dân cư.",
            "Your account may not change the register.",
        )


def _page(request: Request, template: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, template, {"nav_items": NAV, **ctx}, status_code=status_code)


def _error_dict(request: Request, exc: InvalidInput, default: str = "_form") -> dict[str, str]:
    field = str(exc.ctx.get("field") or "")
    if not field:
        field = next((f for prefix, f in _FIELD_OF_CODE.items() if exc.code.startswith(prefix)), default)
    return {field: exc.message(request.state.lang)}


# ---------------------------------------------------------------------------- search


@router.get("")
def registry_home() -> Response:
    return RedirectResponse("/registry/residents", status_code=303)


@router.get("/residents")
def search_page(
    request: Request,
    q: str = "",
    dob: str = "",
    year: str = "",
    commune: str = "",
    page: int = 1,
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    form = {"q": q, "dob": dob, "year": year, "commune": commune}
    result, errors = None, {}
    page = max(1, min(page, service.MAX_OFFSET // PAGE_SIZE))
    if any(v.strip() for v in form.values()):
        try:
            result = service.search_residents(
                session,
                who,
                q=q,
                dob=dob or None,
                year=year or None,
                commune=commune or None,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )
        except InvalidInput as exc:
            errors = _error_dict(request, exc, "q")
    query = {k: v for k, v in form.items() if v}
    links = {
        "prev": f"?{urlencode({**query, 'page': page - 1})}" if result and page > 1 else None,
        "next": f"?{urlencode({**query, 'page': page + 1})}" if result and result.has_more else None,
    }
    return _page(
        request,
        "registry/search.html",
        {
            "form": form,
            "result": result,
            "errors": errors,
            "page": page,
            "links": links,
            "communes": service.communes_for(who),
            "can_write": _writer(who),
        },
        status_code=422 if errors else 200,
    )


# ---------------------------------------------------------------------------- resident and household


@router.get("/residents/{personal_id}")
def resident_page(
    request: Request,
    personal_id: str,
    done: str = "",
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    dossier = service.resident_dossier(session, who, personal_id)
    return _page(
        request,
        "registry/resident.html",
        {
            "r": dossier.resident,
            "household": dossier.household,
            "addresses": dossier.addresses,
            "history": dossier.history,
            "trail": dossier.trail,
            "birth_province": dossier.birth_province,
            "can_write": _writer(who),
            "done": done,
        },
    )


@router.get("/households/{household_id}")
def household_page(
    request: Request, household_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    household = service.household_view(session, household_id, who)
    return _page(request, "registry/household.html", {"h": household, "can_write": _writer(who)})


# ---------------------------------------------------------------------------- map


def svg_points(data: CommuneAddressesOut, width: int = 640) -> dict[str, Any]:
    """Project lat/lon into an SVG box: x east, y north-up, same scale both ways (cos latitude)."""
    lat0, lon0, lat1, lon1 = data.bbox
    mid = math.cos(math.radians((lat0 + lat1) / 2))
    span_x = max((lon1 - lon0) * mid, 1e-6)
    span_y = max(lat1 - lat0, 1e-6)
    pad = 12
    height = max(160, min(900, int(width * span_y / span_x)))
    sx = (width - 2 * pad) / span_x
    sy = (height - 2 * pad) / span_y
    points = [
        {
            "x": round(pad + (a.lon - lon0) * mid * sx, 1),
            "y": round(height - pad - (a.lat - lat0) * sy, 1),
            "a": a,
        }
        for a in data.addresses
    ]
    return {"width": width, "height": height, "points": points}


@router.get("/map")
def map_page(
    request: Request,
    commune: str = "",
    page: int = 1,
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    choices = service.communes_for(who)
    if not commune and choices:
        commune = choices[0].code
    data, errors, svg = None, {}, None
    try:
        data = service.commune_addresses(session, who, commune)
        svg = svg_points(data)
    except InvalidInput as exc:
        errors = _error_dict(request, exc, "commune")
    page = max(1, page)
    rows = data.addresses[(page - 1) * TABLE_PAGE : page * TABLE_PAGE] if data else []
    pages = (len(data.addresses) + TABLE_PAGE - 1) // TABLE_PAGE if data else 0
    return _page(
        request,
        "registry/map.html",
        {
            "communes": choices,
            "commune": commune,
            "data": data,
            "svg": svg,
            "errors": errors,
            "rows": rows,
            "page": page,
            "pages": pages,
        },
        status_code=422 if errors else 200,
    )


# ---------------------------------------------------------------------------- forms


def _members_by_gender(household: Any, gender: str) -> list[Any]:
    return [m for m in household.members if m.gender == gender and m.status == "alive"]


@router.get("/households/{household_id}/birth")
def birth_form(
    request: Request, household_id: int, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    _require_writer(who)
    household = service.household_view(session, household_id, who)
    return _page(
        request,
        "registry/birth.html",
        {
            "h": household,
            "form": {"relation_to_head": "Con", "gender": ""},
            "errors": {},
            "mothers": _members_by_gender(household, "female"),
            "fathers": _members_by_gender(household, "male"),
        },
    )


@router.post("/households/{household_id}/birth", dependencies=[Depends(csrf_protect)])
def birth_submit(
    request: Request,
    household_id: int,
    family_name: str = Form(""),
    middle_name: str = Form(""),
    given_name: str = Form(""),
    gender: str = Form(""),
    date_of_birth: str = Form(""),
    place_of_birth: str = Form(""),
    relation_to_head: str = Form(""),
    mother_id: str = Form(""),
    father_id: str = Form(""),
    source: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    _require_writer(who)
    form = {
        "family_name": family_name,
        "middle_name": middle_name,
        "given_name": given_name,
        "gender": gender,
        "date_of_birth": date_of_birth,
        "place_of_birth": place_of_birth,
        "relation_to_head": relation_to_head,
        "mother_id": mother_id,
        "father_id": father_id,
        "source": source,
    }
    try:
        with finished(session):  # a refused birth is rolled back before the form is shown again
            baby = service.register_birth(
                session,
                who,
                household_id=household_id,
                **{**form, "mother_id": mother_id or None, "father_id": father_id or None},
            )
    except InvalidInput as exc:
        household = service.household_view(session, household_id, who)
        return _page(
            request,
            "registry/birth.html",
            {
                "h": household,
                "form": form,
                "errors": _error_dict(request, exc),
                "mothers": _members_by_gender(household, "female"),
                "fathers": _members_by_gender(household, "male"),
            },
            status_code=422,
        )
    return RedirectResponse(f"/registry/residents/{baby.personal_id}?done=birth", status_code=303)


@router.get("/residents/{personal_id}/death")
def death_form(
    request: Request, personal_id: str, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    _require_writer(who)
    resident = service.get_resident(session, personal_id, who, purpose="khai tử")
    return _page(request, "registry/death.html", {"r": resident, "form": {}, "errors": {}})


@router.post("/residents/{personal_id}/death", dependencies=[Depends(csrf_protect)])
def death_submit(
    request: Request,
    personal_id: str,
    date_of_death: str = Form(""),
    source: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    _require_writer(who)
    try:
        with finished(session):  # a refused death is rolled back before the form is shown again
            service.record_death(session, who, personal_id, date_of_death, source=source)
    except InvalidInput as exc:
        resident = service.get_resident(session, personal_id, who, purpose="khai tử")
        return _page(
            request,
            "registry/death.html",
            {
                "r": resident,
                "form": {"date_of_death": date_of_death, "source": source},
                "errors": _error_dict(request, exc, "date_of_death"),
            },
            status_code=422,
        )
    return RedirectResponse(f"/registry/residents/{personal_id}?done=death", status_code=303)


@router.get("/residents/{personal_id}/move")
def move_form(
    request: Request, personal_id: str, who: Actor = Depends(official_page), session: Session = Depends(db)
) -> Response:
    _require_writer(who)
    resident = service.get_resident(session, personal_id, who, purpose="thay đổi cư trú")
    return _page(
        request,
        "registry/move.html",
        {
            "r": resident,
            "form": {"kind": "permanent", "to_commune_code": resident.commune_code},
            "errors": {},
            "communes": service.communes_for(who),
        },
    )


@router.post("/residents/{personal_id}/move", dependencies=[Depends(csrf_protect)])
def move_submit(
    request: Request,
    personal_id: str,
    kind: str = Form("permanent"),
    to_commune_code: str = Form(""),
    address_detail: str = Form(""),
    household_id: str = Form(""),
    date_from: str = Form(""),
    date_to: str = Form(""),
    source: str = Form(""),
    who: Actor = Depends(official_page),
    session: Session = Depends(db),
) -> Response:
    _require_writer(who)
    form = {
        "kind": kind,
        "to_commune_code": to_commune_code,
        "address_detail": address_detail,
        "household_id": household_id,
        "date_from": date_from,
        "date_to": date_to,
        "source": source,
    }
    try:
        hid = int(household_id) if household_id.strip() else None
    except ValueError:
        hid = -1
    try:
        with finished(session):  # a refused move is rolled back before the form is shown again
            if hid == -1:
                raise InvalidInput(
                    "household.unknown",
                    "Mã hộ phải là một số.",
                    "The household number must be a number.",
                    field="household_id",
                )
            service.record_move(
                session,
                who,
                personal_id,
                to_commune_code=to_commune_code,
                address_detail=address_detail,
                household_id=hid,
                kind=kind,
                date_from=date_from,
                date_to=date_to or None,
                source=source,
            )
    except InvalidInput as exc:
        resident = service.get_resident(session, personal_id, who, purpose="thay đổi cư trú")
        return _page(
            request,
            "registry/move.html",
            {
                "r": resident,
                "form": form,
                "errors": _error_dict(request, exc),
                "communes": service.communes_for(who),
            },
            status_code=422,
        )
    return RedirectResponse(f"/registry/residents/{personal_id}?done=move", status_code=303)
