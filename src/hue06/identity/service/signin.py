"""The sign-in steps the pages take, in order: the password, then the second factor when one is
due, then a browser session in place of the one the browser had."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hue06.identity.service.challenges import Authenticated, Challenge, begin_challenge
from hue06.identity.service.citizens import authenticate_citizen, citizen_mfa_step, finish_citizen_login
from hue06.identity.service.officials import authenticate_official, finish_official_login, official_mfa_step
from hue06.identity.service.sessions import NewSession, end_session, start_session


def sign_in_official(
    session: Session, username: str, password: str, ip: str, production: bool
) -> Authenticated | Challenge:
    """Check the password; the second-factor challenge when one is due, else who signed in."""
    official = authenticate_official(session, username, password, ip)
    step = official_mfa_step(official, production)
    if step:
        return begin_challenge(session, "official", official.id, step, ip)
    finish_official_login(session, official, ip, "pwd")
    return Authenticated("official", official.id, "", "pwd")


def sign_in_citizen(session: Session, personal_id: str, password: str, ip: str) -> Authenticated | Challenge:
    """Check the password; the second-factor challenge when one is due, else who signed in."""
    account = authenticate_citizen(session, personal_id, password, ip)
    step = citizen_mfa_step(account)
    if step:
        return begin_challenge(session, "citizen", account.id, step, ip)
    return finish_citizen_login(session, account, ip)


def replace_session(
    session: Session, old_token: str | None, who: Authenticated, hours: int, ip: str, user_agent: str
) -> NewSession:
    """Start a browser session for who signed in, ending the one this browser had."""
    end_session(session, old_token)
    return start_session(
        session, who.subject_kind, who.subject_id, hours, ip, user_agent, acr=who.acr, amr=who.amr
    )
