"""Helpers for tests that sign officials in through the real pages, second factor included.

A TOTP code is accepted once (replays are refused) and the server accepts one step of clock drift
either way, so `totp_code` hands out each 30-second step's code at most once per secret in this
process: a second sign-in within the same step gets the next step's code, and a third waits.
`complete_totp` / `sign_in_official` need no such memory: they try the next step's code when the
server refuses a replay (after a sign-in in the same 30 seconds).

Typical use in a test (the official was created with `totp_secret=KNOWN_SECRET`)::

    from hue06.identity.testing import sign_in_official
    sign_in_official(client, "canbo_xa", TEST_PASSWORD, KNOWN_SECRET)
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pyotp

# A fixed base32 secret for test officials (never used outside tests).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - a published test value

_lock = threading.Lock()
_last_step: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """A code the server has not seen yet for this secret (waits at most ~30 s if it must)."""
    with _lock:
        now_step = int(time.time()) // 30
        step = max(now_step, _last_step.get(secret, -1) + 1)
        if step > now_step + 1:
            time.sleep((step - 1) * 30 - time.time() + 0.05)
        _last_step[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def complete_totp(client: Any, secret: str, next_url: str = "/") -> Any:
    """Post the second factor after a password step redirected to /login/totp.

    The server refuses a code it has already accepted for this account, so when the current
    step's code was used by an earlier sign-in (same test, same 30 seconds) the next step's code
    is tried, and after that the helper waits for the next step.
    """
    csrf = client.cookies.get("hue06_csrf")
    totp = pyotp.TOTP(secret)
    response = None
    for attempt in range(3):
        if attempt == 2:
            time.sleep(30 - time.time() % 30 + 0.05)
        code = totp.at(time.time() + (0 if attempt == 0 else 30))
        response = client.post(
            "/login/totp", data={"code": code, "csrf_token": csrf, "next": next_url}, follow_redirects=False
        )
        if response.status_code != 400:
            return response
    return response


def sign_in_official(
    client: Any, username: str, password: str, totp_secret: str | None = None, next_url: str = "/"
) -> Any:
    """Sign an official in through /login (and /login/totp when the account has a second factor).

    Returns the final response; a signed-in browser ends with a 303 to `next_url`.
    """
    if not client.cookies.get("hue06_csrf"):
        client.get("/login")
    csrf = client.cookies.get("hue06_csrf")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf, "next": next_url},
        follow_redirects=False,
    )
    if r.status_code == 303 and r.headers.get("location", "").startswith("/login/totp"):
        if not totp_secret:
            raise AssertionError(f"{username} needs a TOTP code: pass totp_secret")
        r = complete_totp(client, totp_secret, next_url)
    return r
