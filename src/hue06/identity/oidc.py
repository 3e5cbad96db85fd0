"""The OpenID Connect provider: Authlib's framework-neutral server classes on FastAPI/Starlette.

Authlib ships server glue for Flask and Django only, so this module is the Starlette adapter:
`StarletteOAuth2Request` wraps a request (query and form already read), `HueAuthorizationServer`
turns Authlib's `(status, body, headers)` into Starlette responses and keeps everything in the
request's database session. One server object is built per request (cheap: it only registers
classes), so no state is shared between threads.

Policy, beyond what Authlib enforces on its own (see docs/decisions/0005-identity-oidc.md):
- authorization code flow only, PKCE with S256 required of every client, `plain` refused;
- redirect URIs matched exactly, `redirect_uri` required; `nonce` required for `openid`;
- a code used twice is refused and every token issued from it is revoked;
- refresh tokens rotate on every use; presenting a used one revokes the whole family;
- `personal_id` is granted only to clients registered as trusted.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    ResourceProtector,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.config import Settings
from hue06.core.db import utcnow
from hue06.core.errors import InvalidInput, NotFound
from hue06.core.security import Actor, constant_equals, new_token, token_hash
from hue06.identity import keys
from hue06.identity.models import (
    AuthorizationCode,
    CitizenAccount,
    Consent,
    OAuthClient,
    OAuthToken,
    WebSession,
)
from hue06.identity.service import ACR_LOA1, ACR_LOA2, ACR_VALUES
from hue06.registry import service as registry

ACCESS_SECONDS = 900
CLIENT_CREDENTIALS_SECONDS = 600
REFRESH_SECONDS = 14 * 24 * 3600
CODE_SECONDS = 300
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
ALGORITHMS = ("RS256", "ES256")

# What each scope lets an app read, as the consent page names it (English in the catalogue).
USER_SCOPES: dict[str, str] = {
    "openid": "Mã định danh tài khoản (không phải số định danh cá nhân)",
    "profile": "Họ tên, giới tính, ngày sinh",
    "address": "Địa chỉ thường trú",
    "phone": "Số điện thoại đã xác thực",
    "personal_id": "Số định danh cá nhân",
}
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "name",
    "family_name",
    "middle_name",
    "given_name",
    "gender",
    "birthdate",
    "locale",
    "address",
    "phone_number",
    "phone_number_verified",
    "personal_id",
]


# --------------------------------------------------------------------------- Starlette adapter


class StarlettePayload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """An OAuth2Request made from a Starlette request whose form was read beforehand (async)."""

    def __init__(
        self, method: str, uri: str, headers: Any, query: list[tuple[str, str]], form: list[tuple[str, str]]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(reversed(query))
        self._form = dict(reversed(form))
        self.payload = StarlettePayload(query + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def read_form(request: Request) -> list[tuple[str, str]]:
    """FastAPI dependency: the urlencoded body as pairs, so sync routes can use it in a thread."""
    ctype = request.headers.get("content-type", "")
    if request.method != "POST" or not ctype.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return []
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def issuer_for(request: Request) -> str:
    """The configured base URL in production; in development whatever host and port served us."""
    settings: Settings = request.app.state.settings
    if settings.is_production:
        return settings.base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


# --------------------------------------------------------------------------- models seen by Authlib


class Client(ClientMixin):
    def __init__(self, row: Any) -> None:
        self.row = row
        self.client_id = row.client_id
        self.trusted = row.trusted
        self.id_token_signed_response_alg = row.id_token_alg
        self.redirect_uris: list[str] = json.loads(row.redirect_uris or "[]")
        self.client_metadata = {
            "post_logout_redirect_uris": json.loads(row.post_logout_redirect_uris or "[]")
        }
        self.scopes = set(scope_to_list(row.scope) or [])
        self.grants = set(row.grant_types.split())

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # redirect_uri is always required

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope, or None (invalid_scope) if it asks for anything not granted."""
        wanted = scope_to_list(scope) or []
        if any(s not in self.scopes for s in wanted):
            return None
        if "personal_id" in wanted and not self.trusted:
            return None
        return " ".join(wanted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return constant_equals(token_hash(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grants

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grants


@dataclass(frozen=True)
class EndUser:
    account_id: int
    subject: str
    sid: int | None
    acr: str
    amr: str
    auth_time: int


class CodeObject:
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_acr(self) -> str | None:
        return self.row.acr or None

    def get_amr(self) -> list[str] | None:
        return self.row.amr.split() or None


_T = OAuthToken.__table__
_A = CitizenAccount.__table__
_TOKEN_COLUMNS = [
    *_T.c,
    _A.c.subject.label("a_subject"),
    _A.c.status.label("a_status"),
    _A.c.personal_id.label("a_personal_id"),
    _A.c.phone.label("a_phone"),
    _A.c.phone_verified_at.label("a_phone_verified_at"),
]


@dataclass(frozen=True)
class AccountView:
    """What the token endpoints need of a citizen account, read in the same query as the token."""

    id: int
    subject: str
    status: str
    personal_id: str
    phone: str
    phone_verified_at: datetime | None


# Hot-path statements, built once: building a statement per request (and its cache key) costs more
# CPU than running it.
_LOAD_TOKEN = {
    col.key: select(*_TOKEN_COLUMNS).outerjoin(_A, _A.c.id == _T.c.account_id).where(col == bindparam("h"))
    for col in (_T.c.access_hash, _T.c.refresh_hash)
}
_ROTATE = (
    update(_T)
    .where(_T.c.id == bindparam("tid"))
    .values(rotated_at=bindparam("now"), revoked_at=bindparam("now"))
)
_INSERT_TOKEN = insert(_T)


def load_token(db: Session, column: Any, value: str) -> tuple[Any, AccountView | None] | None:
    """A token row (Core, no ORM bookkeeping: these are the hot paths) with its account."""
    row = db.connection().execute(_LOAD_TOKEN[column.key], {"h": value}).first()
    if row is None:
        return None
    account = None
    if row.account_id is not None and row.a_subject is not None:
        account = AccountView(
            row.account_id,
            row.a_subject,
            row.a_status,
            row.a_personal_id,
            row.a_phone or "",
            row.a_phone_verified_at,
        )
    return row, account


class TokenObject:
    """One row seen through the token string that found it (access or refresh)."""

    def __init__(self, row: Any, kind: str, account: AccountView | None = None) -> None:
        self.row = row
        self.kind = kind
        self.scope = row.scope
        self.account = account  # loaded with the token (one query), when it has one

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        limit = self.row.refresh_expires_at if self.kind == "refresh_token" else self.row.expires_at
        return limit is None or limit <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (
            self.kind == "refresh_token" and self.row.rotated_at is not None
        )


# --------------------------------------------------------------------------- grants and endpoints


class S256Only(CodeChallenge):
    """PKCE required of every client, with S256 only (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'."
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is accepted ('plain' is not).")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @staticmethod
    def validate_authorization_redirect_uri(request: OAuth2Request, client: Client) -> str:
        if not request.payload.redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if len(request.payload.datalist.get("redirect_uri", [])) > 1:
            raise InvalidRequestError("Multiple 'redirect_uri' in request.")
        return AuthorizationCodeGrant.validate_authorization_redirect_uri(request, client)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: EndUser = request.user
        data = request.payload.data
        self.server.db.add(
            AuthorizationCode(
                code_hash=token_hash(code),
                client_id=request.client.client_id,
                account_id=user.account_id,
                session_id=user.sid,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data.get("code_challenge_method", "S256"),
                acr=user.acr,
                amr=user.amr,
                auth_time=user.auth_time,
                expires_at=utcnow() + timedelta(seconds=CODE_SECONDS),
            )
        )
        self.server.db.flush()

    def query_authorization_code(self, code: str, client: Client) -> CodeObject | None:
        db: Session = self.server.db
        row = db.scalar(select(AuthorizationCode).where(AuthorizationCode.code_hash == token_hash(code)))
        if row is None or row.client_id != client.client_id:
            return None
        if row.used_at is not None:
            # RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
            revoked = revoke_tokens(db, OAuthToken.code_id == row.id)
            audit.record(
                db,
                f"client:{client.client_id}",
                "oidc.code_reuse",
                "citizen",
                str(row.account_id),
                {"revoked": revoked},
            )
            return None
        if row.expires_at <= utcnow():
            return None
        return CodeObject(row)

    def delete_authorization_code(self, authorization_code: CodeObject) -> None:
        if authorization_code.row.used_at is None:  # normally already set by save_token
            authorization_code.row.used_at = utcnow()

    def authenticate_user(self, authorization_code: CodeObject) -> EndUser | None:
        row = authorization_code.row
        return self.server.end_user(row.account_id, row.session_id, row.acr, row.amr, row.auth_time)


class OpenIDExtension(OpenIDCode):
    def __init__(self, server: HueAuthorizationServer) -> None:
        super().__init__(require_nonce=True)
        self.server = server
        self._kids: dict[str, str] = {}

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return (
            self.server.db.scalar(
                select(AuthorizationCode.id)
                .where(
                    AuthorizationCode.client_id == request.payload.client_id, AuthorizationCode.nonce == nonce
                )
                .limit(1)
            )
            is not None
        )

    def _kid(self, client: Client) -> str:
        alg = self.get_client_algorithm(client)
        if alg not in self._kids:
            self._kids[alg] = keys.active_kid(self.server.db, alg, self.server.secret_key)
        return self._kids[alg]

    def resolve_client_private_key(self, client: Client) -> object:
        return keys.private_key(self.server.db, self._kid(client), self.server.secret_key)

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": self.get_client_algorithm(client), "kid": self._kid(client), "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.server.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + keys.ID_TOKEN_SECONDS,
        }

    def generate_user_info(self, user: EndUser, scope: str) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": user.subject}
        if user.sid is not None:
            claims["sid"] = str(user.sid)
        return claims


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenObject | None:
        db: Session = self.server.db
        found = load_token(db, _T.c.refresh_hash, token_hash(refresh_token))
        if found is None:
            return None
        row, account = found
        if row.rotated_at is not None or row.revoked_at is not None:
            # A refresh token is good once: seeing it again means it leaked, so the family dies.
            revoked = revoke_tokens(db, OAuthToken.family == row.family)
            audit.record(
                db,
                f"client:{row.client_id}",
                "oidc.refresh_reuse",
                "citizen",
                str(row.account_id or ""),
                {"revoked": revoked},
            )
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= utcnow():
            return None
        return TokenObject(row, "refresh_token", account)

    def authenticate_user(self, refresh_token: TokenObject) -> EndUser | None:
        row, account = refresh_token.row, refresh_token.account
        if account is None or account.status != "active":
            return None
        return EndUser(account.id, account.subject, row.session_id, row.acr, row.amr, row.auth_time or 0)

    def revoke_old_credential(self, refresh_token: TokenObject) -> None:
        """Done in save_token already, so that it is written before the audit entry (see there)."""


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        wanted = scope_to_list(self.request.payload.scope) or []
        allowed = self.request.client.scopes - set(USER_SCOPES)
        if any(s not in allowed for s in wanted):
            raise InvalidScopeError()


def _query_token(db: Session, token_string: str, hint: str | None) -> TokenObject | None:
    h = token_hash(token_string)
    order = (
        ["refresh_token", "access_token"] if hint == "refresh_token" else ["access_token", "refresh_token"]
    )
    for kind in order:
        found = load_token(db, _T.c.access_hash if kind == "access_token" else _T.c.refresh_hash, h)
        if found is not None:
            return TokenObject(found[0], kind, found[1])
    return None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenObject | None:
        return _query_token(self.server.db, token_string, token_type_hint)

    def revoke_token(self, token: TokenObject, request: OAuth2Request) -> None:
        db: Session = self.server.db
        if token.kind == "refresh_token":
            n = revoke_tokens(db, OAuthToken.family == token.row.family)  # RFC 7009 §2.1: the grant goes too
        else:
            n = revoke_tokens(db, OAuthToken.id == token.row.id)
        audit.record(
            db,
            f"client:{token.row.client_id}",
            "oidc.token_revoked",
            "citizen",
            str(token.row.account_id or ""),
            {"kind": token.kind, "revoked": n},
        )


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenObject | None:
        return _query_token(self.server.db, token_string, token_type_hint)

    def check_permission(self, token: TokenObject, client: Client, request: OAuth2Request) -> bool:
        """A client may introspect its own tokens; trusted clients (resource servers) any token."""
        return token.row.client_id == client.client_id or client.trusted

    def introspect_token(self, token: TokenObject) -> dict[str, Any]:
        return self.server.describe_token(token)


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self) -> dict:
        return keys.public_jwks(self.server.db)

    def get_algorithms(self) -> list[str]:
        return list(ALGORITHMS)

    def end_session(self, end_session_request: Any) -> None:
        self.server.logout_requested = True


class AccessTokenValidator(BearerTokenValidator):
    def __init__(self, server: HueAuthorizationServer) -> None:
        super().__init__()
        self.server = server

    def authenticate_token(self, token_string: str) -> TokenObject | None:
        found = load_token(self.server.db, _T.c.access_hash, token_hash(token_string))
        return TokenObject(found[0], "access_token", found[1]) if found is not None else None


# --------------------------------------------------------------------------- the server


_CLIENT_TTL = 10.0
_client_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_client_lock = threading.Lock()


def _cached_client(db: Session, client_id: str) -> Client | None:
    """Registered clients change only through the CLI: a lookup is kept for 10 seconds per process."""
    if not client_id or len(client_id) > 64:
        return None
    key = (str(db.get_bind().url), client_id)
    now = time.monotonic()
    with _client_lock:
        hit = _client_cache.get(key)
    if hit is not None and hit[0] > now:
        return Client(hit[1]) if hit[1] is not None else None
    table = OAuthClient.__table__
    row = db.execute(select(table).where(table.c.client_id == client_id, table.c.active.is_(True))).first()
    with _client_lock:
        if len(_client_cache) > 10_000:
            _client_cache.clear()
        _client_cache[key] = (now + _CLIENT_TTL, row)
    return Client(row) if row is not None else None


def forget_client(client_id: str) -> None:
    with _client_lock:
        for key in [k for k in _client_cache if k[1] == client_id]:
            _client_cache.pop(key, None)


def _generate_token(
    grant_type: str,
    client: Client,
    user: EndUser | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    seconds = CLIENT_CREDENTIALS_SECONDS if grant_type == "client_credentials" else ACCESS_SECONDS
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": new_token(32),
        "expires_in": expires_in or seconds,
    }
    if include_refresh_token and user is not None:
        token["refresh_token"] = new_token(48)
    if scope:
        token["scope"] = scope
    return token


class HueAuthorizationServer(AuthorizationServer):
    """Authlib's AuthorizationServer bound to one request's database session."""

    def __init__(self, db: Session, settings: Settings, issuer: str, ip: str = "") -> None:
        super().__init__(scopes_supported=None)
        self.db = db
        self.settings = settings
        self.issuer = issuer
        self.ip = ip
        self.endpoint = ""
        self.logout_requested = False
        self._clients: dict[str, Client | None] = {}
        self.register_token_generator("default", _generate_token)
        self.register_grant(CodeGrant, [S256Only(required=True), OpenIDExtension(self)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentials)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_endpoint(EndSession)
        self.protector = ResourceProtector()
        self.protector.register_token_validator(AccessTokenValidator(self))

    @cached_property
    def secret_key(self) -> str:
        """Read only when a key must be decrypted (it may live in a file)."""
        return self.settings.get_secret_key()

    # Authlib's hooks ---------------------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        if client_id not in self._clients:
            self._clients[client_id] = _cached_client(self.db, client_id)
        return self._clients[client_id]

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        now = utcnow()
        user: EndUser | None = request.user
        previous: TokenObject | None = request.refresh_token
        code: CodeObject | None = request.authorization_code
        family = previous.row.family if previous else secrets.token_hex(16)
        # The spent refresh token and the used code are marked here, written before the audit entry,
        # because the audit entry holds the log's lock until commit: it must be the last statement.
        if code is not None:
            code.row.used_at = now
            self.db.flush()
        conn = self.db.connection()
        if previous is not None:
            conn.execute(_ROTATE, {"tid": previous.row.id, "now": now})
        scope = token.get("scope", "")
        refresh = token.get("refresh_token")
        conn.execute(
            _INSERT_TOKEN,
            {
                "client_id": request.client.client_id,
                "account_id": user.account_id if user else None,
                "scope": scope,
                "access_hash": token_hash(token["access_token"]),
                "refresh_hash": token_hash(refresh) if refresh else None,
                "family": family,
                "code_id": code.row.id if code else (previous.row.code_id if previous else None),
                "session_id": user.sid if user else None,
                "acr": user.acr if user else "",
                "amr": user.amr if user else "",
                "auth_time": user.auth_time if user else None,
                "issued_at": now,
                "expires_at": now + timedelta(seconds=int(token["expires_in"])),
                "refresh_expires_at": now + timedelta(seconds=REFRESH_SECONDS) if refresh else None,
            },
        )
        audit.record(
            self.db,
            Actor(kind="client", id=request.client.client_id, ip=self.ip),
            "oidc.token_issued",
            "citizen" if user else "client",
            str(user.account_id) if user else request.client.client_id,
            {"grant": request.payload.grant_type, "scope": scope, "family": family[:8]},
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("wrap the request with HueAuthorizationServer.wrap() first")

    def create_json_request(self, request: Any) -> Any:
        raise TypeError("JSON requests are not used")

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        headers = dict(headers or [])
        if isinstance(body, dict):
            headers.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=headers)
        return Response(body or b"", status_code=status, headers=headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> Response:
        self.log_refusal(request, error)
        return super().handle_error_response(request, error)

    # our own -----------------------------------------------------------------------

    def wrap(self, request: Request, form: list[tuple[str, str]]) -> OAuth2Request:
        """Raises Authlib's InsecureTransportError (an OAuth2Error) for plain HTTP off loopback."""
        query = [(k, v) for k, v in request.query_params.multi_items()]
        uri = self.issuer + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return StarletteOAuth2Request(request.method, uri, request.headers, query, form)

    def log_refusal(self, request: OAuth2Request | None, error: OAuth2Error) -> None:
        client_id = ""
        if request is not None:
            client_id = (request.client.client_id if request.client else None) or (
                request.payload.client_id or ""
            )
        actor = f"client:{client_id[:60]}" if client_id else f"ip:{self.ip}"
        audit.record(
            self.db,
            actor,
            "oidc.refused",
            "oauth_endpoint",
            self.endpoint,
            {"error": error.error, "ip": self.ip},
        )

    def end_user(
        self, account_id: int, sid: int | None, acr: str, amr: str, auth_time: int
    ) -> EndUser | None:
        account = self.db.get(CitizenAccount, account_id)
        if account is None or account.status != "active":
            return None
        return EndUser(account.id, account.subject, sid, acr, amr, auth_time)

    def describe_token(self, token: TokenObject) -> dict[str, Any]:
        row = token.row
        out: dict[str, Any] = {
            "active": True,
            "client_id": row.client_id,
            "scope": row.scope,
            "iss": self.issuer,
            "aud": row.client_id,
            "iat": int(row.issued_at.timestamp()),
            "exp": int(
                (
                    (row.refresh_expires_at if token.kind == "refresh_token" else row.expires_at)
                    or row.expires_at
                ).timestamp()
            ),
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
        }
        if row.account_id is not None:
            if token.account is not None:
                out["sub"] = token.account.subject
            if row.acr:
                out["acr"] = row.acr
        return out

    def userinfo(self, oreq: OAuth2Request) -> Response:
        """Claims from the register, by the token's scope; every read is in the audit log."""
        try:
            token: TokenObject = self.protector.validate_request(["openid"], oreq)
        except OAuth2Error as error:
            return self.handle_error_response(oreq, error)
        row, account = token.row, token.account
        scopes = set(scope_to_list(row.scope) or [])
        client = self.query_client(row.client_id) if "personal_id" in scopes else None
        if account is None or account.status != "active" or ("personal_id" in scopes and client is None):
            return self.handle_error_response(oreq, InvalidTokenError())
        resident = registry.match_identity(self.db, account.personal_id) if scopes - {"openid"} else None
        claims = user_claims(account, resident, scopes, client is not None and client.trusted)
        audit.record(
            self.db,
            Actor(kind="client", id=row.client_id, ip=self.ip),
            "oidc.userinfo",
            "citizen",
            str(account.id),
            {"scope": row.scope},
        )
        return self.handle_response(200, claims, default_json_headers)


def user_claims(account: CitizenAccount, resident: Any, scopes: set[str], trusted: bool) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": account.subject}
    if resident is not None and "profile" in scopes:
        claims.update(
            {
                "name": resident.full_name,
                "family_name": resident.family_name,
                "given_name": resident.given_name,
                "middle_name": resident.middle_name,
                "gender": resident.gender,
                "birthdate": resident.date_of_birth.isoformat(),
                "locale": "vi-VN",
            }
        )
    if resident is not None and "address" in scopes:
        claims["address"] = {"formatted": resident.address, "country": "VN"}
    if "phone" in scopes and account.phone:
        claims["phone_number"] = "+84" + account.phone[1:]
        claims["phone_number_verified"] = account.phone_verified_at is not None
    if resident is not None and "personal_id" in scopes and trusted:
        claims["personal_id"] = resident.personal_id
    return claims


def server_for(request: Request, db: Session) -> HueAuthorizationServer:
    ip = request.client.host if request.client else ""
    return HueAuthorizationServer(db, request.app.state.settings, issuer_for(request), ip)


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "end_session_endpoint": f"{issuer}/oauth/logout",
        "scopes_supported": list(USER_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(ACR_VALUES),
        "claims_supported": CLAIMS_SUPPORTED,
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "ui_locales_supported": ["vi", "en"],
    }


# --------------------------------------------------------------------------- service functions


def revoke_tokens(db: Session, condition: Any) -> int:
    now = utcnow()
    result = db.execute(
        update(OAuthToken)
        .where(condition, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def end_user_from_session(db: Session, ws: WebSession | None) -> EndUser | None:
    if ws is None or ws.subject_kind != "citizen":
        return None
    account = db.get(CitizenAccount, ws.subject_id)
    if account is None or account.status != "active":
        return None
    return EndUser(
        account.id,
        account.subject,
        ws.id,
        ws.acr or ACR_LOA1,
        ws.amr or "pwd",
        int(ws.created_at.timestamp()),
    )


def acr_satisfied(requested: str | None, acr: str) -> bool:
    """acr_values asks for at least one of the listed levels; level 2 satisfies a request for 1."""
    wanted = (requested or "").split()
    if not wanted:
        return True
    rank = {ACR_LOA1: 1, ACR_LOA2: 2}
    have = rank.get(acr, 0)
    return any(rank.get(w, 99) <= have for w in wanted)


def consent_covers(db: Session, account_id: int, client_id: str, scope: str) -> bool:
    row = _active_consent(db, account_id, client_id)
    return row is not None and set(scope_to_list(scope) or []) <= set(row.scope.split())


def _active_consent(db: Session, account_id: int, client_id: str) -> Consent | None:
    return db.scalar(
        select(Consent)
        .where(
            Consent.account_id == account_id, Consent.client_id == client_id, Consent.withdrawn_at.is_(None)
        )
        .order_by(Consent.id.desc())
        .limit(1)
    )


def grant_consent(db: Session, actor: Actor, account_id: int, client_id: str, scope: str) -> None:
    row = _active_consent(db, account_id, client_id)
    scopes = set(scope_to_list(scope) or [])
    if row is not None:
        scopes |= set(row.scope.split())
        row.withdrawn_at = utcnow()
    db.add(Consent(account_id=account_id, client_id=client_id, scope=" ".join(sorted(scopes))))
    db.flush()
    audit.record(
        db,
        actor,
        "oidc.consent_given",
        "citizen",
        str(account_id),
        {"client": client_id, "scope": " ".join(sorted(scopes))},
    )


def deny_consent(db: Session, actor: Actor, account_id: int, client_id: str) -> None:
    audit.record(db, actor, "oidc.consent_denied", "citizen", str(account_id), {"client": client_id})


def withdraw_consent(db: Session, actor: Actor, account_id: int, client_id: str) -> int:
    """Forget the consent and revoke every token the app holds for this citizen."""
    row = _active_consent(db, account_id, client_id)
    if row is None:
        raise NotFound("not_found", "Không tìm thấy ứng dụng đã được cấp quyền.", "No such connected app.")
    row.withdrawn_at = utcnow()
    revoked = revoke_tokens(db, (OAuthToken.account_id == account_id) & (OAuthToken.client_id == client_id))
    audit.record(
        db,
        actor,
        "oidc.consent_withdrawn",
        "citizen",
        str(account_id),
        {"client": client_id, "revoked": revoked},
    )
    return revoked


@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    name: str
    scopes: list[str]
    granted_at: datetime


def connected_apps(db: Session, account_id: int) -> list[ConnectedApp]:
    rows = db.execute(
        select(Consent, OAuthClient.name)
        .join(OAuthClient, OAuthClient.client_id == Consent.client_id)
        .where(Consent.account_id == account_id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.granted_at.desc())
    ).all()
    return [ConnectedApp(c.client_id, name, c.scope.split(), c.granted_at) for c, name in rows]


def get_client(db: Session, client_id: str) -> OAuthClient | None:
    return db.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def _check_redirect(uri: str) -> str:
    parts = urlsplit(uri)
    loopback = False
    if parts.hostname:
        try:
            loopback = parts.hostname == "localhost" or ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
    if (
        parts.fragment
        or not parts.hostname
        or not (parts.scheme == "https" or (parts.scheme == "http" and loopback))
    ):
        raise InvalidInput(
            "oidc.redirect_uri",
            f"Địa chỉ chuyển hướng phải là https (hoặc http trên máy cục bộ), không có #: {uri}",
            f"Redirect URIs must be https (or http on loopback), without a fragment: {uri}",
        )
    return uri


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str


def register_client(
    db: Session,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    trusted: bool = False,
    id_token_alg: str = "RS256",  # noqa: S107 - an algorithm name
    grant_types: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    actor: Actor | str = "system:cli",
) -> NewClient:
    """Register an app; the secret is shown once and stored as a SHA-256 hash."""
    name = name.strip()
    if not name:
        raise InvalidInput("oidc.client_name", "Cần tên ứng dụng.", "The app needs a name.")
    scope_list = sorted({s for item in scopes for s in item.replace(",", " ").split()})
    for s in scope_list:
        if not all(c.isalnum() or c in "._:-" for c in s):
            raise InvalidInput("oidc.scope", f"Phạm vi không hợp lệ: {s}", f"Invalid scope: {s}")
    if "personal_id" in scope_list and not trusted:
        raise InvalidInput(
            "oidc.personal_id_untrusted",
            "Chỉ ứng dụng tin cậy (--trusted) mới được cấp phạm vi personal_id.",
            "Only trusted clients (--trusted) may be granted the personal_id scope.",
        )
    if id_token_alg not in ALGORITHMS:
        raise InvalidInput(
            "oidc.alg",
            "Thuật toán ký phải là RS256 hoặc ES256.",
            "The signing algorithm must be RS256 or ES256.",
        )
    grants = grant_types or (
        ["authorization_code", "refresh_token"] if redirect_uris else ["client_credentials"]
    )
    for g in grants:
        if g not in ("authorization_code", "refresh_token", "client_credentials"):
            raise InvalidInput(
                "oidc.grant", f"Kiểu cấp quyền không hỗ trợ: {g}", f"Unsupported grant type: {g}"
            )
    if "authorization_code" in grants and not redirect_uris:
        raise InvalidInput(
            "oidc.redirect_uri",
            "Cần ít nhất một địa chỉ chuyển hướng (--redirect-uri).",
            "At least one redirect URI (--redirect-uri) is needed.",
        )
    uris = [_check_redirect(u) for u in redirect_uris]
    logout_uris = [_check_redirect(u) for u in (post_logout_redirect_uris or [])]
    if not logout_uris and uris:
        p = urlsplit(uris[0])
        logout_uris = [f"{p.scheme}://{p.netloc}/"]
    client_id = "h06c_" + secrets.token_hex(12)
    secret = new_token(32)
    db.add(
        OAuthClient(
            client_id=client_id,
            secret_hash=token_hash(secret),
            name=name,
            redirect_uris=json.dumps(uris),
            post_logout_redirect_uris=json.dumps(logout_uris),
            scope=" ".join(scope_list),
            grant_types=" ".join(grants),
            id_token_alg=id_token_alg,
            trusted=trusted,
        )
    )
    db.flush()
    audit.record(
        db,
        actor,
        "oidc.client_created",
        "oauth_client",
        client_id,
        {"name": name, "scope": " ".join(scope_list), "trusted": trusted, "grants": grants},
    )
    return NewClient(client_id, secret)


def list_clients(db: Session) -> list[OAuthClient]:
    return list(db.scalars(select(OAuthClient).order_by(OAuthClient.id)))


def introspect_access_token(db: Session, token: str) -> dict[str, Any] | None:
    """For other modules' APIs: who a bearer access token speaks for, or None if it is not live."""
    row = db.scalar(select(OAuthToken).where(OAuthToken.access_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return {"client_id": row.client_id, "scope": row.scope, "account_id": row.account_id, "acr": row.acr}


def error_redirect(redirect_uri: str, error: str, state: str | None, description: str = "") -> str:
    params = [("error", error)]
    if description:
        params.append(("error_description", description))
    if state:
        params.append(("state", state))
    return add_params_to_uri(redirect_uri, params)


__all__ = [
    "ACR_LOA1",
    "ACR_LOA2",
    "HueAuthorizationServer",
    "StarletteOAuth2Request",
    "discovery",
    "register_client",
]
