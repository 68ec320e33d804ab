"""Ukrainian (default) and English. Message ids are English; catalogs live in each package.

Each package that has text (the kernel, app, and every registered module) keeps its own
catalog in <package>/locale/<lang>/LC_MESSAGES/messages.po, compiled to .mo by `make messages`. The
catalogs are merged at start-up. A .po without its .mo is compiled in memory, so a checkout
that skipped the build still speaks Ukrainian.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.settings import ROOT

LANGUAGES = ("uk", "en")
LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}

current_language: ContextVar[str] = ContextVar("current_language", default="uk")


def _load_one(locale_dir: Path, lang: str) -> _gettext.NullTranslations | None:
    lc = locale_dir / lang / "LC_MESSAGES"
    mo, po = lc / "messages.mo", lc / "messages.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf)
    return None


def catalog_packages() -> tuple[str, ...]:
    """The packages that keep a catalog: the kernel, then every registered module."""
    from app.modules import registered

    return ("app", *(module.name for module in registered()))


@lru_cache
def translations(lang: str) -> Translations:
    """All packages' catalogs for `lang`, merged into the first (which keeps Plural-Forms)."""
    merged: Translations | None = None
    for package in catalog_packages():
        found = _load_one(ROOT / package / "locale", lang)
        if isinstance(found, Translations):
            if merged is None:
                merged = found
            else:
                merged.merge(found)
    return merged or Translations()


def gettext(message: str) -> str:
    lang = current_language.get()
    if lang == "en":
        return message
    return translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    lang = current_language.get()
    if lang == "en":
        return singular if n == 1 else plural
    return translations(lang).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def negotiate(cookie: str | None, query: str | None, accept: str | None, default: str) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    if accept:
        for part in accept.split(","):
            tag = part.split(";")[0].strip().lower()[:2]
            if tag in LANGUAGES:
                return tag
            if tag == "ru":  # Ukrainian residents whose browser says Russian read Ukrainian
                return "uk"
    return default
