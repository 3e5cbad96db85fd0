"""Accounts and login: officials, citizens' e-ID accounts, second factors, sessions, API tokens.

Login failures never say whether an account exists: the same message, the same work (a dummy
argon2 verification) and the same throttling apply to a name that has no account. Throttling
follows NIST SP 800-63B: back-off after a few consecutive failures, a hard stop at 100, and a
separate limit per address. The citizen side binds every account to one entry of the register
(level 1 by self-registration, level 2 raised by an official who checked the card in person).

One file per group of actions; this package's `__all__` is what the rest of hue06 may use.
"""

from __future__ import annotations

from hue06.identity.service.actors import ACR_LOA1, ACR_LOA2, ACR_VALUES, official_actor
from hue06.identity.service.challenges import (
    CHALLENGE_MINUTES,
    Authenticated,
    Challenge,
    challenge_label,
    complete_challenge,
    load_challenge,
)
from hue06.identity.service.citizens import (
    account_counts,
    authenticate_citizen,
    create_citizen_account,
    get_citizen,
    get_citizen_by_personal_id,
    get_citizen_by_resident,
    set_citizen_credentials,
)
from hue06.identity.service.credentials import new_totp_secret, totp_uri
from hue06.identity.service.level2 import raise_assurance_level
from hue06.identity.service.officials import (
    create_official,
    get_official_by_username,
    reset_password,
    set_official_active,
    set_official_totp,
)
from hue06.identity.service.registration import (
    finish_password_reset,
    start_password_reset,
    start_registration,
    verify_registration,
)
from hue06.identity.service.sessions import (
    actor_for_session,
    end_all_sessions,
    end_session,
    end_session_by_id,
    list_sessions,
    load_session,
    start_session,
)
from hue06.identity.service.signin import replace_session, sign_in_citizen, sign_in_official
from hue06.identity.service.throttle import FREE_FAILURES, HARD_LIMIT, IP_LIMIT, record_failure
from hue06.identity.service.tokens import (
    actor_from_api_token,
    cached_api_actor,
    create_api_token,
    forget_api_tokens,
    revoke_api_tokens,
)

__all__ = [
    "ACR_LOA1",
    "ACR_LOA2",
    "ACR_VALUES",
    "CHALLENGE_MINUTES",
    "FREE_FAILURES",
    "HARD_LIMIT",
    "IP_LIMIT",
    "Authenticated",
    "Challenge",
    "account_counts",
    "actor_for_session",
    "actor_from_api_token",
    "authenticate_citizen",
    "cached_api_actor",
    "challenge_label",
    "complete_challenge",
    "create_api_token",
    "create_citizen_account",
    "create_official",
    "end_all_sessions",
    "end_session",
    "end_session_by_id",
    "finish_password_reset",
    "forget_api_tokens",
    "get_citizen",
    "get_citizen_by_personal_id",
    "get_citizen_by_resident",
    "get_official_by_username",
    "list_sessions",
    "load_challenge",
    "load_session",
    "new_totp_secret",
    "official_actor",
    "raise_assurance_level",
    "record_failure",
    "replace_session",
    "reset_password",
    "revoke_api_tokens",
    "set_citizen_credentials",
    "set_official_active",
    "set_official_totp",
    "sign_in_citizen",
    "sign_in_official",
    "start_password_reset",
    "start_registration",
    "start_session",
    "totp_uri",
    "verify_registration",
]
