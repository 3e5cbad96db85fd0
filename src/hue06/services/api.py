"""JSON API of the public services: catalogue, dossiers for officers' systems, statistics, and the
payment gateways' callback (authenticated by its HMAC signature, not by a login)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.orm import Session

from hue06.core.errors import InvalidInput, not_found
from hue06.core.security import Actor
from hue06.services import service, stats
from hue06.services.deps import gateway_for, signer_for
from hue06.services.payments import SIGNATURE_HEADER
from hue06.services.schemas import DossierOut, OfficerAction, ProcedureOut, ProcedureUpdate, StatsOut
from hue06.web.deps import api_write_guard, official
from hue06.web.transaction import db, finished

router = APIRouter(prefix="/api/v1/services", tags=["services"])


@router.get("/procedures", response_model=list[ProcedureOut])
def procedures(session: Session = Depends(db)) -> list[ProcedureOut]:
    with finished(session):
        return [ProcedureOut.model_validate(p) for p in service.list_procedures(session)]


@router.get("/procedures/{code}", response_model=ProcedureOut)
def procedure(code: str, session: Session = Depends(db)) -> ProcedureOut:
    with finished(session):
        return ProcedureOut.model_validate(service.get_procedure(session, code))


@router.put("/procedures/{code}", response_model=ProcedureOut, dependencies=[Depends(api_write_guard)])
def update_procedure(
    code: str, body: ProcedureUpdate, who: Actor = Depends(official), session: Session = Depends(db)
) -> ProcedureOut:
    """Administrators only; `version` must be the one read (409 if someone saved in between)."""
    with finished(session):
        changes = body.model_dump(exclude_unset=True, exclude={"version"})
        return ProcedureOut.model_validate(
            service.update_procedure(session, who, code, changes, body.version)
        )


def _out(session: Session, d) -> DossierOut:  # type: ignore[no-untyped-def]
    proc = service.get_procedure_by_id(session, d.procedure_id)
    return DossierOut(
        id=d.id,
        code=d.code,
        procedure_code=proc.code,
        status=d.status,
        channel=d.channel,
        fee=d.fee,
        paid=d.paid,
        submitted_at=d.submitted_at,
        due_date=d.due_date,
        finished_at=d.finished_at,
        decision=d.decision,
        version=d.version,
    )


@router.get("/inbox", response_model=list[DossierOut])
def inbox(
    status: str = "open", page: int = 1, who: Actor = Depends(official), session: Session = Depends(db)
) -> list[DossierOut]:
    with finished(session):
        box = service.inbox(session, who, status=status, page=page)
        return [_out(session, d) for d, _ in box.rows]


@router.get("/dossiers/{dossier_id}", response_model=DossierOut)
def dossier(dossier_id: int, request: Request, session: Session = Depends(db)) -> DossierOut:
    with finished(session):
        who = getattr(request.state, "actor", None)
        if who is None:
            raise not_found("hồ sơ", "dossier")
        return _out(session, service.get_dossier(session, who, dossier_id))


@router.post(
    "/dossiers/{dossier_id}/{action}", response_model=DossierOut, dependencies=[Depends(api_write_guard)]
)
def dossier_action(
    dossier_id: int,
    action: str,
    body: OfficerAction,
    request: Request,
    who: Actor = Depends(official),
    session: Session = Depends(db),
) -> DossierOut:
    """receive / supplement / approve / refuse / issue / return, with the version the officer saw."""
    with finished(session):
        d = service.run_officer_action(
            session,
            who,
            dossier_id,
            action,
            body.version,
            body.note,
            signer_for(request),
            str(request.base_url).rstrip("/"),
        )
        return _out(session, d)


@router.get("/stats", response_model=StatsOut)
def statistics(request: Request, who: Actor = Depends(official), session: Session = Depends(db)) -> StatsOut:
    with finished(session):
        try:
            d_from = date.fromisoformat(request.query_params.get("from", ""))
            d_to = date.fromisoformat(request.query_params.get("to", ""))
        except ValueError:
            raise InvalidInput(
                "stats.date", "Cần from và to dạng YYYY-MM-DD.", "from and to (YYYY-MM-DD) are required."
            ) from None
        result = stats.compute(session, d_from, d_to, communes=who.communes)
        return StatsOut.model_validate(result.to_json())


async def raw_body(request: Request) -> bytes:
    """The exact bytes that were signed (read on the event loop; the route itself runs in a thread)."""
    return await request.body()


@router.post("/payments/callback/{gateway}")
def payment_callback(
    gateway: str,
    request: Request,
    signature: str = Header("", alias=SIGNATURE_HEADER),
    body: bytes = Depends(raw_body),
    session: Session = Depends(db),
) -> dict[str, object]:
    """Server-to-server notice from a payment gateway, signed with HMAC-SHA256 over the raw body."""
    with finished(session):
        if gateway != "simulator":
            raise not_found("cổng thanh toán", "gateway")
        if len(body) > 10_000:
            raise InvalidInput("payment.callback", "Thông báo quá lớn.", "The notice is too large.")
        result = service.handle_payment_callback(session, gateway_for(request), body, signature)
        return {"outcome": result.outcome, "dossier": result.dossier_code}
