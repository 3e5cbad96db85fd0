"""core: the audit chain's head row (one-statement appends, deletions at the end detected)

Revision ID: core0002
Revises: core0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core0002"
down_revision: str | Sequence[str] | None = "core0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The head of an existing log is its last entry.
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, seq, hash, prev) "
            "SELECT 1, COALESCE(last.seq, 0), COALESCE(last.hash, :g), COALESCE(last.prev_hash, :g) "
            "FROM (SELECT 1) AS one LEFT JOIN (SELECT seq, hash, prev_hash FROM audit_log ORDER BY seq DESC LIMIT 1) "
            "AS last ON true"
        ).bindparams(g=GENESIS)
    )


def downgrade() -> None:
    op.drop_table("audit_head")
