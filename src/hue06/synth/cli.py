"""`hue06 synth ...`: each generator module adds its own command through `register(app)`."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="Dữ liệu giả lập có đáp án / synthetic data with ground truth.", no_args_is_help=True)

for _name in ("province", "sector", "dossiers"):
    try:
        _module = importlib.import_module(f"hue06.synth.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"hue06.synth.{_name}":
            raise
        continue
    _module.register(app)
