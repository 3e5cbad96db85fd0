"""Tables of the population register.

Names are stored normalised (NFC, one tone-placement convention) with the raw input kept beside
them when normalising changed it; `search_key` is the folded full name (no marks, đ→d, lower
case) that name search runs on, so "nguyen thi thuy" finds "Nguyễn Thị Thúy" and "Thuý".
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hue06.core.db import Base, UTCDateTime, key_column, utcnow


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    address_detail: Mapped[str] = mapped_column(String(300), default="")
    head_resident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[Resident]] = relationship(
        back_populates="household", foreign_keys="Resident.household_id"
    )
    addresses: Mapped[list[DigitalAddress]] = relationship(back_populates="household")


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(String(12), unique=True)
    old_id: Mapped[str | None] = mapped_column(String(12), index=True, nullable=True)
    family_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str] = mapped_column(String(120), default="")
    given_name: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(250))
    full_name_raw: Mapped[str | None] = mapped_column(String(250), nullable=True)
    search_key: Mapped[str] = mapped_column(key_column(250))
    given_key: Mapped[str] = mapped_column(key_column(80))
    gender: Mapped[str] = mapped_column(String(6))  # "male" / "female"
    date_of_birth: Mapped[date] = mapped_column(Date)
    place_of_birth: Mapped[str] = mapped_column(String(200), default="")
    ethnicity: Mapped[str] = mapped_column(String(40), default="Kinh")
    nationality: Mapped[str] = mapped_column(String(40), default="Việt Nam")
    status: Mapped[str] = mapped_column(String(10), default="alive")  # "alive" / "deceased"
    date_of_death: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Permanent residence (thường trú); commune codes are recorded on the 2024 grid.
    commune_code: Mapped[str] = mapped_column(String(10))
    address_detail: Mapped[str] = mapped_column(String(300), default="")
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True, index=True)
    relation_to_head: Mapped[str] = mapped_column(String(40), default="")
    # Temporary residence (tạm trú) and temporary absence (tạm vắng).
    temp_commune_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    temp_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    temp_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    temp_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    absent_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    absent_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    absent_destination: Mapped[str | None] = mapped_column(String(300), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="members", foreign_keys=[household_id])

    __table_args__ = (
        Index("ix_residents_search_key", "search_key"),
        Index("ix_residents_commune_search", "commune_code", "search_key"),
        # "lan" or "nguyen lan": given name equal, ordered by the full key — one range scan.
        Index("ix_residents_given_search", "given_key", "search_key"),
        # the same within a commune officer's communes
        Index("ix_residents_commune_given", "commune_code", "given_key", "search_key"),
        Index("ix_residents_dob", "date_of_birth"),
    )

    @property
    def is_alive(self) -> bool:
        return self.status == "alive"


class DigitalAddress(Base):
    """A house's GPS point (địa chỉ số), linked to the household living there."""

    __tablename__ = "digital_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True, index=True)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    label: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="addresses")


class ResidentChange(Base):
    """History of every change to a resident: who, when, what, from which source."""

    __tablename__ = "resident_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))  # birth, death, move, correction, import
    source: Mapped[str] = mapped_column(String(120), default="")
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: [old, new]}
