"""`hue06 demo`'s synthetic part: six months of public-service dossiers, built after the services'
catalogue (see `hue06.modules.DEMO_ORDER`).

The dossiers follow the report's Appendix II proportions, scaled to the demo province's size
(179,697 dossiers for 1.15 million people in six months). Re-running the demo adds none if
dossiers are already there.
"""

from __future__ import annotations

from datetime import timedelta

from hue06.core.db import session_scope
from hue06.services import service
from hue06.synth.dossiers import generate

REAL_POPULATION = 1_150_000
REAL_SIX_MONTHS = 179_697


def setup(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    with session_scope(ctx.session_factory) as session:
        existing = service.count_dossiers(session)
    if existing:
        return [f"  {existing:,} hồ sơ đã có / dossiers already there"]
    count = max(1_000, round(REAL_SIX_MONTHS * ctx.residents / REAL_POPULATION))
    today = service.local_now().date()
    with session_scope(ctx.session_factory) as session:
        figures = generate(session, count, today - timedelta(days=182), today, seed=6)
    return [f"  {figures['dossiers']:,} hồ sơ của 6 tháng qua / dossiers of the last six months"]
