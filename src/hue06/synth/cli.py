"""`hue06 synth ...`: each generator module adds its own command through `register(app)`."""

from __future__ import annotations

import typer

from hue06.synth import dossiers, province, sector

app = typer.Typer(help="Dữ liệu giả lập có đáp án / synthetic data with ground truth.", no_args_is_help=True)

for _generator in (province, sector, dossiers):
    _generator.register(app)
