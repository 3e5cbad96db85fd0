"""Service statistics computed live from the dossiers: Appendix II of the report for any period,
per agency and per commune, and the Decision 766 indicators the data supports.

One grouped SQL scan over the period (by procedure, agency and commune) feeds every table; the
roll-ups are done in Python over a few thousand groups. Definitions (docs/decisions/0011-services-statistics.md):
a dossier counts in the period of its submission; *on time* = finished (result returned or
refused) on or before its due date; *overdue* = finished after it, or still open after it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from hue06.core import admin_units
from hue06.core.errors import InvalidInput
from hue06.services.models import Dossier

_SUMS = (
    "total",
    "online",
    "on_time",
    "overdue",
    "finished",
    "approved_finished",
    "result_electronic",
    "digitised",
    "reused",
    "prefilled",
)


@dataclass
class Counts:
    total: int = 0
    online: int = 0
    on_time: int = 0
    overdue: int = 0
    finished: int = 0
    approved_finished: int = 0
    result_electronic: int = 0
    digitised: int = 0
    reused: int = 0
    prefilled: int = 0

    def add(self, other: Counts) -> None:
        for name in _SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def online_rate(self) -> float:
        return round(self.online / self.total, 4) if self.total else 0.0

    def row(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "online": self.online,
            "online_rate": self.online_rate,
            "on_time": self.on_time,
            "overdue": self.overdue,
        }


@dataclass
class Stats:
    date_from: date
    date_to: date
    today: date
    services: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    agencies: list[dict[str, Any]] = field(default_factory=list)
    communes: list[dict[str, Any]] = field(default_factory=list)
    indicators: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "as_of": self.today.isoformat(),
            "services": self.services,
            "totals": self.totals,
            "agencies": self.agencies,
            "communes": self.communes,
            "indicators": self.indicators,
        }


def _rate(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _sum(cond: Any) -> Any:
    """COUNT(*) FILTER (WHERE …): cheaper than SUM(CASE …) on PostgreSQL, and SQLite has it too."""
    return func.count().filter(cond)


def compute(
    session: Session,
    date_from: date,
    date_to: date,
    *,
    today: date | None = None,
    agency: str | None = None,
    communes: frozenset[str] | None = None,
) -> Stats:
    """The statistics of dossiers submitted from date_from to date_to (both included)."""
    # Inside: the service package re-exports `compute` (an import cycle at load time).
    from hue06.services.service import agency_name, list_procedures, local_now

    if date_to < date_from:
        raise InvalidInput(
            "stats.period", "Ngày kết thúc phải sau ngày bắt đầu.", "The end date must follow the start date."
        )
    today = today or local_now().date()
    stmt = _counts_query(date_from, date_to, today, agency, communes)
    procs = list_procedures(session, include_inactive=True)
    agency_of = {p.id: p.agency_code for p in procs}

    by_proc: dict[int, Counts] = {}
    by_agency: dict[str, Counts] = {}
    by_commune: dict[str, Counts] = {}
    total = Counts()
    for row in session.execute(stmt):
        c = Counts(*(int(getattr(row, n) or 0) for n in _SUMS))
        by_proc.setdefault(row.procedure_id, Counts()).add(c)
        by_agency.setdefault(agency_of.get(row.procedure_id, ""), Counts()).add(c)
        by_commune.setdefault(row.commune_code, Counts()).add(c)
        total.add(c)

    stats = Stats(date_from, date_to, today)
    for p in procs:
        c = by_proc.get(p.id, Counts())
        if p.essential_no is None and c.total == 0:
            continue
        if agency and p.agency_code != agency and c.total == 0:
            continue
        stats.services.append(
            {"no": p.essential_no, "code": p.code, "name": p.name, "agency": p.agency_code, **c.row()}
        )
    stats.totals = total.row()
    stats.agencies = [
        {
            "code": code,
            "name": agency_name(code),
            **c.row(),
            "on_time_rate": _rate(c.on_time, c.on_time + c.overdue),
        }
        for code, c in sorted(by_agency.items(), key=lambda kv: -kv[1].total)
    ]
    names = {u.code: u.name for u in admin_units.communes("2024")} if by_commune else {}
    stats.communes = [
        {"code": code, "name": names.get(code, code or "—"), **c.row()}
        for code, c in sorted(by_commune.items(), key=lambda kv: (-kv[1].total, kv[0]))
    ]
    stats.indicators = _indicators(total)
    return stats


def _counts_query(
    date_from: date, date_to: date, today: date, agency: str | None, communes: frozenset[str] | None
) -> Any:
    """One pass over the period's dossiers: the counts per procedure and commune."""
    d = Dossier
    finished = d.finished_on.is_not(None)
    on_time = and_(finished, or_(d.due_date.is_(None), d.finished_on <= d.due_date))
    overdue = or_(
        and_(finished, d.finished_on > d.due_date), and_(d.finished_on.is_(None), d.due_date < literal(today))
    )
    cols = [
        d.procedure_id,
        d.commune_code,
        func.count().label("total"),
        _sum(d.channel == "online").label("online"),
        _sum(on_time).label("on_time"),
        _sum(overdue).label("overdue"),
        _sum(finished).label("finished"),
        _sum(and_(finished, d.decision == "approved")).label("approved_finished"),
        _sum(d.result_electronic.is_(True)).label("result_electronic"),
        _sum(d.digitised.is_(True)).label("digitised"),
        _sum(d.reused_documents > 0).label("reused"),
        _sum(d.prefilled_fields > 0).label("prefilled"),
    ]
    stmt = select(*cols).where(d.submitted_on >= date_from, d.submitted_on <= date_to)
    if agency:
        stmt = stmt.where(d.agency_code == agency)
    if communes is not None:
        stmt = stmt.where(d.commune_code.in_(sorted(communes)))
    # Grouping by agency too would double the cost (a text key hashed 400,000 times); a procedure
    # belongs to one agency, so the agency roll-up is made from the procedure's.
    return stmt.group_by(d.procedure_id, d.commune_code)


def _indicators(total: Counts) -> dict[str, Any]:
    """The indicators of Decision 766 (and the finished/open counts) from the period's totals."""
    return {
        "online_rate": total.online_rate,
        "on_time_rate": _rate(total.on_time, total.on_time + total.overdue),
        "results_electronic_rate": _rate(total.result_electronic, total.approved_finished),
        "digitised_rate": _rate(total.digitised, total.total),
        "reuse_rate": _rate(total.reused, total.total),
        "register_prefill_rate": _rate(total.prefilled, total.total),
        "finished": total.finished,
        "open": total.total - total.finished,
    }


INDICATOR_LABELS = {
    "online_rate": ("Tỷ lệ hồ sơ nộp trực tuyến", "Share of dossiers submitted online"),
    "on_time_rate": ("Tỷ lệ hồ sơ giải quyết đúng hạn", "Share of dossiers handled on time"),
    "results_electronic_rate": ("Tỷ lệ hồ sơ có kết quả điện tử", "Share of results issued electronically"),
    "digitised_rate": ("Tỷ lệ hồ sơ được số hóa", "Share of dossiers digitised"),
    "reuse_rate": (
        "Tỷ lệ hồ sơ tái sử dụng giấy tờ đã số hóa",
        "Share of dossiers reusing digitised documents",
    ),
    "register_prefill_rate": (
        "Tỷ lệ hồ sơ dùng dữ liệu từ CSDL dân cư",
        "Share of dossiers filled from the register",
    ),
}


def to_xlsx(stats: Stats) -> bytes:
    """The same tables as the page, for officials who file Excel workbooks."""
    # openpyxl is loaded only when a workbook is asked for (heavy, and off the page's path).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Phu luc II"
    ws.append(
        [
            f"KẾT QUẢ THỰC HIỆN DỊCH VỤ CÔNG THIẾT YẾU từ {stats.date_from:%d/%m/%Y} đến {stats.date_to:%d/%m/%Y}"
        ]
    )
    ws["A1"].font = Font(bold=True)
    ws.append(["STT", "Mã", "Dịch vụ công", "Tổng hồ sơ", "Trực tuyến", "Tỷ lệ", "Đúng hạn", "Quá hạn"])
    for r in stats.services:
        ws.append(
            [
                r["no"],
                r["code"],
                r["name"],
                r["total"],
                r["online"],
                r["online_rate"],
                r["on_time"],
                r["overdue"],
            ]
        )
        ws.cell(ws.max_row, 6).number_format = "0%"
    t = stats.totals
    ws.append(["", "", "Tổng cộng", t["total"], t["online"], t["online_rate"], t["on_time"], t["overdue"]])
    ws.cell(ws.max_row, 6).number_format = "0%"
    for row in ws.iter_rows(min_row=2, max_row=2):
        for cell in row:
            cell.font = Font(bold=True)
    ws.column_dimensions["C"].width = 80
    ag = wb.create_sheet("Theo co quan")
    ag.append(["Mã", "Cơ quan", "Tổng hồ sơ", "Trực tuyến", "Tỷ lệ", "Đúng hạn", "Quá hạn"])
    for r in stats.agencies:
        ag.append(
            [r["code"], r["name"], r["total"], r["online"], r["online_rate"], r["on_time"], r["overdue"]]
        )
    cm = wb.create_sheet("Theo xa")
    cm.append(
        ["Mã xã (2024)", "Xã, phường, thị trấn", "Tổng hồ sơ", "Trực tuyến", "Tỷ lệ", "Đúng hạn", "Quá hạn"]
    )
    for r in stats.communes:
        cm.append(
            [r["code"], r["name"], r["total"], r["online"], r["online_rate"], r["on_time"], r["overdue"]]
        )
    ind = wb.create_sheet("Chi so 766")
    ind.append(["Chỉ số", "Giá trị"])
    for key, (vi, _en) in INDICATOR_LABELS.items():
        ind.append([vi, stats.indicators.get(key, 0)])
        ind.cell(ind.max_row, 2).number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["INDICATOR_LABELS", "Counts", "Stats", "compute", "to_xlsx"]
