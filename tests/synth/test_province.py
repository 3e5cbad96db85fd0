"""The synthetic province: deterministic, realistic, consistent, loaded all or nothing."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import func, inspect, select

from hue06.core import admin_units
from hue06.core.audit import AuditEntry
from hue06.core.errors import InvalidInput
from hue06.core.personal_id import check_personal_id
from hue06.registry.geo import commune_bbox
from hue06.registry.models import DigitalAddress, Household, Resident
from hue06.synth import names as N
from hue06.synth import province as P

REF = P.REFERENCE_DATE


def age(d: date) -> float:
    return (REF - d).days / 365.2425


@pytest.fixture(scope="module")
def people() -> tuple[P.Province, list[dict], list[dict], list[dict]]:
    prov = P.generate(20_000, 2024)
    return (
        prov,
        P.resident_rows(prov, 0, prov.n, 1, 1),
        P.household_rows(prov, 1, 1),
        P.address_rows(prov, 1, 2024),
    )


def test_same_seed_same_province_other_seed_other_province():
    a, b, c = P.generate(3000, 11), P.generate(3000, 11), P.generate(3000, 12)
    rows_a, rows_b, rows_c = (P.resident_rows(p, 0, p.n, 1, 1) for p in (a, b, c))
    assert rows_a == rows_b
    assert P.address_rows(a, 1, 11) == P.address_rows(b, 1, 11)
    assert [r["personal_id"] for r in rows_a] != [r["personal_id"] for r in rows_c]


def test_family_name_frequencies(people):
    _, rows, _, _ = people
    fam = Counter(r["family_name"] for r in rows)
    n = len(rows)
    assert 0.355 <= fam["Nguyễn"] / n <= 0.405  # Nguyễn ≈ 38 %
    top14 = sum(v for _, v in fam.most_common(14)) / n
    assert 0.86 <= top14 <= 0.93  # the 14 commonest ≈ 90 %
    for huế_name in ("Tôn Thất", "Tôn Nữ", "Nguyễn Phước"):
        assert fam[huế_name] > 0, huế_name
    genders = defaultdict(set)
    for r in rows:
        genders[r["family_name"]].add(r["gender"])
    assert genders["Tôn Thất"] == {"male"} and genders["Tôn Nữ"] == {"female"}


def test_names_are_in_vietnamese_order_and_fit_the_gender(people):
    _, rows, _, _ = people
    male_given = set(N.GIVEN["male"].names) | set(N.MINORITY_GIVEN["male"].names)
    female_given = set(N.GIVEN["female"].names) | set(N.MINORITY_GIVEN["female"].names)
    for r in rows:
        assert r["full_name"] == " ".join(
            p for p in (r["family_name"], r["middle_name"], r["given_name"]) if p
        )
        assert r["given_name"] in (male_given if r["gender"] == "male" else female_given)
        assert r["search_key"].isascii() and r["given_key"] == r["search_key"].split()[-1]
        if r["middle_name"].startswith("Thị"):
            assert r["gender"] == "female"
        if r["middle_name"] == "Văn":
            assert r["gender"] == "male"
    middles = Counter((r["gender"], r["middle_name"]) for r in rows)
    assert middles.most_common(1)[0][0] == ("female", "Thị")
    assert len({r["given_name"] for r in rows}) > 200  # hundreds of given names


def test_personal_ids_are_unique_and_agree_with_date_of_birth_and_gender(people):
    _, rows, _, _ = people
    ids = [r["personal_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    for r in rows:
        check_personal_id(r["personal_id"], r["date_of_birth"], r["gender"], today=REF)
    share_046 = sum(i.startswith("046") for i in ids) / len(ids)
    assert 0.84 <= share_046 <= 0.92
    assert len({i[:3] for i in ids}) >= 8  # some were born in other provinces
    old = [r for r in rows if r["old_id"]]
    assert len({r["old_id"] for r in old}) == len(old) and 0.15 < len(old) / len(rows) < 0.45
    assert all(
        len(r["old_id"]) == 9 and r["old_id"][:3] in ("191", "192") and age(r["date_of_birth"]) >= 25
        for r in old
    )


def test_households_have_one_head_and_plausible_families(people):
    _, rows, households, _ = people
    by_hh = defaultdict(list)
    for r in rows:
        by_hh[r["household_id"]].append(r)
    assert len(by_hh) == len(households)
    assert 3.2 <= len(rows) / len(households) <= 3.8  # Vietnam 2019: ≈ 3.5
    for hh in households:
        members = by_hh[hh["id"]]
        heads = [m for m in members if m["relation_to_head"] == "Chủ hộ"]
        assert len(heads) == 1 and heads[0]["id"] == hh["head_resident_id"]
        assert heads[0]["status"] == "alive"
        assert all(m["commune_code"] == hh["commune_code"] for m in members)
        head = heads[0]
        for m in members:
            if m["relation_to_head"] == "Vợ":
                assert m["gender"] == "female" and head["gender"] == "male"
            if m["relation_to_head"] == "Chồng":
                assert m["gender"] == "male" and head["gender"] == "female"
            if m["relation_to_head"] == "Con":
                assert m["date_of_birth"] > head["date_of_birth"]
            if m["relation_to_head"] in ("Cha", "Mẹ"):
                assert m["date_of_birth"] < head["date_of_birth"]
        # children carry the father's family name (women of the Tôn Thất line are Tôn Nữ)
        fathers = [
            m for m in members if m["gender"] == "male" and m["relation_to_head"] in ("Chủ hộ", "Chồng")
        ]
        if fathers:
            line = fathers[0]["family_name"]
            for m in members:
                if m["relation_to_head"] == "Con" and fathers[0]["date_of_birth"] < m["date_of_birth"]:
                    expected = N.FEMALE_FORM.get(line, line) if m["gender"] == "female" else line
                    assert m["family_name"] == expected
    relations = Counter(r["relation_to_head"] for r in rows)
    assert {"Chủ hộ", "Vợ", "Chồng", "Con", "Cha", "Mẹ", "Cháu", "Con dâu"} <= set(relations)


def test_age_and_sex_structure_is_close_to_vietnams(people):
    _, rows, _, _ = people
    alive = [r for r in rows if r["status"] == "alive"]
    ages = [age(r["date_of_birth"]) for r in alive]
    n = len(ages)
    young = sum(a < 15 for a in ages) / n
    old = sum(a >= 65 for a in ages) / n
    assert 0.21 <= young <= 0.28  # census 2019: 24.3 %
    assert 0.055 <= old <= 0.105  # census 2019: 7.7 %
    assert 0.48 <= sum(r["gender"] == "female" for r in alive) / n <= 0.53
    assert max(ages) < 106


def test_a_few_per_cent_are_deceased_with_dates(people):
    _, rows, _, _ = people
    dead = [r for r in rows if r["status"] == "deceased"]
    assert 0.01 <= len(dead) / len(rows) <= 0.05
    for r in dead:
        assert r["date_of_birth"] < r["date_of_death"] <= REF and r["relation_to_head"] != "Chủ hộ"
    assert all(r["date_of_death"] is None for r in rows if r["status"] == "alive")
    assert sum(age(r["date_of_birth"]) >= 60 for r in dead) > len(dead) / 2  # mostly the old


def test_residents_follow_commune_populations_and_ethnicity(people):
    prov, rows, _, _ = people
    communes = sorted(admin_units.communes("2024"), key=lambda u: u.code)
    assert len(communes) == 141
    expected = dict(
        zip([u.code for u in communes], P.allocate(prov.n, [u.population for u in communes]), strict=True)
    )
    assert Counter(r["commune_code"] for r in rows) == Counter({k: v for k, v in expected.items() if v})
    a_luoi = admin_units.communes_within("481", "2024")
    in_a_luoi = [r for r in rows if r["commune_code"] in a_luoi]
    minority = sum(r["ethnicity"] != "Kinh" for r in in_a_luoi) / len(in_a_luoi)
    assert 0.6 <= minority <= 0.9
    assert {r["ethnicity"] for r in in_a_luoi} >= {"Tà Ôi", "Pa Kô", "Cơ Tu", "Vân Kiều"}
    assert all(
        r["ethnicity"] == "Kinh"
        for r in rows
        if r["commune_code"] in admin_units.communes_within("474", "2024")
    )


def test_temporary_residence_and_absence_are_present(people):
    _, rows, _, _ = people
    temp = [r for r in rows if r["temp_commune_code"]]
    away = [r for r in rows if r["absent_from"]]
    assert 0.005 < len(temp) / len(rows) < 0.03 and 0.003 < len(away) / len(rows) < 0.03
    assert all(r["temp_commune_code"] != r["commune_code"] and r["temp_from"] < r["temp_to"] for r in temp)
    assert all(r["status"] == "alive" for r in temp + away)


def test_one_digital_address_per_household_inside_its_commune(people):
    _, _, households, addresses = people
    assert len(addresses) == len(households)
    assert len({a["code"] for a in addresses}) == len(addresses)
    for a in addresses:
        lat0, lon0, lat1, lon1 = commune_bbox(a["commune_code"])
        assert lat0 <= a["lat"] <= lat1 and lon0 <= a["lon"] <= lon1
        assert 15.9 < a["lat"] < 16.8 and 107.0 < a["lon"] < 108.2  # Thừa Thiên Huế


def test_bad_sizes_are_refused():
    for n in (0, -5, P.MAX_RESIDENTS + 1):
        with pytest.raises(InvalidInput):
            P.generate(n, 1)


def test_build_province_loads_everything_once_and_refuses_a_second_time(db_url, session):
    figures = P.build_province(db_url, 1500, 5)
    assert figures["residents"] == 1500 and figures["database"] in ("sqlite", "postgresql")
    assert session.scalar(select(func.count()).select_from(Resident)) == 1500
    assert session.scalar(select(func.count()).select_from(Household)) == figures["households"]
    assert session.scalar(select(func.count()).select_from(DigitalAddress)) == figures["households"]
    assert (
        session.scalar(select(func.count()).select_from(Resident).where(Resident.status == "deceased"))
        == figures["deceased"]
    )
    loads = session.scalars(select(AuditEntry).where(AuditEntry.action == "registry.synthetic_load")).all()
    assert len(loads) == 1 and json.loads(loads[0].detail)["residents"] == 1500
    names_of_indexes = {ix["name"] for ix in inspect(session.get_bind()).get_indexes("residents")}
    assert {
        "ix_residents_search_key",
        "ix_residents_given_search",
        "ix_residents_commune_given",
    } <= names_of_indexes
    # new rows get ids after the loaded ones (sequences were moved on PostgreSQL)
    hh = Household(code="HKNEW", commune_code="19750", address_detail="x")
    session.add(hh)
    session.flush()
    assert hh.id == figures["households"] + 1
    session.rollback()
    with pytest.raises(InvalidInput) as err:
        P.build_province(db_url, 100, 6)
    assert err.value.code == "synth.not_empty"
    assert session.scalar(select(func.count()).select_from(Resident)) == 1500


def test_a_load_that_fails_halfway_leaves_nothing_behind(db_url, session, monkeypatch):
    real = P.resident_rows

    def failing(prov, start, stop, *args):  # type: ignore[no-untyped-def]
        if start > 0:
            raise OSError("disk full")
        return real(prov, start, stop, *args)

    monkeypatch.setattr(P, "CHUNK", 500)
    monkeypatch.setattr(P, "resident_rows", failing)
    with pytest.raises(OSError):
        P.build_province(db_url, 1200, 9)
    for model in (Resident, Household, DigitalAddress, AuditEntry):
        assert session.scalar(select(func.count()).select_from(model)) == 0, model
    # the dropped indexes came back with the rollback
    names_of_indexes = {ix["name"] for ix in inspect(session.get_bind()).get_indexes("residents")}
    assert {"ix_residents_search_key", "ix_residents_commune_given"} <= names_of_indexes
