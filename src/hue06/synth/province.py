"""`hue06 synth province`: a deterministic, realistic synthetic Thừa Thiên Huế.

Households are generated first (size, then structure: single people, couples, parents with
children, three generations with "Cha"/"Mẹ" or "Con dâu"/"Cháu"), so that relations, ages and
family names hang together: children carry their father's family name, wives keep their own,
daughters of the Tôn Thất line are "Tôn Nữ". Residents are spread over the 141 communes of 2024
in proportion to their estimated populations (core.admin_units). Everything is drawn from one
seed, against a fixed reference date, so the same seed builds the same province on any day.

Speed: the people are generated as small integer columns (numpy where it pays, tight Python
for household structure), names are assembled from pre-normalised, pre-folded parts, and the
rows are loaded in one transaction with the residents' secondary indexes dropped and rebuilt
after (COPY on PostgreSQL).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import typer
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hue06.cliutil import console, fail, out, progress, settings_for
from hue06.core import admin_units, audit
from hue06.core.db import bulk_insert, make_engine
from hue06.core.errors import Hue06Error, InvalidInput
from hue06.core.migrate import upgrade
from hue06.core.personal_id import BIRTH_PROVINCE_CODES
from hue06.core.security import SYSTEM
from hue06.core.text import fold
from hue06.modules import import_all_models
from hue06.registry.geo import commune_bbox
from hue06.registry.models import DigitalAddress, Household, Resident
from hue06.synth import names as N

REFERENCE_DATE = date(2024, 7, 1)  # the province's six-month report: the register "as of" that day
BASE_VERSION = "2024"
MAX_RESIDENTS = 5_000_000
CHUNK = 50_000

RELATIONS = ("Chủ hộ", "Vợ", "Chồng", "Con", "Cha", "Mẹ", "Cháu", "Con dâu", "Con rể")
R_HEAD, R_WIFE, R_HUSBAND, R_CHILD, R_FATHER, R_MOTHER, R_GRANDCHILD, R_DIL, R_SIL = range(9)

# Household sizes (Vietnam 2019 census shape, mean ≈ 3.5).
SIZE_P = {1: 0.10, 2: 0.19, 3: 0.22, 4: 0.26, 5: 0.13, 6: 0.06, 7: 0.025, 8: 0.015}
THREE_GEN_P = {3: 0.10, 4: 0.18, 5: 0.45, 6: 0.7, 7: 0.9, 8: 0.9}

# Where people were born, for the first three digits of their personal ID.
BIRTH_PROVINCES = (
    ("046", 88.0),
    ("045", 2.5),
    ("044", 1.5),
    ("048", 1.5),
    ("049", 1.5),
    ("040", 1.0),
    ("042", 1.0),
    ("001", 0.8),
    ("079", 0.8),
    ("038", 0.6),
    ("051", 0.4),
    ("052", 0.4),
)
ETHNIC_MIX = {
    # district (2024) -> [(ethnicity, share)], the rest Kinh
    "481": [("Tà Ôi", 0.40), ("Pa Kô", 0.22), ("Cơ Tu", 0.12), ("Vân Kiều", 0.06)],
    "483": [("Cơ Tu", 0.38)],
}
ETHNICITIES = ("Kinh", "Tà Ôi", "Pa Kô", "Cơ Tu", "Vân Kiều")
STREETS = (
    "Lê Lợi",
    "Hùng Vương",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Lê Duẩn",
    "Điện Biên Phủ",
    "Phan Đình Phùng",
    "Bà Triệu",
    "Nguyễn Trãi",
    "Đinh Tiên Hoàng",
    "Chi Lăng",
    "Huỳnh Thúc Kháng",
    "Kim Long",
    "Nguyễn Sinh Cung",
    "Trường Chinh",
    "Nguyễn Tri Phương",
    "Ngô Quyền",
    "Lý Thường Kiệt",
    "Hai Bà Trưng",
    "Phạm Văn Đồng",
    "Tố Hữu",
    "Võ Nguyên Giáp",
    "Nguyễn Lộ Trạch",
    "An Dương Vương",
    "Tôn Đức Thắng",
    "Bùi Thị Xuân",
    "Lê Ngô Cát",
    "Minh Mạng",
    "Tự Đức",
    "Đặng Huy Trứ",
    "Phan Bội Châu",
    "Nguyễn Văn Cừ",
    "Xuân 68",
    "Mai Thúc Loan",
    "Đoàn Thị Điểm",
    "Lê Thánh Tôn",
    "Chu Văn An",
    "Nguyễn Khuyến",
    "Hàn Mặc Tử",
    "Trần Phú",
    "Ngự Bình",
    "Hồ Đắc Di",
    "Dương Văn An",
    "Nguyễn Chí Thanh",
    "Thích Tịnh Khiết",
)
ABSENCE_DESTINATIONS = (
    "Thành phố Hồ Chí Minh",
    "Thành phố Đà Nẵng",
    "Tỉnh Bình Dương",
    "Thành phố Hà Nội",
    "Hàn Quốc",
    "Nhật Bản",
    "Đài Loan (Trung Quốc)",
    "Tỉnh Đồng Nai",
)
PHONE_PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
)

ProgressLike = Any  # a rich.progress.Progress, or None


# --------------------------------------------------------------------------- generation


@dataclass
class Province:
    """The generated province as columns (one entry per resident / household)."""

    n: int
    hh_commune: list[str] = field(default_factory=list)
    hh_head: list[int] = field(default_factory=list)  # index of the head among residents
    hh_detail: list[str] = field(default_factory=list)
    hh_ethnicity: list[int] = field(default_factory=list)
    p_household: list[int] = field(default_factory=list)
    p_relation: list[int] = field(default_factory=list)
    p_female: list[int] = field(default_factory=list)
    p_age: list[float] = field(default_factory=list)
    p_line: list[int] = field(default_factory=list)  # 1 = carries the household's line family name
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    vocab: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # names and folded keys


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights`, exactly (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _kids(rnd: random.Random, k: int, max_eldest: float = 28.0) -> tuple[list[float], float]:
    """Ages of k children (eldest first) and the mother's age."""
    if k == 0:
        return [], 0.0
    gaps = [rnd.randint(2, 5) + rnd.random() for _ in range(k - 1)]
    span = sum(gaps)
    eldest = span + (rnd.random() ** 1.5) * max(0.5, max_eldest - span)
    ages = [eldest]
    for g in gaps:
        ages.append(ages[-1] - g)
    mother = eldest + _clamp(rnd.gauss(24.5, 3.5), 18, 38)
    return ages, mother


def _household(rnd: random.Random, size: int) -> list[tuple[int, int, float, int]]:
    """Members as (relation, female, age, carries line name)."""
    female_child = lambda: int(rnd.random() >= 0.525)  # noqa: E731 - sex ratio at birth ≈ 1.1
    if size == 1:
        if rnd.random() < 0.33:
            return [(R_HEAD, int(rnd.random() < 0.35), rnd.uniform(20, 50), 1)]
        return [(R_HEAD, int(rnd.random() < 0.72), _clamp(rnd.triangular(50, 98, 60), 50, 100), 1)]
    if size == 2:
        r = rnd.random()
        if r < 0.45:
            husband = rnd.triangular(50, 88, 58)
            return _couple(rnd, husband, [])
        if r < 0.70:
            husband = rnd.uniform(22, 36)
            return _couple(rnd, husband, [])
        mother_female = rnd.random() < 0.8
        parent = rnd.uniform(32, 78)
        child = _clamp(parent - _clamp(rnd.gauss(27, 5), 18, 42), 0, 60)
        # a widowed or single parent: the child carries the (absent) father's line
        return [
            (R_HEAD, int(mother_female), parent, 0 if mother_female else 1),
            (R_CHILD, female_child(), child, 1),
        ]
    if rnd.random() >= THREE_GEN_P[min(size, 8)]:
        ages, mother = _kids(rnd, size - 2)
        father = mother + _clamp(rnd.gauss(3.0, 2.5), -3, 12)
        return _couple(rnd, father, [(R_CHILD, female_child(), a, 1) for a in ages], wife_age=mother)
    # three generations: the head's parents (or the head is the elder) + a married son + children
    r = rnd.random()
    elders = 2 if (size >= 5 and r < 0.6) or (size == 4 and r < 0.3) else 1
    k = size - 2 - elders
    ages, wife = _kids(rnd, k, 24.0) if k else ([], rnd.uniform(21, 33))
    husband = wife + _clamp(rnd.gauss(3.0, 2.5), -3, 12)
    elder_mother = min(husband + _clamp(rnd.gauss(27, 4.5), 18, 42), 99.0)
    elder_father = min(elder_mother + _clamp(rnd.gauss(3.0, 2.5), -3, 12), 100.0)
    if elders == 1:
        elder_list = [(1, elder_mother, 0)] if rnd.random() < 0.65 else [(0, elder_father, 1)]
    else:
        elder_list = [(0, elder_father, 1), (1, elder_mother, 0)]
    elder_heads = max(a for _, a, _ in elder_list) < 76 and rnd.random() < 0.55
    members: list[tuple[int, int, float, int]] = []
    if elder_heads:
        for i, (fem, age, line) in enumerate(elder_list):
            members.append((R_HEAD if i == 0 else (R_WIFE if fem else R_HUSBAND), fem, age, line))
        members.append((R_CHILD, 0, husband, 1))
        members.append((R_DIL, 1, wife, 0))
        members.extend((R_GRANDCHILD, female_child(), a, 1) for a in ages)
    else:
        members.append((R_HEAD, 0, husband, 1))
        members.append((R_WIFE, 1, wife, 0))
        members.extend((R_CHILD, female_child(), a, 1) for a in ages)
        members.extend((R_MOTHER if fem else R_FATHER, fem, age, line) for fem, age, line in elder_list)
    return members


def _couple(
    rnd: random.Random,
    husband: float,
    children: list[tuple[int, int, float, int]],
    wife_age: float | None = None,
) -> list[tuple[int, int, float, int]]:
    wife = wife_age if wife_age is not None else husband - _clamp(rnd.gauss(3.0, 2.5), -3, 12)
    wife = max(wife, 18.0)
    if rnd.random() < 0.82:
        head = [(R_HEAD, 0, husband, 1), (R_WIFE, 1, wife, 0)]
    else:
        head = [(R_HEAD, 1, wife, 0), (R_HUSBAND, 0, husband, 1)]
    return head + children


def _address(rnd: random.Random, kind: str) -> str:
    if kind == "Phường":
        street = STREETS[rnd.randrange(len(STREETS))]
        if rnd.random() < 0.35:
            return f"{rnd.randint(1, 60)}/{rnd.randint(1, 40)} kiệt {rnd.randint(1, 200)} {street}"
        return f"{rnd.randint(1, 400)} {street}"
    if kind == "Thị trấn":
        return f"Tổ dân phố {rnd.randint(1, 14)}"
    return f"Thôn {rnd.randint(1, 12)}"


def generate(residents: int, seed: int, progress: ProgressLike = None) -> Province:
    """The whole province in memory as columns; no database involved (tests use it directly)."""
    if not 1 <= residents <= MAX_RESIDENTS:
        raise InvalidInput(
            "synth.size",
            f"Số cư dân phải từ 1 đến {MAX_RESIDENTS:,}.".replace(",", "."),
            f"The number of residents must be between 1 and {MAX_RESIDENTS:,}.",
        )
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    communes = sorted(admin_units.communes(BASE_VERSION), key=lambda u: u.code)
    per_commune = allocate(residents, [u.population or 1 for u in communes])
    prov = Province(n=residents)
    sizes = list(SIZE_P)
    size_w = [SIZE_P[s] for s in sizes]
    task = progress.add_task("Sinh hộ gia đình / households", total=residents) if progress else None
    for unit, target in zip(communes, per_commune, strict=True):
        district = unit.parent_code or ""
        mix = ETHNIC_MIX.get(district, [])
        if district == "481" and unit.kind == "Thị trấn":
            mix = [(e, s * 0.6) for e, s in mix]
        placed = 0
        while placed < target:
            size = rnd.choices(sizes, size_w)[0]
            members = _household(rnd, size)[: target - placed]
            hh = len(prov.hh_commune)
            first = len(prov.p_household)
            prov.hh_commune.append(unit.code)
            prov.hh_head.append(first)
            prov.hh_detail.append(_address(rnd, unit.kind))
            eth = 0
            r = rnd.random()
            for name, share in mix:
                if r < share:
                    eth = ETHNICITIES.index(name)
                    break
                r -= share
            prov.hh_ethnicity.append(eth)
            for rel, fem, age, line in members:
                prov.p_household.append(hh)
                prov.p_relation.append(rel)
                prov.p_female.append(fem)
                prov.p_age.append(age)
                prov.p_line.append(line)
            placed += len(members)
        if task is not None:
            progress.advance(task, target)
    _columns(prov, rng, rnd)
    return prov


def _choice(rng: np.random.Generator, parts: N.Parts, size: int) -> np.ndarray:
    return rng.choice(len(parts.names), size=size, p=parts.probabilities)


def _columns(prov: Province, rng: np.random.Generator, rnd: random.Random) -> None:
    """Vectorised per-person columns: dates, names (as indexes), IDs, status, contacts."""
    n = prov.n
    a: dict[str, np.ndarray] = {}
    hh = np.asarray(prov.p_household, dtype=np.int64)
    female = np.asarray(prov.p_female, dtype=np.int8)
    age = np.asarray(prov.p_age, dtype=float)
    line = np.asarray(prov.p_line, dtype=bool)
    relation = np.asarray(prov.p_relation, dtype=np.int8)
    ref = REFERENCE_DATE.toordinal()
    days = np.floor(age * 365.2425 + rng.random(n) * 365.0).astype(np.int64)
    dob = ref - np.minimum(days, 365 * 105)
    a["dob"] = dob
    distinct, inverse = np.unique(dob, return_inverse=True)
    birth_year = np.array([date.fromordinal(int(o)).year for o in distinct], dtype=np.int64)[inverse]
    a["birth_year"] = birth_year

    # Family names: one line name per household, own names for spouses and in-laws.
    vocab = list(N.FAMILY.names)
    for parts in N.MINORITY_FAMILY.values():
        vocab.extend(x for x in parts.names if x not in vocab)
    for female_form in N.FEMALE_FORM.values():
        if female_form not in vocab:
            vocab.append(female_form)
    index_of = {name: i for i, name in enumerate(vocab)}
    kinh_map = np.array([index_of[x] for x in N.FAMILY.names])
    n_hh = len(prov.hh_commune)
    hh_eth = np.asarray(prov.hh_ethnicity, dtype=np.int8)
    hh_line = kinh_map[_choice(rng, N.FAMILY, n_hh)]
    own = kinh_map[_choice(rng, N.FAMILY, n)]
    for e, name in enumerate(ETHNICITIES):
        if name == "Kinh":
            continue
        parts = N.MINORITY_FAMILY[name]
        mapping = np.array([index_of[x] for x in parts.names])
        mask_hh = hh_eth == e
        hh_line[mask_hh] = mapping[_choice(rng, parts, int(mask_hh.sum()))]
        mask_p = hh_eth[hh] == e
        own[mask_p] = mapping[_choice(rng, parts, int(mask_p.sum()))]
    family = np.where(line, hh_line[hh], own)
    female_form = np.arange(len(vocab))
    for male_name, fem_name in N.FEMALE_FORM.items():
        female_form[index_of[male_name]] = index_of[fem_name]
    family = np.where(female == 1, female_form[family], family)
    a["family"] = family
    prov.vocab["family"] = (vocab, [fold(x) for x in vocab])

    # Middle and given names by gender, generation and ethnicity.
    young = birth_year >= 1985
    minority = hh_eth[hh] != 0
    middle_vocab: list[str] = []
    middle = np.zeros(n, dtype=np.int64)
    given_vocab: list[str] = []
    given = np.zeros(n, dtype=np.int64)
    for g_idx, gender in enumerate(("male", "female")):
        for gen_name, gen_mask in (("old", ~young), ("young", young)):
            parts = N.MIDDLE[(gender, gen_name)]
            mask = (female == g_idx) & gen_mask
            offset = _extend(middle_vocab, parts.names)
            middle[mask] = offset[_choice(rng, parts, int(mask.sum()))]
        for parts, mask in (
            (N.GIVEN[gender], (female == g_idx) & ~minority),
            (N.MINORITY_GIVEN[gender], (female == g_idx) & minority),
        ):
            offset = _extend(given_vocab, parts.names)
            given[mask] = offset[_choice(rng, parts, int(mask.sum()))]
        # Half of the minority people carry a common Kinh given name.
        mask = (female == g_idx) & minority & (rng.random(n) < 0.5)
        offset = _extend(given_vocab, N.GIVEN[gender].names)
        given[mask] = offset[_choice(rng, N.GIVEN[gender], int(mask.sum()))]
    # Some minority people have no middle name.
    empty = _extend(middle_vocab, ("",))[0]
    middle[minority & (rng.random(n) < 0.4)] = empty
    a["middle"], a["given"] = middle, given
    prov.vocab["middle"] = (middle_vocab, [fold(x) for x in middle_vocab])
    prov.vocab["given"] = (given_vocab, [fold(x) for x in given_vocab])

    # Personal IDs: birth province, century/gender digit, year, six unique random digits.
    codes = [c for c, _ in BIRTH_PROVINCES]
    w = np.array([x for _, x in BIRTH_PROVINCES])
    born_at = rng.choice(len(codes), size=n, p=w / w.sum())
    born_at[minority] = 0
    a["born_at"] = born_at
    province_num = np.array([int(c) for c in codes], dtype=np.int64)[born_at]
    century_digit = 2 * ((birth_year - 1900) // 100) + female
    prefix = province_num * 1000 + century_digit * 100 + birth_year % 100
    pid = prefix * 1_000_000 + rng.integers(0, 1_000_000, size=n)
    a["pid"] = _unique(pid, prefix, rng, 1_000_000)

    # Deaths: a few per cent, mostly the old; never a household head (the household would need one).
    p_death = np.select([age >= 80, age >= 70, age >= 60, age >= 40], [0.65, 0.35, 0.12, 0.03], 0.008)
    dead = (rng.random(n) < p_death) & (relation != R_HEAD)
    back = np.floor(rng.random(n) * 3650).astype(np.int64)
    dod = np.maximum(ref - back, dob + 1)
    a["dead"], a["dod"] = dead, np.where(dead, np.minimum(dod, ref), 0)

    # Old 9-digit CMND numbers for some adults (Huế's started 191/192).
    adult = age >= 25
    has_cmnd = adult & (rng.random(n) < 0.45)
    cmnd = np.where(rng.random(n) < 0.5, 191, 192) * 1_000_000 + rng.integers(0, 1_000_000, size=n)
    cmnd = _unique(np.where(has_cmnd, cmnd, -1), np.where(has_cmnd, cmnd // 1_000_000, -1), rng, 1_000_000)
    a["cmnd"] = np.where(has_cmnd, cmnd, -1)

    # Phones, temporary residence elsewhere, temporary absence.
    alive = ~dead
    a["phone"] = np.where(
        alive & (age >= 16) & (age < 78) & (rng.random(n) < 0.85), rng.integers(0, 10_000_000, size=n), -1
    )
    a["phone_prefix"] = rng.integers(0, len(PHONE_PREFIXES), size=n)
    working = alive & (age >= 18) & (age < 60)
    a["temp"] = working & (rng.random(n) < 0.02)
    a["temp_commune"] = rng.integers(0, 141, size=n)
    a["temp_from"] = ref - rng.integers(30, 900, size=n)
    a["absent"] = working & ~a["temp"] & (rng.random(n) < 0.015)
    a["absent_dest"] = rng.integers(0, len(ABSENCE_DESTINATIONS), size=n)
    a["absent_from"] = ref - rng.integers(30, 1500, size=n)
    a["female"], a["household"], a["relation"] = female, hh, relation
    a["hh_eth"] = hh_eth
    prov.arrays.update(a)


def _extend(vocab: list[str], names: Sequence[str]) -> np.ndarray:
    """Append names to a vocabulary (once each) and return their indexes there."""
    out = []
    for name in names:
        if name not in vocab:
            vocab.append(name)
        out.append(vocab.index(name))
    return np.array(out, dtype=np.int64)


def _unique(values: np.ndarray, groups: np.ndarray, rng: np.random.Generator, span: int) -> np.ndarray:
    """Redraw the low part (0..span-1) of values until no two are equal; -1 entries are ignored."""
    values = values.copy()
    for _ in range(100):
        valid = values >= 0
        _, first, counts = np.unique(values[valid], return_index=True, return_counts=True)
        if (counts == 1).all():
            return values
        idx = np.flatnonzero(valid)
        keep = np.zeros(len(idx), dtype=bool)
        keep[first] = True
        dup = idx[~keep]
        values[dup] = groups[dup] * span + rng.integers(0, span, size=len(dup))
    raise RuntimeError("could not draw unique numbers")


# --------------------------------------------------------------------------- rows


def resident_rows(
    prov: Province, start: int, stop: int, first_id: int, first_household: int
) -> list[dict[str, Any]]:
    """Rows for residents start..stop-1 (ids from first_id), ready for bulk_insert."""
    a = prov.arrays
    (fam_v, fam_k), (mid_v, mid_k), (giv_v, giv_k) = (
        prov.vocab["family"],
        prov.vocab["middle"],
        prov.vocab["given"],
    )
    now = datetime.combine(REFERENCE_DATE, datetime.min.time(), tzinfo=UTC)
    communes = _communes()
    places = _places()
    rows = []
    fam, mid, giv = a["family"], a["middle"], a["given"]
    dob, pid, cmnd = a["dob"], a["pid"], a["cmnd"]
    dead, dod, female, household, relation = a["dead"], a["dod"], a["female"], a["household"], a["relation"]
    phone, phone_prefix, temp, absent = a["phone"], a["phone_prefix"], a["temp"], a["absent"]
    born_at, hh_eth = a["born_at"], a["hh_eth"]
    date_cache: dict[int, date] = {}

    def d(o: int) -> date:
        v = date_cache.get(o)
        if v is None:
            v = date_cache[o] = date.fromordinal(o)
        return v

    for i in range(start, stop):
        f, m, g = int(fam[i]), int(mid[i]), int(giv[i])
        middle = mid_v[m]
        if middle:
            full = f"{fam_v[f]} {middle} {giv_v[g]}"
            key = f"{fam_k[f]} {mid_k[m]} {giv_k[g]}"
        else:
            full = f"{fam_v[f]} {giv_v[g]}"
            key = f"{fam_k[f]} {giv_k[g]}"
        h = int(household[i])
        commune = prov.hh_commune[h]
        is_dead = bool(dead[i])
        row = {
            "id": first_id + i,
            "personal_id": f"{int(pid[i]):012d}",
            "old_id": f"{int(cmnd[i]):09d}" if cmnd[i] >= 0 else None,
            "family_name": fam_v[f],
            "middle_name": middle,
            "given_name": giv_v[g],
            "full_name": full,
            "full_name_raw": None,
            "search_key": key,
            "given_key": giv_k[g],
            "gender": "female" if female[i] else "male",
            "date_of_birth": d(int(dob[i])),
            "place_of_birth": places[(int(born_at[i]), commune)],
            "ethnicity": ETHNICITIES[int(hh_eth[h])],
            "nationality": "Việt Nam",
            "status": "deceased" if is_dead else "alive",
            "date_of_death": d(int(dod[i])) if is_dead else None,
            "commune_code": commune,
            "address_detail": prov.hh_detail[h],
            "household_id": first_household + h,
            "relation_to_head": RELATIONS[int(relation[i])],
            "temp_commune_code": None,
            "temp_address": None,
            "temp_from": None,
            "temp_to": None,
            "absent_from": None,
            "absent_to": None,
            "absent_destination": None,
            "phone": f"{PHONE_PREFIXES[int(phone_prefix[i])]}{int(phone[i]):07d}" if phone[i] >= 0 else None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        if temp[i]:
            other = communes[int(a["temp_commune"][i])]
            if other != commune:
                start_day = int(a["temp_from"][i])
                row.update(
                    temp_commune_code=other,
                    temp_address=f"Tổ {1 + i % 9}",
                    temp_from=d(start_day),
                    temp_to=d(start_day + 730),
                )
        elif absent[i]:
            start_day = int(a["absent_from"][i])
            row.update(
                absent_from=d(start_day),
                absent_to=d(start_day + 1095),
                absent_destination=ABSENCE_DESTINATIONS[int(a["absent_dest"][i])],
            )
        rows.append(row)
    return rows


def _communes() -> list[str]:
    return sorted(u.code for u in admin_units.communes(BASE_VERSION))


_PLACES: dict[tuple[int, str], str] = {}


def _places() -> dict[tuple[int, str], str]:
    """Place of birth text by (birth province index, commune): Huế-born people get their district."""
    if not _PLACES:
        province_name = "Thừa Thiên Huế"
        for idx, (code, _) in enumerate(BIRTH_PROVINCES):
            for commune in _communes():
                if code == "046":
                    district = admin_units.district_of(commune)
                    _PLACES[(idx, commune)] = f"{district.name}, {province_name}"
                else:
                    _PLACES[(idx, commune)] = BIRTH_PROVINCE_CODES[code]
    return _PLACES


def household_rows(prov: Province, first_household: int, first_id: int) -> list[dict[str, Any]]:
    now = datetime.combine(REFERENCE_DATE, datetime.min.time(), tzinfo=UTC)
    counters: dict[str, int] = {}
    rows = []
    for h, commune in enumerate(prov.hh_commune):
        counters[commune] = counters.get(commune, 0) + 1
        rows.append(
            {
                "id": first_household + h,
                "code": f"HK{commune}{counters[commune]:06d}",
                "commune_code": commune,
                "address_detail": prov.hh_detail[h],
                "head_resident_id": first_id + prov.hh_head[h],
                "created_at": now,
            }
        )
    return rows


def address_rows(prov: Province, first_household: int, seed: int) -> list[dict[str, Any]]:
    """One digital address (house GPS point) per household, inside its commune's box.

    Houses cluster around a few hamlet or street centres per commune, as villages do, rather
    than sprinkling evenly over rice fields and hills.
    """
    rng = np.random.default_rng(seed + 1)
    n = len(prov.hh_commune)
    now = datetime.combine(REFERENCE_DATE, datetime.min.time(), tzinfo=UTC)
    boxes = {c: commune_bbox(c) for c in _communes()}
    centres = {c: rng.random((int(rng.integers(4, 13)), 2)) for c in sorted(boxes)}
    pick, jitter = rng.random(n), rng.normal(0.0, 0.07, size=(n, 2))
    counters: dict[str, int] = {}
    rows = []
    for h, commune in enumerate(prov.hh_commune):
        counters[commune] = counters.get(commune, 0) + 1
        lat0, lon0, lat1, lon1 = boxes[commune]
        cs = centres[commune]
        cy, cx = cs[int(pick[h] * len(cs))]
        u = min(max(cy + float(jitter[h, 0]), 0.0), 1.0)
        v = min(max(cx + float(jitter[h, 1]), 0.0), 1.0)
        rows.append(
            {
                "id": first_household + h,
                "code": f"DC{commune}{counters[commune]:06d}",
                "household_id": first_household + h,
                "commune_code": commune,
                "label": prov.hh_detail[h],
                "lat": round(lat0 + (lat1 - lat0) * u, 6),
                "lon": round(lon0 + (lon1 - lon0) * v, 6),
                "created_at": now,
            }
        )
    return rows


# --------------------------------------------------------------------------- loading


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(total, start + size)


def build_province(url: str, residents: int, seed: int, progress: ProgressLike = None) -> dict[str, Any]:
    """Generate and load a province into an empty register, all or nothing; returns figures."""
    import_all_models()
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _refuse_if_not_empty(conn)  # before minutes of work, not after
            conn.rollback()
        prov = generate(residents, seed, progress)
        generated = time.perf_counter() - started
        with engine.begin() as conn:
            figures = _load(conn, prov, seed, progress)
    finally:
        engine.dispose()
    figures.update(
        seed=seed,
        seconds=round(time.perf_counter() - started, 1),
        generate_seconds=round(generated, 1),
        database=engine.dialect.name,
    )
    return figures


def _refuse_if_not_empty(conn: Connection) -> None:
    if conn.execute(select(Resident.id).limit(1)).first() is not None:
        raise InvalidInput(
            "synth.not_empty",
            "CSDL dân cư đã có dữ liệu; hãy dùng một cơ sở dữ liệu trống.",
            "The register already holds residents; use an empty database.",
        )


def _load(conn: Connection, prov: Province, seed: int, progress: ProgressLike) -> dict[str, Any]:
    session = Session(bind=conn)
    _refuse_if_not_empty(conn)
    pg = conn.dialect.name == "postgresql"
    if pg:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    first_id = (session.scalar(select(func.max(Resident.id))) or 0) + 1
    first_hh = (session.scalar(select(func.max(Household.id))) or 0) + 1
    first_addr = (session.scalar(select(func.max(DigitalAddress.id))) or 0) + 1
    indexes = list(Resident.__table__.indexes)
    for index in indexes:
        index.drop(conn, checkfirst=True)
    total = prov.n + 2 * len(prov.hh_commune)
    task = progress.add_task("Nạp CSDL / loading", total=total) if progress else None

    def step(k: int) -> None:
        if task is not None:
            progress.advance(task, k)

    rows = household_rows(prov, first_hh, first_id)
    bulk_insert(session, Household.__table__, rows)
    step(len(rows))
    for start, stop in _chunks(prov.n, CHUNK):
        rows = resident_rows(prov, start, stop, first_id, first_hh)
        bulk_insert(session, Resident.__table__, rows)
        step(len(rows))
    rows = address_rows(prov, first_hh, seed)
    if first_addr != first_hh:
        for r in rows:
            r["id"] += first_addr - first_hh
    bulk_insert(session, DigitalAddress.__table__, rows)
    step(len(rows))
    del rows
    idx_task = progress.add_task("Tạo chỉ mục / indexes", total=len(indexes)) if progress else None
    for index in indexes:
        index.create(conn)
        if idx_task is not None:
            progress.advance(idx_task, 1)
    if pg:
        for table in ("residents", "households", "digital_addresses"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(text("ANALYZE residents"))
        conn.execute(text("ANALYZE households"))
        conn.execute(text("ANALYZE digital_addresses"))
    else:
        conn.execute(text("ANALYZE"))
    dead = int(prov.arrays["dead"].sum())
    figures = {
        "residents": prov.n,
        "households": len(prov.hh_commune),
        "digital_addresses": len(prov.hh_commune),
        "deceased": dead,
    }
    audit.record(
        session,
        SYSTEM,
        "registry.synthetic_load",
        "register",
        "synthetic",
        {
            "residents": prov.n,
            "households": len(prov.hh_commune),
            "deceased": dead,
            "reference_date": REFERENCE_DATE.isoformat(),
        },
    )
    session.flush()
    return figures


# --------------------------------------------------------------------------- CLI


def register(app: typer.Typer) -> None:
    """Add `hue06 synth province` to the synth command group."""

    @app.command("province")
    def province_command(
        residents: int = typer.Option(
            200_000, "--residents", help="How many residents (1,150,000 ≈ the real province)."
        ),
        seed: int = typer.Option(6, "--seed", help="The same seed builds the same province."),
        db: str | None = typer.Option(
            None,
            "--db",
            help="Database URL (default: HUE06_DATABASE_URL or var/hue06.db).",
            envvar="HUE06_DATABASE_URL",
        ),
    ) -> None:
        """Build a synthetic province into an empty register (all or nothing)."""

        settings = settings_for(db)
        upgrade(settings.database_url)
        try:
            with progress() as bar:
                figures = build_province(settings.database_url, residents, seed, progress=bar)
        except Hue06Error as exc:
            raise fail(exc) from None
        console.print(
            f"[green]Đã tạo tỉnh giả lập[/green] / synthetic province built in {figures['seconds']} s "
            f"({figures['database']})."
        )
        out.print(
            f"residents={figures['residents']} households={figures['households']} "
            f"digital_addresses={figures['digital_addresses']} deceased={figures['deceased']} seed={seed}",
            markup=False,
            highlight=False,
        )
