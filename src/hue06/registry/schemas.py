"""What the register hands out (to other modules, the JSON API and the pages) and what it accepts.

`ResidentOut` carries the commune as recorded (2024 grid, what the record was written with) and
the unit it belongs to today (2025-07 grid), because officials search by today's names while the
record keeps the code of the day it was written.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ResidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    personal_id: str = Field(description="12-digit personal ID (số định danh cá nhân)")
    old_id: str | None = Field(None, description="Old 9-digit CMND number, if any")
    family_name: str
    middle_name: str
    given_name: str
    full_name: str
    gender: str = Field(description='"male" or "female"')
    date_of_birth: date
    place_of_birth: str = ""
    ethnicity: str = ""
    nationality: str = ""
    status: str = Field(description='"alive" or "deceased"')
    date_of_death: date | None = None
    commune_code: str = Field(description="Commune of permanent residence as recorded (2024 grid)")
    commune_name: str = ""
    current_commune_code: str = Field(description="The unit that commune belongs to today (2025-07 grid)")
    current_commune_name: str
    address: str = Field(description="Full text: house, commune, district, province (2024 names)")
    address_detail: str = ""
    household_id: int | None = None
    household_code: str | None = None
    relation_to_head: str = ""
    phone: str | None = None
    temp_commune_code: str | None = None
    temp_address: str | None = None
    temp_from: date | None = None
    temp_to: date | None = None
    absent_from: date | None = None
    absent_to: date | None = None
    absent_destination: str | None = None
    version: int = Field(1, description="Increases with every change; send it back with a correction")


class SearchPage(BaseModel):
    items: list[ResidentOut]
    total_estimate: int = Field(description="Number of matches, counted up to a cap (see has_more)")
    total_capped: bool = Field(False, description="True when there are at least total_estimate matches")
    has_more: bool
    limit: int = 20
    offset: int = 0


class HouseholdMemberOut(BaseModel):
    id: int
    personal_id: str
    full_name: str
    gender: str
    date_of_birth: date
    relation_to_head: str
    status: str
    date_of_death: date | None = None
    is_head: bool = False


class DigitalAddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    household_id: int | None = None
    commune_code: str
    label: str = ""
    lat: float
    lon: float


class HouseholdOut(BaseModel):
    id: int
    code: str
    commune_code: str
    commune_name: str
    current_commune_code: str
    current_commune_name: str
    address_detail: str
    address: str
    head_resident_id: int | None = None
    members: list[HouseholdMemberOut]
    addresses: list[DigitalAddressOut]


class ResidentChangeOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    source: str
    changes: dict[str, list[object]]


class CommuneAddressesOut(BaseModel):
    """A commune's digital addresses and the box they are drawn in."""

    commune_code: str
    commune_name: str
    bbox: tuple[float, float, float, float] = Field(description="(min_lat, min_lon, max_lat, max_lon)")
    addresses: list[DigitalAddressOut]
    total: int


# ----------------------------------------------------------------------- inputs (JSON API)


class BirthIn(BaseModel):
    family_name: str = Field(max_length=200)
    middle_name: str = Field("", max_length=200)
    given_name: str = Field(max_length=200)
    gender: str = Field(description='"male"/"female" (also "Nam"/"Nữ")', max_length=20)
    date_of_birth: str = Field(description="dd/mm/yyyy or yyyy-mm-dd", max_length=40)
    place_of_birth: str = Field("", max_length=300)
    household_id: int
    relation_to_head: str = Field("Con", max_length=60)
    mother_id: str | None = Field(None, description="Mother's personal ID", max_length=20)
    father_id: str | None = Field(None, description="Father's personal ID", max_length=20)
    source: str = Field("", max_length=120)


class DeathIn(BaseModel):
    date_of_death: str = Field(description="dd/mm/yyyy or yyyy-mm-dd", max_length=40)
    source: str = Field("", max_length=120)


class MoveIn(BaseModel):
    kind: str = Field("permanent", description='"permanent", "temporary" or "absence"', max_length=20)
    to_commune_code: str = Field("", max_length=10)
    address_detail: str = Field("", max_length=300)
    household_id: int | None = None
    date_from: str = Field(max_length=40)
    date_to: str | None = Field(None, max_length=40)
    source: str = Field("", max_length=120)


class CorrectionIn(BaseModel):
    changes: dict[str, str]
    expected_version: int
    source: str = Field(max_length=120)
