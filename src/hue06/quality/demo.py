"""What `make demo` adds for data quality: two sector files to try, and one of them verified already."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hue06.core.db import make_engine, make_sessionmaker, session_scope
from hue06.core.security import SYSTEM


def setup(ctx: Any) -> list[str]:
    from hue06.quality import service
    from hue06.quality.models import QualityRun
    from hue06.registry import service as registry
    from hue06.synth import sector

    folder = Path(ctx.settings.data_dir) / "quality" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(ctx.session_factory) as session:
        done = session.scalar(select(func.count()).select_from(QualityRun)) or 0
        people = sector.load_people(registry.iter_register(session)) if not done else None
    bhyt, welfare = folder / "bhyt-demo.csv", folder / "bao-tro-xa-hoi-demo.xlsx"
    if people is not None:
        rows = max(200, min(20_000, len(people) // 10))
        sector.write_sector(people, "health_insurance", rows, 0.05, 6, bhyt, folder / "bhyt-demo.truth.csv")
        sector.write_sector(
            people,
            "welfare",
            max(100, rows // 10),
            0.08,
            7,
            welfare,
            folder / "bao-tro-demo.truth.csv",
            "xlsx",
            "tcvn3",
        )
        read_engine = make_engine(ctx.settings.database_url, immediate=False)
        try:
            with make_sessionmaker(read_engine)() as read, session_scope(ctx.session_factory) as write:
                prepared = service.prepare(bhyt.read_bytes(), bhyt.name, "health_insurance", session=read)
                service.verify(read, prepared, "health_insurance", SYSTEM, write=write)
        finally:
            read_engine.dispose()
    return [
        "Làm sạch dữ liệu ngành / data quality: http://127.0.0.1:8000/quality  (một lần kiểm tra mẫu; tệp để thử: "
        f"{bhyt}, {welfare} — TCVN3, tiêu đề hai dòng)",
    ]
