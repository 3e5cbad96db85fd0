"""hue06 — an open platform for a Vietnamese province's Project 06 (Đề án 06)."""

__version__ = "0.1.0"
