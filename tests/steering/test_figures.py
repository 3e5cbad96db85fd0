"""The periodic report carries the platform's own figures, each computed by its module with source and date."""

from __future__ import annotations

from datetime import date

from hue06.core.text import fold
from hue06.registry.models import Household, Resident
from hue06.steering.figures import PlatformFigures
from hue06.steering.report import parse_period


def _resident(session, pid: str, given: str, household: Household) -> None:
    full = f"Nguyễn Văn {given}"
    session.add(
        Resident(
            personal_id=pid,
            family_name="Nguyễn",
            middle_name="Văn",
            given_name=given,
            full_name=full,
            search_key=fold(full),
            given_key=fold(given),
            gender="male",
            date_of_birth=date(1990, 1, 1),
            commune_code="19750",
            household_id=household.id,
        )
    )


def test_register_figures_come_from_the_register_with_their_source(session):
    hh = Household(code="HK-19750-1", commune_code="19750")
    session.add(hh)
    session.flush()
    _resident(session, "046090000001", "An", hh)
    _resident(session, "046090000002", "Bình", hh)
    session.commit()
    figures = PlatformFigures(session).figures(parse_period("2024-H1"))
    by_label = {f.label_vi: f for f in figures}
    alive = by_label["Số công dân đang sinh sống trong CSDL dân cư của tỉnh"]
    assert alive.value == 2
    assert alive.source.startswith("hue06")
    assert alive.as_of == date(2024, 6, 30)
    assert by_label["Số hộ gia đình"].value == 1


def test_an_empty_platform_adds_no_figures(session):
    assert list(PlatformFigures(session).figures(parse_period("2024-H1"))) == []
