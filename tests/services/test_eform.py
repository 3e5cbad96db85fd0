"""E-forms: register-bound fields cannot be typed over, answers are checked field by field, fees follow the rules."""

from __future__ import annotations

import pytest

from hue06.core.errors import InvalidInput
from hue06.services import eform, service


def lltp_form() -> eform.Form:
    item = next(p for p in service.catalogue_data()["procedures"] if p["code"] == "DVC06-22")
    return eform.parse_schema(item["form"])


def test_every_seeded_form_parses_and_binds_only_known_register_attributes():
    for item in service.catalogue_data()["procedures"]:
        form = eform.parse_schema(item["form"])
        assert form.bound, item["code"]
        assert all(f.bind in eform.REGISTER_ATTRIBUTES for f in form.bound)


def test_posted_values_for_bound_fields_are_ignored():
    form = lltp_form()
    values, errors = eform.validate(
        form,
        {"ho_ten": "Kẻ Mạo Danh", "so_dinh_danh": "000000000000", "loai_phieu": ["1"], "so_ban": "2"},
        {},
        "loai_phieu",
    )
    assert errors == {}
    assert "ho_ten" not in values and "so_dinh_danh" not in values
    assert values["loai_phieu"] == ["1"] and values["so_ban"] == 2


def test_both_forms_can_be_chosen_together_and_order_is_normalised():
    values, errors = eform.validate(
        lltp_form(), {"loai_phieu": ["2", "1", "2"], "so_ban": "1"}, {}, "loai_phieu"
    )
    assert errors == {} and values["loai_phieu"] == ["1", "2"]


def test_errors_are_per_field_in_both_languages():
    _, errors = eform.validate(lltp_form(), {"loai_phieu": [], "so_ban": "mười"}, {}, "loai_phieu")
    assert set(errors) == {"loai_phieu", "so_ban"}
    assert errors["loai_phieu"]["vi"].startswith("Chọn ít nhất một") and errors["loai_phieu"]["en"]
    assert "số nguyên" in errors["so_ban"]["vi"]


@pytest.mark.parametrize(
    ("field", "value", "page"),
    [
        ("so_ban", "11", "loai_phieu"),
        ("so_ban", "0", "loai_phieu"),
        ("loai_phieu", ["3"], "loai_phieu"),
        ("muc_dich", "x" * 301, "muc_dich"),
        ("muc_dich", "có ký tự\x00ẩn", "muc_dich"),
    ],
)
def test_values_that_fail_the_schema_are_refused(field, value, page):
    current = {"loai_phieu": ["2"]}
    posted = {"loai_phieu": ["1"], "so_ban": "1", field: value} if page == "loai_phieu" else {field: value}
    _, errors = eform.validate(lltp_form(), posted, current, page)
    assert field in errors


def test_conditional_questions_follow_the_choice_of_forms():
    form = lltp_form()
    only_one = {"loai_phieu": ["1"]}
    assert [p.id for p in form.active_pages(only_one)] == ["loai_phieu", "cu_tru", "muc_dich"]
    assert "gia_dinh" in [p.id for p in form.active_pages({"loai_phieu": ["2"]})]
    # answers to questions that no longer apply are dropped when the choice changes
    values, _ = eform.validate(
        form,
        {"loai_phieu": ["1"], "so_ban": "1"},
        {"loai_phieu": ["2"], "ho_ten_cha": "Trần Văn Hùng"},
        "loai_phieu",
    )
    assert "ho_ten_cha" not in values


def test_pattern_and_date_checks():
    item = next(p for p in service.catalogue_data()["procedures"] if p["code"] == "DVC06-05")
    form = eform.parse_schema(item["form"])
    _, errors = eform.validate(
        form, {"noi_den": "Đà Nẵng", "tu_ngay": "2024-02-30", "den_ngay": "2024-03-01"}, {}, "vang"
    )
    assert set(errors) == {"tu_ngay"}


def test_lltp_fee_counts_each_form_and_copies_beyond_two():
    rules = next(p for p in service.catalogue_data()["procedures"] if p["code"] == "DVC06-22")["fee_rules"]
    assert eform.compute_fee(0, rules, {"loai_phieu": ["1"], "so_ban": 1}) == 200_000
    assert eform.compute_fee(0, rules, {"loai_phieu": ["1", "2"], "so_ban": 1}) == 400_000
    # 2 forms x 3 copies = 6 certificates, 4 beyond the two included: 4 x 5,000
    assert eform.compute_fee(0, rules, {"loai_phieu": ["1", "2"], "so_ban": 3}) == 420_000


@pytest.mark.parametrize(
    "schema",
    [
        {"fields": [{"name": "a", "bind": "password_hash"}]},
        {"fields": [{"name": "a", "type": "radio"}]},
        {"fields": [{"name": "a"}, {"name": "a"}]},
        {"fields": [{"name": "Bad Name"}]},
        {"fields": [{"name": "a", "when": {"field": "nope", "contains": "1"}}]},
        {"fields": [{"name": "a", "pattern": "("}]},
    ],
)
def test_broken_schemas_are_refused(schema):
    with pytest.raises(InvalidInput):
        eform.parse_schema(schema)
