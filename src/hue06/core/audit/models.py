"""The audit log's tables: entries, one head row a chain, signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hue06.core.db import Base, UTCDateTime

GENESIS = "0" * 64
LEGACY_CHAIN = 0


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # global order
    chain: Mapped[int] = mapped_column(Integer, default=LEGACY_CHAIN, server_default="0")
    n: Mapped[int] = mapped_column(BigInteger)  # position in its chain, 1, 2, 3 … without gaps
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_subject", "subject_type", "subject_id"),
        Index("ix_audit_action", "action"),
        Index("ux_audit_chain_n", "chain", "n", unique=True),
    )


class AuditHead(Base):
    """One row a chain: its newest link. An append updates it in the same transaction, and the
    row's lock is what keeps two writers off one chain; `verify` uses it to notice entries
    deleted from a chain's end."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the chain
    n: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    prev: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement of every chain's head at one moment, linked to the one before."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    heads: Mapped[str] = mapped_column(Text)  # JSON [[chain, n, seq, hash], …] sorted by chain
    root: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(BigInteger)
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
