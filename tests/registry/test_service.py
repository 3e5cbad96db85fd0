"""The register's service: reads with jurisdiction and audit, search, and the changes."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hue06.core import text as vntext
from hue06.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from hue06.core.personal_id import check_personal_id
from hue06.core.security import SYSTEM, Actor
from hue06.registry import service
from hue06.registry.models import Household, Resident, ResidentChange

from .conftest import A_LUOI, KIM_LONG, PHU_XUAN_2025, PHU_XUAN_DISTRICT, PROVINCE, TAY_LOC, official


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.full_name for r in page.items]


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------------ reading one resident


def test_get_resident_gives_recorded_and_current_commune_and_is_audited(session, family, entries):
    r = service.get_resident(session, family["head"].personal_id, TAY_LOC, purpose="kiểm tra hồ sơ")
    assert r.full_name == "Nguyễn Văn Hùng"
    assert r.commune_code == "19750" and r.commune_name == "Phường Tây Lộc"
    assert r.current_commune_code == "19753" and r.current_commune_name == "Phường Phú Xuân"
    assert r.address == "12 Lê Lợi, Phường Tây Lộc, Thành phố Huế, Tỉnh Thừa Thiên Huế"
    assert r.household_code == family["tl"].code and r.old_id == "191234567"
    last = entries()[0]
    assert (last.action, last.subject_id, last.actor) == (
        "resident.read",
        r.personal_id,
        "official:xa_tayloc",
    )
    assert json.loads(last.detail)["purpose"] == "kiểm tra hồ sơ"


def test_outside_jurisdiction_is_the_same_404_as_unknown_and_the_refusal_is_logged(session, family, entries):
    with pytest.raises(NotFound) as refused:
        service.get_resident(session, family["far"].personal_id, TAY_LOC)
    with pytest.raises(NotFound) as unknown:
        service.get_resident(session, "046190999999", TAY_LOC)
    assert refused.value.to_dict() == unknown.value.to_dict()
    assert getattr(refused.value, "keep_changes", False)  # the refusal survives the request's rollback
    refusal = entries("resident.read_refused")
    assert [e.subject_id for e in refusal] == ["046190999999", family["far"].personal_id]
    assert json.loads(refusal[1].detail)["reason"] == "jurisdiction"
    assert entries("resident.read") == []


@pytest.mark.parametrize(
    ("actor", "visible", "hidden"),
    [
        (TAY_LOC, ["head", "other"], ["far", "mountain"]),
        (KIM_LONG, ["far"], ["head", "mountain"]),
        (PHU_XUAN_DISTRICT, ["head", "far"], ["mountain"]),
        (PHU_XUAN_2025, ["head", "other"], ["far", "mountain"]),  # a 2025-07 unit code
        (A_LUOI, ["mountain"], ["head", "far"]),
        (PROVINCE, ["head", "far", "mountain"], []),
        (official("auditor", "46"), ["head", "mountain"], []),
    ],
)
def test_officials_see_their_jurisdiction_only(session, family, actor, visible, hidden):
    for key in visible:
        assert service.get_resident(session, family[key].personal_id, actor).id == family[key].id
    for key in hidden:
        with pytest.raises(NotFound):
            service.get_resident(session, family[key].personal_id, actor)


def test_citizen_reads_only_their_own_record(session, family):
    me = Actor(kind="citizen", id="c1", resident_id=family["wife"].id)
    assert service.get_resident_by_id(session, family["wife"].id, me).full_name == "Trần Thị Thúy"
    with pytest.raises(NotFound):
        service.get_resident(session, family["head"].personal_id, me)
    assert service.search_residents(session, me, q="tran").items == []


def test_system_sees_all_and_match_identity_is_unaudited(session, family, entries):
    assert service.get_resident(session, family["mountain"].personal_id, SYSTEM).ethnicity == "Tà Ôi"
    before = len(entries())
    found = service.match_identity(session, f"  {family['far'].personal_id} ")
    assert found is not None and found.full_name == "Lê Thị Thúy"
    assert service.match_identity(session, "046190999999") is None
    assert service.match_identity(session, "<script>") is None
    assert len(entries()) == before


def test_bulk_lookups_ignore_duplicates_and_unknowns(session, family):
    ids = [
        family["head"].personal_id,
        family["head"].personal_id,
        family["far"].personal_id,
        "000000000000",
        "",
    ]
    found = service.lookup_many(session, ids)
    assert set(found) == {family["head"].personal_id, family["far"].personal_id}
    by_old = service.lookup_many_by_old_id(session, ["191234567", "191234567", "999999999"])
    assert list(by_old) == ["191234567"] and by_old["191234567"].full_name == "Nguyễn Văn Hùng"


def test_iter_register_and_counts(session, family, register):
    register.resident(
        "Phan Văn Cũ",
        gender="male",
        dob=date(1930, 1, 1),
        commune="19774",
        status="deceased",
        date_of_death=date(2020, 2, 2),
    )
    session.commit()
    batches = list(service.iter_register(session, batch=3))
    rows = [r for b in batches for r in b]
    assert len(batches) == 3 and len(rows) == 7
    head = next(r for r in rows if r["personal_id"] == family["head"].personal_id)
    assert head["current_commune_code"] == "19753" and head["search_key"] == "nguyen van hung"
    assert head["date_of_birth"] == date(1975, 3, 2)
    counts = service.register_counts(session)
    assert (counts["residents"], counts["alive"], counts["deceased"], counts["households"]) == (7, 6, 1, 4)
    assert counts["digital_addresses"] == 1
    assert counts["by_commune"] == {"19753": 4, "19774": 1, "20044": 1}
    assert service.register_counts(session, as_of=date(2019, 1, 1))["alive"] == 7  # before the death


# ------------------------------------------------------------------------ search


@pytest.mark.parametrize(
    "query",
    [
        "tran thi thuy",  # no diacritics
        "Trần Thị Thúy",  # traditional tone placement
        "Trần Thị Thuý",  # modern tone placement
        unicodedata.normalize("NFD", "Trần Thị Thuý"),  # decomposed input
        "TRAN THI THUY",
        "  tran   thi  thuy ",
    ],
)
def test_search_ignores_diacritics_tone_style_and_normalisation(session, family, query):
    assert names(service.search_residents(session, PROVINCE, q=query)) == ["Trần Thị Thúy"]


def to_tcvn3(text: str) -> str:
    return text.translate(str.maketrans(vntext._TCVN3_DST, vntext._TCVN3_SRC))


def test_search_accepts_tcvn3_text(session, family):
    legacy = to_tcvn3("Tôn Nữ Diệu Hương")
    assert legacy == "T«n N÷ DiÖu H\xad¬ng"
    assert names(service.search_residents(session, PROVINCE, q=legacy)) == ["Tôn Nữ Diệu Hương"]
    assert names(service.search_residents(session, PROVINCE, q=to_tcvn3("Nguyễn Văn Hùng"))) == [
        "Nguyễn Văn Hùng"
    ]


def test_given_name_search_and_family_plus_given(session, family):
    # "thuy" alone: every Thúy/Thuý by given name (and nobody whose family name starts so)
    assert names(service.search_residents(session, PROVINCE, q="thuý")) == ["Lê Thị Thúy", "Trần Thị Thúy"]
    assert names(service.search_residents(session, PROVINCE, q="thúy")) == ["Lê Thị Thúy", "Trần Thị Thúy"]
    # family name + given name, middle name skipped
    assert names(service.search_residents(session, PROVINCE, q="nguyen lan")) == ["Nguyễn Thị Thúy Lan"]
    # prefix of the full name comes first
    assert names(service.search_residents(session, PROVINCE, q="nguyen")) == [
        "Nguyễn Thị Thúy Lan",
        "Nguyễn Văn Hùng",
    ]
    assert names(service.search_residents(session, PROVINCE, q="ton nu")) == ["Tôn Nữ Diệu Hương"]


def test_search_by_ids(session, family):
    assert names(service.search_residents(session, PROVINCE, q=family["far"].personal_id)) == ["Lê Thị Thúy"]
    assert names(service.search_residents(session, PROVINCE, q="191 234 567")) == ["Nguyễn Văn Hùng"]
    assert service.search_residents(session, PROVINCE, q="123").items == []


def test_search_is_restricted_to_the_actors_communes(session, family):
    assert names(service.search_residents(session, TAY_LOC, q="thuy")) == ["Trần Thị Thúy"]
    assert names(service.search_residents(session, KIM_LONG, q="thuy")) == ["Lê Thị Thúy"]
    # a commune filter cannot widen the jurisdiction
    assert service.search_residents(session, TAY_LOC, q="thuy", commune="19774").items == []
    # an empty query lists the actor's residents by name
    assert names(service.search_residents(session, KIM_LONG)) == ["Lê Thị Thúy"]


def test_filters_date_year_and_commune_of_any_version(session, family):
    assert names(service.search_residents(session, PROVINCE, q="thuy", dob="12/05/1990")) == ["Lê Thị Thúy"]
    assert names(service.search_residents(session, PROVINCE, q="thuy", dob=date(1978, 7, 9))) == [
        "Trần Thị Thúy"
    ]
    assert names(service.search_residents(session, PROVINCE, year=1985)) == ["Hồ Văn Kăn"]
    # 19753 today is Phường Phú Xuân (2025-07), which includes the former Tây Lộc
    assert names(service.search_residents(session, PROVINCE, q="thuy", commune="19753")) == ["Trần Thị Thúy"]
    assert names(service.search_residents(session, PROVINCE, commune="481")) == ["Hồ Văn Kăn"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"commune": "99999"}, "admin_unit.unknown"),
        ({"commune": "19750'; --"}, "admin_unit.unknown"),
        ({"dob": "31/02/1990"}, "date.invalid"),
        ({"dob": (date.today() + timedelta(days=3)).isoformat()}, "date.future"),
        ({"year": "19x0"}, "search.year"),
        ({"q": "nguyen " * 30}, "search.too_long"),
    ],
)
def test_bad_search_input_gets_a_clear_message(session, family, kwargs, code):
    with pytest.raises(InvalidInput) as err:
        service.search_residents(session, PROVINCE, **kwargs)
    assert err.value.code == code
    assert err.value.message_vi and err.value.message_en


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE residents; --", "<script>alert(1)</script>", "%", "_", "a' OR '1'='1"]
)
def test_html_and_sql_in_the_search_box_are_just_text(session, family, query):
    assert service.search_residents(session, PROVINCE, q=query).items == []
    assert count(session, Resident) == 6


def test_search_is_audited_with_the_ids_returned_not_the_words(session, family, entries):
    page = service.search_residents(session, TAY_LOC, q="nguyen van hung")
    last = entries("resident.search")[0]
    detail = json.loads(last.detail)
    assert detail["ids"] == [p.personal_id for p in page.items] == [family["head"].personal_id]
    assert "hung" not in last.detail.lower() and "nguyen" not in last.detail.lower()


def test_search_pages(session, register):
    hh = register.household("19750")
    for i in range(25):
        register.resident(f"Nguyễn Văn {chr(ord('A') + i)}", gender="male", household=hh, relation="Con")
    session.commit()
    first = service.search_residents(session, PROVINCE, q="nguyen van", limit=10)
    assert len(first.items) == 10 and first.has_more and first.total_estimate == 25 and not first.total_capped
    third = service.search_residents(session, PROVINCE, q="nguyen van", limit=10, offset=20)
    assert [r.given_name for r in third.items] == ["U", "V", "W", "X", "Y"] and not third.has_more


# ------------------------------------------------------------------------ households


def test_household_view_lists_members_head_first_and_addresses(session, family, entries):
    hh = service.household_view(session, family["tl"].id, TAY_LOC)
    assert [(m.full_name, m.relation_to_head, m.is_head) for m in hh.members] == [
        ("Nguyễn Văn Hùng", "Chủ hộ", True),
        ("Trần Thị Thúy", "Vợ", False),
        ("Nguyễn Thị Thúy Lan", "Con", False),
    ]
    assert len(hh.addresses) == 1 and hh.addresses[0].lat == pytest.approx(16.478)
    assert hh.current_commune_name == "Phường Phú Xuân"
    assert entries()[0].action == "household.read"
    with pytest.raises(NotFound):
        service.household_view(session, family["kl"].id, TAY_LOC)
    assert entries()[0].action == "household.read_refused"
    with pytest.raises(NotFound):
        service.household_view(session, 999_999, PROVINCE)


def test_commune_addresses_for_the_map(session, family):
    box = service.commune_addresses(session, TAY_LOC, "19750")
    assert box.total == 1 and box.commune_name == "Phường Tây Lộc"
    with pytest.raises(NotFound):
        service.commune_addresses(session, TAY_LOC, "19774")
    with pytest.raises(InvalidInput):
        service.commune_addresses(session, PROVINCE, "12345")


# ------------------------------------------------------------------------ birth


def birth_kwargs(hh: Household, **over):  # type: ignore[no-untyped-def]
    kw = {
        "family_name": "Nguyễn",
        "middle_name": "Minh",
        "given_name": "Khoa",
        "gender": "Nam",
        "date_of_birth": "05/03/2024",
        "place_of_birth": "Bệnh viện Trung ương Huế",
        "household_id": hh.id,
        "relation_to_head": "Con",
        "source": "Giấy chứng sinh 123",
    }
    kw.update(over)
    return kw


def test_register_birth_assigns_a_consistent_id_with_history_and_audit(session, family, entries):
    baby = service.register_birth(
        session,
        TAY_LOC,
        mother_id=family["wife"].personal_id,
        father_id=family["head"].personal_id,
        **birth_kwargs(family["tl"]),
    )
    session.commit()
    pid = check_personal_id(baby.personal_id, date(2024, 3, 5), "male")
    assert pid.province_code == "046" and baby.personal_id[3] == "2" and baby.personal_id[4:6] == "24"
    assert (
        baby.full_name == "Nguyễn Minh Khoa"
        and baby.commune_code == "19750"
        and baby.household_id == family["tl"].id
    )
    change = session.scalars(select(ResidentChange).where(ResidentChange.resident_id == baby.id)).one()
    assert (
        change.action == "birth"
        and change.actor == "official:xa_tayloc"
        and change.source == "Giấy chứng sinh 123"
    )
    assert json.loads(change.changes)["mother_id"] == [None, family["wife"].personal_id]
    assert entries()[0].action == "resident.birth" and entries()[0].subject_id == baby.personal_id
    assert names(service.search_residents(session, TAY_LOC, q="nguyen minh khoa")) == ["Nguyễn Minh Khoa"]


def test_birth_names_are_normalised_and_legacy_text_fixed(session, family):
    baby = service.register_birth(
        session,
        TAY_LOC,
        **birth_kwargs(family["tl"], family_name="  trần ", middle_name="thị", given_name="Hoà", gender="Nữ"),
    )
    assert (baby.family_name, baby.middle_name, baby.given_name) == ("Trần", "Thị", "Hòa")
    legacy = service.register_birth(
        session,
        TAY_LOC,
        **birth_kwargs(
            family["tl"],
            family_name=to_tcvn3("Tôn Nữ"),
            middle_name="",
            given_name=to_tcvn3("Hương"),
            gender="Nữ",
        ),
    )
    assert legacy.full_name == "Tôn Nữ Hương"


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"date_of_birth": "31/02/2024"}, "date.invalid"),
        ({"date_of_birth": (date.today() + timedelta(days=1)).strftime("%d/%m/%Y")}, "date.future"),
        ({"date_of_birth": "05/03/24"}, "date.format"),
        ({"given_name": "K" * 200}, "given_name.too_long"),
        ({"family_name": "Nguyễn" * 10}, "family_name.too_long"),
        ({"given_name": "<b>Khoa</b>"}, "given_name.invalid"),
        ({"given_name": "Robert'); DROP TABLE residents;--"}, "given_name.invalid"),
        ({"given_name": "   "}, "given_name.missing"),
        ({"gender": "x"}, "gender.invalid"),
        ({"relation_to_head": ""}, "relation_to_head.missing"),
        ({"household_id": 999_999}, "household.unknown"),
        ({"mother_id": "046190999999"}, "mother_id.unknown"),
    ],
)
def test_bad_birth_input_is_refused_and_nothing_is_written(session, family, entries, over, code):
    before = (count(session, Resident), count(session, ResidentChange), len(entries()))
    with pytest.raises(InvalidInput) as err:
        service.register_birth(session, TAY_LOC, **birth_kwargs(family["tl"], **over))
    assert err.value.code == code
    assert (count(session, Resident), count(session, ResidentChange), len(entries())) == before


def test_births_outside_jurisdiction_or_by_the_wrong_role_are_refused(session, family):
    with pytest.raises(InvalidInput) as err:
        service.register_birth(session, KIM_LONG, **birth_kwargs(family["tl"]))
    assert err.value.code == "household.unknown"
    with pytest.raises(Forbidden):
        service.register_birth(session, official("auditor", "46"), **birth_kwargs(family["tl"]))
    with pytest.raises(Forbidden):
        service.register_birth(
            session,
            Actor(kind="citizen", id="c", resident_id=family["head"].id),
            **birth_kwargs(family["tl"]),
        )


@pytest.mark.parametrize("over", [{}, {"given_name": ""}, {"date_of_birth": "31/02/2024"}])
def test_a_birth_into_a_household_outside_the_jurisdiction_is_refused_before_the_body_is_read(
    session, family, over
):
    """The household is checked first, so a wrong field does not tell an outsider it exists."""
    for household_id in (family["tl"].id, 999_999):
        with pytest.raises(InvalidInput) as err:
            service.register_birth(
                session, KIM_LONG, **{**birth_kwargs(family["tl"]), **over, "household_id": household_id}
            )
        assert err.value.code == "household.unknown"


def test_parent_must_be_older_than_the_child(session, family):
    with pytest.raises(InvalidInput) as err:
        service.register_birth(
            session,
            TAY_LOC,
            mother_id=family["child"].personal_id,
            **birth_kwargs(family["tl"], date_of_birth="01/01/2004"),
        )
    assert err.value.code == "parent.younger"


# ------------------------------------------------------------------------ death


def test_record_death(session, family, entries):
    out = service.record_death(
        session, TAY_LOC, family["other"].personal_id, "01/06/2024", source="Trích lục khai tử"
    )
    assert out.status == "deceased" and out.date_of_death == date(2024, 6, 1) and out.version == 2
    change = session.scalars(select(ResidentChange).where(ResidentChange.resident_id == out.id)).one()
    assert json.loads(change.changes) == {
        "status": ["alive", "deceased"],
        "date_of_death": [None, "2024-06-01"],
    }
    assert entries()[0].action == "resident.death"
    with pytest.raises(Conflict):
        service.record_death(session, TAY_LOC, family["other"].personal_id, "02/06/2024")


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ("30/02/2024", "date.invalid"),
        ("01/01/1950", "date.order"),
        ((date.today() + timedelta(days=2)).isoformat(), "date.future"),
    ],
)
def test_bad_death_dates(session, family, when, code):
    with pytest.raises(InvalidInput) as err:
        service.record_death(session, TAY_LOC, family["other"].personal_id, when)
    assert err.value.code == code
    session.refresh(family["other"])
    assert family["other"].status == "alive"


def test_death_outside_jurisdiction_is_not_found(session, family):
    with pytest.raises(NotFound):
        service.record_death(session, TAY_LOC, family["far"].personal_id, "01/06/2024")


# ------------------------------------------------------------------------ moves


def test_permanent_move_founds_a_household_at_the_destination(session, family, entries):
    out = service.record_move(
        session,
        PHU_XUAN_DISTRICT,
        family["head"].personal_id,
        to_commune_code="19774",
        address_detail="45 Kim Long",
        kind="permanent",
        date_from="01/06/2024",
        source="Hồ sơ đăng ký thường trú",
    )
    assert (
        out.commune_code == "19774"
        and out.relation_to_head == "Chủ hộ"
        and out.household_id != family["tl"].id
    )
    new_hh = session.get(Household, out.household_id)
    assert new_hh.commune_code == "19774" and new_hh.head_resident_id == out.id
    session.refresh(family["tl"])
    assert family["tl"].head_resident_id is None
    change = session.scalars(select(ResidentChange).where(ResidentChange.resident_id == out.id)).one()
    assert change.action == "move.permanent" and json.loads(change.changes)["commune_code"] == [
        "19750",
        "19774",
    ]
    assert entries()[0].action == "resident.move.permanent"
    # now Kim Long sees him and Tây Lộc does not
    assert service.get_resident(session, out.personal_id, KIM_LONG).full_name == "Nguyễn Văn Hùng"
    with pytest.raises(NotFound):
        service.get_resident(session, out.personal_id, TAY_LOC)


def test_move_into_an_existing_household_and_temporary_stays(session, family):
    out = service.record_move(
        session,
        PHU_XUAN_DISTRICT,
        family["child"].personal_id,
        to_commune_code="19774",
        address_detail="",
        household_id=family["kl"].id,
        date_from="2024-06-01",
    )
    assert (
        out.household_id == family["kl"].id
        and out.address_detail == "Kim Long"
        and out.relation_to_head == "Thành viên"
    )
    temp = service.record_move(
        session,
        PHU_XUAN_DISTRICT,
        family["wife"].personal_id,
        to_commune_code="19774",
        address_detail="Kiệt 5 Kim Long",
        kind="temporary",
        date_from="01/05/2024",
        date_to="01/05/2026",
    )
    assert (
        temp.commune_code == "19750"
        and temp.temp_commune_code == "19774"
        and temp.temp_to == date(2026, 5, 1)
    )
    away = service.record_move(
        session,
        TAY_LOC,
        family["wife"].personal_id,
        to_commune_code="",
        kind="absence",
        address_detail="Hàn Quốc",
        date_from="01/06/2024",
    )
    assert away.absent_destination == "Hàn Quốc" and away.absent_from == date(2024, 6, 1)


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"to_commune_code": "99999"}, "admin_unit.unknown"),
        ({"to_commune_code": "abc"}, "admin_unit.unknown"),
        ({"to_commune_code": "481", "household_id": None}, "admin_unit.ambiguous"),  # a district
        ({"date_from": "31/02/2024"}, "date.invalid"),
        ({"date_from": "01/06/2024", "date_to": "01/01/2024"}, "date.order"),
        ({"kind": "holiday"}, "move.kind"),
        ({"household_id": 999_999}, "household.unknown"),
        ({"address_detail": "x" * 400}, "address_detail.too_long"),
    ],
)
def test_bad_moves_are_refused_and_nothing_is_written(session, family, over, code):
    kw = {
        "to_commune_code": "19774",
        "address_detail": "45 Kim Long",
        "kind": "permanent",
        "date_from": "01/06/2024",
    }
    kw.update(over)
    before = (count(session, Household), count(session, ResidentChange))
    with pytest.raises(InvalidInput) as err:
        service.record_move(session, PROVINCE, family["head"].personal_id, **kw)
    assert err.value.code == code
    assert (count(session, Household), count(session, ResidentChange)) == before
    session.refresh(family["head"])
    assert family["head"].commune_code == "19750"


def test_move_into_another_officers_commune_is_forbidden(session, family):
    with pytest.raises(Forbidden):
        service.record_move(
            session,
            TAY_LOC,
            family["head"].personal_id,
            to_commune_code="19774",
            address_detail="1 Kim Long",
            date_from="01/06/2024",
        )


@pytest.mark.parametrize(
    "over",
    [
        {"kind": "temporary"},  # answered 200 with the whole record
        {"date_from": "01/01/1901"},  # before the birth: answered 422, so the birth date could be bisected
        {"date_from": "31/02/2024"},
        {"kind": "holiday"},
    ],
)
def test_a_move_of_a_resident_outside_the_jurisdiction_is_not_found_whatever_the_body(session, family, over):
    """Into one's own commune or not, valid or not: the same 404 as an unknown ID, nothing written."""
    kw = {
        "to_commune_code": "19774",
        "address_detail": "1 Kim Long",
        "kind": "permanent",
        "date_from": "01/06/2024",
        **over,
    }
    for pid in (family["mountain"].personal_id, "046085999999"):
        with pytest.raises(NotFound):
            service.record_move(session, KIM_LONG, pid, **kw)
    session.refresh(family["mountain"])
    assert family["mountain"].version == 1 and family["mountain"].temp_commune_code is None


# ------------------------------------------------------------------------ corrections


def test_correction_with_optimistic_locking(session, family, entries):
    pid = family["far"].personal_id
    out = service.correct_resident(
        session, KIM_LONG, pid, {"given_name": "thuỷ", "place_of_birth": "Huế"}, 1, "Quyết định 12/QĐ"
    )
    assert out.full_name == "Lê Thị Thủy" and out.version == 2
    assert names(service.search_residents(session, KIM_LONG, q="le thi thuy")) == ["Lê Thị Thủy"]
    with pytest.raises(Conflict):
        service.correct_resident(session, KIM_LONG, pid, {"place_of_birth": "Đà Nẵng"}, 1, "stale")
    assert entries("resident.correct")[0].subject_id == pid
    change = session.scalars(select(ResidentChange).where(ResidentChange.resident_id == out.id)).one()
    assert json.loads(change.changes)["full_name"] == ["Lê Thị Thúy", "Lê Thị Thủy"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"date_of_birth": "12/05/1991"}, "personal_id.birth_year_mismatch"),  # the ID says 1990
        ({"gender": "Nam"}, "personal_id.gender_mismatch"),
        ({"personal_id": "046190000001"}, "correction.fields"),
        ({"old_id": "12345"}, "old_id.format"),
        ({"phone": "call me"}, "phone.format"),
    ],
)
def test_corrections_that_contradict_the_id_are_refused(session, family, changes, code):
    with pytest.raises(InvalidInput) as err:
        service.correct_resident(session, KIM_LONG, family["far"].personal_id, changes, 1, "Đơn đề nghị")
    assert err.value.code == code
    session.refresh(family["far"])
    assert family["far"].version == 1 and family["far"].date_of_birth == date(1990, 5, 12)
