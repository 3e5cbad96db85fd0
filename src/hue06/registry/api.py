"""JSON API of the population register (`/api/v1/residents`, `/api/v1/households`).

Routes parse and authorise; the service checks jurisdiction and writes the audit entry. A
resident outside the caller's jurisdiction is a 404, exactly like an unknown one (and the
refusal is logged). Writes need an API token, or — from a browser session — the CSRF header.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from hue06.core.security import Actor
from hue06.registry import service
from hue06.registry.schemas import (
    BirthIn,
    CommuneAddressesOut,
    CorrectionIn,
    DeathIn,
    HouseholdOut,
    MoveIn,
    ResidentChangeOut,
    ResidentOut,
    SearchPage,
)
from hue06.web.deps import api_write_guard, login_required_error, require_role
from hue06.web.transaction import db, finished

router = APIRouter(prefix="/api/v1", tags=["registry"])


WRITERS = ("province", "district", "commune")


async def reader(request: Request) -> Actor:
    """Any signed-in actor; what they may see is the service's decision. (Dependencies that do no
    I/O are `async`: FastAPI runs every plain `def` dependency in a worker thread.)"""
    who = getattr(request.state, "actor", None)
    if who is None:
        raise login_required_error()
    return who


@router.get("/residents/{personal_id}", response_model=ResidentOut, summary="A resident by personal ID")
def get_resident(
    personal_id: str,
    purpose: str = Query("", max_length=200),
    who: Actor = Depends(reader),
    session: Session = Depends(db),
) -> ResidentOut:
    """404 when the ID is unknown *or* outside your jurisdiction (the two look the same)."""
    with finished(session):
        return service.get_resident(session, personal_id, who, purpose=purpose)


@router.get("/residents", response_model=SearchPage, summary="Search residents by name or ID")
def search(
    q: str = Query(
        "",
        description="Name without diacritics (e.g. 'nguyen thi lan', 'lan'), or a 12/9-digit ID; "
        f"at most {service.MAX_QUERY_LENGTH} characters",
    ),
    dob: str | None = Query(None, description="Exact date of birth (YYYY-MM-DD or DD/MM/YYYY)"),
    year: str | None = Query(None, description="Year of birth"),
    commune: str | None = Query(
        None, description="Commune code of any version (2024, 2025-01, 2025-07)", max_length=10
    ),
    limit: int = Query(20, ge=1, le=service.MAX_PAGE),
    offset: int = Query(0, ge=0, le=service.MAX_OFFSET),
    who: Actor = Depends(reader),
    session: Session = Depends(db),
) -> SearchPage:
    with finished(session):
        return service.search_residents(
            session, who, q=q, dob=dob, year=year, commune=commune, limit=limit, offset=offset
        )


@router.get(
    "/residents/{personal_id}/history",
    response_model=list[ResidentChangeOut],
    summary="Change history of a resident",
)
def history(
    personal_id: str, who: Actor = Depends(reader), session: Session = Depends(db)
) -> list[ResidentChangeOut]:
    with finished(session):
        return service.history_of(session, who, personal_id)


@router.get("/households/{household_id}", response_model=HouseholdOut, summary="A household and its members")
def household(
    household_id: int, who: Actor = Depends(reader), session: Session = Depends(db)
) -> HouseholdOut:
    with finished(session):
        return service.household_view(session, household_id, who)


@router.get(
    "/communes/{commune_code}/digital-addresses",
    response_model=CommuneAddressesOut,
    summary="Digital addresses (house GPS points) of a 2024 commune",
)
def digital_addresses(
    commune_code: str, who: Actor = Depends(reader), session: Session = Depends(db)
) -> CommuneAddressesOut:
    with finished(session):
        return service.commune_addresses(session, who, commune_code)


@router.post(
    "/residents",
    response_model=ResidentOut,
    status_code=201,
    summary="Register a birth",
    dependencies=[Depends(api_write_guard)],
)
def birth(
    body: BirthIn, who: Actor = Depends(require_role(*WRITERS)), session: Session = Depends(db)
) -> ResidentOut:
    with finished(session):
        return service.register_birth(session, who, **body.model_dump())


@router.post(
    "/residents/{personal_id}/death",
    response_model=ResidentOut,
    summary="Record a death",
    dependencies=[Depends(api_write_guard)],
)
def death(
    personal_id: str,
    body: DeathIn,
    who: Actor = Depends(require_role(*WRITERS)),
    session: Session = Depends(db),
) -> ResidentOut:
    with finished(session):
        return service.record_death(session, who, personal_id, body.date_of_death, source=body.source)


@router.post(
    "/residents/{personal_id}/moves",
    response_model=ResidentOut,
    summary="Record a move: permanent residence, temporary residence or temporary absence",
    dependencies=[Depends(api_write_guard)],
)
def move(
    personal_id: str,
    body: MoveIn,
    who: Actor = Depends(require_role(*WRITERS)),
    session: Session = Depends(db),
) -> ResidentOut:
    with finished(session):
        return service.record_move(
            session,
            who,
            personal_id,
            to_commune_code=body.to_commune_code,
            address_detail=body.address_detail,
            household_id=body.household_id,
            kind=body.kind,
            date_from=body.date_from,
            date_to=body.date_to,
            source=body.source,
        )


@router.patch(
    "/residents/{personal_id}",
    response_model=ResidentOut,
    summary="Correct recorded facts (send the version you read)",
    dependencies=[Depends(api_write_guard)],
)
def correct(
    personal_id: str,
    body: CorrectionIn,
    who: Actor = Depends(require_role(*WRITERS)),
    session: Session = Depends(db),
) -> ResidentOut:
    with finished(session):
        return service.correct_resident(
            session, who, personal_id, dict(body.changes), body.expected_version, body.source
        )
