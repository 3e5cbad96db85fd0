"""What a run tells people: the summary in the report's own words, the result CSV, the XLSX report
and the corrections file sent back to the sector.

Numbers are written the Vietnamese way (1.125.678; 98,87%), as the province's report writes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hue06.quality.fields import FIELDS, SECTORS
from hue06.quality.standardise import INVALID_REASONS, PROBLEMS

STATUSES = ("verified", "mismatch", "linked", "review", "not_found", "deceased", "duplicate", "invalid")
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "verified": ("Khớp hoàn toàn", "Exact match"),
    "mismatch": ("Sai lệch thông tin", "Differs from the register"),
    "linked": ("Xác định qua đối sánh", "Linked by matching"),
    "review": ("Chờ cán bộ xác minh", "Awaiting review"),
    "not_found": ("Không có trong CSDL dân cư", "Not in the register"),
    "deceased": ("Đã chết theo CSDL dân cư", "Deceased in the register"),
    "duplicate": ("Trùng lặp trong tệp", "Duplicate in the file"),
    "invalid": ("Dòng không hợp lệ", "Invalid row"),
}
# Rows whose person is known: the report's "xác thực".
IDENTIFIED = ("verified", "mismatch", "linked", "deceased", "duplicate")
DIFF_LABELS: dict[str, tuple[str, str]] = {
    "personal_id": ("số định danh", "personal ID"),
    "old_id": ("số CMND", "old ID number"),
    "family_name": ("họ", "family name"),
    "middle_name": ("tên đệm", "middle name"),
    "given_name": ("tên", "given name"),
    "date_of_birth": ("ngày sinh", "date of birth"),
    "gender": ("giới tính", "gender"),
    "commune": ("xã/phường", "commune"),
}
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "id_of_other_person": ("Số định danh là của người khác", "The ID belongs to someone else"),
    "id_not_in_register": ("Số định danh không có trong CSDL", "The ID is not in the register"),
    "old_id_used": ("Đối chiếu bằng số CMND cũ", "Matched by the old CMND number"),
    "deceased": ("Đã chết theo CSDL dân cư", "Deceased in the register"),
    "candidate_deceased": ("Người được đề xuất đã chết", "The proposed person is deceased"),
    "review_confirmed": ("Cán bộ đã xác nhận", "Confirmed by an official"),
    "review_rejected": ("Cán bộ đã bác", "Rejected by an official"),
}
RESULT_COLUMNS = (
    "row",
    "status",
    "personal_id",
    "match_probability",
    "differences",
    "flags",
    "duplicate_of",
    "line",
    "reason",
)


def vn_int(n: int | float) -> str:
    return f"{int(n):,}".replace(",", ".")


def vn_pct(part: float, whole: float, decimals: int = 2) -> str:
    if not whole:
        return "0" if decimals == 0 else "0," + "0" * decimals
    return f"{100 * part / whole:.{decimals}f}".replace(".", ",")


def en_pct(part: float, whole: float, decimals: int = 2) -> str:
    return f"{100 * part / whole:.{decimals}f}" if whole else "0"


def identified(counts: Mapping[str, int], duplicates_with_person: int | None = None) -> int:
    """Rows whose person the register knows (duplicates count when their person is known)."""
    base = sum(counts.get(s, 0) for s in IDENTIFIED if s != "duplicate")
    return base + (counts.get("duplicate", 0) if duplicates_with_person is None else duplicates_with_person)


def summary(
    counts: Mapping[str, int],
    differences: Mapping[str, int],
    problems: Mapping[str, int],
    total: int,
    dup_with_person: int,
    lang: str = "vi",
) -> list[str]:
    """The summary as the province's report would write it, then the reasons."""
    ok = identified(counts, dup_with_person)
    not_ok = total - ok
    vi = lang != "en"
    lines = []
    if vi:
        lines.append(
            f"Đã xác thực {vn_int(ok)}/{vn_int(total)} trường hợp ({vn_pct(ok, total)}%); "
            f"{vn_int(not_ok)} trường hợp chưa xác thực được."
        )
    else:
        lines.append(
            f"Verified {ok:,}/{total:,} records ({en_pct(ok, total)}%); {not_ok:,} could not be verified."
        )
    parts = []
    for status in ("verified", "mismatch", "linked", "deceased", "duplicate"):
        n = counts.get(status, 0)
        if n:
            label = _lower_first(STATUS_LABELS[status][0 if vi else 1])
            parts.append(f"{label}: {vn_int(n) if vi else f'{n:,}'}")
    if parts:
        lines.append(("Trong đó " if vi else "Of which ") + "; ".join(parts) + ".")
    if differences:
        diff_parts = [
            f"{DIFF_LABELS[k][0 if vi else 1]}: {vn_int(v) if vi else f'{v:,}'}"
            for k, v in sorted(differences.items(), key=lambda kv: -kv[1])
            if k in DIFF_LABELS
        ]
        lines.append(
            ("Thông tin sai lệch so với CSDL dân cư — " if vi else "Fields that differ from the register — ")
            + "; ".join(diff_parts)
            + "."
        )
    reasons = []
    for status in ("review", "not_found", "invalid"):
        n = counts.get(status, 0)
        if n:
            reasons.append(
                f"{_lower_first(STATUS_LABELS[status][0 if vi else 1])}: {vn_int(n) if vi else f'{n:,}'}"
            )
    dup_without = counts.get("duplicate", 0) - dup_with_person
    if dup_without > 0:
        reasons.append(
            ("trùng lặp, không có trong CSDL: " if vi else "duplicates not in the register: ")
            + (vn_int(dup_without) if vi else f"{dup_without:,}")
        )
    if reasons:
        lines.append(("Chưa xác thực được vì " if vi else "Not verified because ") + "; ".join(reasons) + ".")
    invalid = {k: v for k, v in problems.items() if k in INVALID_REASONS}
    if invalid:
        lines.append(
            ("Dòng không hợp lệ — " if vi else "Invalid rows — ")
            + "; ".join(
                f"{INVALID_REASONS[k][0 if vi else 1].rstrip('.')}: {vn_int(v) if vi else f'{v:,}'}"
                for k, v in sorted(invalid.items(), key=lambda kv: -kv[1])
            )
            + "."
        )
    return lines


def _lower_first(text: str) -> str:
    """ "Không có trong CSDL dân cư" → "không có trong CSDL dân cư" (acronyms stay)."""
    return text[:1].lower() + text[1:]


def problem_label(code: str, lang: str = "vi") -> str:
    i = 1 if lang == "en" else 0
    if code in INVALID_REASONS:
        return INVALID_REASONS[code][i]
    if code in PROBLEMS:
        return PROBLEMS[code][i]
    return code


def reason_text(codes: str, lang: str = "vi") -> str:
    """ "no_key;date_of_birth:unreadable" → the sentences, in the language asked for."""
    return " ".join(problem_label(c, lang) for c in codes.split(";") if c)


def differences_label(codes: str, lang: str = "vi") -> str:
    i = 1 if lang == "en" else 0
    return ", ".join(DIFF_LABELS.get(c, (c, c))[i] for c in codes.split(";") if c)


def flags_label(codes: str, lang: str = "vi") -> str:
    i = 1 if lang == "en" else 0
    return "; ".join(FLAG_LABELS.get(c, (c, c))[i] for c in codes.split(";") if c)


# --------------------------------------------------------------------------- files


def result_line(r: Mapping[str, Any]) -> list[Any]:
    prob = r.get("match_probability")
    return [
        r["row"],
        r["status"],
        r.get("personal_id") or "",
        "" if prob is None else f"{prob:.4f}",
        r.get("differences") or "",
        r.get("flags") or "",
        r.get("duplicate_of") or "",
        r.get("line") or "",
        r.get("reason") or "",
    ]


def write_result_csv(rows: Iterable[Mapping[str, Any]], out: Path | io.TextIOBase) -> int:
    """RESULT.csv: one line per data row, in row order, UTF-8 with a BOM so Excel opens it right."""
    n = 0
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        fh: Any = out.open("w", newline="", encoding="utf-8-sig")
        close = True
    else:
        fh, close = out, False
    try:
        w = csv.writer(fh)
        w.writerow(RESULT_COLUMNS)
        for r in rows:
            w.writerow(result_line(r))
            n += 1
    finally:
        if close:
            fh.close()
    return n


CORRECTION_COLUMNS = (
    ("row", "Dòng", "Row"),
    ("line", "Dòng trong tệp", "File line"),
    ("status", "Kết quả", "Result"),
    ("action", "Việc cần làm", "What to do"),
    ("differences", "Thông tin sai lệch", "Fields that differ"),
    ("file_name", "Họ tên trong tệp", "Name in the file"),
    ("file_dob", "Ngày sinh trong tệp", "Date of birth in the file"),
    ("file_id", "Số định danh trong tệp", "ID in the file"),
    ("personal_id", "Số định danh đúng", "Correct personal ID"),
    ("full_name", "Họ tên đúng", "Correct name"),
    ("date_of_birth", "Ngày sinh đúng", "Correct date of birth"),
    ("gender", "Giới tính", "Gender"),
    ("commune", "Xã/phường hiện nay", "Commune today"),
    ("duplicate_of", "Trùng với dòng", "Duplicate of row"),
)
ACTIONS: dict[str, tuple[str, str]] = {
    "mismatch": ("Sửa theo CSDL dân cư", "Correct from the register"),
    "linked": (
        "Bổ sung/sửa số định danh và thông tin theo CSDL dân cư",
        "Add or correct the ID and fields from the register",
    ),
    "deceased": ("Người đã chết: rà soát, đóng hồ sơ", "Deceased: review and close the record"),
    "duplicate": ("Trùng lặp: xóa dòng này", "Duplicate: remove this row"),
    "review": ("Chờ cán bộ xác minh", "Awaiting an official's review"),
    "not_found": (
        "Không có trong CSDL dân cư: xác minh lại với người dân",
        "Not in the register: check with the person",
    ),
    "invalid": ("Dòng không hợp lệ: nhập lại", "Invalid row: enter it again"),
}


def correction_header(lang: str = "vi") -> list[str]:
    i = 2 if lang == "en" else 1
    return [c[i] for c in CORRECTION_COLUMNS]


def correction_line(c: Mapping[str, Any], lang: str = "vi") -> list[Any]:
    i = 1 if lang == "en" else 0
    values = dict(c)
    values["action"] = ACTIONS.get(c["status"], ("", ""))[i]
    values["status"] = STATUS_LABELS[c["status"]][i]
    values["differences"] = differences_label(c.get("differences") or "", lang)
    return [values.get(col[0]) if values.get(col[0]) is not None else "" for col in CORRECTION_COLUMNS]


def write_corrections_csv(
    corrections: Iterable[Mapping[str, Any]], out: io.TextIOBase | Path, lang: str = "vi"
) -> int:
    if isinstance(out, Path):
        fh: Any = out.open("w", newline="", encoding="utf-8-sig")
        close = True
    else:
        fh, close = out, False
    n = 0
    try:
        w = csv.writer(fh)
        w.writerow(correction_header(lang))
        for c in corrections:
            w.writerow(correction_line(c, lang))
            n += 1
    finally:
        if close:
            fh.close()
    return n


def write_report_xlsx(
    out: Path | io.BytesIO,
    *,
    sector: str,
    file_name: str,
    total: int,
    counts: Mapping[str, int],
    summary_vi: Sequence[str],
    summary_en: Sequence[str],
    by_commune: Sequence[Mapping[str, Any]],
    corrections: Iterable[Mapping[str, Any]],
    changes: Mapping[str, Any] | None,
    skipped: Sequence[Sequence[Any]],
    problems: Mapping[str, int],
) -> None:
    """The XLSX report: summary with a chart, per-commune breakdown, corrections, changes, skipped lines.

    Written in openpyxl's streaming mode: the corrections of a million-row file are a few hundred
    thousand lines, which the ordinary mode would hold in memory as cell objects."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def strong(ws: Any, values: Sequence[Any], size: int | None = None) -> list[Any]:
        cells = []
        for v in values:
            cell = WriteOnlyCell(ws, value=v)
            cell.font = Font(bold=True, size=size) if size else bold
            cells.append(cell)
        return cells

    ws = wb.create_sheet("Tổng hợp")
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 20
    ws.append(
        strong(
            ws,
            [f"KẾT QUẢ XÁC THỰC DỮ LIỆU NGÀNH {SECTORS.get(sector, (sector,))[0].upper()} VỚI CSDL DÂN CƯ"],
            13,
        )
    )
    ws.append([f"Tệp: {file_name}"])
    ws.append([])
    row = 3
    for line in [*summary_vi, "", *summary_en, ""]:
        ws.append([line] if line else [])
        row += 1
    start = row + 1
    ws.append(strong(ws, ["Kết quả / Result", "Số trường hợp / Rows", "Tỷ lệ / Share (%)"]))
    for status in STATUSES:
        n = counts.get(status, 0)
        ws.append(
            [
                f"{STATUS_LABELS[status][0]} / {STATUS_LABELS[status][1]}",
                n,
                round(100 * n / total, 2) if total else 0,
            ]
        )
    ws.append(strong(ws, ["Tổng / Total", total, 100 if total else 0]))
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Kết quả xác thực / Results"
    chart.add_data(
        Reference(ws, min_col=2, min_row=start, max_row=start + len(STATUSES)), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(STATUSES)))
    chart.height, chart.width = 8, 18
    ws.add_chart(chart, f"E{start}")

    wc = wb.create_sheet("Theo xã")
    wc.column_dimensions["A"].width = 40
    wc.append(
        strong(
            wc,
            [
                "Xã/phường (hiện nay) / Commune (today)",
                "Tổng / Total",
                *[STATUS_LABELS[s][0] for s in STATUSES],
                "Tỷ lệ xác thực (%)",
            ],
        )
    )
    for b in by_commune:
        ok = sum(b["counts"].get(s, 0) for s in IDENTIFIED)
        wc.append(
            [
                b["name"],
                b["total"],
                *[b["counts"].get(s, 0) for s in STATUSES],
                round(100 * ok / b["total"], 2) if b["total"] else 0,
            ]
        )

    wx = wb.create_sheet("Cần sửa")
    wx.append(strong(wx, correction_header("vi")))
    for n, c in enumerate(corrections):
        if n >= 1_048_000:
            break
        wx.append(correction_line(c, "vi"))

    if changes:
        wg = wb.create_sheet("Thay đổi")
        wg.column_dimensions["A"].width = 40
        wg.append(["So với lần chạy trước / Against the previous run", changes.get("previous_run_id")])
        for key, (vi, en) in (
            ("new_rows", ("Dòng mới", "New rows")),
            ("gone_rows", ("Dòng không còn", "Rows gone")),
            ("fixed", ("Đã được sửa (nay khớp)", "Fixed (now verified)")),
            ("new_problems", ("Vấn đề mới", "New problems")),
        ):
            wg.append([f"{vi} / {en}", changes.get(key, 0)])
        wg.append([])
        wg.append(strong(wg, ["Trước / Before", "Nay / Now", "Số dòng / Rows"]))
        for t in changes.get("transitions", []):
            wg.append([t["from"], t["to"], t["n"]])

    wsk = wb.create_sheet("Dòng bỏ qua")
    wsk.column_dimensions["C"].width = 60
    wsk.column_dimensions["D"].width = 60
    wsk.append(strong(wsk, ["Dòng trong tệp / Line", "Dòng dữ liệu / Row", "Lý do", "Reason"]))
    for item in skipped:
        wsk.append(list(item))
    wsk.append([])
    wsk.append(strong(wsk, ["Vấn đề / Problem", "Số dòng / Rows"]))
    for code, n in sorted(problems.items(), key=lambda kv: -kv[1]):
        wsk.append([problem_label(code, "vi"), n])
    wb.save(out)


def field_label(name: str, lang: str = "vi") -> str:
    f = FIELDS.get(name)
    if f is None:
        return name
    return f.label_en if lang == "en" else f.label_vi
