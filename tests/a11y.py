"""Accessibility checks for the browser tests: axe-core against WCAG 2.2 A and AA, and a phone check.

axe-core (bundled by axe-playwright-python) finds what a machine can find: contrast, names of
controls, labels, landmarks, language, heading order, target sizes. Each page of a journey is
checked where it is reached, so a page nobody visits in a test is not vouched for.
"""

from __future__ import annotations

from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(page: Any) -> list[dict]:
    """axe-core's violations of WCAG 2.2 A/AA on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return results.response["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(
            " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
            for n in v["nodes"][:4]
        )
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s): {targets}")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "") -> None:
    """No WCAG 2.2 A/AA violation axe can find, and on a narrow screen nothing wider than it."""
    violations = axe_violations(page)
    assert not violations, f"{where or page.url}:\n{describe(violations)}"
    width = page.viewport_size["width"] if page.viewport_size else None
    if width is not None and width <= 480:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (
            f"{where or page.url}: the page is {overflow}px wider than a {width}px phone screen"
        )
