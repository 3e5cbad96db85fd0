import unicodedata
from datetime import date

import pytest

from hue06.core.cccd import CccdQr, parse_cccd_qr
from hue06.core.errors import InvalidInput

TODAY = date(2026, 11, 27)
ADDRESS = "Phường Tây Lộc, Thành phố Huế, Thừa Thiên Huế"


def test_reads_the_seven_fields():
    qr = parse_cccd_qr(
        f"046190001234|191234567|Nguyễn Thị Thuý|05031990|Nữ|{ADDRESS}|15042021\n", today=TODAY
    )
    assert qr == CccdQr(
        personal_id="046190001234",
        old_id="191234567",
        full_name="Nguyễn Thị Thúy",
        date_of_birth=date(1990, 3, 5),
        gender="female",
        address=ADDRESS,
        issue_date=date(2021, 4, 15),
    )


def test_empty_cmnd_slot_becomes_none():
    qr = parse_cccd_qr(f"046090001234||Trần Văn Hoà|01011990|Nam|{ADDRESS}|15042021", today=TODAY)
    assert qr.old_id is None
    assert qr.full_name == "Trần Văn Hòa"


def test_six_fields_without_the_cmnd_slot_are_accepted_when_the_second_is_a_name():
    qr = parse_cccd_qr(f"046090001234|Trần Văn An|01011990|Nam|{ADDRESS}|15042021", today=TODAY)
    assert (qr.old_id, qr.full_name, qr.date_of_birth) == (None, "Trần Văn An", date(1990, 1, 1))


def test_name_in_nfd_is_stored_in_nfc():
    name = unicodedata.normalize("NFD", "Lê Thị Thủy")
    qr = parse_cccd_qr(f"046190001234||{name}|05031990|Nữ|{ADDRESS}|", today=TODAY)
    assert qr.full_name == "Lê Thị Thủy"
    assert unicodedata.is_normalized("NFC", qr.full_name)
    assert qr.issue_date is None


@pytest.mark.parametrize(
    "text",
    [
        "046090001234",
        "046090001234|191234567|Trần Văn An|01011990",
        "046090001234|191234567|01011990|Nam|addr|15042021",  # 6 fields, second is not a name
        f"046090001234|19123|Trần Văn An|01011990|Nam|{ADDRESS}|15042021",
        f"046090001234||Trần Văn An|01011990|X|{ADDRESS}|15042021",
        f"046090001234||1234|01011990|Nam|{ADDRESS}|15042021",
    ],
)
def test_malformed_strings_are_refused(text):
    with pytest.raises(InvalidInput) as err:
        parse_cccd_qr(text, today=TODAY)
    assert err.value.code == "cccd_qr.format"


@pytest.mark.parametrize(
    "text",
    [
        f"046090001234||Trần Văn An|1990-01-01|Nam|{ADDRESS}|15042021",
        f"046090001234||Trần Văn An|31021990|Nam|{ADDRESS}|15042021",
        f"046090001234||Trần Văn An|01011990|Nam|{ADDRESS}|15132021",
        f"046090001234||Trần Văn An|01011990|Nam|{ADDRESS}|01011980",  # issued before birth
        f"046090001234||Trần Văn An|01011990|Nam|{ADDRESS}|01012030",  # issued in the future
    ],
)
def test_bad_dates_are_refused(text):
    with pytest.raises(InvalidInput) as err:
        parse_cccd_qr(text, today=TODAY)
    assert err.value.code == "cccd_qr.date"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f"04609000123||Trần Văn An|01011990|Nam|{ADDRESS}|15042021", "personal_id.format"),
        (f"003090001234||Trần Văn An|01011990|Nam|{ADDRESS}|15042021", "personal_id.province"),
        (f"046090001234||Trần Văn An|01011991|Nam|{ADDRESS}|15042021", "personal_id.birth_year_mismatch"),
        (f"046090001234||Trần Thị An|01011990|Nữ|{ADDRESS}|15042021", "personal_id.gender_mismatch"),
    ],
)
def test_id_errors_come_through(text, code):
    with pytest.raises(InvalidInput) as err:
        parse_cccd_qr(text, today=TODAY)
    assert err.value.code == code
