"""The fields a sector file can carry, the sectors, and the header names that mean each field.

Sector files are typed by hand in many offices, so one field has many headers ("Họ và tên",
"Họ tên", "HO TEN", "Họ và tên người hưởng"). Headers are compared folded (no marks, lower
case, punctuation as spaces, text in brackets dropped), so "NGÀY SINH (dd/mm/yyyy)" is
"ngay sinh".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hue06.core.text import fold, normalize_text

SECTORS: dict[str, tuple[str, str]] = {
    "health_insurance": ("Bảo hiểm y tế", "Health insurance"),
    "social_insurance": ("Bảo hiểm xã hội", "Social insurance"),
    "welfare": ("Đối tượng bảo trợ xã hội, người có công", "Welfare beneficiaries"),
    "workers": ("Người lao động", "Workers"),
    "civil_status": ("Hộ tịch", "Civil status"),
    "tax": ("Thuế", "Tax"),
    "association": ("Hội viên, đoàn viên", "Association members"),
    "vehicle": ("Chủ phương tiện", "Vehicle owners"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label_vi: str
    label_en: str
    kind: str  # id, name, date, year, day, month, gender, mark, commune, district, address, seq


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("seq", "Số thứ tự", "Row number", "seq"),
        Field("personal_id", "Số định danh cá nhân / CCCD", "Personal ID", "id"),
        Field("old_id", "Số CMND cũ", "Old ID card number (CMND)", "id"),
        Field("full_name", "Họ và tên", "Full name", "name"),
        Field("family_name", "Họ", "Family name", "name"),
        Field("middle_name", "Tên đệm", "Middle name", "name"),
        Field("given_name", "Tên", "Given name", "name"),
        Field("family_middle", "Họ và tên đệm", "Family and middle name", "name"),
        Field("date_of_birth", "Ngày sinh", "Date of birth", "date"),
        Field("birth_year", "Năm sinh", "Year of birth", "year"),
        Field("birth_month", "Tháng sinh", "Month of birth", "month"),
        Field("birth_day", "Ngày (sinh)", "Day of birth", "day"),
        Field("dob_male", "Ngày sinh (cột Nam)", "Date of birth (male column)", "date"),
        Field("dob_female", "Ngày sinh (cột Nữ)", "Date of birth (female column)", "date"),
        Field("gender", "Giới tính", "Gender", "gender"),
        Field("gender_male", "Giới tính: Nam (đánh dấu)", "Gender: male (mark)", "mark"),
        Field("gender_female", "Giới tính: Nữ (đánh dấu)", "Gender: female (mark)", "mark"),
        Field("commune", "Xã/phường", "Commune", "commune"),
        Field("district", "Quận/huyện", "District", "district"),
        Field("address", "Địa chỉ / nơi thường trú", "Address / permanent residence", "address"),
    )
}

# Fields compared with the register, in the order the differences are listed.
COMPARED = (
    "personal_id",
    "old_id",
    "family_name",
    "middle_name",
    "given_name",
    "date_of_birth",
    "gender",
    "commune",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("stt", "tt", "so tt", "so thu tu", "thu tu", "no"),
    "personal_id": (
        "so cccd",
        "cccd",
        "so can cuoc",
        "can cuoc",
        "so can cuoc cong dan",
        "can cuoc cong dan",
        "so the can cuoc",
        "so dinh danh",
        "so dinh danh ca nhan",
        "dinh danh ca nhan",
        "ma dinh danh",
        "ma so dinh danh",
        "so ddcn",
        "ddcn",
        "ma ddcn",
        "cmnd cccd",
        "so cmnd cccd",
        "cccd cmnd",
        "so cccd cmnd",
        "so cmnd cccd ddcn",
        "so cccd ddcn",
        "so dinh danh cccd",
        "cccd ddcn",
        "so cmnd cccd hc",
        "so giay to tuy than",
        "giay to tuy than",
        "so cmt cccd",
        "cmt cccd",
        "so dinh danh cmnd",
        "personal id",
        "id number",
    ),
    "old_id": (
        "cmnd",
        "so cmnd",
        "so chung minh",
        "so chung minh nhan dan",
        "chung minh nhan dan",
        "cmnd cu",
        "so cmnd cu",
        "so cmt",
        "cmt",
        "old id",
    ),
    "full_name": (
        "ho va ten",
        "ho ten",
        "ho ten day du",
        "ho va ten day du",
        "ten day du",
        "chu xe",
        "ten chu xe",
        "chu phuong tien",
        "ten chu phuong tien",
        "chu so huu",
        "ten nguoi nop thue",
        "nguoi nop thue",
        "ho ten nguoi nop thue",
        "ten hoi vien",
        "ten doan vien",
        "ten thanh vien",
        "ten nguoi lao dong",
        "ten doi tuong",
        "doi tuong",
        "full name",
        "name",
    ),
    "family_name": ("ho", "family name", "surname"),
    "middle_name": ("ten dem", "dem", "chu dem", "ten lot", "lot", "middle name"),
    "given_name": ("ten", "ten goi", "given name", "first name"),
    "family_middle": (
        "ho dem",
        "ho va dem",
        "ho va chu dem",
        "ho va ten dem",
        "ho chu dem",
        "ho va ten lot",
        "ho ten dem",
        "ho lot",
    ),
    "date_of_birth": (
        "ngay sinh",
        "ngay thang nam sinh",
        "ngay thang nam",
        "sinh ngay",
        "ns",
        "ngay sinh dd mm yyyy",
        "ngay sinh ngay thang nam",
        "date of birth",
        "dob",
        "birth date",
    ),
    "birth_year": ("nam sinh", "year of birth", "birth year"),
    "gender": ("gioi tinh", "gioi", "phai", "gt", "nam nu", "nam hoac nu", "gender", "sex"),
    "commune": (
        "xa",
        "phuong",
        "xa phuong",
        "phuong xa",
        "xa phuong thi tran",
        "phuong xa thi tran",
        "ma xa",
        "ma phuong xa",
        "ma xa phuong",
        "ma don vi hanh chinh",
        "don vi hanh chinh",
        "don vi hanh chinh cap xa",
        "dia ban",
        "dia ban xa",
        "xa phuong tt",
        "commune",
        "commune code",
    ),
    "district": (
        "huyen",
        "quan huyen",
        "huyen thi xa thanh pho",
        "huyen thi xa tp",
        "ma huyen",
        "quan huyen thi xa",
        "district",
    ),
    "address": (
        "dia chi",
        "noi thuong tru",
        "dia chi thuong tru",
        "noi o hien nay",
        "noi o hien tai",
        "noi cu tru",
        "cho o hien nay",
        "noi o",
        "dia chi lien he",
        "dia chi cu tru",
        "thuong tru",
        "address",
    ),
}

_PREFIXES: tuple[tuple[str, str], ...] = (
    # Long headers: "Họ và tên người được hưởng", "Ngày sinh của đối tượng", "Địa chỉ nơi ở".
    ("ho va ten ", "full_name"),
    ("ho ten ", "full_name"),
    ("ngay thang nam sinh ", "date_of_birth"),
    ("ngay sinh ", "date_of_birth"),
    ("nam sinh ", "birth_year"),
    ("gioi tinh ", "gender"),
    ("so dinh danh ", "personal_id"),
    ("so cccd ", "personal_id"),
    ("dia chi ", "address"),
    ("noi thuong tru ", "address"),
)

_LOOKUP: dict[str, str] = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}

_BRACKETS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_PUNCT_RE = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """ "NGÀY SINH\n(dd/mm/yyyy)" → "ngay sinh"; "CMND/CCCD" → "cmnd cccd"."""
    key = fold(str(text))
    without = _BRACKETS_RE.sub(" ", key)
    if without.strip():
        key = without
    return " ".join(_PUNCT_RE.sub(" ", key).split())


def field_for_header(text: object) -> str | None:
    """The field a header names, or None when the header is not one sectors are known to use."""
    if text is None:
        return None
    key = header_key(str(text))
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    for prefix, name in _PREFIXES:
        if key.startswith(prefix):
            return name
    return None


# Sub-headers under a merged header cell ("Ngày sinh" over "Nam" | "Nữ", "Giới tính" over "Nam" | "Nữ",
# "Ngày sinh" over "Ngày" | "Tháng" | "Năm", "Họ và tên" over "Họ" | "Tên đệm" | "Tên").
_SUB_UNDER: dict[tuple[str, str], str] = {
    ("date_of_birth", "male"): "dob_male",
    ("date_of_birth", "female"): "dob_female",
    ("birth_year", "male"): "dob_male",
    ("birth_year", "female"): "dob_female",
    ("date_of_birth", "day"): "birth_day",
    ("date_of_birth", "month"): "birth_month",
    ("date_of_birth", "year"): "birth_year",
    ("gender", "male"): "gender_male",
    ("gender", "female"): "gender_female",
    ("full_name", "family"): "family_name",
    ("full_name", "middle"): "middle_name",
    ("full_name", "given"): "given_name",
    ("full_name", "family_middle"): "family_middle",
    ("personal_id", "number"): "personal_id",
    ("old_id", "number"): "old_id",
}

_SUB_WORDS: dict[str, str] = {
    "nu": "female",
    "female": "female",
    "ngay": "day",
    "day": "day",
    "thang": "month",
    "month": "month",
    "ho": "family",
    "ten dem": "middle",
    "dem": "middle",
    "ten lot": "middle",
    "ten": "given",
    "ho dem": "family_middle",
    "ho va ten dem": "family_middle",
    "ho va dem": "family_middle",
    "so": "number",
    "ngay cap": "issued",
    "noi cap": "issued_by",
    "ma": "code",
}


def sub_header_meaning(text: object, siblings: set[str]) -> str | None:
    """What a sub-header cell means: "male", "female", "day", "month", "year", "family", ...

    "Nam" (male) and "Năm" (year) fold alike; with marks they differ, without marks the
    neighbours decide (beside "Nữ" it is male, beside "Ngày"/"Tháng" it is the year).
    """
    if text is None:
        return None
    key = header_key(str(text))
    if key == "nam":
        if "ă" in normalize_text(str(text)).lower():
            return "year"
        return "year" if {"day", "month"} & siblings else "male"
    if key in ("male", "year"):
        return key
    return _SUB_WORDS.get(key)


def field_under(parent: str | None, meaning: str | None) -> str | None:
    if parent is None or meaning is None:
        return None
    return _SUB_UNDER.get((parent, meaning))


def column_letter(index: int) -> str:
    """0 → "A", 27 → "AB" (how officials name a spreadsheet column)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letter: str) -> int | None:
    letter = letter.strip().upper()
    if not letter or not letter.isalpha() or not letter.isascii() or len(letter) > 3:
        return None
    n = 0
    for ch in letter:
        n = n * 26 + (ord(ch) - 64)
    return n - 1
