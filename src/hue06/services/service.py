"""Public services: the catalogue, the dossier lifecycle, payments, results and the e-document wallet.

Every action is one function named for it (`start_dossier`, `submit_dossier`, `receive_dossier`,
`request_supplement`, `approve_dossier`, `issue_result`, …) that checks who may do it, changes
the dossier, writes its history and the audit log — all in the caller's transaction. Officers'
actions carry the version of the dossier they saw: a stale version is a 409, never a silent
overwrite. Personal data stays in the dossier; log lines and audit details name dossiers by code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hue06.core import audit
from hue06.core.calendar import WorkingCalendar
from hue06.core.cccd import parse_cccd_qr
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, Forbidden, Hue06Error, InvalidInput, not_found
from hue06.core.security import Actor, new_token
from hue06.core.text import fold, normalize_text, remove_marks
from hue06.services import eform, files
from hue06.services.models import (
    Blob,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierPause,
    DossierSnapshot,
    Payment,
    PaymentCallback,
    Procedure,
    WalletDocument,
)
from hue06.services.payments import CallbackEvent, Gateway
from hue06.services.signing import ProvinceSigner, render_result_pdf

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Status → (Vietnamese, English, tag colour)
STATUSES: dict[str, tuple[str, str, str]] = {
    "draft": ("Đang soạn", "Draft", ""),
    "awaiting_payment": ("Chờ thanh toán", "Awaiting payment", "yellow"),
    "submitted": ("Đã nộp, chờ tiếp nhận", "Submitted, awaiting receipt", "yellow"),
    "received": ("Đang giải quyết", "Being processed", "yellow"),
    "supplement_requested": ("Cần bổ sung hồ sơ", "More documents needed", "red"),
    "approved": ("Đã duyệt, chờ ký kết quả", "Approved, result being signed", "green"),
    "result_issued": ("Đã có kết quả, chờ trả", "Result ready", "green"),
    "returned": ("Đã trả kết quả", "Result returned", "green"),
    "refused": ("Từ chối", "Refused", "red"),
}
OPEN_STATUSES = ("submitted", "received", "supplement_requested", "approved", "result_issued")
FINISHED_STATUSES = ("returned", "refused")
EDITABLE_STATUSES = ("draft", "awaiting_payment")

_calendar = WorkingCalendar()


def calendar() -> WorkingCalendar:
    return _calendar


def local_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(VN_TZ)


# =========================================================================== catalogue


@cache
def catalogue_data() -> dict[str, Any]:
    """The seed catalogue shipped with hue06 (the 25 essential services of Decision 06)."""
    text = resources.files("hue06.services").joinpath("data/catalogue.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def appendix_ii() -> dict[str, Any]:
    """The report's Appendix II figures (2024 H1), used by the synthetic history and for comparison."""
    text = (
        resources.files("hue06.services").joinpath("data/appendix_ii_2024h1.json").read_text(encoding="utf-8")
    )
    return json.loads(text)


def agencies() -> dict[str, dict[str, str]]:
    return catalogue_data()["agencies"]


def agency_name(code: str, lang: str = "vi") -> str:
    a = agencies().get(code)
    if not a:
        return code
    return a.get("name_en", a["name"]) if lang == "en" else a["name"]


def _procedure_from_seed(item: dict[str, Any]) -> Procedure:
    eform.parse_schema(item["form"])  # a broken seed must fail loudly, not at a citizen's first click
    return Procedure(
        code=item["code"],
        essential_no=item.get("no"),
        name=item["name"],
        name_en=item.get("name_en", ""),
        field=item.get("field", ""),
        agency_code=item["agency"],
        agency_name=agency_name(item["agency"]),
        level=item.get("level", "province"),
        assurance_level=int(item.get("assurance", 2)),
        time_limit=int(item["time_limit"]),
        time_unit=item.get("time_unit", "working"),
        fee=int(item.get("fee", 0)),
        fee_rules=item.get("fee_rules", {}),
        fee_note=item.get("fee_note", ""),
        result_name=item.get("result_name", ""),
        components=item.get("components", []),
        form_schema=item["form"],
        online=True,
        active=True,
        updated_by="system:seed",
    )


def ensure_catalogue(session: Session) -> int:
    """Add the seed procedures that are missing (by code); never overwrite an administrator's edits."""
    existing = set(session.scalars(select(Procedure.code)))
    added = 0
    for item in catalogue_data()["procedures"]:
        if item["code"] not in existing:
            session.add(_procedure_from_seed(item))
            added += 1
    if added:
        session.flush()
        audit.record(session, "system:seed", "procedure.seeded", "procedure", "", {"added": added})
    return added


def list_procedures(session: Session, *, include_inactive: bool = False) -> list[Procedure]:
    if session.scalar(select(func.count(Procedure.id))) == 0:
        ensure_catalogue(session)
    stmt = select(Procedure).order_by(
        Procedure.essential_no.is_(None), Procedure.essential_no, Procedure.code
    )
    if not include_inactive:
        stmt = stmt.where(Procedure.active.is_(True))
    return list(session.scalars(stmt))


def get_procedure(session: Session, code: str) -> Procedure:
    proc = session.scalar(select(Procedure).where(Procedure.code == code))
    if proc is None and session.scalar(select(func.count(Procedure.id))) == 0:
        ensure_catalogue(session)
        proc = session.scalar(select(Procedure).where(Procedure.code == code))
    if proc is None:
        raise not_found("thủ tục", "procedure")
    return proc


def get_procedure_by_id(session: Session, procedure_id: int) -> Procedure:
    proc = session.get(Procedure, procedure_id)
    if proc is None:
        raise not_found("thủ tục", "procedure")
    return proc


_FORMS: dict[tuple[int, int], eform.Form] = {}


def procedure_form(proc: Procedure) -> eform.Form:
    """The parsed e-form, cached per procedure version (an edit bumps the version)."""
    key = (proc.id, proc.version)
    form = _FORMS.get(key) if proc.id is not None else None
    if form is None:
        form = eform.parse_schema(proc.form_schema)
        if proc.id is not None:
            if len(_FORMS) > 500:
                _FORMS.clear()
            _FORMS[key] = form
    return form


EDITABLE_PROCEDURE_FIELDS = (
    "name",
    "name_en",
    "field",
    "agency_code",
    "level",
    "assurance_level",
    "time_limit",
    "time_unit",
    "fee",
    "fee_rules",
    "fee_note",
    "result_name",
    "components",
    "form_schema",
    "active",
)


def update_procedure(
    session: Session, actor: Actor, code: str, changes: dict[str, Any], expected_version: int
) -> Procedure:
    """An administrator edits a procedure (task 87: the time limit and its unit are per procedure)."""
    if actor.kind != "official" or actor.role != "admin":
        raise Forbidden(
            "auth.role",
            "Chỉ quản trị viên được sửa danh mục thủ tục.",
            "Only an administrator may edit the catalogue.",
        )
    proc = get_procedure(session, code)
    if proc.version != expected_version:
        raise _stale()
    clean = {k: v for k, v in changes.items() if k in EDITABLE_PROCEDURE_FIELDS}
    if "time_unit" in clean and clean["time_unit"] not in ("working", "calendar"):
        raise InvalidInput(
            "procedure.time_unit",
            "Đơn vị thời hạn phải là ngày làm việc hoặc ngày.",
            "The time unit must be working days or calendar days.",
        )
    for key in ("time_limit", "fee", "assurance_level"):
        if key in clean:
            try:
                clean[key] = int(clean[key])
            except (TypeError, ValueError):
                raise InvalidInput(
                    "procedure.number", f"{key} phải là số nguyên.", f"{key} must be a whole number."
                ) from None
            if (
                clean[key] < 0
                or (key == "time_limit" and clean[key] > 365)
                or (key == "assurance_level" and clean[key] not in (1, 2))
            ):
                raise InvalidInput(
                    "procedure.range", f"{key} nằm ngoài khoảng cho phép.", f"{key} is out of range."
                )
    if "agency_code" in clean and clean["agency_code"] not in agencies():
        raise InvalidInput("procedure.agency", "Cơ quan không có trong danh mục.", "Unknown agency.")
    if "form_schema" in clean:
        eform.parse_schema(clean["form_schema"])
    if "components" in clean:
        _check_components(clean["components"])
    if "name" in clean and not str(clean["name"]).strip():
        raise InvalidInput("procedure.name", "Tên thủ tục không được để trống.", "The name cannot be empty.")
    before = {k: getattr(proc, k) for k in clean}
    for key, value in clean.items():
        setattr(proc, key, value)
    if "agency_code" in clean:
        proc.agency_name = agency_name(proc.agency_code)
    proc.version += 1
    proc.updated_at = utcnow()
    proc.updated_by = actor.label
    changed = sorted(k for k in clean if before[k] != clean[k])
    audit.record(session, actor, "procedure.updated", "procedure", code, {"fields": changed})
    session.flush()
    return proc


def _check_components(components: Any) -> None:
    if not isinstance(components, list):
        raise InvalidInput(
            "procedure.components", "Thành phần hồ sơ phải là một danh sách.", "Components must be a list."
        )
    seen = set()
    for c in components:
        if not isinstance(c, dict) or not c.get("code") or not c.get("name") or c["code"] in seen:
            raise InvalidInput(
                "procedure.components",
                "Mỗi thành phần cần mã (không trùng) và tên.",
                "Each component needs a unique code and a name.",
            )
        if any(t not in files.EXTENSIONS for t in c.get("types", ["pdf"])):
            raise InvalidInput(
                "procedure.components", "Loại tệp không được hỗ trợ.", "Unsupported file type."
            )
        seen.add(c["code"])


# =========================================================================== who may do what


def citizen_level(actor: Actor) -> int:
    """The e-ID level of this sign-in: the session's acr when known, else the account's level."""
    acr = actor.extra.get("acr", "")
    level_text = actor.extra.get("level", "")
    levels = []
    if acr:
        digits = [c for c in acr if c.isdigit()]
        levels.append(int(digits[-1]) if digits else 0)
    if level_text.isdigit():
        levels.append(int(level_text))
    return min(levels) if levels else 0


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


def official_agency(session: Session, actor: Actor) -> str | None:
    """The agency code an official works for; None means every agency (a one-stop desk, an admin)."""
    from hue06.identity import service as identity

    official = identity.get_official_by_username(session, actor.id)
    raw = (official.agency if official else "") or ""
    if not raw.strip():
        return None
    key = fold(raw)
    for code, a in agencies().items():
        if key in (fold(code), fold(a["name"])):
            return code
    return raw.strip()


def _may_handle(session: Session, actor: Actor, d: Dossier) -> bool:
    if actor.kind == "system":
        return True
    if actor.kind != "official":
        return False
    agency = official_agency(session, actor)
    if agency is not None and agency != d.agency_code:
        return False
    return actor.can_see_commune(d.commune_code)


def _dossier(session: Session, dossier_id: int, *, lock: bool = False) -> Dossier:
    d = session.get(Dossier, int(dossier_id), with_for_update=lock) if str(dossier_id).isdigit() else None
    if d is None:
        raise not_found("hồ sơ", "dossier")
    return d


def get_dossier(session: Session, actor: Actor, dossier_id: int | str, *, lock: bool = False) -> Dossier:
    """A dossier the actor may see: the applicant's own, or one in an officer's agency and area (404 otherwise)."""
    d = _dossier(session, int(dossier_id) if str(dossier_id).isdigit() else -1, lock=lock)
    if actor.kind == "citizen":
        if actor.resident_id is None or d.resident_id != actor.resident_id:
            raise not_found("hồ sơ", "dossier")
        return d
    if not _may_handle(session, actor, d):
        raise not_found("hồ sơ", "dossier")
    return d


def get_dossier_by_code(session: Session, actor: Actor, code: str) -> Dossier:
    d = session.scalar(select(Dossier).where(Dossier.code == code.strip()))
    if d is None:
        raise not_found("hồ sơ", "dossier")
    return get_dossier(session, actor, d.id)


def _stale() -> Conflict:
    return Conflict(
        "services.stale",
        "Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem thay đổi rồi làm lại.",
        "Someone else has just updated this dossier. Reload the page to see the change, then try again.",
    )


def _check_version(d: Dossier, expected: int | None) -> None:
    if expected is None or int(expected) != d.version:
        raise _stale()


def _flush(session: Session) -> None:
    """Flush, turning a lost race on the version column into the same clear 409."""
    try:
        session.flush()
    except StaleDataError:
        raise _stale() from None


def _event(
    session: Session,
    d: Dossier,
    actor: Actor | str,
    action: str,
    from_status: str,
    note: str = "",
    visible: bool = True,
) -> None:
    label = actor.label if isinstance(actor, Actor) else actor
    session.add(
        DossierEvent(
            dossier_id=d.id,
            actor=label,
            action=action,
            from_status=from_status,
            to_status=d.status,
            note=note,
            visible_to_citizen=visible,
        )
    )


def _require_status(d: Dossier, *allowed: str) -> None:
    if d.status not in allowed:
        vi, en, _ = STATUSES.get(d.status, (d.status, d.status, ""))
        raise Conflict(
            "services.status",
            f"Không thể thực hiện khi hồ sơ đang ở trạng thái “{vi}”.",
            f"This cannot be done while the dossier is “{en}”.",
        )


# =========================================================================== starting and filling in


def _register_record(resident: Any) -> dict[str, Any]:
    data = resident.model_dump() if hasattr(resident, "model_dump") else dict(resident)
    return data


def start_dossier(
    session: Session, actor: Actor, procedure_code: str, *, resident: Any = None, channel: str = "online"
) -> Dossier:
    """Open a draft: the register's data is copied in now, and is the only source of those fields."""
    from hue06.registry import service as registry

    proc = get_procedure(session, procedure_code)
    if not proc.active:
        raise InvalidInput(
            "services.inactive",
            "Thủ tục này hiện không tiếp nhận hồ sơ.",
            "This procedure is not accepting dossiers at the moment.",
        )
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


def _own_editable(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    d = get_dossier(session, actor, dossier_id)
    if actor.kind == "official" and d.channel != "desk":
        raise Forbidden(
            "services.not_desk",
            "Cán bộ chỉ sửa hồ sơ nộp tại Bộ phận Một cửa.",
            "Officers edit only dossiers opened at the one-stop desk.",
        )
    _require_status(d, *EDITABLE_STATUSES)
    if d.status == "awaiting_payment":
        _cancel_pending_payments(session, d, actor)
        prev = d.status
        d.status = "draft"
        _event(session, d, actor, "edited_after_payment_started", prev, visible=False)
    return d


def save_answers(
    session: Session, actor: Actor, dossier_id: int, posted: dict[str, Any], page: str | None = None
) -> dict[str, dict[str, str]]:
    """Store one page of answers (or all); returns the errors by field. Bound fields are ignored."""
    d = _own_editable(session, actor, dossier_id)
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


# =========================================================================== files and the wallet


def _store_blob(session: Session, checked: files.CheckedFile) -> None:
    if session.get(Blob, checked.sha256) is None:
        session.add(
            Blob(
                sha256=checked.sha256, size=checked.size, content_type=checked.content_type, data=checked.data
            )
        )
        session.flush()


def _component(proc: Procedure, code: str) -> dict[str, Any]:
    for c in proc.components or []:
        if c["code"] == code:
            return c
    raise not_found("thành phần hồ sơ", "component")


def attach_upload(
    session: Session, actor: Actor, dossier_id: int, component_code: str, filename: str, data: bytes
) -> DossierFile:
    """Attach an uploaded file to a component, after the size, type and content checks."""
    d = get_dossier(session, actor, dossier_id)
    phase = _upload_phase(actor, d)
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    comp = _component(proc, component_code)
    checked = files.check_upload(filename, data, comp.get("types", ["pdf"]))
    _store_blob(session, checked)
    f = DossierFile(
        dossier_id=d.id,
        component_code=component_code,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        source="desk" if actor.kind == "official" else "upload",
        phase=phase,
    )
    session.add(f)
    d.updated_at = utcnow()
    _flush(session)
    audit.record(
        session,
        actor,
        "dossier.file_attached",
        "dossier",
        d.code or str(d.id),
        {"component": component_code, "sha256": checked.sha256, "size": checked.size},
    )
    return f


def _upload_phase(actor: Actor, d: Dossier) -> str:
    if d.status in EDITABLE_STATUSES:
        return "initial"
    if d.status == "supplement_requested" and actor.kind == "citizen":
        return "supplement"
    _require_status(d, *EDITABLE_STATUSES)
    return "initial"


def attach_from_wallet(
    session: Session, actor: Actor, dossier_id: int, component_code: str, wallet_document_id: int
) -> DossierFile:
    """Reuse a document already in the applicant's wallet: no upload, no copy, the same hash."""
    d = get_dossier(session, actor, dossier_id)
    phase = _upload_phase(actor, d)
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    _component(proc, component_code)
    doc = session.get(WalletDocument, int(wallet_document_id))
    if doc is None or doc.resident_id != d.resident_id or (doc.kind == "result" and doc.released_at is None):
        raise not_found("giấy tờ trong kho", "wallet document")
    f = DossierFile(
        dossier_id=d.id,
        component_code=component_code,
        filename=doc.filename,
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.sha256,
        source="wallet",
        wallet_document_id=doc.id,
        phase=phase,
    )
    session.add(f)
    d.updated_at = utcnow()
    _flush(session)
    audit.record(
        session,
        actor,
        "dossier.wallet_reused",
        "dossier",
        d.code or str(d.id),
        {"component": component_code, "wallet_document": doc.id},
    )
    return f


def remove_file(session: Session, actor: Actor, dossier_id: int, file_id: int) -> None:
    d = _own_editable(session, actor, dossier_id)
    f = session.get(DossierFile, int(file_id))
    if f is None or f.dossier_id != d.id or f.removed:
        raise not_found("tệp", "file")
    f.removed = True
    d.updated_at = utcnow()
    _flush(session)


def wallet_documents(session: Session, actor: Actor) -> list[WalletDocument]:
    if actor.kind != "citizen" or actor.resident_id is None:
        raise Forbidden(
            "services.wallet", "Chỉ chủ kho dữ liệu xem được kho.", "Only the wallet's owner can open it."
        )
    stmt = (
        select(WalletDocument)
        .where(WalletDocument.resident_id == actor.resident_id)
        .where((WalletDocument.kind != "result") | WalletDocument.released_at.is_not(None))
        .order_by(WalletDocument.created_at.desc(), WalletDocument.id.desc())
    )
    return list(session.scalars(stmt))


def wallet_upload(
    session: Session, actor: Actor, title: str, filename: str, data: bytes, resident_id: int | None = None
) -> WalletDocument:
    """A citizen puts a document in their own wallet (or the system digitises one for them)."""
    if actor.kind == "citizen":
        resident_id = actor.resident_id
    elif actor.kind != "system":
        raise Forbidden(
            "services.wallet", "Chỉ chủ kho dữ liệu được thêm giấy tờ.", "Only the owner adds documents."
        )
    if resident_id is None:
        raise Forbidden(
            "services.wallet", "Tài khoản chưa gắn với CSDL dân cư.", "Not linked to the register."
        )
    title = " ".join((title or "").split())[:300]
    if not title:
        raise InvalidInput("wallet.title", "Nhập tên giấy tờ.", "Enter the document's name.")
    checked = files.check_upload(filename, data, ["pdf", "jpg", "png", "docx", "xlsx"])
    _store_blob(session, checked)
    doc = WalletDocument(
        resident_id=resident_id,
        kind="upload" if actor.kind == "citizen" else "digitised",
        title=title,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    session.add(doc)
    session.flush()
    audit.record(session, actor, "wallet.added", "wallet_document", str(doc.id), {"sha256": checked.sha256})
    return doc


def get_wallet_document(session: Session, actor: Actor, doc_id: int) -> WalletDocument:
    doc = session.get(WalletDocument, int(doc_id))
    if (
        doc is None
        or actor.kind != "citizen"
        or doc.resident_id != actor.resident_id
        or (doc.kind == "result" and doc.released_at is None)
    ):
        raise not_found("giấy tờ", "document")
    return doc


def blob_data(session: Session, sha256: str) -> bytes:
    """File content, checked against its hash on every read (a tampered row is refused, not served)."""
    b = session.get(Blob, sha256)
    if b is None or hashlib.sha256(b.data).hexdigest() != sha256:
        raise not_found("tệp", "file")
    return bytes(b.data)


def get_dossier_file(
    session: Session, actor: Actor, dossier_id: int, file_id: int
) -> tuple[DossierFile, bytes]:
    d = get_dossier(session, actor, dossier_id)
    f = session.get(DossierFile, int(file_id))
    if f is None or f.dossier_id != d.id:
        raise not_found("tệp", "file")
    if actor.kind == "official":
        audit.record(session, actor, "dossier.file_read", "dossier", d.code or str(d.id), {"file": f.id})
    return f, blob_data(session, f.sha256)


def verify_document(session: Session, signer: ProvinceSigner, doc: WalletDocument) -> bool:
    """Whether a result's detached signature matches its bytes and the province's key."""
    if not doc.signature:
        return False
    return signer.verify(blob_data(session, doc.sha256), doc.signature, doc.key_id)


# =========================================================================== submission and payment


def _canonical(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _snapshot(
    session: Session,
    d: Dossier,
    kind: str,
    proc: Procedure,
    phase: str,
    attached: list[DossierFile] | None = None,
) -> DossierSnapshot:
    attached = active_files(session, d) if attached is None else attached
    entries = [f for f in attached if phase == "initial" or f.phase == phase]
    content = {
        "dossier": d.code,
        "kind": kind,
        "procedure": {"code": proc.code, "name": proc.name, "version": proc.version},
        "register_data": d.register_data,
        "form_data": d.form_data,
        "fee": d.fee,
        "channel": d.channel,
        "files": [
            {
                "id": f.id,
                "component": f.component_code,
                "filename": f.filename,
                "size": f.size,
                "sha256": f.sha256,
                "source": f.source,
                "phase": f.phase,
            }
            for f in entries
        ],
        "at": utcnow().isoformat(),
    }
    text = _canonical(content)
    snap = DossierSnapshot(
        dossier_id=d.id, kind=kind, content=text, sha256=hashlib.sha256(text.encode()).hexdigest()
    )
    session.add(snap)
    return snap


def _pauses(session: Session, d: Dossier) -> list[tuple[datetime, datetime | None]]:
    rows = session.scalars(
        select(DossierPause).where(DossierPause.dossier_id == d.id).order_by(DossierPause.id)
    )
    return [
        (p.started_at.astimezone(VN_TZ), p.ended_at.astimezone(VN_TZ) if p.ended_at else None) for p in rows
    ]


def _recompute_due(
    session: Session, d: Dossier, pauses: list[tuple[datetime, datetime | None]] | None = None
) -> None:
    if d.submitted_at is None:
        return
    d.due_date = _calendar.due_date_with_pauses(
        d.submitted_at.astimezone(VN_TZ),
        d.time_limit,
        d.time_unit,
        _pauses(session, d) if pauses is None else pauses,
    )


def _finalize_submission(
    session: Session, d: Dossier, actor: Actor | str, now: datetime, attached: list[DossierFile] | None = None
) -> None:
    """The one place a dossier becomes submitted: code, frozen snapshot, due date, history, audit."""
    with session.no_autoflush:
        _finalize(session, d, actor, now, active_files(session, d) if attached is None else attached)


def _finalize(
    session: Session, d: Dossier, actor: Actor | str, now: datetime, attached: list[DossierFile]
) -> None:
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    local = now.astimezone(VN_TZ)
    prev = d.status
    d.code = f"{d.agency_code}-{local:%y%m%d}-{d.id:06d}"
    d.submitted_at = now
    d.submitted_on = local.date()
    d.time_limit = proc.time_limit
    d.time_unit = proc.time_unit
    d.status = "submitted"
    d.reused_documents = sum(1 for f in attached if f.source == "wallet")
    d.digitised = True  # every component is held electronically, online or scanned at the desk
    _recompute_due(session, d, [])  # a draft has never been paused
    d.updated_at = now
    _snapshot(session, d, "submission", proc, "initial", attached)
    _event(session, d, actor, "submitted", prev)
    audit.record(
        session,
        actor,
        "dossier.submitted",
        "dossier",
        d.code,
        {"procedure": proc.code, "channel": d.channel, "fee": d.fee, "due": str(d.due_date)},
    )


def _ready_or_raise(session: Session, d: Dossier, attached: list[DossierFile] | None = None) -> None:
    found = problems(session, d, attached)
    if found:
        err = InvalidInput(
            "services.incomplete",
            "Hồ sơ chưa đủ để nộp: " + "; ".join(p.message["vi"] for p in found),
            "The dossier is not complete: " + "; ".join(p.message["en"] for p in found),
        )
        err.ctx["problems"] = [p.field for p in found]
        raise err


def submit_dossier(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """Submit a dossier that owes no fee (dossiers with a fee are submitted by their payment's capture)."""
    d = get_dossier(session, actor, dossier_id, lock=True)
    if actor.kind == "official" and d.channel != "desk":
        raise Forbidden("services.not_desk", "Không được phép.", "Not allowed.")
    _require_status(d, "draft")
    attached = active_files(session, d)
    _ready_or_raise(session, d, attached)
    d.fee = current_fee(session, d)
    if d.fee > 0:
        raise Conflict(
            "services.fee_due",
            "Hồ sơ có lệ phí: hãy thanh toán để nộp.",
            "This dossier has a fee: pay it to submit.",
        )
    _finalize_submission(session, d, actor, utcnow(), attached)
    if d.channel == "desk":
        _receive(session, d, actor)
    _flush(session)
    return d


def payment_key(d: Dossier, fee: int, attempt: int) -> str:
    """Same dossier, same answers, same files, same attempt → same key → the same payment intent."""
    basis = _canonical({"d": d.id, "fee": fee, "form": d.form_data, "attempt": attempt})
    return hashlib.sha256(basis.encode()).hexdigest()[:48]


def begin_payment(
    session: Session, actor: Actor, dossier_id: int, gateway: Gateway, idempotency_key: str | None = None
) -> Payment:
    """Create (or find again) the payment intent for a dossier's fee. No money moves here."""
    d = get_dossier(session, actor, dossier_id, lock=True)
    if actor.kind != "citizen":
        raise Forbidden(
            "services.payment",
            "Chỉ người nộp hồ sơ thanh toán trực tuyến.",
            "Only the applicant pays online.",
        )
    existing_paid = session.scalar(
        select(Payment).where(Payment.dossier_id == d.id, Payment.state == "captured")
    )
    if existing_paid is not None or d.paid:
        raise Conflict(
            "services.already_paid", "Hồ sơ này đã được thanh toán.", "This dossier is already paid."
        )
    _require_status(d, *EDITABLE_STATUSES)
    _ready_or_raise(session, d)
    fee = current_fee(session, d)
    if fee <= 0:
        raise Conflict("services.no_fee", "Hồ sơ này không có lệ phí.", "This dossier has no fee.")
    if idempotency_key is None:
        attempts = (
            session.scalar(
                select(func.count(Payment.id)).where(
                    Payment.dossier_id == d.id, Payment.state.in_(("failed", "cancelled", "refunded"))
                )
            )
            or 0
        )
        idempotency_key = payment_key(d, fee, int(attempts))
    idempotency_key = idempotency_key.strip()[:64]
    if not idempotency_key:
        raise InvalidInput("payment.key", "Thiếu khóa chống trùng.", "The idempotency key is missing.")
    same = session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    if same is not None:
        if same.dossier_id != d.id or same.amount != fee:
            raise Conflict(
                "payment.key_reused",
                "Khóa chống trùng đã dùng cho một khoản khác.",
                "The idempotency key was used for another payment.",
            )
        if same.state == "pending":
            return same
        raise Conflict(
            "payment.key_used",
            "Khoản thanh toán này đã kết thúc; hãy bắt đầu lại.",
            "That payment has ended; start again.",
        )
    for old in session.scalars(select(Payment).where(Payment.dossier_id == d.id, Payment.state == "pending")):
        old.state = "cancelled"
        old.note = "superseded"
    pay = Payment(
        ref="PAY" + new_token(12).replace("-", "x").replace("_", "y")[:16],
        idempotency_key=idempotency_key,
        dossier_id=d.id,
        gateway=gateway.name,
        amount=fee,
        state="pending",
    )
    session.add(pay)
    prev = d.status
    d.fee = fee
    d.status = "awaiting_payment"
    d.payment_key = idempotency_key
    d.updated_at = utcnow()
    _flush(session)
    if prev != d.status:
        _event(session, d, actor, "payment_started", prev)
    audit.record(session, actor, "payment.started", "dossier", str(d.id), {"payment": pay.ref, "amount": fee})
    return pay


def _cancel_pending_payments(session: Session, d: Dossier, actor: Actor) -> None:
    for p in session.scalars(select(Payment).where(Payment.dossier_id == d.id, Payment.state == "pending")):
        p.state = "cancelled"
        p.note = "answers changed"
        audit.record(session, actor, "payment.cancelled", "dossier", str(d.id), {"payment": p.ref})


def _refund(session: Session, gateway: Gateway, pay: Payment, why: str) -> str:
    pay.gateway_txn = pay.gateway_txn or ""
    refund_ref = gateway.refund(pay.ref, pay.gateway_txn, pay.amount)
    pay.state = "refunded"
    pay.refunded_at = utcnow()
    pay.note = f"{why}; refund {refund_ref}"[:300]
    audit.record(
        session,
        "system:payments",
        "payment.refunded",
        "payment",
        pay.ref,
        {"reason": why, "amount": pay.amount},
    )
    return "refunded"


@dataclass(frozen=True)
class CallbackResult:
    outcome: str  # captured / failed / duplicate / refunded / ignored
    dossier_id: int | None
    dossier_code: str | None


def handle_payment_callback(
    session: Session, gateway: Gateway, body: bytes, signature: str
) -> CallbackResult:
    """A gateway's notice, applied exactly once. Capture and submission commit together.

    Forged → refused (and audited); an event id seen before → no-op; money for a dossier that
    cannot be submitted (cancelled intent, already paid, wrong amount) → refunded at once.
    """
    try:
        event: CallbackEvent = gateway.parse_callback(body, signature)
    except InvalidInput as exc:
        audit.record(
            session,
            "system:payments",
            "payment.callback_refused",
            "payment",
            "",
            {"gateway": gateway.name, "reason": exc.code},
        )
        exc.kept()
        raise
    seen = session.scalar(
        select(PaymentCallback.id).where(
            PaymentCallback.gateway == gateway.name, PaymentCallback.event_id == event.event_id
        )
    )
    if seen is not None:
        return _result_for(session, event.payment_ref, "duplicate")
    record = PaymentCallback(
        gateway=gateway.name, event_id=event.event_id, payment_ref=event.payment_ref, outcome="received"
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return _result_for(session, event.payment_ref, "duplicate")
    pay = session.scalar(
        select(Payment)
        .where(Payment.ref == event.payment_ref, Payment.gateway == gateway.name)
        .with_for_update()
    )
    if pay is None:
        record.outcome = "unknown_payment"
        audit.record(
            session, "system:payments", "payment.callback_unknown", "payment", event.payment_ref[:40]
        )
        return CallbackResult("ignored", None, None)
    d = session.get(Dossier, pay.dossier_id, with_for_update=True)
    assert d is not None
    if event.status == "failed":
        if pay.state == "pending":
            pay.state = "failed"
            pay.note = "declined by the gateway"
        record.outcome = "failed"
        audit.record(session, "system:payments", "payment.failed", "dossier", str(d.id), {"payment": pay.ref})
        return CallbackResult("failed", d.id, d.code)
    # A capture.
    if pay.state == "captured":
        record.outcome = "duplicate"
        return CallbackResult("duplicate", d.id, d.code)
    if pay.state == "refunded":
        record.outcome = "duplicate"
        return CallbackResult("duplicate", d.id, d.code)
    pay.gateway_txn = event.gateway_txn
    pay.captured_at = utcnow()
    if event.amount != pay.amount or event.currency != pay.currency:
        record.outcome = _refund(session, gateway, pay, "amount mismatch")
        return CallbackResult("refunded", d.id, d.code)
    if (
        pay.state != "pending"
        or d.paid
        or d.status != "awaiting_payment"
        or d.payment_key != pay.idempotency_key
    ):
        record.outcome = _refund(
            session, gateway, pay, f"dossier not awaiting this payment ({pay.state}/{d.status})"
        )
        return CallbackResult("refunded", d.id, d.code)
    try:
        with session.begin_nested():
            pay.state = "captured"
            d.paid = True
            _finalize_submission(session, d, "system:payments", utcnow())
            session.flush()
    except (Hue06Error, StaleDataError):
        record.outcome = _refund(session, gateway, pay, "submission failed")
        return CallbackResult("refunded", d.id, d.code)
    record.outcome = "captured"
    audit.record(
        session,
        "system:payments",
        "payment.captured",
        "dossier",
        d.code or str(d.id),
        {"payment": pay.ref, "amount": pay.amount},
    )
    return CallbackResult("captured", d.id, d.code)


def _result_for(session: Session, ref: str, outcome: str) -> CallbackResult:
    pay = session.scalar(select(Payment).where(Payment.ref == ref))
    d = session.get(Dossier, pay.dossier_id) if pay else None
    return CallbackResult(outcome, d.id if d else None, d.code if d else None)


def get_payment(session: Session, actor: Actor, ref: str) -> tuple[Payment, Dossier]:
    pay = session.scalar(select(Payment).where(Payment.ref == ref))
    if pay is None:
        raise not_found("khoản thanh toán", "payment")
    d = get_dossier(session, actor, pay.dossier_id)
    return pay, d


def payments_of(session: Session, d: Dossier) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.dossier_id == d.id).order_by(Payment.id)))


# =========================================================================== one-stop desk


def desk_identify(session: Session, actor: Actor, qr_string: str) -> Any:
    """The applicant in person: the card's QR is read, checked, and matched with the register."""
    from hue06.registry import service as registry

    if actor.kind != "official":
        raise Forbidden(
            "services.desk", "Chỉ cán bộ Một cửa dùng chức năng này.", "Only desk officers may do this."
        )
    qr = parse_cccd_qr(qr_string)
    resident = registry.match_identity(session, qr.personal_id)
    if (
        resident is None
        or not _same_name(qr.full_name, resident.full_name)
        or resident.date_of_birth != qr.date_of_birth
    ):
        audit.record(session, actor, "desk.identity_mismatch", "resident", qr.personal_id)
        err = InvalidInput(
            "services.desk_mismatch",
            "Thông tin trên thẻ không khớp với CSDL dân cư; không mở được hồ sơ.",
            "The card's details do not match the population register; no dossier was opened.",
            keep_changes=True,
        )
        raise err
    audit.record(session, actor, "desk.identity_checked", "resident", qr.personal_id)
    return resident


def _same_name(on_card: str, registered: str) -> bool:
    """Case and tone-mark style never matter; a card read without diacritics is compared folded."""
    if remove_marks(on_card) == on_card:
        return fold(on_card) == fold(registered)
    return normalize_text(on_card).casefold() == normalize_text(registered).casefold()


def desk_start(session: Session, actor: Actor, qr_string: str, procedure_code: str) -> Dossier:
    resident = desk_identify(session, actor, qr_string)
    return start_dossier(session, actor, procedure_code, resident=resident, channel="desk")


def desk_take_cash(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """The desk officer takes the fee in cash (or by the desk's card reader) and receives the dossier."""
    d = get_dossier(session, actor, dossier_id, lock=True)
    if actor.kind != "official" or d.channel != "desk":
        raise Forbidden("services.desk", "Không được phép.", "Not allowed.")
    _require_status(d, "draft")
    _ready_or_raise(session, d)
    d.fee = current_fee(session, d)
    if d.fee > 0:
        session.add(
            Payment(
                ref="CASH" + new_token(10)[:14],
                idempotency_key=f"cash:{d.id}",
                dossier_id=d.id,
                gateway="cash",
                amount=d.fee,
                state="captured",
                captured_at=utcnow(),
                note=f"received by {actor.label}",
            )
        )
        d.paid = True
    _finalize_submission(session, d, actor, utcnow())
    _receive(session, d, actor)
    _flush(session)
    return d


# =========================================================================== officers


def _receive(session: Session, d: Dossier, actor: Actor) -> None:
    prev = d.status
    d.status = "received"
    d.received_at = utcnow()
    d.assigned_to = actor.label
    _event(session, d, actor, "received", prev)
    audit.record(session, actor, "dossier.received", "dossier", d.code)


def _officer_action(
    session: Session, actor: Actor, dossier_id: int, version: int | None, *allowed: str
) -> Dossier:
    if actor.kind != "official":
        raise Forbidden("services.officer", "Chỉ cán bộ xử lý hồ sơ.", "Only officers handle dossiers.")
    d = get_dossier(session, actor, dossier_id, lock=True)
    _check_version(d, version)
    _require_status(d, *allowed)
    return d


def receive_dossier(session: Session, actor: Actor, dossier_id: int, version: int | None) -> Dossier:
    d = _officer_action(session, actor, dossier_id, version, "submitted")
    _receive(session, d, actor)
    d.updated_at = utcnow()
    _flush(session)
    return d


def request_supplement(
    session: Session, actor: Actor, dossier_id: int, version: int | None, reason: str
) -> Dossier:
    """Ask the applicant for more documents: the legal clock stops until they answer."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "services.reason", "Nêu rõ giấy tờ cần bổ sung.", "Say which documents are needed."
        )
    d = _officer_action(session, actor, dossier_id, version, "received")
    prev = d.status
    now = utcnow()
    session.add(DossierPause(dossier_id=d.id, started_at=now, reason=reason[:2000]))
    d.status = "supplement_requested"
    d.updated_at = now
    session.flush()
    _recompute_due(session, d)
    _event(session, d, actor, "supplement_requested", prev, reason[:2000])
    audit.record(session, actor, "dossier.supplement_requested", "dossier", d.code)
    _flush(session)
    return d


def answer_supplement(session: Session, actor: Actor, dossier_id: int, note: str = "") -> Dossier:
    """The applicant answers: the new files are frozen in a snapshot and the clock restarts."""
    if actor.kind != "citizen":
        raise Forbidden(
            "services.citizen",
            "Chỉ người nộp hồ sơ trả lời yêu cầu bổ sung.",
            "Only the applicant answers a request for documents.",
        )
    d = get_dossier(session, actor, dossier_id, lock=True)
    _require_status(d, "supplement_requested")
    new_files = active_files(session, d, "supplement")
    note = (note or "").strip()[:2000]
    if not new_files and not note:
        raise InvalidInput(
            "services.supplement_empty",
            "Đính kèm giấy tờ hoặc ghi nội dung bổ sung.",
            "Attach documents or write what you are adding.",
        )
    now = utcnow()
    pause = session.scalar(
        select(DossierPause).where(DossierPause.dossier_id == d.id, DossierPause.ended_at.is_(None))
    )
    if pause is not None:
        pause.ended_at = now
    prev = d.status
    d.status = "received"
    d.updated_at = now
    d.reused_documents = sum(1 for f in active_files(session, d) if f.source == "wallet")
    session.flush()
    _recompute_due(session, d)
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    _snapshot(session, d, "supplement", proc, "supplement")
    for f in new_files:
        f.phase = f"sup-{now:%y%m%d%H%M%S}"  # later supplements get a snapshot of their own files
    _event(session, d, actor, "supplemented", prev, note)
    audit.record(session, actor, "dossier.supplemented", "dossier", d.code, {"files": len(new_files)})
    _flush(session)
    return d


def approve_dossier(
    session: Session, actor: Actor, dossier_id: int, version: int | None, note: str = ""
) -> Dossier:
    d = _officer_action(session, actor, dossier_id, version, "received")
    prev = d.status
    d.status = "approved"
    d.decision = "approved"
    d.decision_note = (note or "").strip()[:2000]
    d.decided_at = utcnow()
    d.updated_at = d.decided_at
    _event(session, d, actor, "approved", prev, d.decision_note)
    audit.record(session, actor, "dossier.approved", "dossier", d.code)
    _flush(session)
    return d


def refuse_dossier(
    session: Session, actor: Actor, dossier_id: int, version: int | None, reason: str
) -> Dossier:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise InvalidInput("services.reason", "Nêu rõ lý do từ chối.", "Give the reason for refusing.")
    d = _officer_action(session, actor, dossier_id, version, "received", "submitted")
    prev = d.status
    now = utcnow()
    d.status = "refused"
    d.decision = "refused"
    d.decision_note = reason[:2000]
    d.decided_at = d.finished_at = now
    d.finished_on = local_now(now).date()
    d.updated_at = now
    _event(session, d, actor, "refused", prev, reason[:2000])
    audit.record(session, actor, "dossier.refused", "dossier", d.code)
    _flush(session)
    return d


def _result_items(proc: Procedure, d: Dossier) -> list[str]:
    """One signed document per certificate asked for: LLTP form 1 and form 2 are two certificates."""
    per = (proc.fee_rules or {}).get("per_option")
    if per:
        chosen = d.form_data.get(per.get("field")) or []
        form = procedure_form(proc)
        f = form.field(per.get("field"))
        if chosen and f is not None:
            return [f"{proc.result_name} — {f.option_label(v, 'vi').split(' (')[0]}" for v in chosen]
    return [proc.result_name or proc.name]


def issue_result(
    session: Session,
    actor: Actor,
    dossier_id: int,
    version: int | None,
    signer: ProvinceSigner,
    base_url: str = "",
) -> list[WalletDocument]:
    """Render the result as PDF, sign it with the province's key, keep it ready to return."""
    d = _officer_action(session, actor, dossier_id, version, "approved")
    proc = session.get(Procedure, d.procedure_id)
    assert proc is not None
    form = procedure_form(proc)
    now = utcnow()
    rows: list[tuple[str, str]] = []
    for f in form.bound:
        rows.append((f.label, eform.display_value(f, d.register_data.get(f.name), "vi")))
    for f in form.typed:
        if f.name in d.form_data:
            rows.append((f.label, eform.display_value(f, d.form_data[f.name], "vi")))
    docs = []
    for title in _result_items(proc, d):
        pdf = render_result_pdf(
            title=title,
            agency=agency_name(d.agency_code),
            dossier_code=d.code or "",
            procedure=proc.name,
            rows=rows,
            decision_text=d.decision_note or "Hồ sơ đã được giải quyết theo quy định.",
            signer=signer,
            signed_at=now,
            verify_url=f"{base_url}/services/verify",
        )
        sig = signer.sign(pdf)
        digest = hashlib.sha256(pdf).hexdigest()
        if session.get(Blob, digest) is None:
            session.add(Blob(sha256=digest, size=len(pdf), content_type="application/pdf", data=pdf))
            session.flush()
        safe = fold(title).replace(" ", "-")[:60] or "ket-qua"
        doc = WalletDocument(
            resident_id=d.resident_id,
            kind="result",
            title=title,
            filename=f"{d.code}-{safe}.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=digest,
            dossier_id=d.id,
            signature=sig.value,
            signature_alg=sig.algorithm,
            key_id=sig.key_id,
            signed_at=now,
        )
        session.add(doc)
        docs.append(doc)
    session.flush()
    prev = d.status
    d.status = "result_issued"
    d.result_document_id = docs[0].id
    d.result_electronic = True
    d.updated_at = now
    _event(session, d, actor, "result_issued", prev, "; ".join(x.title for x in docs))
    audit.record(
        session,
        actor,
        "dossier.result_issued",
        "dossier",
        d.code,
        {"documents": [x.id for x in docs], "key": signer.key_id},
    )
    _flush(session)
    return docs


def return_result(session: Session, actor: Actor, dossier_id: int, version: int | None) -> Dossier:
    """Hand the signed result over: it appears in the applicant's wallet and the dossier is finished."""
    d = _officer_action(session, actor, dossier_id, version, "result_issued")
    now = utcnow()
    for doc in session.scalars(
        select(WalletDocument).where(WalletDocument.dossier_id == d.id, WalletDocument.kind == "result")
    ):
        doc.released_at = now
    prev = d.status
    d.status = "returned"
    d.finished_at = now
    d.finished_on = local_now(now).date()
    d.updated_at = now
    _event(session, d, actor, "returned", prev)
    audit.record(session, actor, "dossier.returned", "dossier", d.code)
    _flush(session)
    return d


def results_of(session: Session, d: Dossier, *, released_only: bool = True) -> list[WalletDocument]:
    stmt = select(WalletDocument).where(WalletDocument.dossier_id == d.id, WalletDocument.kind == "result")
    if released_only:
        stmt = stmt.where(WalletDocument.released_at.is_not(None))
    return list(session.scalars(stmt.order_by(WalletDocument.id)))


def view_for_officer(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """An officer opens a dossier: the read of personal data is audited."""
    d = get_dossier(session, actor, dossier_id)
    if d.status in EDITABLE_STATUSES and d.channel != "desk":
        raise not_found("hồ sơ", "dossier")  # a citizen's draft is theirs alone
    audit.record(session, actor, "dossier.viewed", "dossier", d.code or str(d.id))
    return d


def history(session: Session, d: Dossier, *, citizen: bool = False) -> list[DossierEvent]:
    stmt = select(DossierEvent).where(DossierEvent.dossier_id == d.id)
    if citizen:
        stmt = stmt.where(DossierEvent.visible_to_citizen.is_(True))
    return list(session.scalars(stmt.order_by(DossierEvent.id)))


def snapshots(session: Session, d: Dossier) -> list[DossierSnapshot]:
    return list(
        session.scalars(
            select(DossierSnapshot).where(DossierSnapshot.dossier_id == d.id).order_by(DossierSnapshot.id)
        )
    )


def snapshot_content(snap: DossierSnapshot) -> dict[str, Any]:
    """A snapshot's content, after checking it is byte for byte what was frozen."""
    if hashlib.sha256(snap.content.encode()).hexdigest() != snap.sha256:
        raise Conflict(
            "services.snapshot_tampered",
            "Bản lưu hồ sơ đã bị thay đổi sau khi nộp.",
            "The stored copy of the dossier was changed after submission.",
        )
    return json.loads(snap.content)


def pauses_of(session: Session, d: Dossier) -> list[DossierPause]:
    return list(
        session.scalars(select(DossierPause).where(DossierPause.dossier_id == d.id).order_by(DossierPause.id))
    )


# =========================================================================== lists


def my_dossiers(session: Session, actor: Actor) -> list[tuple[Dossier, Procedure]]:
    if actor.kind != "citizen" or actor.resident_id is None:
        raise Forbidden("services.citizen", "Cần đăng nhập bằng tài khoản công dân.", "Sign in as a citizen.")
    rows = session.execute(
        select(Dossier, Procedure)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(Dossier.resident_id == actor.resident_id)
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .limit(200)
    )
    return [(d, p) for d, p in rows]


@dataclass
class InboxPage:
    rows: list[tuple[Dossier, str]]  # dossier, procedure name
    total: int
    counts: dict[str, int]
    page: int
    per_page: int
    agency: str | None
    status: str


def inbox(
    session: Session,
    actor: Actor,
    *,
    status: str = "open",
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> InboxPage:
    """An officer's dossiers: their agency's, in their area, soonest due first (overdue on top)."""
    if actor.kind != "official":
        raise Forbidden("services.officer", "Chỉ cán bộ xem hộp hồ sơ.", "Only officers have an inbox.")
    agency = official_agency(session, actor)
    filters = []
    if agency is not None:
        filters.append(Dossier.agency_code == agency)
    communes = actor.communes
    if communes is not None:
        filters.append(Dossier.commune_code.in_(sorted(communes)))
    count_stmt = (
        select(Dossier.status, func.count())
        .where(*filters, Dossier.status.in_(OPEN_STATUSES))
        .group_by(Dossier.status)
    )
    counts = {s: int(n) for s, n in session.execute(count_stmt)}
    wanted: Sequence[str] = OPEN_STATUSES if status == "open" else (status,)
    if status not in ("open", *STATUSES):
        wanted = OPEN_STATUSES
        status = "open"
    if status == "overdue":
        wanted = OPEN_STATUSES
    page = max(1, int(page))
    per_page = min(max(10, int(per_page)), 200)
    q = (
        select(Dossier, Procedure.name)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(*filters, Dossier.status.in_(wanted))
    )
    total = (
        sum(counts.get(s, 0) for s in wanted)
        if status in ("open", *OPEN_STATUSES)
        else int(
            session.scalar(
                select(func.count()).select_from(Dossier).where(*filters, Dossier.status.in_(wanted))
            )
            or 0
        )
    )
    q = (
        q.order_by(Dossier.due_date.is_(None), Dossier.due_date, Dossier.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [(d, name) for d, name in session.execute(q)]
    return InboxPage(rows, total, counts, page, per_page, agency, status)


def is_overdue(d: Dossier, today: date | None = None) -> bool:
    if d.due_date is None:
        return False
    if d.finished_on is not None:
        return d.finished_on > d.due_date
    return (today or local_now().date()) > d.due_date
