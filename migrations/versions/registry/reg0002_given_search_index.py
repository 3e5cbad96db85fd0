"""registry: search by given name ordered by full name, province-wide and per commune

Revision ID: reg0002
Revises: reg0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "reg0002"
down_revision: str | Sequence[str] | None = "reg0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index("ix_residents_given_key")
        batch_op.create_index("ix_residents_given_search", ["given_key", "search_key"], unique=False)
        batch_op.create_index(
            "ix_residents_commune_given", ["commune_code", "given_key", "search_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index("ix_residents_commune_given")
        batch_op.drop_index("ix_residents_given_search")
        batch_op.create_index("ix_residents_given_key", ["given_key"], unique=False)
