"""Signed checkpoints: every chain's head under one Merkle root, signed with a key the database
does not hold, each checkpoint linked to the one before."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hue06.core.audit.models import GENESIS, AuditCheckpoint
from hue06.core.audit.reading import heads
from hue06.core.db import utcnow


def merkle_root(leaves: list[tuple[int, int, int, str]]) -> str:
    """RFC 6962-style Merkle tree hash over the chain heads (leaf and node hashes kept apart by
    a prefix byte, so a node can never pass for a leaf)."""

    def leaf(h: tuple[int, int, int, str]) -> bytes:
        return hashlib.sha256(b"\x00" + f"{h[0]}:{h[1]}:{h[2]}:{h[3]}".encode()).digest()

    def tree(items: list[bytes]) -> bytes:
        if len(items) == 1:
            return items[0]
        k = 1
        while k * 2 < len(items):
            k *= 2
        return hashlib.sha256(b"\x01" + tree(items[:k]) + tree(items[k:])).digest()

    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    return tree([leaf(h) for h in leaves]).hex()


class CheckpointKey:
    """The platform's audit signing key: Ed25519, generated into a file on first use (mode 600),
    never in the database or the repository. A verifier may hold only the public half."""

    def __init__(
        self, private: Ed25519PrivateKey | None = None, public: Ed25519PublicKey | None = None
    ) -> None:
        if private is None and public is None:
            raise ValueError("a checkpoint key needs a private or a public key")
        self.private = private
        self.public = public or private.public_key()  # type: ignore[union-attr]
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def load(cls, path: Path | str, *, create: bool = True) -> CheckpointKey:
        path = Path(path)
        if not path.exists():
            if not create:
                raise FileNotFoundError(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            return cls(private=key)
        data = path.read_bytes()
        if b"PUBLIC KEY" in data:
            public = serialization.load_pem_public_key(data)
            if not isinstance(public, Ed25519PublicKey):
                raise ValueError("the audit key is not an Ed25519 key")
            return cls(public=public)
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("the audit key is not an Ed25519 key")
        return cls(private=private)

    def public_pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, message: bytes) -> str:
        if self.private is None:
            raise ValueError("this audit key holds only the public half: it can check, not sign")
        return base64.b64encode(self.private.sign(message)).decode()

    def verifies(self, message: bytes, signature: str) -> bool:
        try:
            self.public.verify(base64.b64decode(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _checkpoint_message(
    cp_id: int, at: str, root: str, entries: int, chains: int, prev: str, key_id: str
) -> bytes:
    payload = {
        "id": cp_id,
        "at": at,
        "root": root,
        "entries": entries,
        "chains": chains,
        "prev": prev,
        "key": key_id,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as it is exported to a file, printed in the periodic report, and checked."""

    id: int
    at: str
    root: str
    entries: int
    prev: str
    hash: str
    key_id: str
    signature: str
    heads: list[tuple[int, int, int, str]] = field(default_factory=list)

    def message(self) -> bytes:
        return _checkpoint_message(
            self.id, self.at, self.root, self.entries, len(self.heads), self.prev, self.key_id
        )

    def to_json(self) -> str:
        data = {**self.__dict__, "heads": [list(h) for h in self.heads]}
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text_: str) -> Checkpoint:
        data = json.loads(text_)
        data["heads"] = [tuple(h) for h in data.get("heads", [])]
        return cls(**data)

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(
            id=row.id,
            at=row.at.isoformat(timespec="microseconds"),
            root=row.root,
            entries=row.entries,
            prev=row.prev,
            hash=row.hash,
            key_id=row.key_id,
            signature=row.signature,
            heads=[tuple(h) for h in json.loads(row.heads)],  # type: ignore[misc]
        )


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    return Checkpoint.from_row(row) if row is not None else None


_LOCK_CHECKPOINTS_PG = text("SELECT pg_advisory_xact_lock(60606)")


def checkpoint(session: Session, key: CheckpointKey, *, only_if_changed: bool = True) -> Checkpoint | None:
    """Sign every chain's head now (in the caller's transaction). With `only_if_changed`, nothing
    is written when no entry was appended since the newest checkpoint."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_CHECKPOINTS_PG)  # one checkpoint writer at a time across servers
    last = latest_checkpoint(session)
    now_heads = heads(session)
    if only_if_changed and last is not None and [tuple(h) for h in last.heads] == now_heads:
        return None
    cp_id = (last.id + 1) if last is not None else 1
    prev = last.hash if last is not None else GENESIS
    at = utcnow()
    at_text = at.isoformat(timespec="microseconds")
    root = merkle_root(now_heads)
    entries = sum(h[1] for h in now_heads)
    message = _checkpoint_message(cp_id, at_text, root, entries, len(now_heads), prev, key.key_id)
    digest = hashlib.sha256(message).hexdigest()
    signature = key.sign(message)
    session.add(
        AuditCheckpoint(
            id=cp_id,
            at=at,
            heads=json.dumps([list(h) for h in now_heads]),
            root=root,
            entries=entries,
            prev=prev,
            hash=digest,
            key_id=key.key_id,
            signature=signature,
        )
    )
    session.flush()
    return Checkpoint(cp_id, at_text, root, entries, prev, digest, key.key_id, signature, now_heads)
