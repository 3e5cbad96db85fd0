"""core: many audit chains (no global lock per request) and signed checkpoints

Entries written so far become chain 0, hashed as they were; new entries go to chains 1, 2, …
A global sequence (`audit_log_seq`) orders entries across chains; `audit_chain_seq` numbers new
chains on PostgreSQL.

Revision ID: core0003
Revises: core0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hue06.core.db

revision: str = "core0003"
down_revision: str | Sequence[str] | None = "core0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("n", sa.BigInteger(), nullable=True))
    op.execute("UPDATE audit_log SET n = seq")
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("n", existing_type=sa.BigInteger(), nullable=False)
        batch.create_index("ux_audit_chain_n", ["chain", "n"], unique=True)
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("n", sa.BigInteger(), nullable=True))
    # The one head so far is chain 0's; an empty chain 0 is no chain at all.
    op.execute("UPDATE audit_head SET n = seq, id = 0 WHERE id = 1")
    op.execute("DELETE FROM audit_head WHERE id = 0 AND n = 0")
    with op.batch_alter_table("audit_head") as batch:
        batch.alter_column("n", existing_type=sa.BigInteger(), nullable=False)
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", hue06.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heads", sa.Text(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        start = op.get_bind().execute(sa.text("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log")).scalar_one()
        op.execute(f"CREATE SEQUENCE audit_log_seq START {int(start)}")
        op.execute("CREATE SEQUENCE audit_chain_seq START 1")
        # Owned by their columns, so that TRUNCATE … RESTART IDENTITY starts them again.
        op.execute("ALTER SEQUENCE audit_log_seq OWNED BY audit_log.seq")
        op.execute("ALTER SEQUENCE audit_chain_seq OWNED BY audit_head.id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS audit_chain_seq")
        op.execute("DROP SEQUENCE IF EXISTS audit_log_seq")
    op.drop_table("audit_checkpoint")
    op.execute("DELETE FROM audit_head WHERE id <> 0")
    op.execute("UPDATE audit_head SET id = 1 WHERE id = 0")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("n")
    # One head row, as the single chain had it (its log's last entry, or the genesis).
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, seq, hash, prev) "
            "SELECT 1, COALESCE(last.seq, 0), COALESCE(last.hash, :g), COALESCE(last.prev_hash, :g) "
            "FROM (SELECT 1) AS one LEFT JOIN (SELECT seq, hash, prev_hash FROM audit_log WHERE chain = 0 "
            "ORDER BY seq DESC LIMIT 1) AS last ON true WHERE NOT EXISTS (SELECT 1 FROM audit_head)"
        ).bindparams(g="0" * 64)
    )
    op.execute("DELETE FROM audit_log WHERE chain <> 0")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ux_audit_chain_n")
        batch.drop_column("n")
        batch.drop_column("chain")
