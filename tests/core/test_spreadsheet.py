"""Text cells that a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

from datetime import date

from hue06.core.spreadsheet import safe_cell, safe_row


def test_formula_starts_become_text_and_the_rest_is_untouched():
    for dangerous in (
        '=HYPERLINK("http://x","bấm")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
    ):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_row(["Nguyễn Văn A", 12, -3, date(2024, 1, 1), None, ""]) == [
        "Nguyễn Văn A", 12, -3, date(2024, 1, 1), None, "",
    ]  # fmt: skip
