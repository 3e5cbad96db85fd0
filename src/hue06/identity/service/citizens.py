"""Citizens' e-ID accounts: sign-in, lookups, accounts made without the SMS round trip (demo, tests,
bulk provisioning), and the counts leaders see."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.errors import Unauthenticated, not_found
from hue06.core.security import hash_password, password_needs_rehash, verify_password
from hue06.identity.models import CitizenAccount
from hue06.identity.service._common import _keep
from hue06.identity.service.actors import citizen_acr, citizen_actor
from hue06.identity.service.challenges import Authenticated
from hue06.identity.service.throttle import check_throttle, record_failure, reset_throttle


def get_citizen(session: Session, account_id: int) -> CitizenAccount | None:
    return session.get(CitizenAccount, account_id)


def get_citizen_by_personal_id(session: Session, personal_id: str) -> CitizenAccount | None:
    return session.scalar(select(CitizenAccount).where(CitizenAccount.personal_id == personal_id.strip()))


def get_citizen_by_resident(session: Session, resident_id: int) -> CitizenAccount | None:
    return session.scalar(select(CitizenAccount).where(CitizenAccount.resident_id == resident_id))


def citizen_mfa_step(account: CitizenAccount) -> str | None:
    """Level 2 needs TOTP (enrolled at the first login after the desk check); level 1 if enrolled."""
    if account.totp_secret:
        return "totp"
    return "enrol" if account.level >= 2 else None


def normalize_phone(phone: str) -> str | None:
    """Vietnamese mobile numbers as 10 digits starting with 0 (+84 / 84 accepted)."""
    digits = re.sub(r"[\s.\-()]", "", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if (
        len(digits) == 10
        and digits.isascii()
        and digits.isdigit()
        and digits[0] == "0"
        and digits[1] in "35789"
    ):
        return digits
    return None


def authenticate_citizen(session: Session, personal_id: str, password: str, ip: str = "") -> CitizenAccount:
    pid = (personal_id or "").strip()
    check_throttle(session, "citizen", pid, ip)
    account = get_citizen_by_personal_id(session, pid) if pid else None
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None or account.status != "active":
        record_failure(session, "citizen", pid, ip)
        audit.record(
            session,
            f"ip:{ip}",
            "login.failed",
            "citizen",
            str(account.id) if account else "",
            {"factor": "password"},
        )
        err = Unauthenticated(
            "login.failed", "Số định danh hoặc mật khẩu không đúng.", "Wrong ID number or password."
        )
        raise _keep(err)
    reset_throttle(session, "citizen", pid)
    if password_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def finish_citizen_login(
    session: Session, account: CitizenAccount, ip: str, amr: str = "pwd"
) -> Authenticated:
    acr = citizen_acr(account, amr)
    audit.record(
        session,
        citizen_actor(account, ip),
        "login.succeeded",
        "citizen",
        str(account.id),
        {"acr": acr, "amr": amr},
    )
    return Authenticated("citizen", account.id, acr, amr)


def create_citizen_account(
    session: Session,
    resident_id: int,
    personal_id: str,
    password: str,
    phone: str = "",
    level: int = 1,
    totp_secret: str | None = None,
    checked_by: str | None = None,
) -> CitizenAccount:
    """An active account without the SMS round trip: for the demo, tests and bulk provisioning."""
    account = CitizenAccount(
        subject=secrets.token_hex(16),
        resident_id=resident_id,
        personal_id=personal_id,
        password_hash=hash_password(password),
        phone=normalize_phone(phone) or "",
        phone_verified_at=utcnow(),
        status="active",
        level=level,
        totp_secret=totp_secret,
        level2_by=checked_by if level >= 2 else None,
        level2_at=utcnow() if level >= 2 else None,
    )
    session.add(account)
    session.flush()
    audit.record(session, "system:cli", "citizen.created", "citizen", str(account.id), {"level": level})
    return account


def set_citizen_credentials(
    session: Session, account_id: int, password: str, totp_secret: str | None
) -> None:
    """Set a citizen's password and second factor directly (the demo re-running; never a web route)."""
    account = session.get(CitizenAccount, account_id)
    if account is None:
        raise not_found("tài khoản", "account")
    account.password_hash = hash_password(password)
    account.totp_secret = totp_secret
    account.totp_last_step = None
    reset_throttle(session, "citizen", account.personal_id)
    audit.record(session, "system:cli", "citizen.credentials_set", "citizen", str(account.id))


def account_counts(session: Session, as_of: datetime | None = None) -> dict[str, int]:
    """Active citizens' e-ID accounts by assurance level, for leaders' figures and the periodic report."""
    stmt = select(CitizenAccount.level, func.count()).where(CitizenAccount.status == "active")
    if as_of is not None:
        stmt = stmt.where(CitizenAccount.created_at <= as_of)
    by_level = {int(level): int(n) for level, n in session.execute(stmt.group_by(CitizenAccount.level))}
    return {"level1": by_level.get(1, 0), "level2": by_level.get(2, 0), "total": sum(by_level.values())}
