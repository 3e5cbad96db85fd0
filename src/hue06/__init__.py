"""hue06 — an open platform for a Vietnamese province's Project 06 (Đề án 06)."""

__version__ = "0.1.0"

import warnings as _warnings

# Authlib announces a rename of its httpx client; hue06 uses its server classes. Said once here so
# that child processes (bulk jobs) stay quiet too.
_warnings.filterwarnings("ignore", message=r".*httpx module is deprecated.*")
