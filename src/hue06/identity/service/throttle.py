"""Login throttling, after NIST SP 800-63B: back-off after a few consecutive failures, a hard stop
at 100, and a separate limit per address. Rows are keyed by a hash of the name or the address."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Hue06Error
from hue06.identity.models import LoginThrottle
from hue06.identity.service._common import _acct_key, _keep

FREE_FAILURES = 5  # consecutive failures before the back-off starts
HARD_LIMIT = 100  # NIST SP 800-63B §5.2.2: no more than 100 consecutive failures per account
MAX_BACKOFF_MINUTES = 60
IP_WINDOW = timedelta(minutes=15)
IP_LIMIT = 50  # failed attempts from one address per window


class TooManyAttempts(Hue06Error):
    status_code = 429


def _ip_key(ip: str) -> str:
    return "ip:" + hashlib.sha256(ip.encode()).hexdigest()


def _throttle_row(session: Session, key: str) -> LoginThrottle:
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, window_start=utcnow())
            session.add(row)
    except IntegrityError:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def _throttled_error(minutes: int | None) -> TooManyAttempts:
    if minutes is None:
        err = TooManyAttempts(
            "login.locked",
            "Tài khoản tạm bị khóa vì nhập sai quá nhiều lần. Hãy đặt lại mật khẩu hoặc liên hệ quản trị viên.",
            "This account is locked after too many failed attempts. Reset the password or contact an administrator.",
        )
    else:
        err = TooManyAttempts(
            "login.throttled",
            f"Bạn đã nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút.",
            f"Too many failed attempts. Please try again in {minutes} minute(s).",
        )
    return err


def check_throttle(session: Session, kind: str, name: str, ip: str) -> None:
    """Refuse before any password work when the name or the address is locked out."""
    now = utcnow()
    if ip:
        row = session.get(LoginThrottle, _ip_key(ip))
        if row is not None and row.failures >= IP_LIMIT and now - row.window_start < IP_WINDOW:
            minutes = max(1, int((row.window_start + IP_WINDOW - now).total_seconds() // 60) + 1)
            audit.record(session, f"ip:{ip}", "login.throttled", kind, "", {"scope": "address"})
            raise _keep(_throttled_error(minutes))
    row = session.get(LoginThrottle, _acct_key(kind, name))
    if row is None:
        return
    if row.failures >= HARD_LIMIT:
        audit.record(session, f"ip:{ip}", "login.throttled", kind, "", {"scope": "account", "hard": True})
        raise _keep(_throttled_error(None))
    if row.locked_until and row.locked_until > now:
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        audit.record(session, f"ip:{ip}", "login.throttled", kind, "", {"scope": "account"})
        raise _keep(_throttled_error(minutes))


def record_failure(session: Session, kind: str, name: str, ip: str) -> int:
    """Count one failure for the name and the address; returns the name's consecutive failures."""
    now = utcnow()
    if ip:
        iprow = _throttle_row(session, _ip_key(ip))
        if now - iprow.window_start >= IP_WINDOW:
            iprow.window_start, iprow.failures = now, 0
        iprow.failures += 1
        iprow.last_failure_at = now
    row = _throttle_row(session, _acct_key(kind, name))
    row.failures += 1
    row.last_failure_at = now
    if FREE_FAILURES <= row.failures < HARD_LIMIT:
        row.locked_until = now + timedelta(
            minutes=min(2 ** (row.failures - FREE_FAILURES), MAX_BACKOFF_MINUTES)
        )
    return row.failures


def reset_throttle(session: Session, kind: str, name: str) -> None:
    row = session.get(LoginThrottle, _acct_key(kind, name))
    if row is not None:
        row.failures = 0
        row.locked_until = None


def failure_count(session: Session, kind: str, name: str) -> int:
    row = session.get(LoginThrottle, _acct_key(kind, name))
    return row.failures if row else 0
