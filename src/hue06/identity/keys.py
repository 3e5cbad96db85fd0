"""Signing keys for ID tokens: kept in the database, private halves encrypted, rotated on command.

The private key is encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from the
installation's secret key, so a copy of the database alone does not let anyone sign tokens.
A rotated key stops signing at once but stays in the JWKS until every ID token it signed has
expired (`ID_TOKEN_SECONDS` plus a margin for clocks and caches).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey, KeySet, RSAKey, import_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from hue06.core import audit
from hue06.core.db import utcnow
from hue06.core.security import Actor
from hue06.identity.models import SigningKey

ALGS = ("RS256", "ES256")
ID_TOKEN_SECONDS = 3600
PUBLISH_MARGIN = timedelta(hours=1)

_lock = threading.Lock()
_private_cache: dict[str, object] = {}  # kid -> decrypted key, for this process's lifetime


def _aead(secret_key: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hue06-oidc-signing-keys", info=b"aes-256-gcm")
    return AESGCM(hkdf.derive(secret_key.encode()))


def _encrypt(secret_key: str, data: dict, kid: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead(secret_key).encrypt(nonce, json.dumps(data).encode(), kid.encode())
    return base64.b64encode(nonce + sealed).decode()


def _decrypt(secret_key: str, blob: str, kid: str) -> dict:
    raw = base64.b64decode(blob)
    return json.loads(_aead(secret_key).decrypt(raw[:12], raw[12:], kid.encode()))


def _generate(alg: str, kid: str) -> RSAKey | ECKey:
    params = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, private=True)
    return ECKey.generate_key("P-256", parameters=params, private=True)


def create_key(session: Session, secret_key: str, alg: str) -> SigningKey:
    if alg not in ALGS:
        raise ValueError(f"unsupported signing algorithm {alg}")
    kid = f"{alg.lower()}-{time.strftime('%Y%m%d')}-{secrets.token_hex(4)}"
    key = _generate(alg, kid)
    row = SigningKey(
        kid=kid,
        alg=alg,
        public_jwk=json.dumps(key.as_dict(private=False)),
        private_enc=_encrypt(secret_key, key.as_dict(private=True), kid),
    )
    session.add(row)
    session.flush()
    return row


def ensure_keys(session: Session, secret_key: str) -> None:
    """One active key per algorithm; created on first use so a fresh install just works."""
    active = set(session.scalars(select(SigningKey.alg).where(SigningKey.retired_at.is_(None))))
    for alg in ALGS:
        if alg not in active:
            create_key(session, secret_key, alg)


def rotate_keys(session: Session, secret_key: str, actor: Actor | str = "system:cli") -> list[str]:
    """New keys sign from now on; old ones stay published until their tokens have expired."""
    now = utcnow()
    old = list(session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))))
    for row in old:
        row.retired_at = now
        row.unpublish_after = now + timedelta(seconds=ID_TOKEN_SECONDS) + PUBLISH_MARGIN
    new = [create_key(session, secret_key, alg) for alg in ALGS]
    audit.record(
        session,
        actor,
        "oidc.keys_rotated",
        "signing_key",
        ",".join(r.kid for r in new),
        {"retired": [r.kid for r in old]},
    )
    return [r.kid for r in new]


def active_kid(session: Session, alg: str, secret_key: str) -> str:
    """The key that signs now (one indexed query: rotation in another process is seen at once)."""
    kid = session.scalar(
        select(SigningKey.kid)
        .where(SigningKey.alg == alg, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
        .limit(1)
    )
    if kid is None:
        ensure_keys(session, secret_key)
        return active_kid(session, alg, secret_key)
    return kid


def private_key(session: Session, kid: str, secret_key: str) -> object:
    with _lock:
        key = _private_cache.get(kid)
    if key is not None:
        return key
    row = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        raise LookupError("no such signing key")
    key = import_key(_decrypt(secret_key, row.private_enc, kid))
    with _lock:
        _private_cache[kid] = key
    return key


def public_jwks(session: Session) -> dict:
    """Every key that signs or may still have signed a live token."""
    now = utcnow()
    rows = session.scalars(select(SigningKey).order_by(SigningKey.id)).all()
    return {
        "keys": [
            json.loads(r.public_jwk) for r in rows if r.unpublish_after is None or r.unpublish_after > now
        ]
    }


def public_key_set(session: Session) -> KeySet:
    return KeySet.import_key_set(public_jwks(session))
