"""The checks a change runs before its first write: who may write where, and each input as it
will be stored (names, short texts, dates, gender, a commune on the 2024 grid).
"""

from __future__ import annotations

import re
from datetime import date

from hue06.core import admin_units
from hue06.core.errors import Forbidden, InvalidInput
from hue06.core.personal_id import parse_gender, parse_vn_date
from hue06.core.security import Actor
from hue06.core.text import normalize_text, title_case_name
from hue06.registry.service._common import BASE_VERSION, WRITER_ROLES


def require_writer(actor: Actor) -> None:
    if actor.kind == "system":
        return
    if actor.kind != "official" or actor.role not in WRITER_ROLES:
        raise Forbidden(
            "registry.role",
            "Chỉ cán bộ cấp xã, huyện, tỉnh được cập nhật dữ liệu dân cư.",
            "Only commune, district and province officers may change the register.",
        )


def require_commune(actor: Actor, commune_code: str) -> None:
    if not actor.can_see_commune(commune_code):
        raise Forbidden(
            "registry.jurisdiction",
            "Đơn vị hành chính này ngoài phạm vi quản lý của bạn.",
            "That administrative unit is outside your jurisdiction.",
        )


_NAME_RE = re.compile(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*")
NAME_LIMITS = {"family_name": 40, "middle_name": 80, "given_name": 40}
_NAME_LABELS = {
    "family_name": ("Họ", "Family name"),
    "middle_name": ("Tên đệm", "Middle name"),
    "given_name": ("Tên", "Given name"),
}


def clean_name_part(value: str, field: str, *, required: bool = True) -> str:
    """A name part as stored: legacy fonts fixed, NFC, one tone style, title case; letters only."""
    vi, en = _NAME_LABELS[field]
    raw = value or ""
    if len(raw) > 4 * NAME_LIMITS[field]:
        raise _name_too_long(field, vi, en)
    text = title_case_name(normalize_text(raw)) if raw.strip() else ""
    if not text:
        if required:
            raise InvalidInput(
                f"{field}.missing", f"Chưa nhập {vi.lower()}.", f"Enter the {en.lower()}.", field=field
            )
        return ""
    if len(text) > NAME_LIMITS[field]:
        raise _name_too_long(field, vi, en)
    if not _NAME_RE.fullmatch(text):
        raise InvalidInput(
            f"{field}.invalid",
            f"{vi} chỉ được gồm chữ cái và khoảng trắng.",
            f"The {en.lower()} may contain only letters and spaces.",
            field=field,
        )
    return text


def _name_too_long(field: str, vi: str, en: str) -> InvalidInput:
    limit = NAME_LIMITS[field]
    return InvalidInput(
        f"{field}.too_long",
        f"{vi} quá dài (tối đa {limit} ký tự).",
        f"The {en.lower()} is too long (at most {limit} characters).",
        field=field,
    )


def short_text(value: str | None, field: str, limit: int, vi: str, en: str) -> str:
    text = normalize_text(value or "")
    if len(text) > limit:
        raise InvalidInput(
            f"{field}.too_long",
            f"{vi} quá dài (tối đa {limit} ký tự).",
            f"The {en} is too long (at most {limit} characters).",
            field=field,
        )
    return text


def source_text(value: str | None) -> str:
    """The source (document) a change cites, as stored."""
    return short_text(value, "source", 120, "Nguồn", "source")


def past_date(value: date | str, field: str, *, not_before: date | None = None) -> date:
    try:
        d = value if isinstance(value, date) else parse_vn_date(str(value)[:40])
    except InvalidInput as exc:
        exc.ctx["field"] = field
        raise
    if d > date.today():
        raise InvalidInput(
            "date.future", "Ngày không được ở tương lai.", "The date cannot be in the future.", field=field
        )
    if not_before is not None and d < not_before:
        raise InvalidInput(
            "date.order",
            f"Ngày không được trước ngày {not_before:%d/%m/%Y}.",
            f"The date cannot be before {not_before:%d/%m/%Y}.",
            field=field,
        )
    return d


def valid_gender(value: str) -> str:
    g = parse_gender(value or "")
    if g is None:
        raise InvalidInput(
            "gender.invalid",
            "Giới tính phải là Nam hoặc Nữ.",
            "Gender must be male or female.",
            field="gender",
        )
    return g


def commune_2024(code: str, field: str = "to_commune_code") -> str:
    """A 2024 commune code, or a later unit's code that covers exactly one 2024 commune."""
    text = (code or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise InvalidInput(
            "admin_unit.unknown",
            "Mã xã/phường không hợp lệ.",
            "That is not a valid commune code.",
            field=field,
        )
    try:
        if admin_units.get_unit(text, BASE_VERSION).level == "commune":
            return text  # records are kept on the 2024 grid: a 2024 code is read as such
    except InvalidInput:
        pass
    try:
        within = admin_units.communes_within(text)
    except InvalidInput as exc:
        exc.ctx["field"] = field
        raise
    if len(within) != 1:
        raise InvalidInput(
            "admin_unit.ambiguous",
            "Mã này gồm nhiều xã/phường cũ; hãy chọn xã/phường (trước 2025) nơi cư trú.",
            "That code covers several former communes; choose the commune (before 2025) of residence.",
            field=field,
        )
    return next(iter(within))
