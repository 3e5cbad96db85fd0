"""`hue06 demo`'s services part: six months of dossiers, and an officer of the Department of Justice.

The dossiers follow the report's Appendix II proportions, scaled to the demo province's size
(179,697 dossiers for 1.15 million people in six months). Re-running the demo adds none if
dossiers are already there.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from hue06.core.db import session_scope

OFFICERS = (
    ("tuphap", "province", "46", "STP", "Cán bộ Sở Tư pháp (demo)"),
    ("motcua", "commune", "19750", "", "Cán bộ Một cửa Phường Tây Lộc cũ (demo)"),
)
REAL_POPULATION = 1_150_000
REAL_SIX_MONTHS = 179_697


def setup(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    from hue06.identity import service as identity
    from hue06.services import service
    from hue06.services.models import Dossier
    from hue06.synth.dossiers import generate

    lines = ["Dịch vụ công / public services:"]
    with session_scope(ctx.session_factory) as session:
        service.ensure_catalogue(session)
        for username, role, unit, agency, name in OFFICERS:
            if identity.get_official_by_username(session, username) is None:
                identity.create_official(
                    session, username, ctx.password, role, unit, full_name=name, agency=agency
                )
            else:
                identity.reset_password(session, username, ctx.password)
            lines.append(f"  {username:<10} {role:<9} {unit:<6} {name}")
        existing = session.scalar(select(func.count(Dossier.id))) or 0
    if existing == 0:
        count = max(1_000, round(REAL_SIX_MONTHS * ctx.residents / REAL_POPULATION))
        today = service.local_now().date()
        with session_scope(ctx.session_factory) as session:
            figures = generate(session, count, today - timedelta(days=182), today, seed=6)
        lines.append(f"  {figures['dossiers']:,} hồ sơ của 6 tháng qua / dossiers of the last six months")
    else:
        lines.append(f"  {existing:,} hồ sơ đã có / dossiers already there")
    lines.append("  Công dân: /services · Cán bộ: /services/inbox, /services/desk, /services/stats")
    return lines
