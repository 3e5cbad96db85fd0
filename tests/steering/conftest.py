"""Steering fixtures: the province's reference report, read once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE_NAME = "bao-cao-108-BC-BCD-2024-de-an-06-thua-thien-hue.txt"


def reference_path() -> Path | None:
    """HUE06_REFERENCE_REPORT, or the shared reference folder beside the repository."""
    candidates = [
        os.environ.get("HUE06_REFERENCE_REPORT", ""),
        str(Path(__file__).resolve().parents[3] / "shared" / "reference" / REFERENCE_NAME),
        str(Path(__file__).resolve().parents[2] / "src" / "hue06" / "steering" / "data" / REFERENCE_NAME),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def reference_file() -> Path:
    path = reference_path()
    if path is None:
        pytest.skip(f"reference report {REFERENCE_NAME} not found (set HUE06_REFERENCE_REPORT)")
    return path


@pytest.fixture(scope="session")
def reference_text(reference_file: Path) -> str:
    return reference_file.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def parsed(reference_text: str):  # type: ignore[no-untyped-def]
    from hue06.steering.importers import parse_report

    return parse_report(reference_text, source_name=REFERENCE_NAME)


@pytest.fixture
def imported(session, reference_text):  # type: ignore[no-untyped-def]
    """The reference imported into the test database (committed)."""
    from hue06.steering import service

    outcome = service.import_report(session, reference_text, source_name=REFERENCE_NAME)
    session.commit()
    return outcome
