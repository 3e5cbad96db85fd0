"""Private helpers shared by the files of this package."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core.errors import Hue06Error, InvalidInput
from hue06.identity.models import Official


def _keep(err: Hue06Error) -> Hue06Error:
    """The error, marked so that the unit of work keeps its changes (the failure count, the audit entry)."""
    return err.kept()


def _acct_key(kind: str, name: str) -> str:
    return "acct:" + hashlib.sha256(f"{kind}:{name.strip().lower()}".encode()).hexdigest()


def _official_or_error(session: Session, username: str) -> Official:
    official = session.scalar(select(Official).where(Official.username == username))
    if official is None:
        raise InvalidInput(
            "official.unknown", "Không có cán bộ với tên đăng nhập này.", "No official with that username."
        )
    return official
