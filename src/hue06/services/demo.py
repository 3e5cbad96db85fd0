"""`hue06 demo`'s services part: the catalogue, and officers of the Department of Justice and of a
one-stop desk. (The six months of dossiers are synth's part, built right after this one.)
"""

from __future__ import annotations

from hue06.core.db import session_scope
from hue06.identity import service as identity
from hue06.services import service

OFFICERS = (
    ("tuphap", "province", "46", "STP", "Cán bộ Sở Tư pháp (demo)"),
    ("motcua", "commune", "19750", "", "Cán bộ Một cửa Phường Tây Lộc cũ (demo)"),
)


def setup(ctx) -> list[str]:  # type: ignore[no-untyped-def]
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
    lines.append("  Công dân: /services · Cán bộ: /services/inbox, /services/desk, /services/stats")
    return lines
