"""Administrative units as dated data: provinces, districts and communes, version by version.

Huế's units changed twice in 2025 (1 Jan: 9 districts / 133 communes; 1 Jul: no districts,
40 communes), and records keep the codes of the day they were written. So every unit belongs to
a named version, and every 2024 commune is mapped to the unit it became in each later version.
Jurisdictions are compared through `communes_within`, which answers in 2024 commune codes —
the finest grain every later unit is a whole union of (in Huế no commune was split).

Data lives in `data/admin_units_<province>.json`; any province file of the same shape loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from importlib import resources

from hue06.core.errors import InvalidInput
from hue06.core.text import fold, normalize_text

__all__ = [
    "DEFAULT_PROVINCE",
    "ProvinceUnits",
    "Unit",
    "communes",
    "communes_within",
    "current_unit",
    "district_of",
    "districts",
    "find_commune",
    "get_unit",
    "load_province",
    "to_version",
    "version_on",
]

DEFAULT_PROVINCE = "46"
_KINDS = ("Thị trấn", "Thị xã", "Thành phố", "Phường", "Xã", "Huyện", "Quận", "Tỉnh")
# Abbreviations people put before a commune's name, and the kind they stand for.
_PREFIX_RE = re.compile(r"^(phuong|xa|thi tran|p|x|tt)(?:\.\s*|\s+)")
_PREFIX_KIND = {
    "phuong": "Phường",
    "p": "Phường",
    "xa": "Xã",
    "x": "Xã",
    "thi tran": "Thị trấn",
    "tt": "Thị trấn",
}


@dataclass(frozen=True)
class Unit:
    """One administrative unit in one version. `name` is the full normalised name
    ("Phường Thủy Biều"); `short_name` drops the kind ("Thủy Biều"). `population` is an
    estimate (see the data file's population_note); above the 2024 communes it is their sum."""

    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    version: str
    population: int | None = None
    short_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class _Version:
    name: str
    valid_from: date | None
    valid_to: date | None

    def contains(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (
            self.valid_to is None or d <= self.valid_to
        )


def _key(s: str) -> str:
    """Comparison key for unit names: folded, hyphens and commas as spaces."""
    return " ".join(re.sub(r"[-–,]", " ", fold(s)).split())


def _kind_of(name: str) -> str:
    for kind in _KINDS:
        if name.startswith(kind + " "):
            return kind
    raise ValueError(f"unit name without a known kind: {name!r}")


def _unknown(code: str) -> InvalidInput:
    return InvalidInput(
        "admin_unit.unknown",
        f"Không có đơn vị hành chính mã {code}.",
        f"There is no administrative unit with code {code}.",
        unit_code=code,
    )


class ProvinceUnits:
    """All versions of one province's units, with the 2024→later mapping. Build with `load_province`."""

    def __init__(self, data: dict) -> None:
        self.code: str = data["province_code"]
        self.source: list[str] = data.get("source", [])
        self.notes: list[str] = data.get("notes", [])
        self.versions: list[_Version] = []
        self._units: dict[str, dict[str, Unit]] = {}
        self._keys: dict[tuple[str, str], frozenset[str]] = {}
        base = data["mapping_from"]
        for vname, v in data["versions"].items():
            self.versions.append(
                _Version(
                    vname,
                    date.fromisoformat(v["valid_from"]) if v["valid_from"] else None,
                    date.fromisoformat(v["valid_to"]) if v["valid_to"] else None,
                )
            )
            units: dict[str, Unit] = {}
            prov = v["province"]
            units[prov["code"]] = self._make(prov["code"], prov["name"], "province", None, vname, None)
            for d in v["districts"]:
                units[d["code"]] = self._make(d["code"], d["name"], "district", prov["code"], vname, None)
            for c in v["communes"]:
                parent = c.get("district") or prov["code"]
                units[c["code"]] = self._make(
                    c["code"], c["name"], "commune", parent, vname, c.get("population")
                )
            self._units[vname] = units
        self.base_version = base
        base_communes = [u.code for u in self.communes(base)]
        # mapping[c][v]: the unit of version v that 2024 commune c is part of.
        self._mapping: dict[str, dict[str, str]] = {c: {base: c, **data["mapping"][c]} for c in base_communes}
        self._within: dict[tuple[str, str], frozenset[str]] = {}
        for vname, units in self._units.items():
            for unit in units.values():
                self._within[(vname, unit.code)] = self._compute_within(unit)
        # Every other unit's population is the sum over the base communes it covers.
        base_pop = {c: self._units[base][c].population for c in self._mapping}
        for vname, units in self._units.items():
            for code, unit in list(units.items()):
                if unit.population is None:
                    pops = [base_pop[c] for c in self._within[(vname, code)]]
                    if pops and all(p is not None for p in pops):
                        units[code] = replace(unit, population=sum(pops))

    def _make(
        self, code: str, raw_name: str, level: str, parent: str | None, version: str, population: int | None
    ) -> Unit:
        name = normalize_text(raw_name)
        kind = _kind_of(name)
        short = name[len(kind) + 1 :]
        keys = {_key(name), _key(short)}
        for other in _KINDS:  # "Phường Phường Đúc": also answer to "Đúc" after a prefix
            if short.startswith(other + " "):
                keys.add(_key(short[len(other) + 1 :]))
        self._keys[(version, code)] = frozenset(keys)
        return Unit(code, name, level, kind, parent, version, population, short)

    def _compute_within(self, unit: Unit) -> frozenset[str]:
        v = unit.version
        if unit.level == "province":
            return frozenset(self._mapping)
        if unit.level == "commune":
            return frozenset(c for c, m in self._mapping.items() if m.get(v) == unit.code)
        members = [u for u in self._units[v].values() if u.level == "commune" and u.parent_code == unit.code]
        return frozenset(c for m in members for c in self._compute_within(m))

    # ------------------------------------------------------------------ versions

    @property
    def latest_version(self) -> str:
        return self.versions[-1].name

    def version_on(self, d: date) -> str:
        for v in self.versions:
            if v.contains(d):
                return v.name
        raise InvalidInput(
            "admin_unit.no_version",
            f"Không có danh mục đơn vị hành chính cho ngày {d:%d/%m/%Y}.",
            f"No list of administrative units covers {d:%d/%m/%Y}.",
        )

    def _check_version(self, version: str) -> str:
        if version not in self._units:
            raise InvalidInput(
                "admin_unit.version",
                f"Không có phiên bản danh mục {version}.",
                f"There is no unit list version {version}.",
                version=version,
            )
        return version

    def versions_with(self, code: str) -> list[str]:
        return [v.name for v in self.versions if code in self._units[v.name]]

    def _resolve(self, code: str, version: str | None) -> Unit:
        """The unit for a code: in `version` if given, else today's version, else the most
        recent version that has the code."""
        code = str(code).strip()
        if version is not None:
            unit = self._units[self._check_version(version)].get(code)
            if unit is None:
                raise _unknown(code)
            return unit
        today = self.version_on(date.today())
        if code in self._units[today]:
            return self._units[today][code]
        found = self.versions_with(code)
        if not found:
            raise _unknown(code)
        return self._units[found[-1]][code]

    # ------------------------------------------------------------------ lookups

    def get_unit(self, code: str, version: str | None = None) -> Unit:
        version = version or self.version_on(date.today())
        unit = self._units[self._check_version(version)].get(str(code).strip())
        if unit is None:
            raise _unknown(str(code))
        return unit

    def communes(self, version: str | None = None) -> list[Unit]:
        version = self._check_version(version or self.version_on(date.today()))
        return [u for u in self._units[version].values() if u.level == "commune"]

    def districts(self, version: str | None = None) -> list[Unit]:
        version = self._check_version(version or self.version_on(date.today()))
        return [u for u in self._units[version].values() if u.level == "district"]

    def communes_within(self, code: str, version: str | None = None) -> frozenset[str]:
        unit = self._resolve(code, version)
        return self._within[(unit.version, unit.code)]

    def to_version(self, code: str, version: str, *, from_version: str | None = None) -> Unit:
        """The commune of `version` that a commune code (read in `from_version`, by default
        the earliest version that has the code) is part of. Going back in time works only
        where the unit was not a merger of several."""
        self._check_version(version)
        source = from_version or next(iter(self.versions_with(str(code).strip())), None)
        if source is None:
            raise _unknown(str(code))
        unit = self._resolve(code, source)
        if unit.level != "commune":
            raise InvalidInput(
                "admin_unit.not_commune",
                "Chỉ chuyển đổi được đơn vị cấp xã.",
                "Only commune-level units can be converted between versions.",
            )
        targets = {self._mapping[c][version] for c in self._within[(unit.version, unit.code)]}
        if len(targets) != 1:
            raise InvalidInput(
                "admin_unit.ambiguous",
                f"{unit.name} ứng với {len(targets)} đơn vị trong phiên bản {version}.",
                f"{unit.name} corresponds to {len(targets)} units in version {version}.",
            )
        return self._units[version][targets.pop()]

    def current_unit(self, code: str) -> Unit:
        """The unit of the latest version a code of any version now belongs to: a commune's
        successor; for a district or province, the province (districts no longer exist)."""
        latest = self.latest_version
        found = self.versions_with(str(code).strip())
        if not found:
            raise _unknown(str(code))
        unit = self._units[found[0]][str(code).strip()]
        if unit.level == "commune":
            return self.to_version(unit.code, latest, from_version=unit.version)
        if unit.code in self._units[latest]:
            return self._units[latest][unit.code]
        return next(u for u in self._units[latest].values() if u.level == "province")

    def district_of(self, commune_code: str) -> Unit:
        """The base-version (2024) district of a base-version commune."""
        unit = self._resolve(commune_code, self.base_version)
        if unit.level != "commune":
            raise _unknown(str(commune_code))
        return self._units[self.base_version][unit.parent_code]

    def _district_scope(self, district: str) -> frozenset[str]:
        hint = str(district).strip()
        scope: set[str] = set()
        if hint.isdigit():
            for v in self.versions_with(hint):
                scope |= self._within[(v, hint)]
        else:
            key = _key(hint)
            for v in self.versions:
                for u in self._units[v.name].values():
                    if u.level == "district" and key in self._keys[(v.name, u.code)]:
                        scope |= self._within[(v.name, u.code)]
        return frozenset(scope)

    def find_commune(
        self, name_or_code: str, version: str | None = None, *, district: str | None = None
    ) -> Unit | None:
        """A commune by code or by name written any way; None when unknown or ambiguous.

        Without `version`, every version is searched and the unit of the most recent version
        that matched is returned. A kind in the query ("Xã", "P.") narrows the match; `district`
        (a code or a name of any version) settles names used twice.
        """
        text = str(name_or_code).strip()
        versions = [self._check_version(version)] if version else [v.name for v in self.versions]
        if text.isdigit():
            for v in reversed(versions):
                unit = self._units[v].get(text)
                if unit is not None and unit.level == "commune":
                    return unit
            return None
        key = _key(text)
        if not key:
            return None
        wanted = {key}
        kind_hint = None
        if m := _PREFIX_RE.match(key):
            kind_hint = _PREFIX_KIND[m.group(1)]
            wanted.add(key[m.end() :])
        matches = [
            u
            for v in versions
            for u in self._units[v].values()
            if u.level == "commune" and wanted & self._keys[(v, u.code)]
        ]
        if kind_hint:
            same_kind = [u for u in matches if u.kind == kind_hint]
            matches = same_kind or matches
        if district is not None:
            scope = self._district_scope(district)
            matches = [u for u in matches if self._within[(u.version, u.code)] & scope]
        if len({u.code for u in matches}) != 1:
            return None
        return matches[-1]


@cache
def load_province(code: str = DEFAULT_PROVINCE) -> ProvinceUnits:
    """Load (once) the units of a province from `data/admin_units_<code>.json`."""
    name = f"admin_units_{code}.json"
    path = resources.files("hue06.core").joinpath("data", name)
    if not path.is_file():
        raise InvalidInput(
            "admin_unit.province",
            f"Chưa có dữ liệu đơn vị hành chính của tỉnh mã {code}.",
            f"No administrative-unit data for province code {code}.",
        )
    return ProvinceUnits(json.loads(path.read_text(encoding="utf-8")))


def version_on(d: date, province: str = DEFAULT_PROVINCE) -> str:
    """The version valid on a date: "2024", "2025-01" or "2025-07" for Huế."""
    return load_province(province).version_on(d)


def get_unit(code: str, version: str | None = None, *, province: str = DEFAULT_PROVINCE) -> Unit:
    """A unit by code in a version (default: the version valid today)."""
    return load_province(province).get_unit(code, version)


def communes(version: str | None = None, *, province: str = DEFAULT_PROVINCE) -> list[Unit]:
    return load_province(province).communes(version)


def districts(version: str | None = None, *, province: str = DEFAULT_PROVINCE) -> list[Unit]:
    return load_province(province).districts(version)


def current_unit(code: str, *, province: str = DEFAULT_PROVINCE) -> Unit:
    return load_province(province).current_unit(code)


def to_version(
    code: str, version: str, *, from_version: str | None = None, province: str = DEFAULT_PROVINCE
) -> Unit:
    return load_province(province).to_version(code, version, from_version=from_version)


def communes_within(
    code: str, version: str | None = None, *, province: str = DEFAULT_PROVINCE
) -> frozenset[str]:
    """The 2024 commune codes a unit covers (province, district, commune, any version).

    Codes reused across versions (474 was Thành phố Huế in 2024 and Quận Thuận Hóa in 2025-01;
    19753 was Phường Thuận Lộc before Phường Phú Xuân) are read in `version`, by default today's
    version if it has the code, else the most recent version that has it. Store the version
    beside any code you keep.
    """
    return load_province(province).communes_within(code, version)


def find_commune(
    name_or_code: str,
    version: str | None = None,
    *,
    district: str | None = None,
    province: str = DEFAULT_PROVINCE,
) -> Unit | None:
    return load_province(province).find_commune(name_or_code, version, district=district)


def district_of(commune_code_2024: str, *, province: str = DEFAULT_PROVINCE) -> Unit:
    return load_province(province).district_of(commune_code_2024)
