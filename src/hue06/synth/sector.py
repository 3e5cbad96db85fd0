"""`hue06 synth sector`: a sector's file derived from the register, with the errors real files
carry, and a truth file saying who each row really is.

Each row is drawn from the register and then spoiled the way sector data is spoiled: marks
dropped, the other tone placement ("Thuỵ"), decomposed Unicode (NFD), typing errors, a middle name
dropped or added, "Thị" left out, day and month swapped, only the year of birth, one wrong digit in
the ID, a household member's ID, the commune's old code or name, plus deceased people, the same
person twice and people who are not in the register at all. The truth file lists, per data row,
the person's register ID (empty when they are not in the register) and the errors put in.

The rates are per row and independent; `--missing-id-rate` is the share of rows whose ID is
missing or unusable (missing, malformed, one digit wrong, a household member's).
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import typer
from openpyxl import Workbook
from openpyxl.worksheet.cell_range import CellRange

from hue06.cliutil import console, open_session
from hue06.cliutil import out as stdout
from hue06.cliutil import progress as progress_bar
from hue06.core import admin_units
from hue06.core.errors import InvalidInput
from hue06.core.text import remove_marks, tcvn3_to_unicode, vni_to_unicode
from hue06.registry import service as registry

KINDS = (
    "health_insurance",
    "social_insurance",
    "welfare",
    "workers",
    "civil_status",
    "tax",
    "association",
    "vehicle",
)
FORMATS = ("csv", "xlsx")
ENCODINGS = ("utf-8", "utf-16", "cp1258", "tcvn3", "vni")
XLSX_SHEET_ROWS = 1_000_000

# Per-row rates of each error (independent draws). The ID errors are split from --missing-id-rate.
RATES: dict[str, float] = {
    "no_marks": 0.05,
    "tone_style": 0.03,
    "nfd": 0.03,
    "upper": 0.05,
    "typo_given": 0.015,
    "typo_family": 0.008,
    "middle_dropped": 0.015,
    "middle_added": 0.008,
    "thi_omitted": 0.03,  # of women whose middle name starts with Thị
    "dob_swapped": 0.02,
    "dob_year_only": 0.03,
    "dob_typo": 0.01,
    "gender_missing": 0.005,
    "old_commune": 0.05,
    "moved": 0.01,
    "cmnd_only": 0.01,
    "deceased": 0.01,
    "duplicate": 0.01,
    "not_in_register": 0.005,
}
ID_ERROR_SPLIT = (
    ("id_missing", 0.50),
    ("id_wrong_digit", 0.20),
    ("id_household", 0.15),
    ("id_malformed", 0.15),
)
UNUSABLE_ID = frozenset(name for name, _ in ID_ERROR_SPLIT)


@dataclass(frozen=True)
class Layout:
    title: tuple[str, ...]
    headers: tuple[str, ...]
    sub_headers: tuple[str, ...] = ()  # a second header row under merged cells
    year_only_rate: float = 0.0  # sectors that often keep only the year of birth


LAYOUTS: dict[str, Layout] = {
    "health_insurance": Layout(
        ("BẢO HIỂM XÃ HỘI TỈNH THỪA THIÊN HUẾ", "DANH SÁCH NGƯỜI THAM GIA BẢO HIỂM Y TẾ"),
        ("STT", "Mã số BHXH", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Địa chỉ"),
    ),
    "social_insurance": Layout(
        ("BẢO HIỂM XÃ HỘI TỈNH THỪA THIÊN HUẾ", "DANH SÁCH NGƯỜI THAM GIA BẢO HIỂM XÃ HỘI"),
        ("STT", "Mã số BHXH", "Họ tên", "Ngày tháng năm sinh", "Giới tính", "Số định danh", "Nơi thường trú"),
    ),
    "welfare": Layout(
        ("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI"),
        ("STT", "Họ và tên", "Ngày, tháng, năm sinh", "", "Số CCCD", "Địa chỉ", "Loại đối tượng"),
        ("", "", "Nam", "Nữ", "", "", ""),
        year_only_rate=0.10,
    ),
    "workers": Layout(
        ("DANH SÁCH NGƯỜI LAO ĐỘNG",),
        ("STT", "Họ", "Tên đệm", "Tên", "Ngày sinh", "Giới tính", "Số CCCD", "Mã xã", "Đơn vị làm việc"),
    ),
    "civil_status": Layout(
        ("SỔ ĐĂNG KÝ HỘ TỊCH (SỐ HÓA)",),
        ("STT", "Họ và tên", "Ngày tháng năm sinh", "Giới tính", "CMND/CCCD", "Nơi thường trú", "Loại việc"),
    ),
    "tax": Layout(
        ("CỤC THUẾ TỈNH THỪA THIÊN HUẾ", "DANH SÁCH NGƯỜI NỘP THUẾ THU NHẬP CÁ NHÂN"),
        ("STT", "Mã số thuế", "Tên người nộp thuế", "Ngày sinh", "Số CMND/CCCD", "Địa chỉ"),
    ),
    "association": Layout(
        ("HỘI NÔNG DÂN", "DANH SÁCH HỘI VIÊN"),
        ("STT", "Họ và tên", "Năm sinh", "Giới tính", "", "Số CCCD", "Xã/phường", "Chi hội"),
        ("", "", "", "Nam", "Nữ", "", "", ""),
        year_only_rate=0.5,
    ),
    "vehicle": Layout(
        ("PHÒNG CẢNH SÁT GIAO THÔNG", "DANH SÁCH CHỦ PHƯƠNG TIỆN"),
        ("STT", "Chủ xe", "Số CCCD", "Ngày sinh", "Giới tính", "Địa chỉ", "Biển số", "Loại xe"),
    ),
}


# --------------------------------------------------------------------------- the register, compactly


@dataclass
class People:
    """The register as columns (a million dicts would not fit comfortably)."""

    personal_id: list[str] = field(default_factory=list)
    old_id: list[str | None] = field(default_factory=list)
    family: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    gender: list[str] = field(default_factory=list)
    dob: list[date] = field(default_factory=list)
    commune: list[str] = field(default_factory=list)
    household: list[int | None] = field(default_factory=list)
    alive: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.personal_id)

    def add(self, r: dict[str, Any]) -> None:
        self.personal_id.append(r["personal_id"])
        self.old_id.append(r.get("old_id"))
        self.family.append(r["family_name"])
        self.middle.append(r.get("middle_name") or "")
        self.given.append(r["given_name"])
        self.gender.append(r["gender"])
        self.dob.append(r["date_of_birth"])
        self.commune.append(r["commune_code"])
        self.household.append(r.get("household_id"))
        self.alive.append(r.get("status", "alive") == "alive")


def load_people(rows: Any) -> People:
    """From `registry.service.iter_register` batches (or any iterable of such dicts)."""
    people = People()
    for item in rows:
        for r in item if isinstance(item, list) else [item]:
            people.add(r)
    return people


# --------------------------------------------------------------------------- spoiling text


def other_tone_style(text: str) -> str:
    """ "Thủy" → "Thuỷ", "Hòa" → "Hoà": the mark on the second vowel of oa/oe/uy (the "new" style)."""
    words = []
    for word in text.split(" "):
        nfd = unicodedata.normalize("NFD", word)
        tones = [c for c in nfd if c in "\u0300\u0301\u0303\u0309\u0323"]
        bare = "".join(c for c in nfd if c not in "\u0300\u0301\u0303\u0309\u0323")
        low = unicodedata.normalize("NFC", bare).lower()
        if len(tones) == 1 and low.endswith(("oa", "oe", "uy")) and not low.startswith("qu"):
            base = unicodedata.normalize("NFC", bare)
            word = unicodedata.normalize("NFC", base + tones[0])  # tone on the last letter
        words.append(word)
    return " ".join(words)


_TYPO_LETTERS = "abcdeghiklmnopqrstuvxy"


def typo(word: str, rnd: random.Random) -> str:
    if len(word) < 3:
        return word + rnd.choice(_TYPO_LETTERS)
    i = rnd.randrange(1, len(word))
    kind = rnd.random()
    if kind < 0.4:
        return word[:i] + rnd.choice(_TYPO_LETTERS) + word[i + 1 :]
    if kind < 0.7:
        return word[:i] + word[i + 1 :]
    if kind < 0.85 and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def wrong_digit(pid: str, rnd: random.Random) -> str:
    i = rnd.randrange(len(pid))
    digit = rnd.choice([d for d in "0123456789" if d != pid[i]])
    return pid[:i] + digit + pid[i + 1 :]


# --------------------------------------------------------------------------- legacy encoders


@cache
def _tcvn3_encoder() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(0x80, 0x100):
        ch = chr(code)
        uni = tcvn3_to_unicode(ch)
        if uni != ch and len(uni) == 1:
            table.setdefault(uni, ch)
    return table


@cache
def _vni_encoder() -> dict[str, str]:
    table: dict[str, str] = {}
    highs = [chr(c) for c in range(0xA0, 0x100)]
    for ch in highs:
        uni = vni_to_unicode(ch)
        if uni != ch and len(uni) == 1:
            table.setdefault(uni, ch)
    firsts = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    firsts += ["ô", "ö", "Ô", "Ö"]
    for first in firsts:
        for second in highs:
            uni = vni_to_unicode(first + second)
            if len(uni) == 1 and uni != first and uni not in table:
                table[uni] = first + second
    return table


def to_legacy(text: str, encoding: str) -> str:
    """Unicode text as a TCVN3 or VNI font would store it (upper-case toned letters, which TCVN3's
    ordinary font lacks, are written in lower case, as people typing in it did)."""
    table = _tcvn3_encoder() if encoding == "tcvn3" else _vni_encoder()
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 0x80:
            out.append(ch)
        elif ch in table:
            out.append(table[ch])
        elif ch.lower() in table:
            out.append(table[ch.lower()])
        else:
            out.append(remove_marks(ch) or "?")
    return "".join(out)


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as its keyboard types it: shaped letters (ă, ê, ơ...) precomposed, every tone
    mark a separate combining character."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        nfd = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tones))
        out.append(base + "".join(c for c in nfd if c in tones))
    return "".join(out).encode("cp1258", errors="replace")


# --------------------------------------------------------------------------- generating rows


@dataclass
class SectorRow:
    person: int | None  # index in People; None for someone not in the register
    family: str
    middle: str
    given: str
    gender: str | None
    dob_text: str
    dob_year_only: bool
    id_text: str
    commune_text: str  # address text or commune code, by layout
    errors: list[str]
    extra: dict[str, str] = field(default_factory=dict)


def _commune_text(code_2024: str, kind: str, old: bool, rnd: random.Random) -> str:
    """Address or commune code as the sector writes it: current units normally, the 2024 ones
    (old code or old name) when the row carries that error."""
    province = admin_units.load_province()
    latest = province.latest_version
    if kind == "workers":
        if old:
            return code_2024
        return province.to_version(code_2024, latest, from_version=province.base_version).code
    if old:
        unit = province.get_unit(code_2024, province.base_version)
        if kind == "association":
            return unit.name
        district = province.get_unit(unit.parent_code or "", province.base_version)
        village = f"Thôn {rnd.randint(1, 12)}" if unit.kind == "Xã" else f"Tổ {rnd.randint(1, 30)}"
        return f"{village}, {unit.name}, {district.name}, Tỉnh Thừa Thiên Huế"
    now = province.to_version(code_2024, latest, from_version=province.base_version)
    village = f"Tổ {rnd.randint(1, 30)}" if now.kind == "Phường" else f"Thôn {rnd.randint(1, 12)}"
    if kind == "association":
        return now.name
    return f"{village}, {now.name}, Thành phố Huế"


class Spoiler:
    def __init__(self, people: People, kind: str, missing_id_rate: float, rnd: random.Random) -> None:
        self.p = people
        self.kind = kind
        self.layout = LAYOUTS[kind]
        self.missing = missing_id_rate
        self.rnd = rnd
        self.households: dict[int, list[int]] = {}
        for i, h in enumerate(people.household):
            if h is not None:
                self.households.setdefault(h, []).append(i)
        communes = sorted(set(people.commune))
        self.communes = communes or ["19750"]

    def _hit(self, name: str) -> bool:
        return self.rnd.random() < RATES[name]

    def person_row(self, i: int, errors: list[str]) -> SectorRow:
        p, rnd = self.p, self.rnd
        family, middle, given = p.family[i], p.middle[i], p.given[i]
        gender: str | None = p.gender[i]
        dob = p.dob[i]
        # Names.
        if middle.startswith("Thị") and gender == "female" and self._hit("thi_omitted"):
            middle = middle[3:].strip()
            errors.append("thi_omitted")
        elif middle and self._hit("middle_dropped"):
            middle = ""
            errors.append("middle_dropped")
        elif self._hit("middle_added"):
            extra = rnd.choice(
                ("Văn", "Đức", "Hữu", "Minh") if gender == "male" else ("Thị", "Ngọc", "Thu", "Bảo")
            )
            middle = f"{middle} {extra}".strip() if rnd.random() < 0.5 else f"{extra} {middle}".strip()
            errors.append("middle_added")
        if self._hit("typo_given"):
            given = typo(given, rnd)
            errors.append("typo_given")
        if self._hit("typo_family"):
            family = typo(family, rnd)
            errors.append("typo_family")
        # Date of birth.
        year_only = False
        if self._hit("dob_year_only") or rnd.random() < self.layout.year_only_rate:
            year_only = True
            if self.layout.year_only_rate < 0.5:
                errors.append("dob_year_only")
        elif dob.day != dob.month and self._hit("dob_swapped"):
            errors.append("dob_swapped")
        elif self._hit("dob_typo"):
            dob = _shift_day(dob, rnd)
            errors.append("dob_typo")
        if year_only:
            dob_text = str(dob.year)
        elif "dob_swapped" in errors:
            dob_text = f"{dob.month:02d}/{dob.day:02d}/{dob.year}"
        else:
            dob_text = f"{dob.day:02d}/{dob.month:02d}/{dob.year}"
        if self._hit("gender_missing"):
            gender = None
            errors.append("gender_missing")
        # ID.
        pid = p.personal_id[i]
        id_text = pid
        if rnd.random() < self.missing:
            kind = _pick(ID_ERROR_SPLIT, rnd)
            if kind == "id_household":
                others = (
                    [j for j in self.households.get(p.household[i], []) if j != i] if p.household[i] else []
                )
                if others:
                    id_text = p.personal_id[rnd.choice(others)]
                else:
                    kind = "id_wrong_digit"
            if kind == "id_missing":
                id_text = ""
            elif kind == "id_wrong_digit":
                id_text = wrong_digit(pid, rnd)
            elif kind == "id_malformed":
                id_text = rnd.choice(
                    (pid[:-1], pid + str(rnd.randrange(10)), pid[:6] + "x" + pid[7:], pid[:8])
                )
            errors.append(kind)
        elif p.old_id[i] and self._hit("cmnd_only"):
            id_text = p.old_id[i] or ""
            errors.append("cmnd_only")
        # Commune.
        commune = p.commune[i]
        if self._hit("moved"):
            commune = rnd.choice(self.communes)
            errors.append("moved")
        old = self._hit("old_commune")
        if old:
            errors.append("old_commune")
        commune_text = _commune_text(commune, self.kind, old, rnd)
        return SectorRow(i, family, middle, given, gender, dob_text, year_only, id_text, commune_text, errors)

    def stranger(self) -> SectorRow:
        """Someone who is not in the register: parts of real names, a plausible date, often no ID."""
        p, rnd = self.p, self.rnd
        n = len(p)
        a = rnd.randrange(n)
        gender = p.gender[a]
        same = [rnd.randrange(n) for _ in range(20)]
        same = [j for j in same if p.gender[j] == gender] or [a]
        given = p.given[rnd.choice(same)]
        middle = p.middle[rnd.choice(same)]
        family = p.family[rnd.randrange(n)]
        dob = date(1940, 1, 1) + timedelta(days=rnd.randrange(365 * 80))
        year_only = rnd.random() < self.layout.year_only_rate
        dob_text = str(dob.year) if year_only else f"{dob.day:02d}/{dob.month:02d}/{dob.year}"
        id_text = ""
        if rnd.random() < 0.5:
            digit = (0 if gender == "male" else 1) + (2 if dob.year >= 2000 else 0)
            id_text = f"0{rnd.choice(('01', '79', '48', '38'))}{digit}{dob.year % 100:02d}{rnd.randrange(10**6):06d}"
        commune_text = _commune_text(rnd.choice(self.communes), self.kind, False, rnd)
        return SectorRow(
            None,
            family,
            middle,
            given,
            gender,
            dob_text,
            year_only,
            id_text,
            commune_text,
            ["not_in_register"],
        )

    def duplicate_of(self, row: SectorRow) -> SectorRow:
        """The same person again, typed again: sometimes with a slip of its own."""
        copy = SectorRow(
            row.person,
            row.family,
            row.middle,
            row.given,
            row.gender,
            row.dob_text,
            row.dob_year_only,
            row.id_text,
            row.commune_text,
            [e for e in row.errors if e != "duplicate"] + ["duplicate"],
        )
        if self.rnd.random() < 0.3 and copy.id_text:
            copy.id_text = ""
            copy.errors.append("id_missing")
        return copy


def _shift_day(d: date, rnd: random.Random) -> date:
    for _ in range(5):
        try:
            return d.replace(day=rnd.choice([x for x in range(1, 29) if x != d.day]))
        except ValueError:
            continue
    return d


def _pick(options: Sequence[tuple[str, float]], rnd: random.Random) -> str:
    r = rnd.random() * sum(w for _, w in options)
    for name, w in options:
        r -= w
        if r <= 0:
            return name
    return options[-1][0]


def generate(
    people: People,
    kind: str,
    rows: int,
    missing_id_rate: float,
    seed: int,
    on_progress: Callable[[int], None] | None = None,
) -> list[SectorRow]:
    """The rows of a sector file, in file order (sorted by commune as offices keep them)."""
    if kind not in LAYOUTS:
        raise InvalidInput("synth.sector_kind", f"Không có ngành {kind}.", f"There is no sector {kind}.")
    if not 0 <= missing_id_rate <= 1:
        raise InvalidInput("synth.rate", "Tỷ lệ phải từ 0 đến 1.", "The rate must be between 0 and 1.")
    rnd = random.Random(seed)
    alive = [i for i in range(len(people)) if people.alive[i]]
    dead = [i for i in range(len(people)) if not people.alive[i]]
    n_strangers = round(rows * RATES["not_in_register"])
    n_dups = round(rows * RATES["duplicate"])
    n_dead = min(len(dead), round(rows * RATES["deceased"]))
    n_alive = rows - n_strangers - n_dups - n_dead
    if n_alive > len(alive) or n_alive < 0:
        raise InvalidInput(
            "synth.too_many_rows",
            f"Sổ đăng ký chỉ có {len(alive)} người còn sống; không tạo được {rows} dòng.",
            f"The register has only {len(alive)} living people; cannot make {rows} rows.",
        )
    spoiler = Spoiler(people, kind, missing_id_rate, rnd)
    chosen = rnd.sample(alive, n_alive) + rnd.sample(dead, n_dead)
    out: list[SectorRow] = []
    for k, i in enumerate(chosen):
        errors = ["deceased"] if not people.alive[i] else []
        out.append(spoiler.person_row(i, errors))
        if on_progress is not None and k % 50_000 == 0:
            on_progress(k)
    out.extend(spoiler.stranger() for _ in range(n_strangers))
    # File order: by commune (as kept by the offices), a random order inside.
    keyed = [(people.commune[r.person] if r.person is not None else "~", rnd.random(), r) for r in out]
    keyed.sort(key=lambda t: (t[0], t[1]))
    placed: list[tuple[float, SectorRow]] = [(float(k), r) for k, (_, _, r) in enumerate(keyed)]
    for _ in range(n_dups):
        src = rnd.randrange(len(keyed))
        placed.append((rnd.uniform(src + 0.5, len(keyed)), spoiler.duplicate_of(keyed[src][2])))
    placed.sort(key=lambda t: t[0])
    ordered = [r for _, r in placed]
    if on_progress is not None:
        on_progress(rows)
    return ordered


# --------------------------------------------------------------------------- writing


def _styled_name(row: SectorRow, rnd: random.Random) -> tuple[str, str, str]:
    parts = [row.family, row.middle, row.given]
    if rnd.random() < RATES["no_marks"]:
        parts = [remove_marks(x) for x in parts]
        row.errors.append("no_marks")
    elif rnd.random() < RATES["tone_style"]:
        parts = [other_tone_style(x) for x in parts]
        row.errors.append("tone_style")
    if rnd.random() < RATES["nfd"]:
        parts = [unicodedata.normalize("NFD", x) for x in parts]
        row.errors.append("nfd")
    if rnd.random() < RATES["upper"]:
        parts = [x.upper() for x in parts]
    return parts[0], parts[1], parts[2]


def table_rows(
    rows: list[SectorRow], kind: str, seed: int, people: People
) -> tuple[list[list[str]], list[dict[str, str]]]:
    """Cells of every data row for the sector's layout, and the truth rows."""
    rnd = random.Random(seed + 1)
    cells: list[list[str]] = []
    truth: list[dict[str, str]] = []
    layout = LAYOUTS[kind]
    for n, r in enumerate(rows, start=1):
        family, middle, given = _styled_name(r, rnd)
        full = " ".join(x for x in (family, middle, given) if x)
        g = {"male": "Nam", "female": "Nữ", None: ""}[r.gender]
        seq = str(n)
        bhxh = f"46{rnd.randrange(10**8):08d}"
        if kind in ("health_insurance", "social_insurance"):
            line = [seq, bhxh, full, r.dob_text, g, r.id_text, r.commune_text]
        elif kind == "welfare":
            male_dob = r.dob_text if r.gender == "male" else ""
            female_dob = r.dob_text if r.gender != "male" else ""
            line = [
                seq,
                full,
                male_dob,
                female_dob,
                r.id_text,
                r.commune_text,
                rnd.choice(("Người cao tuổi", "Người khuyết tật", "Trẻ mồ côi", "Hộ nghèo")),
            ]
        elif kind == "workers":
            line = [
                seq,
                family,
                middle,
                given,
                r.dob_text,
                g,
                r.id_text,
                r.commune_text,
                rnd.choice(
                    ("Công ty TNHH Dệt may Huế", "Công ty CP Bia Huế", "Hợp tác xã Thủy Phương", "Tự do")
                ),
            ]
        elif kind == "civil_status":
            line = [
                seq,
                full,
                r.dob_text,
                g,
                r.id_text,
                r.commune_text,
                rnd.choice(("Khai sinh", "Kết hôn", "Khai tử")),
            ]
        elif kind == "tax":
            line = [seq, f"8{rnd.randrange(10**9):09d}", full, r.dob_text, r.id_text, r.commune_text]
        elif kind == "association":
            year = r.dob_text[-4:]
            line = [
                seq,
                full,
                year,
                "x" if r.gender == "male" else "",
                "x" if r.gender == "female" else "",
                r.id_text,
                r.commune_text,
                f"Chi hội {rnd.randint(1, 9)}",
            ]
        else:  # vehicle
            line = [
                seq,
                full,
                r.id_text,
                r.dob_text,
                g,
                r.commune_text,
                f"75{rnd.choice('ABCDEFGH')}1-{rnd.randrange(10**5):05d}",
                rnd.choice(("Xe máy", "Ô tô con", "Xe tải")),
            ]
        assert len(line) == len(layout.headers)
        cells.append(line)
        errors = sorted(set(r.errors))
        truth.append(
            {
                "row": str(n),
                "personal_id": "" if r.person is None else people.personal_id[r.person],
                "error_types": ";".join(errors),
            }
        )
    return cells, truth


def _lines(layout: Layout, cells: list[list[str]]) -> list[list[str]]:
    width = len(layout.headers)
    head = [[t] + [""] * (width - 1) for t in layout.title]
    head.append([""] * width)
    head.append(list(layout.headers))
    if layout.sub_headers:
        head.append(list(layout.sub_headers))
    return head + cells


def write_sector(
    people: People,
    kind: str,
    rows: int,
    missing_id_rate: float,
    seed: int,
    out: Path,
    truth_path: Path | None,
    fmt: str = "csv",
    encoding: str = "utf-8",
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    if fmt not in FORMATS:
        raise InvalidInput(
            "synth.format", f"Định dạng {fmt} không hỗ trợ.", f"Format {fmt} is not supported."
        )
    if encoding not in ENCODINGS:
        raise InvalidInput(
            "synth.encoding", f"Bảng mã {encoding} không hỗ trợ.", f"Encoding {encoding} is not supported."
        )
    if fmt == "xlsx" and encoding in ("utf-16", "cp1258"):
        raise InvalidInput(
            "synth.encoding",
            "Tệp XLSX chỉ dùng UTF-8, TCVN3 hoặc VNI.",
            "XLSX files take UTF-8, TCVN3 or VNI text only.",
        )
    generated = generate(people, kind, rows, missing_id_rate, seed, on_progress)
    cells, truth = table_rows(generated, kind, seed, people)
    layout = LAYOUTS[kind]
    lines = _lines(layout, cells)
    if encoding in ("tcvn3", "vni"):
        lines = [[to_legacy(c, encoding) for c in line] for line in lines]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="\t" if encoding == "utf-16" else ",", lineterminator="\r\n")
        writer.writerows(lines)
        text = buf.getvalue()
        if encoding == "utf-8":
            data = text.encode("utf-8-sig")
        elif encoding == "utf-16":
            data = text.encode("utf-16")
        elif encoding == "cp1258":
            data = to_cp1258(text)
        else:
            data = text.encode("latin-1")
        out.write_bytes(data)
    else:
        _write_xlsx(layout, lines, out)
    if truth_path is not None:
        truth_path.parent.mkdir(parents=True, exist_ok=True)
        with truth_path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["row", "personal_id", "error_types"])
            w.writeheader()
            w.writerows(truth)
    counts: dict[str, int] = {}
    for t in truth:
        for e in filter(None, t["error_types"].split(";")):
            counts[e] = counts.get(e, 0) + 1
    return {"rows": len(cells), "errors": counts, "kind": kind, "format": fmt, "encoding": encoding}


def _write_xlsx(layout: Layout, lines: list[list[str]], out: Path) -> None:
    """One sheet per million rows (a sheet holds 1,048,576), each with the header again;
    the title's and the two-row header's cells merged as offices do."""

    head_len = len(layout.title) + 2 + (1 if layout.sub_headers else 0)
    head, data = lines[:head_len], lines[head_len:]
    width = len(layout.headers)
    streaming = len(data) > 50_000
    wb = Workbook(write_only=streaming)
    chunks = [data[i : i + XLSX_SHEET_ROWS] for i in range(0, max(len(data), 1), XLSX_SHEET_ROWS)]
    if streaming:
        for k, chunk in enumerate(chunks):
            ws = wb.create_sheet(f"Danh sách {k + 1}" if len(chunks) > 1 else "Danh sách")
            for line in head + chunk:
                ws.append([_cell(c) for c in line])
    else:
        ws = wb.active
        ws.title = "Danh sách"
        for line in head + data:
            ws.append([_cell(c) for c in line])
        for t in range(len(layout.title)):
            ws.merge_cells(str(CellRange(min_col=1, min_row=t + 1, max_col=width, max_row=t + 1)))
        if layout.sub_headers:
            header_row = len(layout.title) + 2
            for c, text in enumerate(layout.headers):
                if not text and c > 0:
                    ws.cell(header_row, c + 1).value = None
                    ws.merge_cells(
                        str(CellRange(min_col=c, min_row=header_row, max_col=c + 1, max_row=header_row))
                    )
            for c, text in enumerate(layout.sub_headers):
                if not text:
                    ws.merge_cells(
                        str(
                            CellRange(
                                min_col=c + 1, min_row=header_row, max_col=c + 1, max_row=header_row + 1
                            )
                        )
                    )
        ws.append([])
        ws.append(["Người lập biểu"] + [""] * (width - 2) + ["Giám đốc"])
    wb.save(out)


def _cell(text: str) -> str | None:
    return text if text != "" else None


# --------------------------------------------------------------------------- CLI


def register(app: typer.Typer) -> None:
    """Add `hue06 synth sector` to the synth command group."""

    @app.command("sector")
    def sector_command(
        kind: str = typer.Argument(
            ...,
            help="health_insurance, social_insurance, welfare, workers, civil_status, "
            "tax, association or vehicle.",
        ),
        rows: int = typer.Option(10_000, "--rows", help="How many data rows."),
        missing_id_rate: float = typer.Option(
            0.05, "--missing-id-rate", help="Share of rows whose ID is missing or unusable."
        ),
        seed: int = typer.Option(6, "--seed", help="The same seed makes the same file."),
        out: Path = typer.Option(..., "--out", help="The sector file to write."),
        truth: Path | None = typer.Option(
            None, "--truth", help="Where to write the truth (row, personal_id, error_types)."
        ),
        db: str | None = typer.Option(
            None,
            "--db",
            help="Database URL (default: HUE06_DATABASE_URL or var/hue06.db).",
            envvar="HUE06_DATABASE_URL",
        ),
        fmt: str = typer.Option("csv", "--format", help="csv or xlsx."),
        encoding: str = typer.Option("utf-8", "--encoding", help="utf-8, utf-16, cp1258, tcvn3 or vni."),
    ) -> None:
        """Derive a sector's file from the register, with realistic errors and a truth file."""

        with progress_bar() as bar:
            task = bar.add_task("Đọc CSDL dân cư / reading the register", total=None)
            with open_session(db, read_only=True) as session:
                people = load_people(registry.iter_register(session))
            bar.update(task, total=len(people), completed=len(people))
            gen = bar.add_task("Tạo dữ liệu ngành / generating", total=rows)
            figures = write_sector(
                people,
                kind,
                rows,
                missing_id_rate,
                seed,
                out,
                truth,
                fmt,
                encoding,
                on_progress=lambda k: bar.update(gen, completed=k),
            )
        console.print(f"[green]Đã tạo tệp {kind}[/green] / sector file written: {out}")
        stdout.print(
            " ".join(f"{k}={v}" for k, v in sorted(figures["errors"].items())) + f" rows={figures['rows']}",
            markup=False,
            highlight=False,
        )
