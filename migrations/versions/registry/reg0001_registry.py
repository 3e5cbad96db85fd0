"""registry: residents, households, digital addresses, history

Revision ID: reg0001
Revises: core0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hue06.core.db

revision: str = "reg0001"
down_revision: str | Sequence[str] | None = "core0001"
branch_labels: str | Sequence[str] | None = ("registry",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("address_detail", sa.String(length=300), nullable=False),
        sa.Column("head_resident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", hue06.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_commune_code"), ["commune_code"], unique=False)

    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("old_id", sa.String(length=12), nullable=True),
        sa.Column("family_name", sa.String(length=80), nullable=False),
        sa.Column("middle_name", sa.String(length=120), nullable=False),
        sa.Column("given_name", sa.String(length=80), nullable=False),
        sa.Column("full_name", sa.String(length=250), nullable=False),
        sa.Column("full_name_raw", sa.String(length=250), nullable=True),
        sa.Column(
            "search_key",
            sa.String(length=250).with_variant(sa.String(length=250, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "given_key",
            sa.String(length=80).with_variant(sa.String(length=80, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("place_of_birth", sa.String(length=200), nullable=False),
        sa.Column("ethnicity", sa.String(length=40), nullable=False),
        sa.Column("nationality", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("date_of_death", sa.Date(), nullable=True),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("address_detail", sa.String(length=300), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("relation_to_head", sa.String(length=40), nullable=False),
        sa.Column("temp_commune_code", sa.String(length=10), nullable=True),
        sa.Column("temp_address", sa.String(length=300), nullable=True),
        sa.Column("temp_from", sa.Date(), nullable=True),
        sa.Column("temp_to", sa.Date(), nullable=True),
        sa.Column("absent_from", sa.Date(), nullable=True),
        sa.Column("absent_to", sa.Date(), nullable=True),
        sa.Column("absent_destination", sa.String(length=300), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", hue06.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hue06.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("personal_id"),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index("ix_residents_commune_search", ["commune_code", "search_key"], unique=False)
        batch_op.create_index("ix_residents_dob", ["date_of_birth"], unique=False)
        batch_op.create_index("ix_residents_given_key", ["given_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_residents_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_residents_old_id"), ["old_id"], unique=False)
        batch_op.create_index("ix_residents_search_key", ["search_key"], unique=False)

    op.create_table(
        "digital_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("created_at", hue06.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("digital_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digital_addresses_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_digital_addresses_household_id"), ["household_id"], unique=False)

    op.create_table(
        "resident_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("at", hue06.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resident_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resident_changes_resident_id"), ["resident_id"], unique=False)


def downgrade() -> None:
    op.drop_table("resident_changes")
    op.drop_table("digital_addresses")
    op.drop_table("residents")
    op.drop_table("households")
