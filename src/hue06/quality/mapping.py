"""Which column holds which field: recognised from headers, read from a mapping file, or saved.

A mapping file (JSON or TOML) names the header line if it is not found by itself and, for each
field, the column by its header text, its letter ("C") or its number (3):

    header_line = 5
    [columns]
    full_name = "Tên người hưởng"
    date_of_birth = "D"
    personal_id = 6

A mapping is checked against the file's own values before matching starts, so a name column
mapped to dates, or a file with neither an ID nor a name column, stops with a clear message.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hue06.core.errors import InvalidInput
from hue06.core.personal_id import parse_gender, parse_vn_date_partial
from hue06.quality.fields import FIELDS, column_index, header_key
from hue06.quality.importers import Column, ImportedFile

SAMPLE_ROWS = 400


@dataclass
class ColumnMapping:
    """field → 0-based column index."""

    columns: dict[str, int]
    source: str = "recognised"  # recognised, file, saved, form
    commune_version: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def header_names(self, imported: ImportedFile) -> dict[str, str]:
        by_index = {c.index: c.header for c in imported.columns}
        return {f: by_index.get(i, "") for f, i in self.columns.items()}

    def as_json(self, imported: ImportedFile) -> dict[str, Any]:
        """What is stored with a run and saved for a sector: headers, so it survives column moves."""
        by_index = {c.index: c for c in imported.columns}
        return {
            f: (by_index[i].header or by_index[i].letter) if i in by_index else i
            for f, i in sorted(self.columns.items())
        }


def recognised(imported: ImportedFile) -> ColumnMapping:
    columns = {c.guess: c.index for c in imported.columns if c.guess}
    mapping = ColumnMapping(columns, "recognised")
    _promote_given_to_full(imported, mapping)
    return mapping


def _promote_given_to_full(imported: ImportedFile, mapping: ColumnMapping) -> None:
    """A lone "Tên" column that holds whole names ("Nguyễn Văn An") is the full name."""
    cols = mapping.columns
    if "given_name" in cols and not {"family_name", "family_middle", "full_name"} & set(cols):
        values = _sample(imported, cols["given_name"])
        if values and sum(1 for v in values if len(str(v).split()) >= 2) >= 0.6 * len(values):
            cols["full_name"] = cols.pop("given_name")


def _unknown_field(name: str) -> InvalidInput:
    known = ", ".join(FIELDS)
    return InvalidInput(
        "quality.mapping.unknown_field",
        f"Trường “{name}” không có. Các trường: {known}.",
        f"There is no field “{name}”. Fields: {known}.",
        field=name,
    )


def _unknown_column(field_name: str, ref: object) -> InvalidInput:
    return InvalidInput(
        "quality.mapping.unknown_column",
        f"Không có cột “{ref}” (ghép cho trường {FIELDS[field_name].label_vi}) trong tệp.",
        f"There is no column “{ref}” (mapped to {FIELDS[field_name].label_en}) in the file.",
        field=field_name,
    )


def read_mapping_file(path: str | Path) -> dict[str, Any]:
    """Load a JSON or TOML mapping file (by content: JSON starts with "{")."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            "quality.mapping.file",
            "Tệp ghép cột không đọc được (cần JSON hoặc TOML, mã UTF-8).",
            "The mapping file cannot be read (JSON or TOML in UTF-8 is needed).",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
        raise InvalidInput(
            "quality.mapping.file",
            "Tệp ghép cột cần mục “columns” dạng trường = cột.",
            "The mapping file needs a “columns” table of field = column.",
        )
    return data


def _resolve(columns: list[Column], field_name: str, ref: object) -> int:
    if isinstance(ref, bool):
        raise _unknown_column(field_name, ref)
    if isinstance(ref, int):
        index = ref - 1
        if 0 <= index < max(len(columns), 1) or any(c.index == index for c in columns):
            return index
        raise _unknown_column(field_name, ref)
    text = str(ref).strip()
    key = header_key(text)
    for col in columns:
        if col.header and (col.header == text or header_key(col.header) == key):
            return col.index
    if re.fullmatch(r"[A-Za-z]{1,3}", text):
        index = column_index(text)
        if index is not None and index < max(len(columns), 1):
            return index
    if text.isdigit():
        return _resolve(columns, field_name, int(text))
    raise _unknown_column(field_name, ref)


def from_spec(imported: ImportedFile, spec: MappingABC[str, Any], source: str = "file") -> ColumnMapping:
    """Turn {field: header | letter | number} into column indexes for this file."""
    cols: dict[str, int] = {}
    for name, ref in dict(spec.get("columns", spec)).items():
        if name not in FIELDS:
            raise _unknown_field(str(name))
        if ref in (None, ""):
            continue
        cols[name] = _resolve(imported.columns, name, ref)
    version = spec.get("commune_version") if "columns" in spec else None
    return ColumnMapping(cols, source, str(version) if version else None)


def saved_applies(imported: ImportedFile, spec: MappingABC[str, Any]) -> bool:
    """A saved mapping fits a file when every header it names is one of the file's headers."""
    keys = {header_key(c.header) for c in imported.columns if c.header}
    refs = dict(spec.get("columns", spec)).values()
    return bool(refs) and all(isinstance(r, str) and header_key(r) in keys for r in refs)


# --------------------------------------------------------------------------- checking a mapping


def _sample(imported: ImportedFile, index: int) -> list[Any]:
    out = []
    for row in imported.rows(limit=SAMPLE_ROWS):
        if index < len(row.cells) and row.cells[index] not in (None, ""):
            out.append(row.cells[index])
    return out


_DIGITS_RE = re.compile(r"[\s.\-']")


def _fits(kind: str, value: Any) -> bool:
    if kind == "id":
        text = (
            _DIGITS_RE.sub("", str(value)).removesuffix(".0")
            if not isinstance(value, float)
            else str(int(value))
        )
        return text.isdigit() and 8 <= len(text) <= 12
    if kind == "name":
        text = str(value)
        letters = sum(ch.isalpha() for ch in text)
        return letters >= 2 and sum(ch.isdigit() for ch in text) == 0
    if kind in ("date", "year"):
        try:
            parse_vn_date_partial(value.strip() if isinstance(value, str) else _number(value))
        except (ValueError, TypeError):
            return False
        return True
    if kind in ("day", "month"):
        try:
            n = int(float(value))
        except (TypeError, ValueError):
            return False
        return 1 <= n <= (31 if kind == "day" else 12)
    if kind == "gender":
        return parse_gender(str(value)) is not None
    if kind == "seq":
        return str(value).replace(".0", "").strip().isdigit()
    if kind in ("commune", "district", "address"):
        return any(ch.isalpha() for ch in str(value)) or str(value).strip().isdigit()
    return True


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def wrong_mapping(field_name: str, header: str, share: float) -> InvalidInput:
    f = FIELDS[field_name]
    pct = round(100 * share)
    return InvalidInput(
        "quality.mapping.wrong_column",
        f"Cột “{header}” được ghép với “{f.label_vi}” nhưng {pct}% giá trị của nó không phải "
        f"{f.label_vi.lower()}. Hãy kiểm tra lại cách ghép cột.",
        f"Column “{header}” is mapped to “{f.label_en}” but {pct}% of its values are not a "
        f"{f.label_en.lower()}. Check the column mapping.",
        field=field_name,
    )


def missing_key() -> InvalidInput:
    return InvalidInput(
        "quality.mapping.missing_key",
        "Thiếu cột bắt buộc: cần ít nhất cột số định danh/CCCD (hoặc CMND) hoặc cột họ tên.",
        "A required column is missing: at least a personal ID (or old CMND) column or a name column is needed.",
    )


def check(imported: ImportedFile, mapping: ColumnMapping) -> ColumnMapping:
    """Refuse a mapping that cannot be right; note softer doubts in `mapping.warnings`."""
    cols = mapping.columns
    if len(set(cols.values())) != len(cols):
        raise InvalidInput(
            "quality.mapping.same_column",
            "Một cột được ghép với hai trường. Mỗi cột chỉ ghép với một trường.",
            "One column is mapped to two fields. Map each column to one field only.",
        )
    has_id = bool({"personal_id", "old_id"} & set(cols))
    has_name = "full_name" in cols or "given_name" in cols
    if not (has_id or has_name):
        raise missing_key()
    headers = {c.index: c.header or c.letter for c in imported.columns}
    for name, index in cols.items():
        kind = FIELDS[name].kind
        if kind == "mark":
            continue
        values = _sample(imported, index)
        header = headers.get(index, str(index + 1))
        if not values:
            mapping.warnings.append(
                (
                    f"Cột “{header}” ({FIELDS[name].label_vi}) trống.",
                    f"Column “{header}” ({FIELDS[name].label_en}) is empty.",
                )
            )
            continue
        bad = sum(1 for v in values if not _fits(kind, v)) / len(values)
        if (len(values) >= 5 and bad > 0.5) or (len(values) >= 2 and bad == 1.0):
            raise wrong_mapping(name, header, bad)
        if len(values) >= 5 and bad > 0.2:
            mapping.warnings.append(
                (
                    f"{round(100 * bad)}% giá trị cột “{header}” không đọc được là {FIELDS[name].label_vi.lower()}.",
                    f"{round(100 * bad)}% of the values in column “{header}” do not read as a "
                    f"{FIELDS[name].label_en.lower()}.",
                )
            )
    if (
        has_name
        and not has_id
        and "date_of_birth" not in cols
        and "birth_year" not in cols
        and "dob_male" not in cols
    ):
        mapping.warnings.append(
            (
                "Không có cột số định danh và ngày sinh: chỉ đối chiếu được theo họ tên và địa chỉ, kết quả kém chắc chắn.",
                "No ID and no date-of-birth column: rows can be matched on name and address only, with less certainty.",
            )
        )
    return mapping
