"""The 12-digit personal ID (số định danh cá nhân), the old 9-digit CMND, genders and dates.

Structure (Decree 137/2015/NĐ-CP Art. 13, Circular 07/2016/TT-BCA, Circular 59/2021/TT-BCA Art. 4):
3 digits province of birth registration, 1 digit century + gender, 2 digits year of birth,
6 random digits. There is no check digit, so validation is format plus plausibility, and the
strongest check is agreement with the date of birth and gender recorded elsewhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hue06.core.errors import InvalidInput
from hue06.core.text import fold

__all__ = [
    "BIRTH_PROVINCE_CODES",
    "PersonalId",
    "check_personal_id",
    "classify_id",
    "is_cmnd",
    "make_personal_id",
    "parse_gender",
    "parse_personal_id",
    "parse_vn_date",
    "parse_vn_date_partial",
]

# Appendix I of Circular 07/2016/TT-BCA: the 63 provinces before the 2025 mergers. The codes of
# dissolved provinces stay valid inside numbers already issued.
BIRTH_PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

GENDERS = ("male", "female")


@dataclass(frozen=True)
class PersonalId:
    number: str
    province_code: str
    province_name: str
    gender: str
    birth_year: int
    serial: str


def _today(today: date | None) -> date:
    return today or date.today()


def parse_personal_id(s: str, *, today: date | None = None) -> PersonalId:
    """Read a 12-digit personal ID; surrounding spaces are fine, anything else is refused."""
    text = s.strip() if isinstance(s, str) else ""
    if not (len(text) == 12 and text.isascii() and text.isdigit()):
        if text and not (text.isascii() and text.isdigit()):
            raise InvalidInput(
                "personal_id.format",
                "Số định danh chỉ được gồm chữ số (có ký tự khác chữ số).",
                "A personal ID is made of digits only (found other characters).",
            )
        raise InvalidInput(
            "personal_id.format",
            f"Số định danh phải gồm đúng 12 chữ số (nhận được {len(text)}).",
            f"A personal ID has exactly 12 digits (got {len(text)}).",
            length=len(text),
        )
    province = text[:3]
    if province not in BIRTH_PROVINCE_CODES:
        raise InvalidInput(
            "personal_id.province",
            f"Ba chữ số đầu {province} không phải mã tỉnh nơi đăng ký khai sinh (Thông tư 07/2016/TT-BCA).",
            f"The first three digits {province} are not a province code of birth registration "
            "(Circular 07/2016/TT-BCA).",
            province_code=province,
        )
    century_digit = int(text[3])
    year = 1900 + 100 * (century_digit // 2) + int(text[4:6])
    if year > _today(today).year:
        raise InvalidInput(
            "personal_id.century",
            f"Chữ số thứ tư ({century_digit}) cho năm sinh {year}, ở tương lai.",
            f"The fourth digit ({century_digit}) gives a birth year of {year}, in the future.",
            birth_year=year,
        )
    return PersonalId(
        number=text,
        province_code=province,
        province_name=BIRTH_PROVINCE_CODES[province],
        gender="male" if century_digit % 2 == 0 else "female",
        birth_year=year,
        serial=text[6:],
    )


def _gender_or_raise(gender: str) -> str:
    parsed = parse_gender(gender)
    if parsed is None:
        raise InvalidInput(
            "gender.invalid",
            "Giới tính phải là Nam hoặc Nữ.",
            "Gender must be male or female.",
        )
    return parsed


def check_personal_id(
    s: str,
    date_of_birth: date | None = None,
    gender: str | None = None,
    *,
    today: date | None = None,
) -> PersonalId:
    """Parse, then check the number against the date of birth and gender recorded with it."""
    pid = parse_personal_id(s, today=today)
    if date_of_birth is not None:
        dob = date_of_birth.date() if isinstance(date_of_birth, datetime) else date_of_birth
        if dob > _today(today):
            raise _future_date()
        if dob.year != pid.birth_year:
            raise InvalidInput(
                "personal_id.birth_year_mismatch",
                f"Số định danh ứng với năm sinh {pid.birth_year} nhưng ngày sinh ghi năm {dob.year}.",
                f"The personal ID encodes birth year {pid.birth_year} but the date of birth is in {dob.year}.",
                id_year=pid.birth_year,
                dob_year=dob.year,
            )
    if gender is not None:
        wanted = _gender_or_raise(gender)
        if wanted != pid.gender:
            vi = {"male": "Nam", "female": "Nữ"}
            raise InvalidInput(
                "personal_id.gender_mismatch",
                f"Số định danh ứng với giới tính {vi[pid.gender]} nhưng hồ sơ ghi {vi[wanted]}.",
                f"The personal ID encodes gender {pid.gender} but the record says {wanted}.",
                id_gender=pid.gender,
                record_gender=wanted,
            )
    return pid


def make_personal_id(province_code: str, gender: str, birth_year: int, serial: int) -> str:
    """Build a well-formed number (for synthetic data; real numbers are issued by the police)."""
    code = str(province_code).zfill(3)
    if code not in BIRTH_PROVINCE_CODES:
        raise InvalidInput(
            "personal_id.province",
            f"Mã tỉnh {code} không có trong Thông tư 07/2016/TT-BCA.",
            f"Province code {code} is not in Circular 07/2016/TT-BCA.",
        )
    if gender not in GENDERS:
        raise InvalidInput(
            "gender.invalid", "Giới tính phải là Nam hoặc Nữ.", "Gender must be male or female."
        )
    if not 1900 <= birth_year <= 2399:
        raise InvalidInput(
            "personal_id.century",
            "Năm sinh phải trong khoảng 1900–2399.",
            "The birth year must be within 1900–2399.",
        )
    if not 0 <= serial <= 999_999:
        raise InvalidInput(
            "personal_id.serial",
            "Sáu chữ số cuối phải trong khoảng 000000–999999.",
            "The last six digits must be within 000000–999999.",
        )
    century_digit = 2 * ((birth_year - 1900) // 100) + (0 if gender == "male" else 1)
    return f"{code}{century_digit}{birth_year % 100:02d}{serial:06d}"


def has_id_shape(s: str) -> bool:
    """True for exactly 12 ASCII digits: the shape of a personal ID, before its parts are checked
    (a lookup key, not a validation — use `parse_personal_id` to check the parts)."""
    return isinstance(s, str) and len(s) == 12 and s.isascii() and s.isdigit()


def is_cmnd(s: str) -> bool:
    """True for an old identity-card number (CMND): exactly 9 digits."""
    if not isinstance(s, str):
        return False
    text = s.strip()
    return len(text) == 9 and text.isascii() and text.isdigit()


def classify_id(s: str) -> str:
    """ "personal_id" (a valid 12-digit number), "cmnd" (9 digits) or "invalid"."""
    if is_cmnd(s):
        return "cmnd"
    try:
        parse_personal_id(s)
    except InvalidInput:
        return "invalid"
    return "personal_id"


_MALE = frozenset({"nam", "m", "male", "trai"})
_FEMALE = frozenset({"nu", "f", "female", "gai"})


def parse_gender(word: str) -> str | None:
    """ "Nam"/"M"/"male" → "male", "Nữ"/"nu"/"F"/"female" → "female"; anything else → None.

    Digits are not guessed: files disagree on whether 1 means male or female.
    """
    if not isinstance(word, str):
        return None
    key = fold(word)
    if key in _MALE:
        return "male"
    if key in _FEMALE:
        return "female"
    return None


# --------------------------------------------------------------------------- dates

_DMY_RE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d+)")
_YMD_RE = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_WORDS_RE = re.compile(r"(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})\s*(?:nam|,)\s*(\d+)")
_MY_RE = re.compile(r"(?:thang\s*)?(\d{1,2})\s*(?:[/.\-]|\s*nam\s*)\s*(\d{4})")
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = 2_958_465  # 9999-12-31


def _future_date() -> InvalidInput:
    return InvalidInput(
        "date.future",
        "Ngày không được ở tương lai.",
        "The date cannot be in the future.",
    )


def _format_error() -> InvalidInput:
    return InvalidInput(
        "date.format",
        "Không đọc được ngày. Dùng dạng ngày/tháng/năm, ví dụ 05/03/1990.",
        "The date could not be read. Use day/month/year, e.g. 05/03/1990.",
    )


def _two_digit_year() -> InvalidInput:
    return InvalidInput(
        "date.format",
        "Năm phải ghi đủ 4 chữ số (ví dụ 1990, không phải 90).",
        "The year must have four digits (e.g. 1990, not 90).",
    )


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            "date.invalid",
            f"Ngày {day:02d}/{month:02d}/{year} không tồn tại.",
            f"The date {day:02d}/{month:02d}/{year} does not exist.",
        ) from None


def _from_excel_serial(serial: float) -> date:
    """Excel's 1900 date system, including its phantom 29 Feb 1900 (serial 60)."""
    if isinstance(serial, float) and not math.isfinite(serial):
        raise _format_error()
    whole = math.floor(serial)
    if whole == 60:
        raise InvalidInput(
            "date.invalid",
            "Ngày 29/02/1900 không tồn tại (lỗi của Excel).",
            "29/02/1900 does not exist (an Excel artefact).",
        )
    if not 1 <= whole <= _EXCEL_MAX:
        raise _format_error()
    if whole < 60:
        return date(1899, 12, 31) + timedelta(days=whole)
    return _EXCEL_EPOCH + timedelta(days=whole)


def _parse_date_text(text: str) -> date:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        if len(text) == 8 and "." not in text:  # ddmmyyyy, as on the CCCD QR code
            return _make_date(int(text[4:]), int(text[2:4]), int(text[:2]))
        if len(text) == 4 and 1800 <= int(text) <= 2200:
            raise InvalidInput(
                "date.year_only",
                "Chỉ có năm, thiếu ngày và tháng.",
                "Only a year was given; the day and month are missing.",
            )
        return _from_excel_serial(float(text))
    if m := _YMD_RE.fullmatch(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    key = fold(text)
    for pattern in (_DMY_RE, _WORDS_RE):
        if m := pattern.fullmatch(key):
            if len(m[3]) == 2:
                raise _two_digit_year()
            if len(m[3]) != 4:
                raise _format_error()
            return _make_date(int(m[3]), int(m[2]), int(m[1]))
    raise _format_error()


def parse_vn_date(
    s: str | int | float | date | datetime,
    *,
    allow_future: bool = False,
    today: date | None = None,
) -> date:
    """Read a date as Vietnamese files write it: 05/03/1990, 5-3-1990, 05.03.1990, 1990-03-05,
    "ngày 05 tháng 3 năm 1990", 05031990, an Excel serial number, or a date object.

    Two-digit years are refused (is "05/03/25" 1925 or 2025?); so are impossible dates and,
    unless allowed, dates in the future.
    """
    if isinstance(s, datetime):
        result = s.date()
    elif isinstance(s, date):
        result = s
    elif isinstance(s, bool):
        raise _format_error()
    elif isinstance(s, int | float):
        result = _from_excel_serial(s)
    elif isinstance(s, str):
        text = " ".join(s.split())
        if not text:
            raise _format_error()
        result = _parse_date_text(text)
    else:
        raise _format_error()
    if not allow_future and result > _today(today):
        raise _future_date()
    return result


def parse_vn_date_partial(
    s: str | int | float | date | datetime,
    *,
    today: date | None = None,
) -> tuple[int | None, int | None, int]:
    """(day, month, year) where day and month may be unknown: "1990" → (None, None, 1990),
    "03/1990" → (None, 3, 1990). Sector files often hold only a year of birth."""
    year: int | None = None
    month: int | None = None
    if isinstance(s, int) and not isinstance(s, bool) and 1800 <= s <= 2200:
        year = s
    elif isinstance(s, str):
        text = " ".join(s.split())
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
        elif m := _MY_RE.fullmatch(fold(text)):
            month, year = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise InvalidInput(
                    "date.invalid",
                    f"Tháng {month} không tồn tại.",
                    f"Month {month} does not exist.",
                )
    if year is not None:
        now = _today(today)
        if year > now.year or (month is not None and (year, month) > (now.year, now.month)):
            raise _future_date()
        return None, month, year
    full = parse_vn_date(s, today=today)
    return full.day, full.month, full.year
