"""The one list of hue06's capabilities, and how their parts are found.

A module joins the platform by being named here: its routers (`api`, `views`), commands (`cli`),
demo data (`demo`), tables (`models`), templates and translations are picked up by the part's
file name. The list holds only modules that exist; a new module adds its name in the same commit
that adds its folder. `core` never imports this file (core imports no module).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import ModuleType

# In the order their demo data is built: later modules read what earlier ones made.
MODULES: tuple[str, ...] = ("registry", "identity", "quality", "services", "steering")
# Not a capability, but it has commands and pages of its own.
EXTRA: tuple[str, ...] = ("synth",)
# `make demo` builds each module's part in this order: synth's part (synthetic dossiers, written
# through the services' own loader) comes after the services' catalogue and before steering.
DEMO_ORDER: tuple[str, ...] = ("registry", "identity", "quality", "services", "synth", "steering")


def part(name: str, part_name: str) -> ModuleType | None:
    """`hue06.<name>.<part_name>`, or None when that module has no such file (an import error
    inside the file is not hidden)."""
    qualified = f"hue06.{name}.{part_name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return None
        raise


def parts(part_name: str, *, extra: bool = False) -> Iterator[tuple[str, ModuleType]]:
    """Every module's `part_name` file that exists, with the module's name."""
    for name in (*MODULES, *EXTRA) if extra else MODULES:
        found = part(name, part_name)
        if found is not None:
            yield name, found


def demo_parts() -> Iterator[tuple[str, ModuleType]]:
    """Every `demo.py` that exists, in `DEMO_ORDER`."""
    for name in DEMO_ORDER:
        found = part(name, "demo")
        if found is not None:
            yield name, found


def folders(sub: str, *, extra: bool = False) -> Iterator[tuple[str, Path]]:
    """Every module's folder `sub` (templates, translations) that exists, the web app's first."""
    base = resources.files("hue06")
    for name in ("web", *MODULES, *EXTRA) if extra else ("web", *MODULES):
        folder = base / name / sub
        if folder.is_dir():
            yield name, Path(str(folder))


def import_all_models() -> None:
    """Import every module's tables so that `Base.metadata` knows them all (Alembic, tests)."""
    importlib.import_module("hue06.core.audit")
    for _name, _models in parts("models"):
        pass
