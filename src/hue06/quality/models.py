"""Tables of the data-quality module: runs, their row results, review decisions, saved mappings.

A run and all its row results are written in one transaction at the end of the run, so a run
that crashed half-way leaves nothing, and running the same file again gives the same rows.
Review decisions outlive runs: they are keyed on a fingerprint of the normalised row and the
candidate, so the same row sent again next month is decided already.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hue06.core.db import Base, UTCDateTime, utcnow


class QualityRun(Base):
    __tablename__ = "quality_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(40), index=True)
    file_name: Mapped[str] = mapped_column(String(300), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    file_format: Mapped[str] = mapped_column(String(10), default="")
    encoding: Mapped[str | None] = mapped_column(String(20), nullable=True)
    header_line: Mapped[int] = mapped_column(Integer, default=0)
    mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: header}
    created_by: Mapped[str] = mapped_column(String(120))
    unit_code: Mapped[str] = mapped_column(String(10), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    register_size: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON {status: n}
    differences: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: n}
    problems: Mapped[str] = mapped_column(Text, default="{}")  # JSON {problem or invalid reason: n}
    skipped: Mapped[str] = mapped_column(
        Text, default="[]"
    )  # JSON [[line, reason_vi, reason_en]] (first ones)
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON, against previous_run_id
    previous_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timings: Mapped[str] = mapped_column(Text, default="{}")


class QualityRowResult(Base):
    __tablename__ = "quality_row_results"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quality_runs.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12))
    personal_id: Mapped[str | None] = mapped_column(String(12), nullable=True)
    match_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    differences: Mapped[str] = mapped_column(String(200), default="")
    flags: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(300), default="")
    duplicate_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(10), nullable=True)  # 2024 grid, for jurisdiction
    commune_now: Mapped[str | None] = mapped_column(String(10), nullable=True)
    row_key: Mapped[str] = mapped_column(String(40), default="")  # personal ID, or "f:" + row fingerprint
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)  # review rows: row + candidate
    data: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # JSON of the file's values (not for verified rows)

    __table_args__ = (
        UniqueConstraint("run_id", "row", name="uq_quality_row_results_run_row"),
        Index("ix_quality_row_results_run_status", "run_id", "status"),
        Index("ix_quality_row_results_run_commune", "run_id", "commune_code"),
    )


class ReviewDecision(Base):
    """An official's decision on a review row: the candidate is (confirm) or is not (reject) the person."""

    __tablename__ = "quality_review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    candidate_id: Mapped[str] = mapped_column(String(12))
    decision: Mapped[str] = mapped_column(String(10))  # confirm / reject
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (UniqueConstraint("sector", "fingerprint", name="uq_quality_review_sector_fingerprint"),)


class SavedMapping(Base):
    """A column mapping an official chose for a sector's layout, reused for the next file."""

    __tablename__ = "quality_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    columns: Mapped[str] = mapped_column(Text)  # JSON {field: header}
    header_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("sector", "name", name="uq_quality_mappings_sector_name"),)
