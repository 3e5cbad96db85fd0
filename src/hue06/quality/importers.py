"""Read any sector file: CSV or spreadsheet, any Vietnamese encoding, header anywhere near the top.

What real files do and this reader copes with: a title block above the header ("BẢO HIỂM XÃ HỘI
TỈNH ... / DANH SÁCH ..."), a two-row header under merged cells ("Ngày sinh" over "Nam" | "Nữ"),
a row of column numbers "(1) (2) (3)" under the header, the header repeated on every printed
page, merged cells down the data (one commune written once for many rows), text in TCVN3 or VNI
fonts, UTF-16 from old exports, IDs stored as numbers that lost their leading zero, a file split
over several sheets because one sheet holds at most 1,048,576 rows.

A *data row* is every non-blank row after the header that is not a repeat of the header; rows are
numbered 1, 2, 3... in that order, and every result refers to that number (and to the line or
sheet row, for people looking at the file).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hue06.core.errors import InvalidInput
from hue06.core.text import decode_bytes, detect_legacy_encoding, nfc, tcvn3_to_unicode, vni_to_unicode
from hue06.quality.fields import (
    FIELDS,
    column_letter,
    field_for_header,
    field_under,
    header_key,
    sub_header_meaning,
)

HEADER_SCAN_ROWS = 40
MAX_BYTES = 512 * 1024 * 1024

Cell = Any  # str | int | float | date | datetime | bool | None


@dataclass(frozen=True)
class Skipped:
    """A line of the file that is not a data row, or a data row that could not be used."""

    line: int
    reason_vi: str
    reason_en: str
    row: int | None = None  # the data-row number, when the line was one
    sheet: str = ""


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    guess: str | None  # the field recognised from the header, if any

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class DataRow:
    row: int  # 1-based among data rows
    line: int  # 1-based line (CSV) or sheet row (spreadsheet)
    sheet: str
    cells: tuple[Cell, ...]
    from_number: frozenset[int] = frozenset()  # columns whose value was a number cell


@dataclass
class ImportedFile:
    """A sector file opened and understood: its format, encoding, header and data rows.

    `rows()` reads the data again each time it is called (a 1-million-row file is not kept as
    Python objects); `skipped` collects the structural lines met on the last full pass.
    """

    name: str
    format: str
    encoding: str | None
    sha256: str
    size: int
    header_line: int
    columns: list[Column]
    sheets: list[str]
    notes: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    _source: _CsvSource | _SheetSource | None = None

    def rows(self, limit: int | None = None) -> Iterator[DataRow]:
        assert self._source is not None
        skipped: list[Skipped] = []
        for n, item in enumerate(self._source.data_rows(self, skipped), start=1):
            yield item
            if limit is not None and n >= limit:
                return
        self.skipped = skipped

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# --------------------------------------------------------------------------- errors


def not_spreadsheet(kind: str = "") -> InvalidInput:
    what = f" ({kind})" if kind else ""
    return InvalidInput(
        "quality.not_spreadsheet",
        f"Tệp không phải bảng tính hay tệp CSV{what}. Hãy gửi tệp .xlsx, .xls, .ods hoặc .csv.",
        f"The file is not a spreadsheet or CSV file{what}. Send an .xlsx, .xls, .ods or .csv file.",
    )


def empty_file() -> InvalidInput:
    return InvalidInput(
        "quality.empty_file", "Tệp rỗng, không có dữ liệu.", "The file is empty; it holds no data."
    )


def no_data_rows() -> InvalidInput:
    return InvalidInput(
        "quality.no_rows",
        "Tệp có dòng tiêu đề nhưng không có dòng dữ liệu nào.",
        "The file has a header row but no data rows.",
    )


def no_header() -> InvalidInput:
    return InvalidInput(
        "quality.no_header",
        "Không tìm thấy dòng tiêu đề (cần ít nhất hai cột như “Họ và tên”, “Ngày sinh”, “Số CCCD”). "
        "Hãy dùng một tệp ghép cột (--mapping) nêu rõ dòng tiêu đề và các cột.",
        "No header row found (at least two columns such as “Họ và tên”, “Ngày sinh”, “Số CCCD” are needed). "
        "Use a mapping file (--mapping) naming the header row and the columns.",
    )


def too_big() -> InvalidInput:
    return InvalidInput(
        "quality.too_big",
        "Tệp quá lớn (tối đa 512 MB). Hãy chia thành nhiều tệp.",
        "The file is too large (512 MB at most). Split it into several files.",
    )


# --------------------------------------------------------------------------- format detection

_NOT_SHEETS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"Rar!", "RAR"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf", "7z"),
    (b"MZ", "EXE"),
    (b"\x7fELF", "ELF"),
    (b"{\\rtf", "RTF"),
)


def sniff_format(data: bytes) -> str:
    """ "xlsx", "xls", "ods" or "csv" from the bytes themselves (names lie, bytes do not)."""
    if not data or not data.strip():
        raise empty_file()
    for magic, kind in _NOT_SHEETS:
        if data.startswith(magic):
            raise not_spreadsheet(kind)
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                mimetype = zf.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except zipfile.BadZipFile:
            raise not_spreadsheet("ZIP") from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "spreadsheet" in mimetype:
            return "ods"
        if any(n.startswith("word/") for n in names):
            raise not_spreadsheet("DOCX")
        raise not_spreadsheet("ZIP")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    return "csv"


# --------------------------------------------------------------------------- cells


def _clean(value: Cell) -> Cell:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if text[:1] == "'":
            text = text.lstrip("'").strip()
        return text or None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _numbering_row(cells: Sequence[Cell]) -> bool:
    """ "(1) (2) (3) ..." or "1 2 3 ..." or "A B C" under a header."""
    values = [_text(c) for c in cells if _text(c)]
    if len(values) < 3:
        return False
    for v in values:
        core = v.strip("()[] .")
        if not (core.isdigit() and len(core) <= 2) and not (
            len(core) == 1 and core.isalpha() and core.isascii()
        ):
            return False
    return True


_FOOTER_STARTS = (
    "tong cong",
    "cong ",
    "tong so",
    "nguoi lap",
    "thu truong",
    "giam doc",
    "ky ten",
    "xac nhan",
    "ghi chu",
    "lanh dao",
    "truong phong",
    "ke toan",
)


def _footer_row(cells: Sequence[Cell]) -> bool:
    """ "Tổng cộng: 1.234 người", "Người lập biểu ... Giám đốc": a line with at most two cells
    whose text starts as a table's closing lines do."""
    values = [c for c in cells if c is not None and _text(c)]
    if not values or len(values) > 2 or not isinstance(values[0], str):
        return False
    key = header_key(values[0]) + " "
    return key.startswith(_FOOTER_STARTS)


def _repeats_header(cells: Sequence[Cell], header: list[str]) -> bool:
    """The header printed again (on every page of a printed list): checked only for rows
    without digits, since every real data row has a date, an ID or a number in it."""
    keys = [header_key(_text(c)) for c in cells[: len(header)]]
    return (bool(keys) and keys == header) or _header_score(cells) >= 2


def _header_score(cells: Sequence[Cell]) -> int:
    found = {field_for_header(c) for c in cells if isinstance(c, str)}
    found.discard(None)
    return len(found)


def _looks_like_data(value: Cell) -> bool:
    if isinstance(value, date | datetime | int | float) and not isinstance(value, bool):
        return True
    text = _text(value)
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 4


# --------------------------------------------------------------------------- sources


def _iter_data(
    imported: ImportedFile,
    records: Iterator[tuple[str, int, list[Cell], frozenset[int]]],
    skipped: list[Skipped],
    header_cells: dict[str, list[str]],
) -> Iterator[DataRow]:
    """Number the data rows; leave out blank lines, repeated headers and numbering rows."""
    width = len(imported.columns)
    row_no = 0
    header_keys = {sheet: [header_key(h) for h in cells] for sheet, cells in header_cells.items()}
    header_key_sets = {sheet: set(keys) - {""} for sheet, keys in header_keys.items()}
    for sheet, line, cells, numeric in records:
        filled = [c for c in cells if c is not None]
        if not filled:
            continue
        first = filled[0]
        # Cheap tests first: a repeated header starts with a header word, a footer has at most two cells.
        if (
            isinstance(first, str)
            and not first[:1].isdigit()
            and header_key(first) in header_key_sets.get(sheet, ())
            and not any(_looks_like_data(c) for c in filled)
            and _repeats_header(cells, header_keys.get(sheet, []))
        ):
            skipped.append(
                Skipped(
                    line, "Dòng tiêu đề lặp lại (bỏ qua).", "Repeated header row (left out).", sheet=sheet
                )
            )
            continue
        if len(filled) <= 2 and _footer_row(cells):
            skipped.append(
                Skipped(
                    line,
                    "Dòng tổng cộng hoặc chữ ký cuối bảng (bỏ qua).",
                    "Total or signature line at the end of the table (left out).",
                    sheet=sheet,
                )
            )
            continue
        if row_no == 0 and _numbering_row(cells):
            skipped.append(
                Skipped(line, "Dòng đánh số cột (bỏ qua).", "Column numbering row (left out).", sheet=sheet)
            )
            continue
        row_no += 1
        if len(cells) < width:
            cells = [*cells, *([None] * (width - len(cells)))]
        yield DataRow(row_no, line, sheet, tuple(cells), numeric)


class _CsvSource:
    def __init__(self, text: str, dialect: type[csv.Dialect] | csv.Dialect, bad_lines: set[int]) -> None:
        self.text = text
        self.dialect = dialect
        self.bad_lines = bad_lines
        self.header_index = 0  # record index of the last header row
        self.header_cells: list[str] = []

    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        reader = csv.reader(io.StringIO(self.text, newline=""), self.dialect)
        start = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error:
                record = ["\x00csv-error"]
            yield start, [_clean(v) for v in record]
            start = reader.line_num + 1

    def head(self) -> list[tuple[str, int, list[Cell]]]:
        out = []
        for i, (line, cells) in enumerate(self._records()):
            if i >= HEADER_SCAN_ROWS:
                break
            out.append(("", line, cells))
        return out

    def data_rows(self, imported: ImportedFile, skipped: list[Skipped]) -> Iterator[DataRow]:
        def records() -> Iterator[tuple[str, int, list[Cell], frozenset[int]]]:
            for i, (line, cells) in enumerate(self._records()):
                if i <= self.header_index:
                    continue
                if line in self.bad_lines:
                    cells = ["\x00encoding"]
                yield "", line, cells, frozenset()

        return _iter_data(imported, records(), skipped, {"": self.header_cells})


class _SheetSource:
    """xlsx, xls and ods through python-calamine (fast; reads merged-cell ranges too)."""

    def __init__(self, data: bytes, fmt: str) -> None:
        import python_calamine

        self.data = data
        self.fmt = fmt
        try:
            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise not_spreadsheet(fmt.upper()) from exc
        self.sheet_names: list[str] = []
        self.header_rows: dict[str, int] = {}  # sheet → 0-based index of the last header row
        self.header_cells: dict[str, list[str]] = {}
        self.converter: Any = None

    def _sheet(self, name: str) -> Any:
        return self.book.get_sheet_by_name(name)

    def _rows(
        self, name: str, start: int = 0, limit: int | None = None
    ) -> Iterator[tuple[int, list[Cell], frozenset[int]]]:
        """(sheet row, cells, columns holding numbers) with merged cells filled from their
        top-left cell; cells are placed at their true column (calamine starts at the first used one)."""
        sheet = self._sheet(name)
        col0 = sheet.start[1] if sheet.start else 0
        by_row: dict[int, list[tuple[int, tuple[int, int]]]] = {}
        sources: set[tuple[int, int]] = set()
        for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
            if (r1 - r0 + 1) * (c1 - c0 + 1) > 200_000:
                continue
            sources.add((r0, c0))
            for r in range(r0, r1 + 1):
                by_row.setdefault(r, []).extend(
                    (c, (r0, c0)) for c in range(c0, c1 + 1) if (r, c) != (r0, c0)
                )
        top_left: dict[tuple[int, int], Cell] = {}
        for r, raw in enumerate(sheet.iter_rows()):
            if limit is not None and r >= start + limit:
                return
            cells = [None] * col0 + [_clean(v) for v in raw]
            if sources:
                for c, v in enumerate(cells):
                    if (r, c) in sources:
                        top_left[(r, c)] = v
                for c, src in by_row.get(r, ()):
                    if c < len(cells) and cells[c] is None:
                        cells[c] = top_left.get(src)
            if r < start:
                continue
            numeric = frozenset(
                col0 + i for i, v in enumerate(raw) if isinstance(v, int | float) and not isinstance(v, bool)
            )
            if self.converter is not None:
                cells = [
                    self.converter(v) if isinstance(v, str) and _legacy_candidate(v) else v for v in cells
                ]
            yield r + 1, cells, numeric

    def head_of(self, name: str) -> list[tuple[str, int, list[Cell]]]:
        return [(name, line, cells) for line, cells, _ in self._rows(name, 0, HEADER_SCAN_ROWS)]

    def head(self) -> list[tuple[str, int, list[Cell]]]:
        return self.head_of(self.sheet_names[0]) if self.sheet_names else []

    def data_rows(self, imported: ImportedFile, skipped: list[Skipped]) -> Iterator[DataRow]:
        def records() -> Iterator[tuple[str, int, list[Cell], frozenset[int]]]:
            for name in self.sheet_names:
                header_row = self.header_rows[name]
                for line, cells, numeric in self._rows(name, header_row + 1):
                    yield name, line, cells, numeric

        return _iter_data(imported, records(), skipped, self.header_cells)


def _legacy_candidate(text: str) -> bool:
    return any("\x80" <= ch <= "\xff" for ch in text) and not any(ch > "\xff" for ch in text)


# --------------------------------------------------------------------------- header detection


@dataclass
class _Header:
    index: int  # position in head() of the (last) header row
    line: int
    columns: list[Column]
    score: int
    raw: list[str]


def _fill_right(cells: list[Cell], positions: set[int]) -> list[Cell]:
    """A header cell merged over sub-columns: in CSV the merge is lost, so the blank cells
    right of a header cell take its text where a sub-header sits below them."""
    out = list(cells)
    for i in range(len(out)):
        if out[i] is None and i in positions and i > 0:
            out[i] = out[i - 1]
    return out


def _find_header(head: list[tuple[str, int, list[Cell]]]) -> _Header | None:
    best: tuple[int, int] | None = None
    for i, (_, _, cells) in enumerate(head):
        score = _header_score(cells)
        if score >= 2 and (best is None or score > best[1]):
            best = (i, score)
    if best is None:
        return None
    i, score = best
    cells = list(head[i][2])
    index = i
    columns: list[Column]
    sub = head[i + 1][2] if i + 1 < len(head) else []
    meanings = _sub_meanings(sub, cells)
    if meanings and not any(_looks_like_data(c) for c in sub):
        filled = _fill_right(cells, set(meanings))
        width = max(len(filled), len(sub))
        columns = []
        for c in range(width):
            top = _text(filled[c]) if c < len(filled) else ""
            below = _text(sub[c]) if c < len(sub) else ""
            parent = field_for_header(top) if top else None
            guess = field_under(parent, meanings.get(c)) if c in meanings else None
            if guess is None:
                guess = field_for_header(f"{top} {below}".strip()) or (
                    parent if not below else field_for_header(below)
                )
            header = f"{top} / {below}" if top and below and top != below else (top or below)
            columns.append(Column(c, header, guess))
        index = i + 1
    else:
        columns = [
            Column(c, _text(v), field_for_header(v) if isinstance(v, str) else None)
            for c, v in enumerate(cells)
        ]
    while columns and not columns[-1].header and columns[-1].guess is None:
        columns.pop()
    # One field, one column: a second column with the same recognised header stays unmapped.
    seen: set[str] = set()
    deduped = []
    for col in columns:
        if col.guess in seen:
            deduped.append(Column(col.index, col.header, None))
        else:
            if col.guess:
                seen.add(col.guess)
            deduped.append(col)
    return _Header(index, head[index][1], deduped, score, [_text(c) for c in cells])


def _sub_meanings(cells: Sequence[Cell], above: Sequence[Cell]) -> dict[int, str]:
    """Meanings of a sub-header row's cells; {} when the row is not a sub-header row. Cells that
    repeat the header above them (a header merged down over two rows) do not count."""
    values = {
        c: v
        for c, v in enumerate(cells)
        if v is not None and _text(v) and not (c < len(above) and _text(above[c]) == _text(v))
    }
    if not values:
        return {}
    first = {c: sub_header_meaning(_text(v), set()) for c, v in values.items()}
    siblings = {m for m in first.values() if m}
    meanings = {c: sub_header_meaning(_text(v), siblings) for c, v in values.items()}
    known = {c: m for c, m in meanings.items() if m}
    # Every non-blank cell must be a sub-header word or a header name for this to be a sub-header row.
    for c, v in values.items():
        if c not in known and field_for_header(_text(v)) is None:
            return {}
    return known


# --------------------------------------------------------------------------- decoding CSV


def _decode_tolerant(data: bytes) -> tuple[str, str, set[int]]:
    """Decode the whole file; if a few lines are in another encoding or hold control bytes,
    keep the rest and return those line numbers so their rows can be reported, not guessed."""
    try:
        text, encoding = decode_bytes(data)
    except InvalidInput:
        pass
    else:
        return text, encoding, set()
    lines = data.split(b"\n")
    good: list[str] = []
    bad: set[int] = set()
    for n, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or any(ord(ch) < 32 and ch not in "\t\r\f\v" for ch in text):
            bad.add(n)
            good.append("")
        else:
            good.append(text.rstrip("\r"))
    encoding = "utf-8"
    non_blank = sum(1 for raw in lines if raw.strip())
    if not non_blank or len(bad) > 0.2 * non_blank:
        raise InvalidInput(
            "quality.unknown_encoding",
            "Không nhận ra bảng mã của tệp (không phải UTF-8, UTF-16, Windows-1258, TCVN3 hay VNI), "
            "hoặc tệp không phải dạng văn bản.",
            "The file's text encoding is not recognised (not UTF-8, UTF-16, Windows-1258, TCVN3 or VNI), "
            "or the file is not text.",
        )
    return nfc("\n".join(good)), encoding, bad


def _sniff_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample_lines = [ln for ln in text[:200_000].splitlines()[:60] if ln.strip()]
    if not sample_lines:
        raise empty_file()
    counts = {}
    for delim in (",", ";", "\t", "|"):
        per_line = [ln.count(delim) for ln in sample_lines]
        counts[delim] = sorted(per_line)[len(per_line) // 2] if per_line else 0
    delim = max(counts, key=lambda d: counts[d])
    if counts[delim] == 0:
        raise not_spreadsheet()

    class _Dialect(csv.excel):
        delimiter = delim

    return _Dialect


# --------------------------------------------------------------------------- entry point


def read_file(data: bytes | str | Path, name: str = "", *, header_line: int | None = None) -> ImportedFile:
    """Open a sector file. `header_line` (1-based; 0 = no header) overrides header detection."""
    if isinstance(data, str | Path):
        path = Path(data)
        name = name or path.name
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise too_big()
    fmt = sniff_format(data)
    digest = hashlib.sha256(data).hexdigest()
    notes: list[str] = []
    if fmt == "csv":
        text, encoding, bad = _decode_tolerant(data)
        text = text.lstrip("\ufeff")
        if "\x00" in text:
            raise not_spreadsheet()
        dialect = _sniff_dialect(text)
        source = _CsvSource(text, dialect, bad)
        head = source.head()
        header = _pick_header(head, header_line)
        source.header_index = header.index
        source.header_cells = header.raw
        sheets = [""]
        imported = ImportedFile(
            name, fmt, encoding, digest, len(data), header.line, header.columns, sheets, notes, _source=source
        )
    else:
        sheet_source = _SheetSource(data, fmt)
        encoding = None
        header, sheets = _pick_sheets(sheet_source, header_line)
        sample = " ".join(
            str(c) for _, _, cells in sheet_source.head_of(sheets[0]) for c in cells if isinstance(c, str)
        )
        legacy = detect_legacy_encoding(sample)
        if legacy in ("tcvn3", "vni"):
            sheet_source.converter = tcvn3_to_unicode if legacy == "tcvn3" else vni_to_unicode
            encoding = legacy
            header, sheets = _pick_sheets(sheet_source, header_line)
            notes.append(f"legacy_font:{legacy}")
        imported = ImportedFile(
            name,
            fmt,
            encoding,
            digest,
            len(data),
            header.line,
            header.columns,
            sheets,
            notes,
            _source=sheet_source,
        )
    if not imported.columns:
        raise no_header()
    return imported


def _pick_header(head: list[tuple[str, int, list[Cell]]], header_line: int | None) -> _Header:
    if not head or all(_is_blank(cells) for _, _, cells in head):
        raise empty_file()
    if header_line is not None:
        if header_line == 0:
            width = max(len(cells) for _, _, cells in head)
            return _Header(-1, 0, [Column(c, column_letter(c), None) for c in range(width)], 0, [])
        for i, (_, line, cells) in enumerate(head):
            if line == header_line:
                cols = [
                    Column(c, _text(v), field_for_header(v) if isinstance(v, str) else None)
                    for c, v in enumerate(cells)
                ]
                return _Header(i, line, cols, _header_score(cells), [_text(c) for c in cells])
        raise InvalidInput(
            "quality.header_line",
            f"Dòng tiêu đề {header_line} không có trong {HEADER_SCAN_ROWS} dòng đầu của tệp.",
            f"Header line {header_line} is not within the first {HEADER_SCAN_ROWS} lines of the file.",
        )
    header = _find_header(head)
    if header is None:
        raise no_header()
    return header


def _pick_sheets(source: _SheetSource, header_line: int | None) -> tuple[_Header, list[str]]:
    """The sheet with the best header, plus every other sheet with the same columns (a big file
    continued on the next sheet); other sheets (notes, summaries) are left alone."""
    candidates: list[tuple[int, str, _Header]] = []
    for name in source.book.sheet_names:
        head = source.head_of(name)
        if not head or all(_is_blank(cells) for _, _, cells in head):
            continue
        try:
            header = _pick_header(head, header_line)
        except InvalidInput:
            continue
        candidates.append((header.score, name, header))
    if not candidates:
        if all(
            not source.head_of(n) or all(_is_blank(c) for _, _, c in source.head_of(n))
            for n in source.book.sheet_names
        ):
            raise empty_file()
        raise no_header()
    best_score, best_name, best = max(candidates, key=lambda t: t[0])
    signature = [c.guess for c in best.columns]
    sheets = [
        name
        for score, name, h in candidates
        if name == best_name or ([c.guess for c in h.columns] == signature and score == best_score)
    ]
    source.sheet_names = sheets
    for _, name, h in candidates:
        if name in sheets:
            source.header_rows[name] = h.line - 1 if h.line else -1
            source.header_cells[name] = h.raw
    return best, sheets


def describe_fields() -> list[dict[str, str]]:
    """The fields a column can be mapped to, for the mapping screen."""
    return [{"name": f.name, "vi": f.label_vi, "en": f.label_en} for f in FIELDS.values()]
