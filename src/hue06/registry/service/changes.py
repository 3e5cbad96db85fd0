"""The four changes that keep the register alive: birth, death, move, correction.

Each is one atomic function: everything is validated before the first write, then the row, its
history (`ResidentChange`) and the audit entry are written together.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Conflict, InvalidInput
from hue06.core.personal_id import check_personal_id, has_id_shape, is_cmnd, make_personal_id
from hue06.core.security import Actor
from hue06.core.text import fold
from hue06.registry.models import Household, Resident
from hue06.registry.schemas import ResidentOut
from hue06.registry.service._checks import (
    NAME_LIMITS,
    clean_name_part,
    past_date,
    require_writer,
    short_text,
    source_text,
    valid_gender,
)
from hue06.registry.service._common import (
    PROVINCE_BIRTH_CODE,
    bump,
    household_code,
    require_register_official,
    resident_for_change,
    to_out,
    write_history,
)

EARLIEST = date(1900, 1, 1)


# --------------------------------------------------------------------------- birth


@dataclass(frozen=True)
class _Birth:
    """A birth's facts as they will be stored, all checked."""

    family: str
    middle: str
    given: str
    gender: str
    dob: date
    place: str
    relation: str
    source: str
    raw_full: str


def register_birth(
    session: Session,
    actor: Actor,
    *,
    family_name: str,
    middle_name: str,
    given_name: str,
    gender: str,
    date_of_birth: date | str,
    place_of_birth: str,
    household_id: int,
    relation_to_head: str,
    mother_id: str | None = None,
    father_id: str | None = None,
    source: str = "",
) -> ResidentOut:
    """Register a birth into an existing household and assign a personal ID (046, gender, year).

    `mother_id`/`father_id` are the parents' personal IDs (optional; checked against the register).
    """
    require_register_official(session, actor)
    require_writer(actor)
    household = _household_for_birth(session, actor, household_id)  # first: nothing told outside
    birth = _checked_birth(
        family_name, middle_name, given_name, gender, date_of_birth, place_of_birth, relation_to_head, source
    )
    mother = _parent(session, mother_id, "mother_id", "female")
    father = _parent(session, father_id, "father_id", "male")
    for parent in (mother, father):
        if parent is not None and parent.date_of_birth >= birth.dob:
            raise InvalidInput(
                "parent.younger",
                "Cha/mẹ phải sinh trước con.",
                "A parent must be born before the child.",
                field="mother_id" if parent is mother else "father_id",
            )
    resident = _add_newborn(session, birth, household, mother or father)
    _record_birth(session, actor, resident, household, mother, father, birth.source)
    return to_out(resident, household.code)


def _checked_birth(
    family_name: str,
    middle_name: str,
    given_name: str,
    gender_text: str,
    date_of_birth: date | str,
    place_of_birth: str,
    relation_to_head: str,
    source: str,
) -> _Birth:
    """Every text field of a birth checked and cleaned, in the order the form shows them."""
    family = clean_name_part(family_name, "family_name")
    middle = clean_name_part(middle_name, "middle_name", required=False)
    given = clean_name_part(given_name, "given_name")
    g = valid_gender(gender_text)
    dob = past_date(date_of_birth, "date_of_birth", not_before=EARLIEST)
    place = short_text(place_of_birth, "place_of_birth", 200, "Nơi sinh", "place of birth")
    relation = short_text(
        relation_to_head, "relation_to_head", 40, "Quan hệ với chủ hộ", "relation to the head"
    )
    if not relation:
        raise InvalidInput(
            "relation_to_head.missing",
            "Chưa nhập quan hệ với chủ hộ.",
            "Enter the relation to the head of household.",
            field="relation_to_head",
        )
    src = source_text(source)
    raw_full = " ".join(p for p in (family_name, middle_name, given_name) if p and p.strip())
    return _Birth(family, middle, given, g, dob, place, relation, src, raw_full)


def _household_for_birth(session: Session, actor: Actor, household_id: int) -> Household:
    try:
        hid = int(household_id)
    except (TypeError, ValueError):
        hid = -1
    household = session.get(Household, hid) if hid > 0 else None
    if household is None or not actor.can_see_commune(household.commune_code):
        raise InvalidInput(
            "household.unknown",
            "Không tìm thấy hộ gia đình trong phạm vi quản lý của bạn.",
            "No such household within your jurisdiction.",
            field="household_id",
        )
    return household


def _parent(session: Session, personal_id: str | None, field: str, gender: str) -> Resident | None:
    if not personal_id:
        return None
    key = personal_id.strip()
    parent = None
    if has_id_shape(key):
        parent = session.scalar(select(Resident).where(Resident.personal_id == key))
    vi, en = ("mẹ", "mother") if gender == "female" else ("cha", "father")
    if parent is None:
        raise InvalidInput(
            f"{field}.unknown",
            f"Không tìm thấy {vi} trong CSDL dân cư.",
            f"The {en} is not in the register.",
            field=field,
        )
    if parent.gender != gender:
        raise InvalidInput(
            f"{field}.gender",
            f"Người được ghi là {vi} có giới tính không phù hợp.",
            f"The person given as {en} has the other gender.",
            field=field,
        )
    return parent


def _new_personal_id(session: Session, gender: str, year: int) -> str:
    for _ in range(50):
        candidate = make_personal_id(PROVINCE_BIRTH_CODE, gender, year, secrets.randbelow(1_000_000))
        if session.scalar(select(Resident.id).where(Resident.personal_id == candidate)) is None:
            return candidate
    raise Conflict(
        "personal_id.exhausted", "Không cấp được số định danh mới.", "Could not assign a new personal ID."
    )


def _add_newborn(session: Session, birth: _Birth, household: Household, parent: Resident | None) -> Resident:
    """The new row, with a fresh personal ID, living at the household's address (flushed: the
    history needs its id). The ethnicity is a parent's, else Kinh."""
    full = " ".join(p for p in (birth.family, birth.middle, birth.given) if p)
    now = utcnow()
    resident = Resident(
        personal_id=_new_personal_id(session, birth.gender, birth.dob.year),
        family_name=birth.family,
        middle_name=birth.middle,
        given_name=birth.given,
        full_name=full,
        full_name_raw=birth.raw_full if " ".join(birth.raw_full.split()) != full else None,
        search_key=fold(full),
        given_key=fold(birth.given),
        gender=birth.gender,
        date_of_birth=birth.dob,
        place_of_birth=birth.place,
        ethnicity=parent.ethnicity if parent else "Kinh",
        nationality="Việt Nam",
        status="alive",
        commune_code=household.commune_code,
        address_detail=household.address_detail,
        household_id=household.id,
        relation_to_head=birth.relation,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(resident)
    session.flush()
    return resident


_BIRTH_FIELDS = (
    "personal_id",
    "family_name",
    "middle_name",
    "given_name",
    "gender",
    "date_of_birth",
    "place_of_birth",
    "commune_code",
    "household_id",
    "relation_to_head",
)


def _record_birth(
    session: Session,
    actor: Actor,
    resident: Resident,
    household: Household,
    mother: Resident | None,
    father: Resident | None,
    src: str,
) -> None:
    """The birth's history entry (every field from nothing, and the parents) and audit entry."""
    changes: dict[str, list[Any]] = {f: [None, getattr(resident, f)] for f in _BIRTH_FIELDS}
    if mother:
        changes["mother_id"] = [None, mother.personal_id]
    if father:
        changes["father_id"] = [None, father.personal_id]
    write_history(session, actor, resident, "birth", changes, src)
    audit.record(
        session,
        actor,
        "resident.birth",
        "resident",
        resident.personal_id,
        {"household": household.id, "source": src},
    )


# --------------------------------------------------------------------------- death


def record_death(
    session: Session, actor: Actor, personal_id: str, date_of_death: date | str, source: str = ""
) -> ResidentOut:
    """Mark a resident deceased; the row stays (history, other agencies' records point at it)."""
    require_writer(actor)
    resident = resident_for_change(session, actor, personal_id)
    dod = past_date(date_of_death, "date_of_death", not_before=resident.date_of_birth)
    src = source_text(source)
    if resident.status == "deceased":
        raise Conflict(
            "resident.already_deceased",
            "Cư dân này đã được ghi nhận là đã mất.",
            "This resident is already recorded as deceased.",
        )
    changes = {"status": [resident.status, "deceased"], "date_of_death": [None, dod]}
    resident.status = "deceased"
    resident.date_of_death = dod
    bump(resident)
    write_history(session, actor, resident, "death", changes, src)
    audit.record(session, actor, "resident.death", "resident", resident.personal_id, {"source": src})
    session.flush()
    return to_out(resident, household_code(session, resident.household_id))


# --------------------------------------------------------------------------- correction


CORRECTABLE = (
    "family_name",
    "middle_name",
    "given_name",
    "gender",
    "date_of_birth",
    "place_of_birth",
    "ethnicity",
    "nationality",
    "phone",
    "address_detail",
    "old_id",
    "relation_to_head",
)


def correct_resident(
    session: Session,
    actor: Actor,
    personal_id: str,
    changes: dict[str, Any],
    expected_version: int,
    source: str,
) -> ResidentOut:
    """Correct recorded facts (a misspelt name, a wrong place of birth) with optimistic locking:
    the caller sends the version it saw, and a concurrent change makes this one a Conflict.

    Gender and date of birth can be corrected only where the personal ID still agrees with them.
    """
    require_writer(actor)
    resident = resident_for_change(session, actor, personal_id)
    src = _checked_correction(resident, changes, expected_version, source)
    new = {field: _corrected_value(field, value) for field, value in changes.items()}
    check_personal_id(
        resident.personal_id,
        new.get("date_of_birth", resident.date_of_birth),
        new.get("gender", resident.gender),
    )
    diff = {f: [getattr(resident, f), v] for f, v in new.items() if getattr(resident, f) != v}
    if not diff:
        return to_out(resident, household_code(session, resident.household_id))
    _apply_correction(resident, diff)
    bump(resident)
    write_history(session, actor, resident, "correction", diff, src)
    audit.record(
        session,
        actor,
        "resident.correct",
        "resident",
        resident.personal_id,
        {"fields": sorted(diff), "source": src},
    )
    session.flush()
    return to_out(resident, household_code(session, resident.household_id))


def _checked_correction(
    resident: Resident, changes: dict[str, Any], expected_version: int, source: str
) -> str:
    """The request itself: correctable fields only, a source cited, the version the caller saw
    still current. Returns the source as stored."""
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown or not changes:
        raise InvalidInput(
            "correction.fields",
            "Chỉ sửa được: " + ", ".join(CORRECTABLE) + ".",
            "Only these fields can be corrected: " + ", ".join(CORRECTABLE) + ".",
            fields=unknown,
        )
    src = source_text(source)
    if not src:
        raise InvalidInput(
            "source.missing",
            "Cần ghi căn cứ (nguồn) của việc sửa.",
            "Give the source (document) of the correction.",
            field="source",
        )
    if int(expected_version) != resident.version:
        raise Conflict(
            "resident.stale",
            "Hồ sơ đã được người khác cập nhật. Vui lòng tải lại và sửa lại.",
            "Someone else changed this record meanwhile. Reload it and correct it again.",
        )
    return src


def _corrected_value(field: str, value: Any) -> Any:
    """One corrected field's new value, checked and cleaned as a new record's would be."""
    if field in NAME_LIMITS:
        return clean_name_part(str(value or ""), field, required=field != "middle_name")
    if field == "gender":
        return valid_gender(str(value))
    if field == "date_of_birth":
        return past_date(value, field, not_before=EARLIEST)
    if field == "old_id":
        text = str(value or "").strip()
        if text and not is_cmnd(text):
            raise InvalidInput(
                "old_id.format",
                "Số CMND cũ phải gồm đúng 9 chữ số.",
                "An old CMND number has exactly 9 digits.",
                field="old_id",
            )
        return text or None
    if field == "phone":
        text = re.sub(r"[\s.\-]", "", str(value or ""))
        if text and not re.fullmatch(r"\+?\d{9,12}", text):
            raise InvalidInput(
                "phone.format",
                "Số điện thoại không hợp lệ.",
                "That is not a valid phone number.",
                field="phone",
            )
        return text or None
    return short_text(str(value or ""), field, 200, "Giá trị", "value")


def _apply_correction(resident: Resident, diff: dict[str, list[Any]]) -> None:
    """Write the corrected fields; a corrected name part also rebuilds the full name and its
    search keys (and the full name joins the diff)."""
    for field, (_, value) in diff.items():
        setattr(resident, field, value)
    if {"family_name", "middle_name", "given_name"} & set(diff):
        full = " ".join(p for p in (resident.family_name, resident.middle_name, resident.given_name) if p)
        diff["full_name"] = [resident.full_name, full]
        resident.full_name = full
        resident.search_key = fold(full)
        resident.given_key = fold(resident.given_name)
