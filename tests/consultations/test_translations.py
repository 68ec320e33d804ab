"""Every msgid of the module (its .py files and every template under templates/consultations/,
partials included) has a Ukrainian translation that keeps its placeholders, and pages render
in Ukrainian."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.settings import ROOT
from tests.consultations.factories import make_consultation
from tests.factories import make_community

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDERS = (re.compile(r"%\((\w+)\)[sdif]"), re.compile(r"(?<!\{)\{(\w*)\}(?!\})"))


@cache
def msgids() -> dict:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)

    def directory_filter(path: str) -> bool:
        rel = Path(os.path.relpath(path, ROOT)).parts
        return rel[0] in ("consultations", "templates") and rel[-1] != "locale"

    found = {}
    for filename, lineno, message, _c, _ctx in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS,
            directory_filter=directory_filter):
        path = Path(filename).as_posix()
        parts = path.split("/")
        mine = (parts[0] == "consultations" and path.endswith(".py")) or (
            parts[:2] == ["templates", "consultations"])
        items = message if isinstance(message, tuple) else (message,)
        if mine and items and all(items):
            found.setdefault(message, f"{path}:{lineno}")
    return found


def catalog():
    with (ROOT / "consultations/locale/uk/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale="uk")


def test_every_msgid_is_translated_with_its_placeholders():
    cat = catalog()
    assert cat.num_plurals == 3
    problems = []
    for msgid, where in msgids().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = cat.get(key)
        forms = () if message is None else (
            message.string if isinstance(message.string, tuple) else (message.string,))
        if message is None or message.fuzzy or not all(f.strip() for f in forms):
            problems.append(f"{where}: {msgid!r} is not translated")
            continue
        if isinstance(msgid, tuple) and len(forms) != 3:
            problems.append(f"{where}: {msgid!r} needs three plural forms")
        source = " ".join(msgid) if isinstance(msgid, tuple) else msgid
        for pattern in PLACEHOLDERS:
            for form in forms:
                if set(pattern.findall(form)) != set(pattern.findall(source)):
                    problems.append(f"{where}: {msgid!r} -> {form!r} changes placeholders")
    assert not problems, "\n".join(problems)
    assert len(msgids()) > 200


def test_pages_are_ukrainian_by_default(db, clock, client):
    place = make_community(db)
    c = make_consultation(db, place)
    page = client.get(f"/consultations/{c.id}")
    assert "Взяти участь" in page.text and "Take part" not in page.text
    english = client.get(f"/consultations/{c.id}?lang=en")
    assert "Take part" in english.text
    results = client.get(f"/consultations/{c.id}/results?lang=uk")
    assert "Учасники за категоріями" in results.text
