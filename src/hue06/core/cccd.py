"""The string in the QR code of a chip-based CCCD card.

Format: `ID|old CMND|full name|ddmmyyyy|Nam/Nữ|permanent address|ddmmyyyy (issue date)`.
Scanners that type like a keyboard drop or mangle fields, and some cards or apps leave out the
CMND slot, so the parser is defensive but never guesses a field it cannot check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hue06.core.errors import InvalidInput
from hue06.core.personal_id import check_personal_id, parse_gender
from hue06.core.text import normalize_text

__all__ = ["CccdQr", "parse_cccd_qr"]


@dataclass(frozen=True)
class CccdQr:
    personal_id: str
    old_id: str | None
    full_name: str
    date_of_birth: date
    gender: str
    address: str
    issue_date: date | None


def _format_error(detail_vi: str, detail_en: str) -> InvalidInput:
    return InvalidInput(
        "cccd_qr.format",
        f"Mã QR trên thẻ căn cước không đúng định dạng: {detail_vi}",
        f"The ID card's QR code is not in the expected format: {detail_en}",
    )


def _qr_date(text: str, what_vi: str, what_en: str) -> date:
    if not re.fullmatch(r"\d{8}", text):
        raise InvalidInput(
            "cccd_qr.date",
            f"{what_vi} trong mã QR phải có dạng ngàythángnăm (8 chữ số).",
            f"The {what_en} in the QR code must be ddmmyyyy (8 digits).",
        )
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise InvalidInput(
            "cccd_qr.date",
            f"{what_vi} trong mã QR không phải một ngày có thật.",
            f"The {what_en} in the QR code is not a real date.",
        ) from None


def _looks_like_name(text: str) -> bool:
    return bool(text) and not any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def parse_cccd_qr(s: str, *, today: date | None = None) -> CccdQr:
    """Read and check a CCCD QR string; raises InvalidInput (cccd_qr.*, personal_id.*)."""
    if not isinstance(s, str) or "|" not in s:
        raise _format_error("không có các trường cách nhau bởi dấu |.", "no '|'-separated fields.")
    fields = [f.strip() for f in s.strip().split("|")]
    if len(fields) == 6 and _looks_like_name(fields[1]):
        fields.insert(1, "")  # the CMND slot is missing
    if len(fields) < 7:
        raise _format_error(
            f"cần 7 trường, chỉ có {len(fields)}.",
            f"7 fields are needed, found {len(fields)}.",
        )
    number, old_id, name, dob_text, gender_text, address, issue_text = fields[:7]

    if old_id and not (old_id.isascii() and old_id.isdigit() and len(old_id) in (9, 12)):
        raise _format_error("số CMND cũ phải gồm 9 hoặc 12 chữ số.", "the old ID must have 9 or 12 digits.")
    full_name = normalize_text(name)
    if not _looks_like_name(full_name):
        raise _format_error("thiếu họ tên.", "the full name is missing.")
    gender = parse_gender(gender_text)
    if gender is None:
        raise _format_error("giới tính phải là Nam hoặc Nữ.", "the gender must be Nam or Nữ.")
    dob = _qr_date(dob_text, "Ngày sinh", "date of birth")
    issue = _qr_date(issue_text, "Ngày cấp", "issue date") if issue_text else None

    check_personal_id(number, dob, gender, today=today)
    if issue is not None and (issue < dob or issue > (today or date.today())):
        raise InvalidInput(
            "cccd_qr.date",
            "Ngày cấp trong mã QR phải sau ngày sinh và không ở tương lai.",
            "The issue date in the QR code must be after the date of birth and not in the future.",
        )
    return CccdQr(
        personal_id=number,
        old_id=old_id or None,
        full_name=full_name,
        date_of_birth=dob,
        gender=gender,
        address=normalize_text(address),
        issue_date=issue,
    )
