import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hue06.core.errors import InvalidInput
from hue06.core.text import (
    NameParts,
    decode_bytes,
    detect_legacy_encoding,
    fix_legacy,
    fold,
    is_vietnamese_syllable,
    normalize_text,
    normalize_tones,
    remove_marks,
    split_name,
    tcvn3_to_unicode,
    title_case_name,
    vni_to_unicode,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hoà", "hòa"),
        ("thuý", "thúy"),
        ("Thuỷ", "Thủy"),
        ("THUÝ", "THÚY"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("Thuận Hoá", "Thuận Hóa"),
        ("khoẻ", "khỏe"),
        ("Phường Thuỷ Biều", "Phường Thủy Biều"),
        # With a final consonant or a shaped vowel the mark stays on the main vowel.
        ("hoàng", "hoàng"),
        ("toán", "toán"),
        ("khuyến", "khuyến"),
        ("quyền", "quyền"),
        ("huýt", "huýt"),
        # qu- and gi- are consonants here.
        ("quý", "quý"),
        ("Quỳnh", "Quỳnh"),
        ("giá", "giá"),
        ("gìn", "gìn"),
        ("giường", "giường"),
        ("người", "người"),
        ("rượu", "rượu"),
        # Misplaced marks are put right.
        ("nghìên", "nghiền"),
        ("ỏai", "oải"),
        ("hoạ", "họa"),
    ],
)
def test_normalize_tones_uses_the_traditional_placement(raw, expected):
    assert normalize_tones(raw) == expected


def test_normalize_tones_accepts_nfd_input():
    assert normalize_tones(unicodedata.normalize("NFD", "Thuỷ Biều")) == "Thủy Biều"


@given(
    st.text(alphabet="aăâeêioôơuưyqgdhnktcmlrđAĂÂEÊIOÔƠUƯYQGĐ \u0300\u0301\u0303\u0309\u0323", max_size=20)
)
def test_normalize_tones_is_idempotent_and_keeps_the_letters(s):
    once = normalize_tones(s)
    assert normalize_tones(once) == once

    # The letters without their marks, compared without fold's legacy-font detection: "aà" and
    # "àa" are not Vietnamese, and one of them reads as VNI text.
    def letters(t: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")

    assert letters(once) == letters(s)


@pytest.mark.parametrize("word", ["aà", "Aà", "eaù", "Noël"])
def test_normalize_tones_leaves_words_that_are_not_vietnamese_syllables(word):
    assert normalize_tones(word) == unicodedata.normalize("NFC", word)


@pytest.mark.parametrize(
    ("legacy", "unicode"),
    [
        ("Thõa Thiªn HuÕ", "Thừa Thiên Huế"),
        ("Hµ Néi", "Hà Nội"),
        ("Tr\xadêng", "Trường"),  # TCVN3 ư is the soft hyphen 0xAD
    ],
)
def test_tcvn3_is_detected_and_converted(legacy, unicode):
    assert detect_legacy_encoding(legacy) == "tcvn3"
    assert tcvn3_to_unicode(legacy) == unicode
    assert fix_legacy(legacy) == unicode


@pytest.mark.parametrize(
    ("legacy", "unicode"),
    [
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Vieät Nam", "Việt Nam"),
        ("THÖØA THIEÂN HUEÁ", "THỪA THIÊN HUẾ"),
        ("Tröôøng Ñaïi hoïc Hueá", "Trường Đại học Huế"),
        ("Nguyeãn Thò Thuûy", "Nguyễn Thị Thủy"),
    ],
)
def test_vni_is_detected_and_converted(legacy, unicode):
    assert detect_legacy_encoding(legacy) == "vni"
    assert vni_to_unicode(legacy) == unicode
    assert fix_legacy(legacy) == unicode


@pytest.mark.parametrize("text", ["Khánh Hoà", "Hà Tây", "Nguyễn Văn An", "Café Müller", "© 2024", "ABC 123"])
def test_unicode_and_plain_text_are_left_alone(text):
    assert detect_legacy_encoding(text) == "unicode"
    assert fix_legacy(text) == text


def test_normalize_text_cleans_spacing_encoding_and_tones():
    assert normalize_text("  Nguyễn   Thị\tThuý \n") == "Nguyễn Thị Thúy"
    assert normalize_text("Khu vùc Thõa Thiªn HuÕ") == "Khu vực Thừa Thiên Huế"
    nfd = unicodedata.normalize("NFD", "Thừa Thiên Huế")
    assert normalize_text(nfd) == "Thừa Thiên Huế"
    assert unicodedata.is_normalized("NFC", normalize_text(nfd))


def test_fold_makes_spellings_of_one_name_equal():
    variants = [
        "Nguyễn Thị Thúy",
        "nguyen thi thuy",
        "NGUYỄN THỊ THUÝ",
        unicodedata.normalize("NFD", "Nguyễn Thị Thuý"),
        "  Nguyễn  Thị Thủy ",
    ]
    assert {fold(v) for v in variants} == {"nguyen thi thuy"}
    assert fold("Đặng Đình") == "dang dinh"


def test_remove_marks_keeps_case():
    assert remove_marks("Phường Thuỷ Biều") == "Phuong Thuy Bieu"
    assert remove_marks("ĐÔNG BA") == "DONG BA"


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Văn An", NameParts("Nguyễn", "Văn", "An")),
        ("Lê Thị Minh Khai", NameParts("Lê", "Thị Minh", "Khai")),
        ("Tôn Thất Thuyết", NameParts("Tôn Thất", "", "Thuyết")),
        ("tôn nữ thị hà", NameParts("tôn nữ", "thị", "hà")),
        ("Nguyễn Phước Bửu Chánh", NameParts("Nguyễn Phước", "Bửu", "Chánh")),
        ("NGUYEN PHUC VINH LOC", NameParts("NGUYEN PHUC", "VINH", "LOC")),
        ("Âu Dương Phong", NameParts("Âu Dương", "", "Phong")),
        ("Nguyễn Phúc", NameParts("Nguyễn", "", "Phúc")),
        ("Thuý", NameParts("", "", "Thúy")),
        ("Trần  Hoà", NameParts("Trần", "", "Hòa")),
    ],
)
def test_split_name_follows_vietnamese_order(full, parts):
    assert split_name(full) == parts


def test_name_parts_full_joins_what_is_there():
    assert split_name("  Tôn Thất   Thuyết ").full == "Tôn Thất Thuyết"
    assert NameParts("", "", "An").full == "An"


def test_title_case_name():
    assert title_case_name("NGUYỄN VĂN AN") == "Nguyễn Văn An"
    assert title_case_name("tôn nữ thị thuý") == "Tôn Nữ Thị Thúy"


SAMPLE = "Nguyễn Thị Thủy, Thừa Thiên Huế"


def _cp1258(s: str) -> bytes:
    """Windows-1258 keeps tone marks as combining characters: decompose tones only."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in s:
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
        out.append(base + "".join(c for c in d if c in tones))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (_cp1258(SAMPLE), "cp1258"),
        ("NguyÔn ThÞ Thñy, Thõa Thiªn HuÕ".encode("latin-1"), "tcvn3"),
        ("Nguyeãn Thò Thuûy, Thöøa Thieân Hueá".encode("latin-1"), "vni"),
    ],
)
def test_decode_bytes_finds_the_encoding(data, encoding):
    text, found = decode_bytes(data)
    assert found == encoding
    assert normalize_text(text) == SAMPLE


@pytest.mark.parametrize(
    "s", ["Văn GIỚI", "GIỚI", "SINH GIỚI VÀ Phú HỌ Vang", "Lý Điền GIỚI Phú Dương Huế", "Nữ GIỚI Lê Phú TÊN"]
)
def test_decode_bytes_reads_upper_case_windows_1258_titles(s):
    """These once came back as TCVN3 or VNI ("GĨìI", "Lyỡ éiờèn")."""
    assert decode_bytes(_cp1258(s)) == (s, "cp1258")


_WORDS_1258 = (
    "HỌ VÀ TÊN NGÀY SINH GIỚI TÍNH ĐỊA CHỈ Nữ Thừa Thiên Huế Phú Lộc Hương Thủy "
    "Trần Thị Lê Văn Đặng Bùi Đỗ Hồ Ngô Dương Lý Quảng Điền"
)


@given(st.lists(st.sampled_from(_WORDS_1258.split(" ")), min_size=1, max_size=8))
def test_decode_bytes_reads_any_windows_1258_text(words):
    s = " ".join(words)
    text, _ = decode_bytes(_cp1258(s))
    assert text == s


def test_decode_bytes_refuses_binary():
    with pytest.raises(InvalidInput) as err:
        decode_bytes(b"\x00\x01\x02\xff\xfe\x00\x81\x8d")
    assert err.value.code == "text.unknown_encoding"


@pytest.mark.parametrize(
    ("legacy", "expected", "encoding"),
    [
        ("TrÇn ThÞ Thóy", "Trần Thị Thúy", "tcvn3"),  # no TCVN3 symbol character at all
        ("NguyÔn", "Nguyễn", "tcvn3"),
        ("Nguyeãn Thò", "Nguyễn Thị", "vni"),
    ],
)
def test_short_legacy_strings_are_found_by_their_syllables(legacy, expected, encoding):
    assert detect_legacy_encoding(legacy) == encoding
    assert fix_legacy(legacy) == expected


@pytest.mark.parametrize("text", ["Noël", "José Müller", "CÀ MAU", "Hà Nội", "K'Ho", "Email của tôi"])
def test_unicode_and_foreign_names_are_left_alone(text):
    assert fix_legacy(text) == text


@pytest.mark.parametrize(
    ("word", "ok"),
    [
        ("Trần", True),
        ("quý", True),
        ("giường", True),
        ("nghiêng", True),
        ("khuỷu", True),
        ("xoong", True),
        ("TrÇn", False),
        ("Noël", False),
        ("Josộ", False),
        ("hoàà", False),
        ("quan", True),
        ("qan", False),
        ("ngh", False),
        ("bl", False),
    ],
)
def test_is_vietnamese_syllable(word, ok):
    assert is_vietnamese_syllable(word) is ok
