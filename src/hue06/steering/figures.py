"""The platform's own figures for the periodic report: register, e-ID, verification, dossiers.

Each figure is computed by the owning module's service at report time and carries its source and
date, so the report never holds a typed-in number for something hue06 itself knows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy.orm import Session

from hue06.core.security import SYSTEM
from hue06.identity import service as identity
from hue06.quality import service as quality
from hue06.registry import service as registry
from hue06.services import service as services
from hue06.steering.report import Figure, ReportPeriod

SOURCE = "hue06"


def _pct(a: int, b: int) -> Decimal:
    return (Decimal(a) * 100 / Decimal(b)).quantize(Decimal("0.01")) if b else Decimal(0)


@dataclass
class PlatformFigures:
    """Figures for one period, read through each module's service (never its tables)."""

    session: Session

    def figures(self, period: ReportPeriod) -> Sequence[Figure]:
        end = min(period.end, date.today())
        out: list[Figure] = []
        out += self._register(end)
        out += self._identity(end)
        out += self._quality(end)
        out += self._services(period.start, end)
        return out

    def _register(self, end: date) -> list[Figure]:
        c = registry.register_counts(self.session, as_of=end)
        if not c["residents"]:
            return []
        src = f"{SOURCE} · CSDL dân cư"
        return [
            Figure(
                "Số công dân đang sinh sống trong CSDL dân cư của tỉnh",
                c["alive"],
                src,
                end,
                "Residents alive in the register",
                "người",
            ),
            Figure("Số hộ gia đình", c["households"], src, end, "Households", "hộ"),
            Figure(
                "Số địa chỉ số (tọa độ nhà ở gắn với hộ gia đình)",
                c["digital_addresses"],
                src,
                end,
                "Digital addresses",
                "địa chỉ",
            ),
        ]

    def _identity(self, end: date) -> list[Figure]:
        c = identity.account_counts(self.session, as_of=datetime.combine(end, time.max, tzinfo=UTC))
        if not c["total"]:
            return []
        src = f"{SOURCE} · định danh điện tử"
        return [
            Figure(
                "Tài khoản định danh điện tử của công dân (mức 1 và mức 2)",
                c["total"],
                src,
                end,
                "Citizens' e-ID accounts",
                "tài khoản",
            ),
            Figure("Trong đó tài khoản mức 2", c["level2"], src, end, "of which level 2", "tài khoản"),
        ]

    def _quality(self, end: date) -> list[Figure]:
        latest: dict[str, object] = {}
        for run in quality.list_runs(self.session, SYSTEM, limit=200):
            if run.finished_at.date() <= end and run.sector not in latest:
                latest[run.sector] = run
        out = []
        for sector, run in sorted(latest.items()):
            counts = json.loads(run.counts or "{}")  # type: ignore[attr-defined]
            total = int(run.total_rows)  # type: ignore[attr-defined]
            verified = int(counts.get("verified", 0)) + int(counts.get("linked", 0))
            out.append(
                Figure(
                    f"Dữ liệu ngành {sector}: đã xác thực với CSDL dân cư {verified}/{total} trường hợp ({_pct(verified, total)}%)",
                    verified,
                    f"{SOURCE} · làm sạch dữ liệu, lần chạy #{run.id}",  # type: ignore[attr-defined]
                    run.finished_at.date(),
                    f"Sector {sector}: verified against the register",
                    "trường hợp",  # type: ignore[attr-defined]
                )
            )
        return out

    def _services(self, start: date, end: date) -> list[Figure]:
        s = services.compute_stats(self.session, start, end, today=end)
        t = s.totals
        if not t.get("total"):
            return []
        src = f"{SOURCE} · dịch vụ công"
        ind = s.indicators
        return [
            Figure(
                "Hồ sơ dịch vụ công tiếp nhận trên hue06 trong kỳ",
                t["total"],
                src,
                end,
                "Dossiers received on hue06",
                "hồ sơ",
            ),
            Figure("Trong đó nộp trực tuyến", t["online"], src, end, "of which online", "hồ sơ"),
            Figure(
                "Tỷ lệ hồ sơ giải quyết đúng hạn",
                Decimal(str(round(ind["on_time_rate"] * 100, 2))),
                src,
                end,
                "Dossiers handled on time",
                "%",
            ),
            Figure(
                "Tỷ lệ hồ sơ có kết quả điện tử",
                Decimal(str(round(ind["results_electronic_rate"] * 100, 2))),
                src,
                end,
                "Results issued electronically",
                "%",
            ),
        ]
