"""What `make demo` adds for steering: the province's July 2024 report, imported as the 2024-H1 period."""

from __future__ import annotations

from importlib import resources
from typing import Any

from hue06.core.db import session_scope
from hue06.core.security import SYSTEM
from hue06.steering import service

REFERENCE = "bao-cao-108-BC-BCD-2024-de-an-06-thua-thien-hue.txt"


def setup(ctx: Any) -> list[str]:
    text = (resources.files("hue06.steering") / "data" / REFERENCE).read_text(encoding="utf-8")
    with session_scope(ctx.session_factory) as session:
        outcome = service.import_report(session, text, source_name=REFERENCE, actor=SYSTEM)
    return [
        f"Điều hành Đề án 06 / steering: http://127.0.0.1:8000/steering  (Báo cáo {outcome.reference}: "
        f"{outcome.counts.get('tasks', 0)} nhiệm vụ, {len(outcome.mismatches)} chỗ số liệu không khớp)",
    ]
