"""The demo's services part (a Justice officer) and synth's part right after it (six months of
dossiers), in the demo's order, with nothing doubled on a re-run."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from hue06.identity import service as identity
from hue06.services import demo, service
from hue06.services.models import Dossier
from hue06.synth import demo as synth_demo


def test_demo_loads_six_months_and_an_officer_once(settings, session_factory, session, make_resident):
    for i in range(5):
        make_resident(full_name=f"Nguyễn Văn {'ABCDE'[i]}", gender="male")
    ctx = SimpleNamespace(
        settings=settings,
        session_factory=session_factory,
        console=None,
        residents=1,
        password="demo-mat-khau-123",
    )
    text = "\n".join([*demo.setup(ctx), *synth_demo.setup(ctx)])
    assert "tuphap" in text and "motcua" in text
    session.expire_all()
    assert identity.get_official_by_username(session, "tuphap").agency == "STP"
    count = session.scalar(select(func.count(Dossier.id)))
    assert count == 1_000
    first, last = session.execute(
        select(func.min(Dossier.submitted_on), func.max(Dossier.submitted_on))
    ).one()
    assert (last - first).days <= 182 and last <= service.local_now().date()
    demo.setup(ctx)
    synth_demo.setup(ctx)
    session.expire_all()
    assert session.scalar(select(func.count(Dossier.id))) == count
