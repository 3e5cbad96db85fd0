"""The catalogue of procedures: the seed shipped with hue06, reading it, and an administrator's edits.

The seed is the 25 essential services of Decision 06; an administrator's edit bumps the procedure's
version, so a parsed e-form is cached per version and a stale edit is a 409.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Forbidden, InvalidInput, not_found
from hue06.core.security import Actor
from hue06.services import eform, files
from hue06.services.models import Procedure
from hue06.services.service._common import _stale


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
