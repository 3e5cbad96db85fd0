"""Errors a user can trigger, each with a stable code and a message in Vietnamese and English.

Routes turn these into 4xx answers; the CLI prints them. They never carry personal data in the
message itself: context values go in `ctx`, which is shown to the person who made the request only.
"""

from __future__ import annotations


class Hue06Error(Exception):
    """Base of the errors that are the user's to fix, not the platform's."""

    status_code = 400

    def __init__(
        self, code: str, message_vi: str, message_en: str, *, keep_changes: bool = False, **ctx: object
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        # The refusal itself is worth keeping (a failed login's count, a refused read's audit
        # entry): the unit of work commits although the request failed (web/transaction.py).
        self.keep_changes = keep_changes
        self.ctx = ctx

    def kept(self) -> Hue06Error:
        """This error, marked so that the unit of work keeps what was written before it."""
        self.keep_changes = True
        return self

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": {"vi": self.message_vi, "en": self.message_en}}


class InvalidInput(Hue06Error, ValueError):
    """The input is malformed or impossible (a 31/02 date, an 11-digit ID, a bad file)."""

    status_code = 422


class NotFound(Hue06Error, LookupError):
    """Nothing by that key — or nothing the caller may see, which must look the same."""

    status_code = 404


class Forbidden(Hue06Error, PermissionError):
    """The caller is known but lacks the role or jurisdiction for this action."""

    status_code = 403


class Conflict(Hue06Error):
    """The action collides with the current state (a stale version, a duplicate)."""

    status_code = 409


class Unauthenticated(Hue06Error):
    """No valid login or token."""

    status_code = 401


def not_found(what_vi: str = "bản ghi", what_en: str = "record") -> NotFound:
    """The one 404 used for 'unknown' and 'outside your jurisdiction' alike, so neither leaks."""
    return NotFound(
        "not_found",
        f"Không tìm thấy {what_vi}.",
        f"No such {what_en}.",
    )
