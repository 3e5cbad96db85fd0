"""Cells that hue06 writes into spreadsheets and CSV files people open in Excel.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel and
LibreOffice as a formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`): a sector's file, a name typed by
a citizen or an imported report would run on the official's computer. Every writer passes its
text cells through `safe_cell` (OWASP "CSV injection"): such a cell is prefixed with an apostrophe,
which spreadsheets show as text and do not display. Numbers and dates are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a text that a spreadsheet would run as a formula turned into plain text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
