"""Standardise a sector file's rows: names, IDs, dates, genders and communes in one form.

Everything is cached by value (a province has a few thousand distinct name words, dates and
addresses repeat), so a million rows standardise in seconds, not minutes. The output is
column lists, ready to go into DuckDB as one Arrow table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from hue06.core import admin_units
from hue06.core.errors import InvalidInput
from hue06.core.personal_id import BIRTH_PROVINCE_CODES, parse_gender, parse_vn_date, parse_vn_date_partial
from hue06.core.text import fold, normalize_text, split_name
from hue06.quality.importers import DataRow, ImportedFile
from hue06.quality.mapping import ColumnMapping

# Why a row could not be used at all (status "invalid"), in both languages.
INVALID_REASONS: dict[str, tuple[str, str]] = {
    "encoding": (
        "Dòng không đọc được (sai bảng mã hoặc ký tự lạ).",
        "The line cannot be read (wrong encoding or stray bytes).",
    ),
    "csv": ("Dòng CSV hỏng (dấu ngoặc kép không đóng).", "Broken CSV line (an unclosed quote)."),
    "columns": (
        "Dòng có nhiều cột hơn dòng tiêu đề (dữ liệu bị lệch cột).",
        "The line has more columns than the header (the data is shifted).",
    ),
    "no_key": ("Không có số định danh hợp lệ và không có họ tên.", "No valid personal ID and no name."),
}

# Softer problems: the row is still matched; the problem is reported beside the result.
PROBLEMS: dict[str, tuple[str, str]] = {
    "personal_id:format": ("Số định danh sai định dạng.", "The personal ID is malformed."),
    "personal_id:province": (
        "Số định danh có mã tỉnh không tồn tại.",
        "The personal ID has an unknown province code.",
    ),
    "personal_id:year": (
        "Số định danh không khớp năm sinh.",
        "The personal ID does not match the birth year.",
    ),
    "personal_id:gender": (
        "Số định danh không khớp giới tính.",
        "The personal ID does not match the gender.",
    ),
    "personal_id:leading_zero": (
        "Số định danh mất số 0 ở đầu (ô dạng số).",
        "The personal ID lost its leading zero (a number cell).",
    ),
    "old_id:format": ("Số CMND sai định dạng.", "The old ID number is malformed."),
    "full_name:not_a_name": ("Cột họ tên chứa chữ số.", "The name column holds digits."),
    "date_of_birth:unreadable": ("Không đọc được ngày sinh.", "The date of birth cannot be read."),
    "date_of_birth:month_day": (
        "Ngày sinh ghi theo kiểu tháng/ngày.",
        "The date of birth is written month/day.",
    ),
    "date_of_birth:year_only": ("Chỉ có năm sinh.", "Only the year of birth is given."),
    "gender:unreadable": ("Không đọc được giới tính.", "The gender cannot be read."),
    "commune:unknown": ("Không nhận ra xã/phường.", "The commune is not recognised."),
}

STD_COLUMNS = (
    "uid",
    "line",
    "id_raw",
    "id_key",
    "cmnd_raw",
    "cmnd_key",
    "name_raw",
    "family",
    "middle",
    "given",
    "family_key",
    "middle_key",
    "given_key",
    "name_plain",
    "dob",
    "dob_y",
    "dob_m",
    "dob_d",
    "dob_raw",
    "gender",
    "gender_raw",
    "commune_raw",
    "commune_2024",
    "commune_now",
    "problems",
    "invalid",
    "part_family",
    "part_middle",
    "part_given",
)


# --------------------------------------------------------------------------- names

_BRACKETS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_NAME_RE = re.compile(r"[^\w\s'\u0300-\u036f]|[\d_]")


@lru_cache(maxsize=100_000)
def _word(raw: str) -> tuple[str, str, bool]:
    """(normalised title-case word, folded word, written without any diacritic)."""
    norm = normalize_text(raw)
    norm = norm[:1].upper() + norm[1:].lower()
    key = fold(norm)
    return norm, key, norm.lower() == key


@lru_cache(maxsize=20_000)
def _family_len(first: str, second: str) -> int:
    """2 for compound family names (Tôn Thất, Nguyễn Phước...), else 1."""
    return len(split_name(f"{first} {second} X").family.split())


@dataclass(frozen=True)
class Name:
    family: str
    middle: str
    given: str
    family_key: str
    middle_key: str
    given_key: str
    plain: bool

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.family, self.middle, self.given) if p)


EMPTY_NAME = Name("", "", "", "", "", "", False)


def _words(text: str) -> list[tuple[str, str, bool]]:
    cleaned = _NOT_NAME_RE.sub(" ", _BRACKETS_RE.sub(" ", text))
    return [_word(w) for w in cleaned.split()]


def _join(words: list[tuple[str, str, bool]]) -> tuple[str, str]:
    return " ".join(w[0] for w in words), " ".join(w[1] for w in words)


def name_from_full(text: str) -> Name:
    words = _words(text)
    if not words:
        return EMPTY_NAME
    plain = all(w[2] for w in words)
    if len(words) == 1:
        return Name("", "", words[0][0], "", "", words[0][1], plain)
    flen = _family_len(words[0][0], words[1][0]) if len(words) >= 3 else 1
    family, family_key = _join(words[:flen])
    middle, middle_key = _join(words[flen:-1])
    return Name(family, middle, words[-1][0], family_key, middle_key, words[-1][1], plain)


def name_from_parts(family: str, middle: str, given: str, family_middle: str = "") -> Name:
    if family_middle and not family:
        fm = _words(family_middle)
        flen = _family_len(fm[0][0], fm[1][0]) if len(fm) >= 3 else 1
        f_words, m_words = fm[:flen], fm[flen:]
    else:
        f_words, m_words = _words(family), _words(middle)
    g_words = _words(given)
    if not g_words and not f_words:
        return EMPTY_NAME
    everything = f_words + m_words + g_words
    plain = all(w[2] for w in everything)
    fam, fam_key = _join(f_words)
    mid, mid_key = _join(m_words)
    giv, giv_key = _join(g_words)
    return Name(fam, mid, giv, fam_key, mid_key, giv_key, plain)


# --------------------------------------------------------------------------- IDs

_ID_JUNK_RE = re.compile(r"[\s.\-'`’_/]")


def clean_id(value: Any, from_number: bool) -> tuple[str, bool]:
    """Digits of an ID cell and whether a lost leading zero was put back (number cells, and
    11-digit text that went through Excel: every 12-digit personal ID starts with 0)."""
    if value is None:
        return "", False
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        text = _ID_JUNK_RE.sub("", str(value)).removesuffix(".0")
    if text.isascii() and text.isdigit():
        if len(text) == 11:
            return "0" + text, True
        if len(text) == 8 and from_number:
            return "0" + text, True
    return text, False


_THREE_DIGITS_RE = re.compile(r"\d.*\d.*\d")
_THIS_YEAR = date.today().year


def _id_trouble(digits: str) -> str | None:
    """Why a 12-digit number is not a personal ID (unknown province, a birth year in the
    future), or None; the same rules as core.personal_id.parse_personal_id, without raising."""
    if digits[:3] not in BIRTH_PROVINCE_CODES:
        return "personal_id:province"
    century = int(digits[3])
    if 1900 + 100 * (century // 2) + int(digits[4:6]) > _THIS_YEAR:
        return "personal_id:format"
    return None


# --------------------------------------------------------------------------- dates

Partial = tuple[int | None, int | None, int | None, str | None]  # day, month, year, problem


@lru_cache(maxsize=200_000)
def _date_text(text: str) -> Partial:
    try:
        d, m, y = parse_vn_date_partial(text)
        return d, m, y, ("date_of_birth:year_only" if d is None and m is None else None)
    except InvalidInput as exc:
        if exc.code == "date.invalid":
            swapped = re.fullmatch(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*[/.\-]\s*(\d{4})", text)
            if swapped:
                first, second, year = int(swapped[1]), int(swapped[3]), int(swapped[4])
                try:
                    d0 = date(year, first, second)
                except ValueError:
                    return None, None, None, "date_of_birth:unreadable"
                return d0.day, d0.month, d0.year, "date_of_birth:month_day"
        return None, None, None, "date_of_birth:unreadable"


def parse_birth(value: Any) -> Partial:
    if value is None or value == "":
        return None, None, None, None
    if isinstance(value, datetime):
        return value.day, value.month, value.year, None
    if isinstance(value, date):
        return value.day, value.month, value.year, None
    if isinstance(value, bool):
        return None, None, None, "date_of_birth:unreadable"
    if isinstance(value, int | float):
        if float(value).is_integer() and 1800 <= value <= 2200:
            return None, None, int(value), "date_of_birth:year_only"
        try:
            d = parse_vn_date(value)
        except InvalidInput:
            return None, None, None, "date_of_birth:unreadable"
        return d.day, d.month, d.year, None
    return _date_text(str(value).strip())


@lru_cache(maxsize=1_000)
def _gender(text: str) -> str | None:
    return parse_gender(text)


def _int(value: Any) -> int | None:
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- communes


@dataclass(frozen=True)
class Place:
    commune_2024: str | None
    commune_now: str | None


NO_PLACE = Place(None, None)
_KIND_RE = re.compile(r"^(phuong|xa|thi tran|p|x|tt)[.\s]", re.IGNORECASE)
_SPLIT_RE = re.compile(r"[,;\n]")


def _place_of(unit: admin_units.Unit) -> Place:
    province = admin_units.load_province()
    try:
        now = province.to_version(unit.code, province.latest_version, from_version=unit.version).code
    except InvalidInput:
        now = None
    if unit.version == province.base_version:
        base = unit.code
    else:
        within = province.communes_within(unit.code, unit.version)
        base = next(iter(within)) if len(within) == 1 else None
    return Place(base, now)


@lru_cache(maxsize=50_000)
def _commune_by_name(text: str, district: str | None) -> Place:
    unit = admin_units.find_commune(text, district=district or None)
    province = admin_units.load_province()
    if unit is None:
        # Old and new names that fold alike ("Thuận Hòa" 2024, "Thuận Hóa" 2025): the marks decide.
        wanted = normalize_text(text).lower()
        exact = [
            u
            for v in reversed(province.versions)
            for u in province.communes(v.name)
            if u.name.lower() == wanted or u.short_name.lower() == wanted
        ]
        if len({u.code for u in exact}) == 1:
            unit = exact[0]
    if unit is None:
        # A name used by different units in different versions: the most recent reading wins.
        for version in reversed(province.versions):
            unit = admin_units.find_commune(text, version.name, district=district or None)
            if unit is not None:
                break
    return _place_of(unit) if unit is not None else NO_PLACE


@lru_cache(maxsize=5_000)
def _commune_by_code(code: str, version: str | None) -> Place:
    """A numeric commune code read in `version` ("latest-first" reads today's list first,
    None or "oldest-first" the 2024 list first, a version name that list only)."""
    province = admin_units.load_province()
    have = province.versions_with(code)
    if not have:
        return NO_PLACE
    if version == LATEST_FIRST:
        chosen = province.latest_version if province.latest_version in have else have[0]
    elif version in (None, OLDEST_FIRST):
        chosen = have[0]
    elif version in have:
        chosen = version
    else:
        return NO_PLACE
    unit = province.get_unit(code, chosen)
    if unit.level != "commune":
        return NO_PLACE
    return _place_of(unit)


@lru_cache(maxsize=200_000)
def _commune_in_address(text: str) -> Place:
    """ "Thôn 3, Xã Phú Thượng, Huyện Phú Vang, Tỉnh Thừa Thiên Huế": the part naming a commune,
    with the next part as the district that settles names used twice."""
    parts = [p.strip() for p in _SPLIT_RE.split(text) if p.strip()]
    found: list[Place] = []
    for i, part in enumerate(parts):
        key = fold(part)
        if not _KIND_RE.match(key + " ") and i < len(parts) - 1 and len(parts) > 1:
            continue
        district = parts[i + 1] if i + 1 < len(parts) else None
        place = _commune_by_name(part, district)
        if place == NO_PLACE and district:
            place = _commune_by_name(part, None)
        if place != NO_PLACE:
            found.append(place)
            if _KIND_RE.match(key + " "):
                break
    return found[0] if found else NO_PLACE


LATEST_FIRST = "latest-first"
OLDEST_FIRST = "oldest-first"


def code_version(codes: list[str]) -> str | None:
    """How to read a file's numeric commune codes. Codes were reused after the 2025 mergers (every
    code of today's 40 communes was a 2024 commune's code), so one code alone can be read two
    ways; the file as a whole decides. When nearly all rows carry one of today's codes the file
    is on today's list (a few old codes are stragglers, read in the old list); otherwise the file
    is on the 2024 list."""
    province = admin_units.load_province()
    known = [c for c in codes if c and province.versions_with(c)]
    if not known:
        return None
    latest = {u.code for u in province.communes(province.latest_version)}
    share = sum(1 for c in known if c in latest) / len(known)
    return LATEST_FIRST if share >= 0.8 else OLDEST_FIRST


# --------------------------------------------------------------------------- rows


@dataclass
class StdTable:
    """Standardised rows as columns (STD_COLUMNS), plus counts for the report."""

    columns: dict[str, list[Any]]
    problem_counts: dict[str, int]
    invalid_counts: dict[str, int]

    def __len__(self) -> int:
        return len(self.columns["uid"])


class Standardiser:
    def __init__(self, mapping: ColumnMapping, width: int, commune_version: str | None = None) -> None:
        self.cols = mapping.columns
        self.width = width
        self.commune_version = commune_version or mapping.commune_version

    def _get(self, cells: tuple[Any, ...], name: str) -> Any:
        i = self.cols.get(name)
        if i is None or i >= len(cells):
            return None
        return cells[i]

    def _birth_parts(self, cells: tuple[Any, ...]) -> Partial:
        """Day, month and year in three columns (under a merged "Ngày sinh")."""
        y = _int(self._get(cells, "birth_year"))
        m = _int(self._get(cells, "birth_month"))
        d = _int(self._get(cells, "birth_day"))
        if y is None:
            return None, None, None, None
        if not 1850 <= y <= date.today().year:
            return None, None, None, "date_of_birth:unreadable"
        if m is not None and d is not None:
            try:
                date(y, m, d)
            except ValueError:
                return None, None, y, "date_of_birth:unreadable"
            return d, m, y, None
        if m is not None and 1 <= m <= 12:
            return None, m, y, None
        return None, None, y, "date_of_birth:year_only"

    def row(self, data: DataRow) -> dict[str, Any]:
        cells = data.cells
        problems: list[str] = []
        out: dict[str, Any] = {"uid": data.row, "line": data.line}
        invalid = None
        if cells and isinstance(cells[0], str) and cells[0].startswith("\x00"):
            invalid = "encoding" if cells[0] == "\x00encoding" else "csv"
            cells = ()
        elif len(cells) > self.width and any(c not in (None, "") for c in cells[self.width :]):
            invalid = "columns"

        # IDs: a 12-digit value is a personal ID and a 9-digit one a CMND, whichever column holds it.
        id_key = cmnd_key = None
        id_raw = cmnd_raw = ""
        for name in ("personal_id", "old_id"):
            raw = self._get(cells, name)
            if raw is None:
                continue
            digits, padded = clean_id(raw, self.cols.get(name) in data.from_number)
            if name == "personal_id":
                id_raw = str(raw) if not isinstance(raw, float) else digits
            else:
                cmnd_raw = str(raw) if not isinstance(raw, float) else digits
            if len(digits) == 12 and digits.isdigit():
                if id_key is None:
                    trouble = _id_trouble(digits)
                    if trouble is None:
                        id_key = digits
                        if padded:
                            problems.append("personal_id:leading_zero")
                    else:
                        problems.append(trouble)
            elif len(digits) == 9 and digits.isdigit():
                cmnd_key = cmnd_key or digits
            elif digits:
                problems.append("personal_id:format" if name == "personal_id" else "old_id:format")

        # Name.
        full = self._get(cells, "full_name")
        if full is not None and not isinstance(full, str):
            full = str(full)
        if full and _THREE_DIGITS_RE.search(full):
            problems.append("full_name:not_a_name")
            full = None
        own = None
        if full:
            name = name_from_full(full)
            name_raw = full
        else:
            parts = [
                self._get(cells, f) for f in ("family_name", "middle_name", "given_name", "family_middle")
            ]
            parts = ["" if p is None else str(p) for p in parts]
            own = name_from_parts(parts[0], parts[1], parts[2], parts[3])
            name_raw = " ".join(
                p for p in (parts[3] or parts[0], parts[1] if not parts[3] else "", parts[2]) if p
            )
            # Matching splits every name the same way (the file's columns and the register may
            # disagree on "Nguyễn Phúc" as a family name or as family + middle name).
            name = name_from_full(own.full) if own.given else own
        out.update(
            name_raw=name_raw,
            family=name.family,
            middle=name.middle,
            given=name.given,
            family_key=name.family_key,
            middle_key=name.middle_key,
            given_key=name.given_key,
            name_plain=name.plain if name.given else None,
            part_family=own.family if own else None,
            part_middle=own.middle if own else None,
            part_given=own.given if own else None,
        )

        # Date of birth (and gender from "Nam"/"Nữ" date columns).
        gender_from_column = None
        raw_dob = self._get(cells, "date_of_birth")
        if raw_dob is None:
            male, female = self._get(cells, "dob_male"), self._get(cells, "dob_female")
            if male is not None and female is None:
                raw_dob, gender_from_column = male, "male"
            elif female is not None and male is None:
                raw_dob, gender_from_column = female, "female"
        d, m, y, problem = parse_birth(raw_dob)
        if raw_dob is None:
            d, m, y, problem = self._birth_parts(cells)
            raw_dob = "/".join(str(p) for p in (d, m, y) if p is not None) or None
        if problem:
            problems.append(problem)
        dob = date(y, m, d) if (y and m and d) else None
        out.update(
            dob=dob, dob_y=y, dob_m=m if y else None, dob_d=d if dob else None, dob_raw=_display(raw_dob)
        )

        # Gender.
        raw_gender = self._get(cells, "gender")
        gender = _gender(str(raw_gender)) if raw_gender is not None else None
        if raw_gender is not None and gender is None:
            problems.append("gender:unreadable")
        if gender is None:
            male_mark = self._get(cells, "gender_male") not in (None, "")
            female_mark = self._get(cells, "gender_female") not in (None, "")
            if male_mark != female_mark:
                gender = "male" if male_mark else "female"
                raw_gender = "Nam" if male_mark else "Nữ"
            elif gender_from_column:
                gender = gender_from_column
                raw_gender = "Nam" if gender == "male" else "Nữ"
        out.update(gender=gender, gender_raw=_display(raw_gender))

        if id_key and y:
            century = int(id_key[3])
            if 1900 + 100 * (century // 2) + int(id_key[4:6]) != y:
                problems.append("personal_id:year")
            if gender and ("male" if century % 2 == 0 else "female") != gender:
                problems.append("personal_id:gender")

        # Commune: its own column first, then the address.
        place, commune_raw = NO_PLACE, ""
        commune = self._get(cells, "commune")
        district = self._get(cells, "district")
        if commune is not None:
            commune_raw = _display(commune)
            text = commune_raw.strip()
            if "," in text:
                place = _commune_in_address(text)
            elif text.isdigit():
                place = _commune_by_code(text, self.commune_version)
            else:
                place = _commune_by_name(text, _display(district) or None)
                if place == NO_PLACE and district is not None:
                    place = _commune_by_name(text, None)
        address = self._get(cells, "address")
        if place == NO_PLACE and address is not None:
            commune_raw = commune_raw or _display(address)
            place = _commune_in_address(_display(address))
        if commune_raw and place == NO_PLACE:
            problems.append("commune:unknown")
        out.update(commune_raw=commune_raw, commune_2024=place.commune_2024, commune_now=place.commune_now)

        out.update(id_raw=id_raw, id_key=id_key, cmnd_raw=cmnd_raw, cmnd_key=cmnd_key)
        if invalid is None and not (id_key or cmnd_key or name.given):
            invalid = "no_key"
        out["problems"] = ";".join(problems) if problems else None
        out["invalid"] = invalid
        return out


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def detect_commune_version(
    imported: ImportedFile, mapping: ColumnMapping, sample: int = 20_000
) -> str | None:
    if mapping.commune_version:
        return mapping.commune_version
    index = mapping.columns.get("commune")
    if index is None:
        return None
    codes = []
    for row in imported.rows(limit=sample):
        value = row.cells[index] if index < len(row.cells) else None
        text = _display(value)
        if text.isdigit():
            codes.append(text)
    return code_version(codes)


def standardise(
    imported: ImportedFile,
    mapping: ColumnMapping,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> StdTable:
    """Read every data row of the file and standardise it (one pass)."""
    std = Standardiser(mapping, len(imported.columns), detect_commune_version(imported, mapping))
    columns: dict[str, list[Any]] = {c: [] for c in STD_COLUMNS}
    appenders = [(c, columns[c].append) for c in STD_COLUMNS]
    problems: dict[str, int] = {}
    invalid: dict[str, int] = {}
    n = 0
    for data in imported.rows():
        out = std.row(data)
        for name, append in appenders:
            append(out.get(name))
        if out["problems"]:
            for p in out["problems"].split(";"):
                problems[p] = problems.get(p, 0) + 1
        if out["invalid"]:
            invalid[out["invalid"]] = invalid.get(out["invalid"], 0) + 1
        n += 1
        if on_progress is not None and n % 20_000 == 0:
            on_progress(n)
    if on_progress is not None:
        on_progress(n)
    return StdTable(columns, problems, invalid)
