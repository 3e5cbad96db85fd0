"""Vietnamese first, English on request: Babel reads the English catalogue (.po) at start-up.

Templates and code write the Vietnamese text and call `_()`; the catalogue maps it to English.
No compile step: the .po file is read directly, so `make demo` needs nothing more.
"""

from __future__ import annotations

from functools import lru_cache

from babel.messages.pofile import read_po

from hue06 import modules

LANGS = ("vi", "en")


@lru_cache(maxsize=1)
def _catalog_en() -> dict[str, str]:
    merged: dict[str, str] = {}
    for _name, folder in modules.folders("translations"):
        po = folder / "en" / "LC_MESSAGES" / "messages.po"
        if not po.is_file():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if message.id and message.string:
                merged[str(message.id)] = str(message.string)
    return merged


def translate(text: str, lang: str) -> str:
    if lang == "en":
        return _catalog_en().get(text, text)
    return text


def pick_lang(query_lang: str | None, cookie_lang: str | None, accept: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGS:
            return candidate  # type: ignore[return-value]
    return "vi"
