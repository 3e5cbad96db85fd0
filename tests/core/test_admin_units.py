import json
import unicodedata
from datetime import date
from importlib import resources

import pytest

from hue06.core.admin_units import (
    communes,
    communes_within,
    current_unit,
    district_of,
    districts,
    find_commune,
    get_unit,
    load_province,
    to_version,
    version_on,
)
from hue06.core.errors import InvalidInput

ALL_2024 = frozenset(u.code for u in communes("2024"))


def test_counts_per_version():
    assert (len(districts("2024")), len(communes("2024"))) == (9, 141)
    assert (len(districts("2025-01")), len(communes("2025-01"))) == (9, 133)
    assert (len(districts("2025-07")), len(communes("2025-07"))) == (0, 40)
    kinds = [u.kind for u in communes("2025-07")]
    assert (kinds.count("Phường"), kinds.count("Xã")) == (21, 19)


def test_stale_gso_row_20176_is_left_out():
    with pytest.raises(InvalidInput) as err:
        get_unit("20176", "2025-01")
    assert err.value.code == "admin_unit.unknown"


def test_versions_follow_the_dates():
    assert version_on(date(2020, 5, 1)) == "2024"
    assert version_on(date(2024, 12, 31)) == "2024"
    assert version_on(date(2025, 1, 1)) == "2025-01"
    assert version_on(date(2025, 6, 30)) == "2025-01"
    assert version_on(date(2025, 7, 1)) == "2025-07"


@pytest.mark.parametrize(
    ("code", "version", "name", "kind", "parent"),
    [
        ("474", "2024", "Thành phố Huế", "Thành phố", "46"),
        ("474", "2025-01", "Quận Thuận Hóa", "Quận", "46"),
        ("475", "2025-01", "Quận Phú Xuân", "Quận", "46"),
        ("476", "2025-01", "Thị xã Phong Điền", "Thị xã", "46"),
        ("483", "2024", "Huyện Nam Đông", "Huyện", "46"),
        ("19750", "2024", "Phường Tây Lộc", "Phường", "474"),
        ("19807", "2024", "Phường Thủy Biều", "Phường", "474"),  # GSO spells it "Thuỷ"
        ("19909", "2024", "Xã Phú Mậu", "Xã", "474"),
        ("19909", "2025-01", "Phường Dương Nỗ", "Phường", "474"),
        ("20029", "2025-01", "Phường Long Hồ", "Phường", "475"),
        ("20131", "2025-01", "Thị trấn Lộc Sơn", "Thị trấn", "482"),
        ("20161", "2025-01", "Thị trấn Khe Tre", "Thị trấn", "482"),
        ("20161", "2024", "Thị trấn Khe Tre", "Thị trấn", "483"),
        ("19753", "2025-07", "Phường Phú Xuân", "Phường", "46"),
        ("20137", "2025-07", "Xã Chân Mây - Lăng Cô", "Xã", "46"),
        ("46", "2024", "Tỉnh Thừa Thiên Huế", "Tỉnh", None),
        ("46", "2025-07", "Thành phố Huế", "Thành phố", None),
    ],
)
def test_rows_from_the_official_lists(code, version, name, kind, parent):
    unit = get_unit(code, version)
    assert (unit.name, unit.kind, unit.parent_code, unit.version) == (name, kind, parent, version)
    assert unicodedata.is_normalized("NFC", unit.name)


def test_get_unit_defaults_to_todays_version():
    assert get_unit("19753").name == "Phường Phú Xuân"
    with pytest.raises(InvalidInput) as err:
        get_unit("19750")  # Tây Lộc no longer exists
    assert err.value.code == "admin_unit.unknown"


def test_every_2024_commune_has_exactly_one_successor_in_each_version():
    current = {u.code for u in communes("2025-07")}
    jan = {u.code for u in communes("2025-01")}
    for code in ALL_2024:
        assert current_unit(code).code in current
        assert to_version(code, "2025-01").code in jan
        assert to_version(code, "2025-07").code == current_unit(code).code


def test_the_40_units_partition_the_141():
    seen: list[str] = []
    for unit in communes("2025-07"):
        seen.extend(communes_within(unit.code, "2025-07"))
    assert len(seen) == 141
    assert set(seen) == ALL_2024


def test_the_133_units_partition_the_141():
    seen = [c for u in communes("2025-01") for c in communes_within(u.code, "2025-01")]
    assert sorted(seen) == sorted(ALL_2024)


@pytest.mark.parametrize(
    ("new_code", "old_codes"),
    [
        ("19753", {"19750", "19753", "19756", "19759", "19762", "19768"}),
        ("19909", {"19906", "19909", "19924"}),  # Dương Nỗ kept whole in July 2025
        ("19900", {"19900", "19999", "19903", "19915"}),  # Thuận An took in Hải Dương in January
        ("19774", {"19774", "19810", "20029", "20032"}),  # Kim Long via Long Hồ (Hương Hồ + Hương Thọ)
        ("19828", {"19822", "19825", "19828", "19834"}),  # Phong Phú: VERIFY in the data notes
        ("20101", {"20080", "20095", "20098", "20101"}),
    ],
)
def test_mergers_from_the_2025_tables(new_code, old_codes):
    assert communes_within(new_code, "2025-07") == old_codes


def test_communes_within_scopes_jurisdictions():
    assert communes_within("46") == ALL_2024
    assert len(communes_within("474", "2024")) == 36
    assert len(communes_within("483", "2024")) == 10
    phu_xuan = communes_within("475", "2025-01")
    thuan_hoa = communes_within("474", "2025-01")
    assert len(phu_xuan) == 14  # 13 wards, Long Hồ counting Hương Hồ and Hương Thọ
    assert phu_xuan | thuan_hoa == communes_within("474", "2024")
    assert not phu_xuan & thuan_hoa
    assert communes_within("482", "2025-01") == communes_within("482", "2024") | communes_within(
        "483", "2024"
    )
    assert communes_within("19750", "2024") == {"19750"}
    assert communes_within("19753", "2024") == {"19753"}  # Thuận Lộc, before the merger


def test_current_unit_for_old_codes_and_districts():
    assert current_unit("19906").name == "Phường Dương Nỗ"
    assert current_unit("20032").name == "Phường Kim Long"
    assert current_unit("19849").name == "Phường Phong Điền"
    assert current_unit("483").level == "province"


def test_to_version_refuses_to_guess_backwards():
    # Dương Nỗ was kept whole in July 2025, so going back to January 2025 is unambiguous.
    assert to_version("19909", "2025-01", from_version="2025-07").name == "Phường Dương Nỗ"
    with pytest.raises(InvalidInput) as err:
        to_version("19909", "2024", from_version="2025-07")
    assert err.value.code == "admin_unit.ambiguous"
    with pytest.raises(InvalidInput) as err:
        to_version("19753", "2024", from_version="2025-07")
    assert err.value.code == "admin_unit.ambiguous"
    assert to_version("20044", "2025-01", from_version="2024").name == "Thị trấn A Lưới"


def test_district_of():
    assert district_of("20080").name == "Huyện A Lưới"
    assert district_of("20161").name == "Huyện Nam Đông"
    assert district_of("19906").code == "474"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("P. Tây Lộc", "19750"),
        ("phuong tay loc", "19750"),
        ("Tây Lộc", "19750"),
        ("Xã Phú Dương", "19906"),
        ("Thuỷ Biều", "19807"),
        ("Thủy Biều", "19807"),
        ("PHƯỜNG THUỶ BIỀU", "19807"),
        ("Phường Phường Đúc", "19780"),
        ("Phường Đúc", "19780"),
        ("Phường Hương Phong", "20002"),
        ("Phường Phú Xuân", "19753"),
        ("xa chan may lang co", "20137"),
        ("Xã Chân Mây-Lăng Cô", "20137"),
        ("TT. Khe Tre", "20161"),
        ("19906", "19906"),
        (" 19753 ", "19753"),
    ],
)
def test_find_commune_by_name_or_code(query, code):
    unit = find_commune(query)
    assert unit is not None
    assert unit.code == code


@pytest.mark.parametrize(
    "query", ["Xã Hương Phong", "Hương Phong", "Phú Xuân", "Nowhere", "99999", "", "474"]
)
def test_find_commune_returns_none_when_unknown_or_ambiguous(query):
    assert find_commune(query) is None


def test_district_hint_settles_duplicate_names():
    assert find_commune("Xã Hương Phong", district="A Lưới").code == "20080"
    assert find_commune("Xã Hương Phong", district="Huyện A Lưới").code == "20080"
    assert find_commune("Xã Hương Phong", district="474").code == "20002"
    assert find_commune("Xã Hương Phong", district="Thành phố Huế").code == "20002"


def test_find_commune_in_one_version():
    assert find_commune("Phường Hương An", version="2025-07").code == "19804"
    assert find_commune("Phường Hương An", version="2024").code == "20023"
    assert find_commune("Phường Hương An") is None  # two codes across versions
    assert find_commune("Tây Lộc", version="2025-07") is None


def test_population_estimates_add_up():
    total = sum(u.population for u in communes("2024"))
    assert abs(total - 1_150_000) <= 0.05 * 1_150_000
    assert all(u.population > 0 for u in communes("2024"))
    assert get_unit("46", "2025-07").population == total
    assert sum(u.population for u in communes("2025-07")) == total
    assert get_unit("475", "2025-01").population == 203_142  # NQ 1314 figure for Quận Phú Xuân


def test_data_file_names_its_sources_and_marks_estimates():
    raw = json.loads(resources.files("hue06.core").joinpath("data", "admin_units_46.json").read_text("utf-8"))
    sources = " ".join(raw["source"])
    for needle in ("VietnamProvinces", "1314/NQ-UBTVQH15", "1675/NQ-UBTVQH15", "BangChuyendoi"):
        assert needle in sources
    assert "ESTIMATES" in raw["population_note"]
    assert any("VERIFY" in n for n in raw["notes"])


def test_loader_is_cached_and_refuses_unknown_provinces():
    assert load_province("46") is load_province("46")
    with pytest.raises(InvalidInput) as err:
        load_province("99")
    assert err.value.code == "admin_unit.province"
