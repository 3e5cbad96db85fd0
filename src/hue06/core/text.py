"""Vietnamese text: one stored form (NFC, one tone-mark convention), search keys, legacy encodings.

Real data mixes NFC and NFD, two tone-placement styles ("hoà"/"hòa", "Thuỷ"/"Thủy") and text
typed decades ago in the TCVN3 (ABC) and VNI fonts. Everything that is stored goes through
`normalize_text`; everything that is compared goes through `fold`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hue06.core.errors import InvalidInput

__all__ = [
    "NameParts",
    "decode_bytes",
    "detect_legacy_encoding",
    "fix_legacy",
    "fold",
    "is_vietnamese_syllable",
    "nfc",
    "normalize_text",
    "normalize_tones",
    "remove_marks",
    "split_name",
    "tcvn3_to_unicode",
    "title_case_name",
    "vni_to_unicode",
]


def nfc(s: str) -> str:
    """Unicode NFC: the one composed form every stored string uses."""
    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------- tone placement

# The five tone marks as combining characters (huyền, sắc, ngã, hỏi, nặng).
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
# Vowels whose shape (breve, circumflex, horn) makes them the tone carrier.
_SHAPED_VOWELS = frozenset("ăâêôơư")
_WORD_RE = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")
# The vowel clusters of Vietnamese syllables (toneless, after "qu"/"gi"): a word with any other
# cluster ("aa", "eau") is not Vietnamese, and its marks are left where they were typed.
_CLUSTERS = frozenset(
    [
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "oo",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "uy",
        "ưa",
        "ưi",
        "ưu",
        "ươ",
        "yê",
        "iêu",
        "yêu",
        "oai",
        "oay",
        "oao",
        "oeo",
        "uây",
        "uôi",
        "uya",
        "uyê",
        "uyu",
        "ươi",
        "ươu",
    ]
)


def _split_tone(ch: str) -> tuple[str, str]:
    """Split one character into (the character without tone, the tone mark or '')."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in _TONE_MARKS)
    bare = "".join(c for c in decomposed if c not in _TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tone


def _tone_position(bare_lower: str) -> int | None:
    """Index of the letter that carries the tone in a toneless lower-case syllable.

    Traditional convention (hòa, thúy, Khánh Hòa): in "oa", "oe", "uy" without a final
    consonant the mark goes on the first vowel; with a final consonant on the second (hoàng,
    toán, huýt). Returns None when the word does not look like one Vietnamese syllable.
    """
    n = len(bare_lower)
    i = 0
    while i < n and bare_lower[i] not in _VOWELS:
        i += 1
    if i == n:
        return None
    initial = bare_lower[:i]
    # "qu" and "gi" are initial consonants when another vowel follows (quý, giá, giường).
    if (
        i + 1 < n
        and bare_lower[i + 1] in _VOWELS
        and ((initial == "q" and bare_lower[i] == "u") or (initial == "g" and bare_lower[i] == "i"))
    ):
        i += 1
    j = i
    while j < n and bare_lower[j] in _VOWELS:
        j += 1
    if any(c in _VOWELS for c in bare_lower[j:]):
        return None
    cluster = range(i, j)
    if len(cluster) > 1 and bare_lower[i:j] not in _CLUSTERS:
        return None
    shaped = [k for k in cluster if bare_lower[k] in _SHAPED_VOWELS]
    if shaped:
        return shaped[-1]  # "ươ" takes it on ơ; every other cluster has one shaped vowel
    if len(cluster) == 1:
        return i
    has_final = j < n
    if len(cluster) == 2 and not has_final:
        return i  # hòa, thúy, mái, múa, túi
    return i + 1  # hoàng, toán, huýt; and the middle of oai, oay, uyu


def _retone_word(word: str) -> str:
    parts = [_split_tone(ch) for ch in word]
    tones = [t for _, t in parts if t]
    if len(tones) != 1 or len(tones[0]) != 1:
        return word
    bare = "".join(b for b, _ in parts)
    if len(bare) != len(parts):  # a stray mark on its own: leave the word alone
        return word
    pos = _tone_position(bare.lower())
    if pos is None:
        return word
    out = [b for b, _ in parts]
    out[pos] = unicodedata.normalize("NFC", out[pos] + tones[0])
    return "".join(out)


_INITIALS = frozenset(
    [
        "",
        "b",
        "c",
        "ch",
        "d",
        "đ",
        "g",
        "gh",
        "gi",
        "h",
        "k",
        "kh",
        "l",
        "m",
        "n",
        "ng",
        "ngh",
        "nh",
        "p",
        "ph",
        "qu",
        "r",
        "s",
        "t",
        "th",
        "tr",
        "v",
        "x",
    ]
)
_FINALS = frozenset(["", "c", "ch", "m", "n", "ng", "nh", "p", "t"])


def is_vietnamese_syllable(word: str) -> bool:
    """Whether a word can be one Vietnamese syllable: an initial consonant, a vowel cluster of the
    language, a final consonant of the language, at most one tone ("Trần" yes; "TrÇn", "Noël" no)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(1 for c in decomposed if c in _TONE_MARKS) > 1:
        return False
    bare = nfc("".join(c for c in decomposed if c not in _TONE_MARKS))
    if not bare or any(c not in _VOWELS and c not in "bcdđghklmnpqrstvx" for c in bare):
        return False
    i = 0
    while i < len(bare) and bare[i] not in _VOWELS:
        i += 1
    if i == len(bare):
        return False
    if bare[:i] in ("q", "g") and bare[i] in "ui" and i + 1 < len(bare) and bare[i + 1] in _VOWELS:
        i += 1  # "qu", "gi" before another vowel are initials (quý, giá)
    j = i
    while j < len(bare) and bare[j] in _VOWELS:
        j += 1
    initial, cluster, final = bare[:i], bare[i:j], bare[j:]
    if bare[:i] == "q" and cluster != "u":
        return False  # q only as "qu"
    return initial in _INITIALS and final in _FINALS and (len(cluster) == 1 or cluster in _CLUSTERS)


def normalize_tones(s: str) -> str:
    """Put every tone mark where the traditional convention puts it; idempotent, keeps case."""
    return _WORD_RE.sub(lambda m: _retone_word(m.group(0)), nfc(s))


# --------------------------------------------------------------------------- legacy encodings

_TCVN3_SRC = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
_TCVN3_DST = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
# PDF extraction artefacts seen in TCVN3 documents: a minus sign for ư, a Greek mu for à.
_TCVN3_TABLE = str.maketrans(_TCVN3_SRC + "−μ", _TCVN3_DST + "ưà")
# TCVN3 codes that are symbols in Latin-1 (0xA1-0xBF, ×, ÷) and never occur inside real words.
_TCVN3_SYMBOLS = "".join(c for c in _TCVN3_SRC if c < "\xc0" or c in "×÷")
_TCVN3_EVIDENCE_RE = re.compile(
    f"[A-Za-z][{re.escape(_TCVN3_SYMBOLS)}]|[{re.escape(_TCVN3_SYMBOLS)}][A-Za-z]"
)

_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_CIRCUMFLEX = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}


def _build_vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(src: str, base: str, marks: str) -> None:
        for s_case, b_case in ((src, base), (src.upper(), base.upper())):
            table[s_case] = nfc(b_case + marks)
        # Some files mix an upper-case letter with a lower-case modifier.
        table[src[0].upper() + src[1:]] = nfc(base.upper() + marks)

    for vowel in "aeiouy":
        for mod, tone in _VNI_TONES.items():
            add(vowel + mod, vowel, tone)
    for vowel in "aeo":
        for mod, tone in _VNI_CIRCUMFLEX.items():
            add(vowel + mod, vowel, "\u0302" + tone)
    for mod, tone in _VNI_BREVE.items():
        add("a" + mod, "a", "\u0306" + tone)
    for mod, tone in _VNI_TONES.items():
        add("ô" + mod, "o", "\u031b" + tone)  # ơ + tone
        add("ö" + mod, "u", "\u031b" + tone)  # ư + tone
    singles = {"ô": "ơ", "ö": "ư", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
    for src, dst in singles.items():
        table[src] = dst
        table[src.upper()] = dst.upper()
    return table


_VNI_TABLE = _build_vni_table()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_TABLE, key=len, reverse=True)))
# VNI letter pairs that never occur in well-formed Vietnamese Unicode text: a tone or shape
# modifier written after its vowel, and the VNI single letters for đ, ư, ỉ, ỵ.
_VNI_EVIDENCE_RE = re.compile(
    r"[aeiouyAEIOUYôÔöÖ][øïûõùØÏÛÕÙ]"
    r"|[aeoAEO][äåÄÅ]|[aeAE][âàáãÂÀÁÃ]|[oO][âÂ]"
    r"|[aA][êèéúüëÊÈÉÚÜË]"
    r"|\b[ñÑ]|[A-Za-z][öÖæÆîÎ]"
)
# Characters that prove the text is already Unicode (Vietnamese letters beyond Latin-1, or
# combining marks of NFD text).
_UNICODE_EVIDENCE_RE = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9\u0300-\u036f]")
_VALID_LATIN1 = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")


def tcvn3_to_unicode(s: str) -> str:
    """Convert text typed with a TCVN3 (ABC, .VnTime) font to Unicode NFC."""
    return nfc(s.translate(_TCVN3_TABLE))


def vni_to_unicode(s: str) -> str:
    """Convert text typed with a VNI-Windows font to Unicode NFC (longest match first)."""
    return nfc(_VNI_RE.sub(lambda m: _VNI_TABLE[m.group(0)], s))


def _oddities(s: str) -> int:
    """How un-Vietnamese a converted text looks: stray Latin-1 letters, đ inside a word."""
    bad = sum(1 for c in s if "\x80" <= c <= "\xff" and c not in _VALID_LATIN1)
    return bad + len(re.findall(r"\w[đĐ]", s))


def detect_legacy_encoding(s: str) -> str:
    """Return "unicode", "tcvn3" or "vni" for a string that may hold legacy-font text."""
    if _UNICODE_EVIDENCE_RE.search(s) or not any("\x80" <= c <= "\xff" for c in s):
        return "unicode"
    tcvn = len(_TCVN3_EVIDENCE_RE.findall(s))
    vni = len(_VNI_EVIDENCE_RE.findall(s))
    if tcvn == 0 and vni == 0:
        return _legacy_by_syllables(s)
    if tcvn and not vni:
        return "tcvn3"
    if vni and not tcvn:
        # TCVN3 text with no symbol characters can look like VNI; let the result decide.
        if _oddities(tcvn3_to_unicode(s)) < _oddities(vni_to_unicode(s)):
            return "tcvn3"
        return "vni"
    return "tcvn3" if tcvn >= vni else "vni"


def _legacy_by_syllables(s: str) -> str:
    """For text without the telltale symbols ("TrÇn ThÞ Thóy", "NguyÔn"): legacy if some word is
    not a Vietnamese syllable as it stands and every word is one after converting; else unicode."""

    def all_syllables(text: str) -> bool:
        return all(is_vietnamese_syllable(w) for w in _WORD_RE.findall(text))

    if all_syllables(s):
        return "unicode"
    if all_syllables(tcvn3_to_unicode(s)):
        return "tcvn3"
    if all_syllables(vni_to_unicode(s)):
        return "vni"
    return "unicode"


def fix_legacy(s: str) -> str:
    """Convert TCVN3 or VNI text to Unicode; return anything else unchanged."""
    enc = detect_legacy_encoding(s)
    if enc == "tcvn3":
        return tcvn3_to_unicode(s)
    if enc == "vni":
        return vni_to_unicode(s)
    return s


def _looks_utf16(data: bytes) -> str | None:
    if len(data) < 4 or len(data) % 2:
        return None
    pairs = len(data) // 2
    zero_even = sum(1 for k in range(0, len(data), 2) if data[k] == 0)
    zero_odd = sum(1 for k in range(1, len(data), 2) if data[k] == 0)
    if zero_odd >= 0.25 * pairs and zero_even <= 0.05 * pairs:
        return "utf-16-le"
    if zero_even >= 0.25 * pairs and zero_odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _has_control(s: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cn", "Co") and c not in "\t\n\r\f\v" for c in s)


def _unknown_encoding() -> InvalidInput:
    return InvalidInput(
        "text.unknown_encoding",
        "Không nhận ra bảng mã của tệp (không phải UTF-8, UTF-16, Windows-1258, TCVN3 hay VNI).",
        "The file's text encoding is not recognised (not UTF-8, UTF-16, Windows-1258, TCVN3 or VNI).",
    )


_SHAPE_MARKS = frozenset("\u0302\u0306\u031b")  # circumflex, breve, horn


def _is_vietnamese_letter(ch: str) -> bool:
    if ch.isascii() or ch in "đĐ":
        return True
    base, *marks = unicodedata.normalize("NFD", ch)
    return base.isascii() and base.isalpha() and all(m in _TONE_MARKS or m in _SHAPE_MARKS for m in marks)


def _cp1258_reading(data: bytes) -> str | None:
    """The bytes as Windows-1258 text, if that reading is plainly Vietnamese; else None.

    Windows-1258 keeps tones as combining marks after their vowel. Bytes that mean marks there are
    letters in TCVN3 and VNI, so such text (upper-case titles above all: "GIỚI", "VÀ") can pass for
    either. The reading is taken when it has a tone mark, every mark joins the letter before it,
    and every letter of the result belongs to the Vietnamese alphabet (VNI's "ò" for ị would give
    "ḥ" after an "h": not Vietnamese).
    """
    try:
        raw = data.decode("cp1258")
    except UnicodeDecodeError:
        return None
    if not any(ch in _TONE_MARKS for ch in raw):
        return None
    text = nfc(raw)
    if any(unicodedata.combining(ch) for ch in text):
        return None
    if not all(_is_vietnamese_letter(ch) for ch in text if ch.isalpha()):
        return None
    return text


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes; return (text in Unicode NFC, name of the encoding found).

    Names: "utf-8-sig", "utf-8", "utf-16", "utf-16-le", "utf-16-be", "tcvn3", "vni", "cp1258".
    Legacy TCVN3/VNI bytes are read as Latin-1 and converted.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return nfc(data[3:].decode("utf-8")), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _unknown_encoding() from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return nfc(data.decode("utf-16")), "utf-16"
        except UnicodeDecodeError as exc:
            raise _unknown_encoding() from exc
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            text = None
        if text is not None and not _has_control(text):
            return nfc(text), utf16
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _has_control(text):
            raise _unknown_encoding()
        return nfc(text), "utf-8"
    latin = data.decode("latin-1")
    if _has_control(latin.translate(dict.fromkeys(range(128, 160)))):
        raise _unknown_encoding()
    legacy = detect_legacy_encoding(latin)
    if legacy in ("tcvn3", "vni"):
        cp1258 = _cp1258_reading(data)
        if cp1258 is not None:  # Windows-1258 upper-case text can pass for TCVN3 or VNI
            return cp1258, "cp1258"
    if legacy == "tcvn3":
        return tcvn3_to_unicode(latin), "tcvn3"
    if legacy == "vni":
        return vni_to_unicode(latin), "vni"
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise _unknown_encoding() from exc
    if _has_control(text):
        raise _unknown_encoding()
    return nfc(text), "cp1258"


# --------------------------------------------------------------------------- normalise and fold


def normalize_text(s: str) -> str:
    """The stored form: trimmed, single spaces, legacy fonts fixed, NFC, traditional tones."""
    collapsed = " ".join(s.split())
    return normalize_tones(nfc(fix_legacy(collapsed)))


def _strip_marks(s: str) -> str:
    decomposed = unicodedata.normalize("NFD", s)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D")


def remove_marks(s: str) -> str:
    """Normalised text without any diacritics (đ→d), keeping case: "Thủy Biều" → "Thuy Bieu"."""
    return " ".join(_strip_marks(normalize_text(s)).split())


def fold(s: str) -> str:
    """Search key: no marks, đ→d, lower case, single spaces. NFC/NFD and tone styles fold equal."""
    return remove_marks(s).lower()


# --------------------------------------------------------------------------- names

_COMPOUND_FAMILY_NAMES = (
    "Tôn Thất",
    "Tôn Nữ",
    "Nguyễn Phước",
    "Nguyễn Phúc",
    "Âu Dương",
    "Tư Mã",
    "Gia Cát",
    "Thượng Quan",
)
_COMPOUND_KEYS = frozenset(fold(n) for n in _COMPOUND_FAMILY_NAMES)


@dataclass(frozen=True)
class NameParts:
    """A Vietnamese full name in its own order: family (họ), middle (đệm), given (tên)."""

    family: str
    middle: str
    given: str

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.family, self.middle, self.given) if p)


def split_name(full: str) -> NameParts:
    """Split "Họ [đệm] Tên"; compound family names (Tôn Thất, Nguyễn Phước…) stay whole.

    A compound family name is only recognised when at least one more word follows it, so
    "Nguyễn Phúc" alone is family "Nguyễn", given "Phúc".
    """
    words = normalize_text(full).split()
    if not words:
        return NameParts("", "", "")
    if len(words) == 1:
        return NameParts("", "", words[0])
    family_len = 2 if len(words) >= 3 and fold(" ".join(words[:2])) in _COMPOUND_KEYS else 1
    return NameParts(
        family=" ".join(words[:family_len]),
        middle=" ".join(words[family_len:-1]),
        given=words[-1],
    )


def title_case_name(s: str) -> str:
    """ "NGUYỄN VĂN AN" → "Nguyễn Văn An"; tone placement normalised too."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in normalize_text(s).split())
