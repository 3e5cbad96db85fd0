"""Who may do what: the e-ID level of a sign-in, an official's agency, and which dossiers an actor
may see (the applicant's own; an officer's agency and area). A dossier the actor may not see is a
404, never a 403: its existence is not told.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core.errors import not_found
from hue06.core.security import Actor
from hue06.core.text import fold
from hue06.identity import service as identity
from hue06.services.models import Dossier
from hue06.services.service.catalogue import agencies


def citizen_level(actor: Actor) -> int:
    """The e-ID level of this sign-in: the session's acr when known, else the account's level."""
    acr = actor.extra.get("acr", "")
    level_text = actor.extra.get("level", "")
    levels = []
    if acr:
        digits = [c for c in acr if c.isdigit()]
        levels.append(int(digits[-1]) if digits else 0)
    if level_text.isdigit():
        levels.append(int(level_text))
    return min(levels) if levels else 0


def official_agency(session: Session, actor: Actor) -> str | None:
    """The agency code an official works for; None means every agency (a one-stop desk, an admin)."""
    official = identity.get_official_by_username(session, actor.id)
    raw = (official.agency if official else "") or ""
    if not raw.strip():
        return None
    key = fold(raw)
    for code, a in agencies().items():
        if key in (fold(code), fold(a["name"])):
            return code
    return raw.strip()


HANDLER_ROLES = frozenset({"province", "district", "commune"})


def may_act(actor: Actor) -> bool:
    """Least privilege: the officials who handle dossiers (province, district, commune) act on the
    ones they may see; an auditor or an administrator reads them and changes nothing."""
    return actor.kind == "system" or (actor.kind == "official" and actor.role in HANDLER_ROLES)


def _may_handle(session: Session, actor: Actor, d: Dossier) -> bool:
    if actor.kind == "system":
        return True
    if actor.kind != "official":
        return False
    agency = official_agency(session, actor)
    if agency is not None and agency != d.agency_code:
        return False
    return actor.can_see_commune(d.commune_code)


def _dossier(session: Session, dossier_id: int, *, lock: bool = False) -> Dossier:
    d = session.get(Dossier, int(dossier_id), with_for_update=lock) if str(dossier_id).isdigit() else None
    if d is None:
        raise not_found("hồ sơ", "dossier")
    return d


def get_dossier(session: Session, actor: Actor, dossier_id: int | str, *, lock: bool = False) -> Dossier:
    """A dossier the actor may see: the applicant's own, or one in an officer's agency and area (404 otherwise)."""
    d = _dossier(session, int(dossier_id) if str(dossier_id).isdigit() else -1, lock=lock)
    if actor.kind == "citizen":
        if actor.resident_id is None or d.resident_id != actor.resident_id:
            raise not_found("hồ sơ", "dossier")
        return d
    if not _may_handle(session, actor, d):
        raise not_found("hồ sơ", "dossier")
    return d


def get_dossier_by_code(session: Session, actor: Actor, code: str) -> Dossier:
    d = session.scalar(select(Dossier).where(Dossier.code == code.strip()))
    if d is None:
        raise not_found("hồ sơ", "dossier")
    return get_dossier(session, actor, d.id)
