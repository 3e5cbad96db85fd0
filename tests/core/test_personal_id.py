from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hue06.core.errors import InvalidInput
from hue06.core.personal_id import (
    BIRTH_PROVINCE_CODES,
    PersonalId,
    check_personal_id,
    classify_id,
    is_cmnd,
    make_personal_id,
    parse_gender,
    parse_personal_id,
    parse_vn_date,
    parse_vn_date_partial,
)

TODAY = date(2026, 11, 27)


def _code(exc_info) -> str:
    return exc_info.value.code


def test_province_table_has_the_63_codes_of_circular_07_2016():
    assert len(BIRTH_PROVINCE_CODES) == 63
    assert BIRTH_PROVINCE_CODES["046"] == "Thừa Thiên Huế"
    assert BIRTH_PROVINCE_CODES["001"] == "Hà Nội"
    assert BIRTH_PROVINCE_CODES["096"] == "Cà Mau"
    assert all(len(k) == 3 and k.isdigit() for k in BIRTH_PROVINCE_CODES)


def test_parse_reads_the_facts_example():
    pid = parse_personal_id(" 046090001234 ")
    assert pid == PersonalId("046090001234", "046", "Thừa Thiên Huế", "male", 1990, "001234")


@pytest.mark.parametrize(
    ("number", "gender", "year"),
    [
        ("046190001234", "female", 1990),
        ("046205123456", "male", 2005),
        ("001326000001", "female", 2026),
        ("046000000000", "male", 1900),
    ],
)
def test_century_digit_gives_gender_and_year(number, gender, year):
    pid = parse_personal_id(number, today=TODAY)
    assert (pid.gender, pid.birth_year) == (gender, year)


def test_wrong_length_message_says_how_many_digits():
    with pytest.raises(InvalidInput) as err:
        parse_personal_id("04609000123")
    assert err.value.code == "personal_id.format"
    assert err.value.message_vi == "Số định danh phải gồm đúng 12 chữ số (nhận được 11)."
    assert err.value.message_en == "A personal ID has exactly 12 digits (got 11)."


@pytest.mark.parametrize(
    "bad", ["04609000123A", "046 090 001 234", "", "０４６０９０００１２３４", "046-090-001234"]
)
def test_non_digits_are_refused(bad):
    with pytest.raises(InvalidInput) as err:
        parse_personal_id(bad)
    assert err.value.code == "personal_id.format"


@pytest.mark.parametrize("number", ["003090001234", "099090001234", "100090001234", "000090001234"])
def test_unknown_province_codes_are_refused(number):
    with pytest.raises(InvalidInput) as err:
        parse_personal_id(number)
    assert err.value.code == "personal_id.province"


@pytest.mark.parametrize("number", ["046250001234", "046427001234", "046900001234"])
def test_birth_year_in_the_future_is_refused(number):
    with pytest.raises(InvalidInput) as err:
        parse_personal_id(number, today=TODAY)
    assert err.value.code == "personal_id.century"


@given(
    province=st.sampled_from(sorted(BIRTH_PROVINCE_CODES)),
    gender=st.sampled_from(["male", "female"]),
    year=st.integers(1900, 2099),
    serial=st.integers(0, 999_999),
)
def test_make_then_parse_round_trips(province, gender, year, serial):
    number = make_personal_id(province, gender, year, serial)
    assert len(number) == 12
    assert number.isdigit()
    if year > TODAY.year:
        with pytest.raises(InvalidInput) as err:
            parse_personal_id(number, today=TODAY)
        assert err.value.code == "personal_id.century"
        return
    pid = parse_personal_id(number, today=TODAY)
    assert (pid.province_code, pid.gender, pid.birth_year, int(pid.serial)) == (
        province,
        gender,
        year,
        serial,
    )


def _error_code(text) -> str | None:
    """The InvalidInput code parse_personal_id raises, or None when it parses."""
    try:
        parse_personal_id(text, today=TODAY)
    except InvalidInput as exc:
        return exc.code
    return None


@given(st.from_regex(r"\A[0-9]{12}\Z"))
def test_every_12_digit_string_parses_or_is_refused_with_a_code(number):
    year = 1900 + 100 * (int(number[3]) // 2) + int(number[4:6])
    if number[:3] not in BIRTH_PROVINCE_CODES:
        expected = "personal_id.province"
    elif year > TODAY.year:
        expected = "personal_id.century"
    else:
        expected = None
    assert _error_code(number) == expected


@given(st.text(max_size=20))
def test_any_text_parses_or_is_refused_with_a_code(text):
    code = _error_code(text)
    assert code is None or code.startswith("personal_id.")


@given(
    province=st.sampled_from(sorted(BIRTH_PROVINCE_CODES)),
    gender=st.sampled_from(["male", "female"]),
    year=st.integers(1900, 2025),
    serial=st.integers(0, 999_999),
)
def test_check_rejects_a_flipped_gender_digit(province, gender, year, serial):
    number = make_personal_id(province, gender, year, serial)
    dob = date(year, 6, 15)
    assert check_personal_id(number, dob, gender, today=TODAY).gender == gender
    digit = int(number[3])
    flipped = number[:3] + str(digit ^ 1) + number[4:]
    with pytest.raises(InvalidInput) as err:
        check_personal_id(flipped, dob, gender, today=TODAY)
    assert err.value.code == "personal_id.gender_mismatch"


def test_check_cross_checks_birth_year():
    with pytest.raises(InvalidInput) as err:
        check_personal_id("046090001234", date(1991, 1, 1))
    assert err.value.code == "personal_id.birth_year_mismatch"
    assert "1990" in err.value.message_en
    assert "1991" in err.value.message_en


def test_check_accepts_vietnamese_gender_words_and_datetimes():
    pid = check_personal_id("046190001234", datetime(1990, 3, 5, 8, 0), "Nữ")
    assert pid.gender == "female"


def test_check_refuses_future_date_of_birth_and_unknown_gender():
    with pytest.raises(InvalidInput) as err:
        check_personal_id("046226001234", TODAY + timedelta(days=1), today=TODAY)
    assert err.value.code == "date.future"
    with pytest.raises(InvalidInput) as err:
        check_personal_id("046090001234", gender="1")
    assert err.value.code == "gender.invalid"


def test_make_refuses_bad_arguments():
    with pytest.raises(InvalidInput):
        make_personal_id("003", "male", 1990, 1)
    with pytest.raises(InvalidInput):
        make_personal_id("046", "nam", 1990, 1)
    with pytest.raises(InvalidInput):
        make_personal_id("046", "male", 1899, 1)
    with pytest.raises(InvalidInput):
        make_personal_id("046", "male", 1990, 1_000_000)
    assert make_personal_id("46", "female", 2001, 42) == "046301000042"


def test_cmnd_and_classification():
    assert is_cmnd("191234567")
    assert is_cmnd(" 191234567 ")
    assert not is_cmnd("19123456")
    assert not is_cmnd("19123456a")
    assert classify_id("046090001234") == "personal_id"
    assert classify_id("191234567") == "cmnd"
    assert classify_id("003090001234") == "invalid"
    assert classify_id("12345") == "invalid"


@pytest.mark.parametrize("word", ["Nam", "nam", "NAM", "M", "m", "male", " Male "])
def test_parse_gender_male(word):
    assert parse_gender(word) == "male"


@pytest.mark.parametrize("word", ["Nữ", "nu", "Nu", "NỮ", "F", "female", "nữ"])
def test_parse_gender_female(word):
    assert parse_gender(word) == "female"


@pytest.mark.parametrize("word", ["1", "0", "", "khác", "x", None])
def test_parse_gender_does_not_guess(word):
    assert parse_gender(word) is None


@pytest.mark.parametrize(
    "text",
    [
        "05/03/1990",
        "5/3/1990",
        "05-03-1990",
        "05.03.1990",
        "1990-03-05",
        "1990-03-05T00:00:00",
        "1990-03-05 00:00:00",
        "ngày 05 tháng 3 năm 1990",
        "Ngày 5 tháng 03 năm 1990",
        "ngay 05 thang 03 nam 1990",
        "05031990",
        "32937",
        "32937.0",
        32937,
        32937.75,
        date(1990, 3, 5),
        datetime(1990, 3, 5, 14, 30),
    ],
)
def test_parse_vn_date_reads_every_form(text):
    assert parse_vn_date(text) == date(1990, 3, 5)


@given(st.dates(min_value=date(1900, 3, 1), max_value=TODAY))
def test_parse_vn_date_round_trips_all_formats(d):
    forms = [
        d.strftime("%d/%m/%Y"),
        f"{d.day}/{d.month}/{d.year}",
        d.strftime("%d-%m-%Y"),
        d.strftime("%d.%m.%Y"),
        d.isoformat(),
        f"ngày {d.day:02d} tháng {d.month} năm {d.year}",
        d.strftime("%d%m%Y"),
        (d - date(1899, 12, 30)).days,
    ]
    serial = (d - date(1899, 12, 30)).days
    if not 1800 <= serial <= 2200:  # a 4-digit text in that range is read as a bare year
        forms.append(str(serial))
    for form in forms:
        assert parse_vn_date(form, today=TODAY) == d, form


def test_excel_serials_before_the_phantom_leap_day():
    assert parse_vn_date(1) == date(1900, 1, 1)
    assert parse_vn_date(59) == date(1900, 2, 28)
    assert parse_vn_date(61) == date(1900, 3, 1)
    with pytest.raises(InvalidInput) as err:
        parse_vn_date(60)
    assert err.value.code == "date.invalid"


@pytest.mark.parametrize("text", ["31/02/1990", "29/02/2023", "00/01/1990", "05/13/1990", "2023-02-29"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(InvalidInput) as err:
        parse_vn_date(text)
    assert err.value.code == "date.invalid"


@pytest.mark.parametrize(
    "text", ["05/03/90", "5-3-90", "ngày 5 tháng 3 năm 90", "hôm qua", "", "1990/3", True, None]
)
def test_unreadable_dates_are_refused(text):
    with pytest.raises(InvalidInput) as err:
        parse_vn_date(text)
    assert err.value.code == "date.format"


def test_two_digit_year_message_asks_for_four_digits():
    with pytest.raises(InvalidInput) as err:
        parse_vn_date("05/03/90")
    assert "4" in err.value.message_vi


def test_future_dates_are_refused_unless_allowed():
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(InvalidInput) as err:
        parse_vn_date(tomorrow.strftime("%d/%m/%Y"), today=TODAY)
    assert err.value.code == "date.future"
    assert parse_vn_date(tomorrow.strftime("%d/%m/%Y"), today=TODAY, allow_future=True) == tomorrow


def test_year_only_needs_the_partial_parser():
    with pytest.raises(InvalidInput) as err:
        parse_vn_date("1990")
    assert err.value.code == "date.year_only"
    assert parse_vn_date_partial("1990") == (None, None, 1990)
    assert parse_vn_date_partial(" 1990 ") == (None, None, 1990)
    assert parse_vn_date_partial(1990) == (None, None, 1990)
    assert parse_vn_date_partial("03/1990") == (None, 3, 1990)
    assert parse_vn_date_partial("tháng 3 năm 1990") == (None, 3, 1990)
    assert parse_vn_date_partial("05/03/1990") == (5, 3, 1990)
    with pytest.raises(InvalidInput) as err:
        parse_vn_date_partial("2999", today=TODAY)
    assert err.value.code == "date.future"
    with pytest.raises(InvalidInput) as err:
        parse_vn_date_partial("13/1990")
    assert err.value.code == "date.invalid"
