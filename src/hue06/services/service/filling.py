"""Starting a dossier and filling it in: the register's data copied in at the start, one page of
answers at a time, the fee the answers make, and what still stops the dossier from being submitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.registry import service as registry
from hue06.services import eform
from hue06.services.models import Dossier, DossierFile, Procedure
from hue06.services.service._common import _event, _flush, _own_editable
from hue06.services.service.access import citizen_level, get_dossier, official_agency
from hue06.services.service.catalogue import get_procedure, procedure_form


def _require_level(actor: Actor, proc: Procedure) -> None:
    if citizen_level(actor) < proc.assurance_level:
        err = Forbidden(
            "services.level",
            f"Thủ tục này cần tài khoản định danh điện tử mức {proc.assurance_level}. "
            "Hãy nâng mức tài khoản và đăng nhập lại.",
            f"This procedure needs an e-ID account of level {proc.assurance_level}. "
            "Raise your account's level and sign in again.",
        )
        err.ctx["needed"] = proc.assurance_level
        raise err


def _register_record(resident: Any) -> dict[str, Any]:
    data = resident.model_dump() if hasattr(resident, "model_dump") else dict(resident)
    return data


def _applicant(
    session: Session, actor: Actor, proc: Procedure, resident: Any, channel: str
) -> tuple[dict[str, Any], str]:
    """Who the dossier is for, and through which channel: a citizen for themselves online (their
    own register record, read for this purpose), or an official at the desk for the person in front."""
    if actor.kind == "citizen":
        _require_level(actor, proc)
        if actor.resident_id is None:
            raise Forbidden(
                "services.no_resident",
                "Tài khoản chưa gắn với CSDL dân cư.",
                "Your account is not linked to the population register.",
            )
        resident = registry.get_resident_by_id(
            session, actor.resident_id, actor, purpose=f"dossier:{proc.code}"
        )
        channel = "online"
    elif actor.kind == "official":
        if resident is None:
            raise InvalidInput(
                "services.applicant", "Cần xác định người nộp hồ sơ.", "The applicant is needed."
            )
        agency = official_agency(session, actor)
        if agency is not None and agency != proc.agency_code:
            raise Forbidden(
                "services.agency",
                "Thủ tục này không thuộc cơ quan của bạn.",
                "This procedure does not belong to your agency.",
            )
        channel = "desk"
    else:
        raise Forbidden("services.actor", "Không được phép.", "Not allowed.")
    record = _register_record(resident)
    if record.get("status") == "deceased":
        raise InvalidInput(
            "services.deceased",
            "Người nộp đã được ghi nhận là đã mất trong CSDL dân cư.",
            "The register records the applicant as deceased.",
        )
    return record, channel


def start_dossier(
    session: Session, actor: Actor, procedure_code: str, *, resident: Any = None, channel: str = "online"
) -> Dossier:
    """Open a draft: the register's data is copied in now, and is the only source of those fields."""
    proc = get_procedure(session, procedure_code)
    if not proc.active:
        raise InvalidInput(
            "services.inactive",
            "Thủ tục này hiện không tiếp nhận hồ sơ.",
            "This procedure is not accepting dossiers at the moment.",
        )
    record, channel = _applicant(session, actor, proc, resident, channel)
    form = procedure_form(proc)
    register_values = eform.register_values(form, record)
    defaults = {f.name: f.default for f in form.typed if f.default is not None}
    d = Dossier(
        procedure_id=proc.id,
        procedure_no=proc.essential_no or 0,
        agency_code=proc.agency_code,
        resident_id=int(record["id"]),
        commune_code=str(record.get("commune_code") or ""),
        channel=channel,
        status="draft",
        form_data=defaults,
        register_data=register_values,
        fee=0,
        time_limit=proc.time_limit,
        time_unit=proc.time_unit,
        created_by=actor.label,
        prefilled_fields=sum(1 for v in register_values.values() if v not in ("", None)),
    )
    session.add(d)
    session.flush()
    _event(session, d, actor, "created", "", visible=True)
    audit.record(
        session, actor, "dossier.started", "dossier", str(d.id), {"procedure": proc.code, "channel": channel}
    )
    return d


def save_answers(
    session: Session, actor: Actor, dossier_id: int, posted: dict[str, Any], page: str | None = None
) -> dict[str, dict[str, str]]:
    """Store one page of answers (or all); returns the errors by field. Bound fields are ignored."""
    d = _own_editable(session, actor, get_dossier(session, actor, dossier_id))
    form = procedure_form(session.get(Procedure, d.procedure_id))  # type: ignore[arg-type]
    if page is not None and form.page(page) is None:
        raise not_found("trang", "page")
    values, errors = eform.validate(form, posted, d.form_data, page)
    if errors:
        return errors
    d.form_data = values
    d.updated_at = utcnow()
    _flush(session)
    return {}


def current_fee(session: Session, d: Dossier) -> int:
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    return eform.compute_fee(proc.fee, proc.fee_rules or {}, d.form_data)


def active_files(session: Session, d: Dossier, phase: str | None = None) -> list[DossierFile]:
    stmt = select(DossierFile).where(DossierFile.dossier_id == d.id, DossierFile.removed.is_(False))
    if phase:
        stmt = stmt.where(DossierFile.phase == phase)
    return list(session.scalars(stmt.order_by(DossierFile.id)))


@dataclass(frozen=True)
class Problem:
    where: str  # a page id, or "components"
    field: str
    message: dict[str, str]


def problems(session: Session, d: Dossier, attached: list[DossierFile] | None = None) -> list[Problem]:
    """What stops this dossier from being submitted: unanswered questions, missing components."""
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    form = procedure_form(proc)
    out: list[Problem] = []
    _, errors = eform.validate(form, {}, d.form_data)
    for f in form.typed:
        if f.name in errors:
            out.append(Problem(f.page, f.name, errors[f.name]))
    have = {f.component_code for f in (active_files(session, d) if attached is None else attached)}
    for c in proc.components or []:
        if c.get("required") and c["code"] not in have:
            out.append(
                Problem(
                    "components",
                    f"c-{c['code']}",
                    {"vi": f"Đính kèm: {c['name']}.", "en": f"Attach: {c.get('name_en') or c['name']}."},
                )
            )
    return out
