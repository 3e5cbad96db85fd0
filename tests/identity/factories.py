"""Factories for the identity tests: a resident of the register, citizen accounts, registered apps,
and a test client on a loopback host name (OAuth refuses plain HTTP anywhere else)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterator
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy.orm import Session

from hue06.core.personal_id import make_personal_id
from hue06.core.text import fold, split_name

CITIZEN_PASSWORD = "mua-thu-ha-noi-1990"
REDIRECT = "https://app.example.vn/callback"


@pytest.fixture
def make_resident(session: Session) -> Callable[..., object]:
    from hue06.registry.models import Resident

    counter = iter(range(1, 10_000))

    def _make(
        full_name: str = "Nguyễn Thị Thúy",
        gender: str = "female",
        dob: date = date(1990, 5, 17),
        commune_code: str = "19750",
        phone: str | None = None,
        status: str = "alive",
        old_id: str | None = None,
        **kw: object,
    ) -> Resident:
        parts = split_name(full_name)
        resident = Resident(
            personal_id=kw.pop("personal_id", None)
            or make_personal_id("046", gender, dob.year, 4000 + next(counter)),
            old_id=old_id,
            family_name=parts.family,
            middle_name=parts.middle,
            given_name=parts.given,
            full_name=full_name,
            search_key=fold(full_name),
            given_key=fold(parts.given),
            gender=gender,
            date_of_birth=dob,
            commune_code=commune_code,
            address_detail="12 Lê Lợi",
            phone=phone,
            status=status,
            **kw,
        )
        session.add(resident)
        session.commit()
        return resident

    return _make


@pytest.fixture
def make_citizen(session: Session, make_resident) -> Callable[..., tuple[object, object, str | None]]:  # type: ignore[no-untyped-def]
    """(account, resident, totp_secret): level 1 without TOTP, level 2 with a known TOTP secret."""
    from hue06.identity import service

    def _make(level: int = 1, phone: str = "0912345678", **resident_kw: object):  # type: ignore[no-untyped-def]
        resident = make_resident(**resident_kw)
        secret = pyotp.random_base32() if level >= 2 else None
        account = service.create_citizen_account(
            session,
            resident.id,
            resident.personal_id,
            CITIZEN_PASSWORD,
            phone,
            level=level,
            totp_secret=secret,
            checked_by="canbo" if level >= 2 else None,
        )
        session.commit()
        return account, resident, secret

    return _make


@pytest.fixture
def make_app(session: Session) -> Callable[..., object]:
    """Register an OAuth client; returns NewClient(client_id, client_secret)."""
    from hue06.identity import oidc

    def _make(
        name: str = "Cổng dịch vụ công (thử)",
        redirect_uris: list[str] | None = None,
        scopes: str = "openid profile address phone",
        **kw: object,
    ):  # type: ignore[no-untyped-def]
        new = oidc.register_client(
            session, name, redirect_uris if redirect_uris is not None else [REDIRECT], [scopes], **kw
        )  # type: ignore[arg-type]
        session.commit()
        return new

    return _make


@pytest.fixture
def web(app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A browser-like client on http://localhost (a loopback name, so OAuth accepts plain HTTP)."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://localhost") as c:
        yield c


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def form_csrf(client) -> str:  # type: ignore[no-untyped-def]
    if not client.cookies.get("hue06_csrf"):
        client.get("/account/login")
    return client.cookies.get("hue06_csrf")


def citizen_sign_in(
    client,
    personal_id: str,
    password: str = CITIZEN_PASSWORD,
    totp_secret: str | None = None,  # type: ignore[no-untyped-def]
    next_url: str = "/account",
) -> object:
    """Sign a citizen in through the pages; returns the last response (a 303 on success)."""
    from hue06.identity.testing import totp_code

    csrf = form_csrf(client)
    r = client.post(
        "/account/login",
        data={"personal_id": personal_id, "password": password, "csrf_token": csrf, "next": next_url},
        follow_redirects=False,
    )
    if r.status_code == 303 and r.headers["location"].startswith("/login/totp"):
        assert totp_secret, "this account needs a TOTP code"
        r = client.post(
            "/login/totp",
            data={"code": totp_code(totp_secret), "csrf_token": csrf, "next": next_url},
            follow_redirects=False,
        )
    return r


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
