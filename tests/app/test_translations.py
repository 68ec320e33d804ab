"""Every message a package shows has a Ukrainian translation, and Ukrainian pages are Ukrainian.

Each catalog package (the kernel and the three modules) keeps its own catalog in
<package>/locale/uk/LC_MESSAGES/messages.po. The msgids it must translate are extracted, with
the project's babel.cfg, from the package's own .py files and its templates: templates/<package>/
for a module; templates/*.html and every other folder of templates/ for the kernel.
"""

from __future__ import annotations

import html
import os
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.settings import ROOT
from app.web.i18n import catalog_packages

CATALOG_PACKAGES = catalog_packages()
MODULES = tuple(p for p in CATALOG_PACKAGES if p != "app")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
PERCENT = re.compile(r"%\((\w+)\)[sdif]")
BRACES = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")


def lone_percent(text: str) -> bool:
    """A % that is neither a placeholder nor an escaped %%."""
    return "%" in re.sub(r"%%|%\(\w+\)[sdif]", "", text)


Msgid = str | tuple[str, ...]


def catalog_path(package: str) -> Path:
    return ROOT / package / "locale" / "uk" / "LC_MESSAGES" / "messages.po"


def in_scope(package: str, path: str) -> bool:
    """Whether a file (relative to the project root, with /) belongs to the package's catalog."""
    parts = path.split("/")
    if parts[0] == package:
        return path.endswith(".py")
    if parts[0] != "templates" or not path.endswith(".html"):
        return False
    if package == "app":
        return len(parts) == 2 or parts[1] not in MODULES
    return len(parts) > 2 and parts[1] == package


@cache
def _all_messages() -> tuple[tuple[str, int, Msgid], ...]:
    """(path, line, msgid) of every literal message of every catalog package, in one pass."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)

    def directory_filter(path: str) -> bool:
        rel = Path(os.path.relpath(path, ROOT)).parts
        name = rel[-1]
        return (rel[0] in (*CATALOG_PACKAGES, "templates") and not name.startswith((".", "_"))
                and name != "locale")

    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS,
            directory_filter=directory_filter):
        parts = message if isinstance(message, tuple) else (message,)
        if parts and all(parts):  # _(variable) is not a literal: nothing to translate
            found.append((Path(filename).as_posix(), lineno, message))
    return tuple(found)


def extracted(package: str) -> dict[Msgid, list[str]]:
    """msgid -> where it is used, for one package."""
    found: dict[Msgid, list[str]] = {}
    for path, lineno, message in _all_messages():
        if in_scope(package, path):
            found.setdefault(message, []).append(f"{path}:{lineno}")
    return found


@cache
def catalog(package: str) -> Catalog | None:
    path = catalog_path(package)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale="uk")


def translated(cat: Catalog | None, msgid: Msgid) -> tuple[str, ...] | None:
    """The non-empty Ukrainian forms of a message, or None."""
    if cat is None:
        return None
    key = msgid[0] if isinstance(msgid, tuple) else msgid
    message = cat.get(key)
    if message is None or message.fuzzy:
        return None
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    if isinstance(msgid, tuple) and (not isinstance(message.string, tuple)
                                     or len(forms) != cat.num_plurals):
        return None
    if not forms or any(not (f or "").strip() for f in forms):
        return None
    return forms


@pytest.mark.parametrize("package", CATALOG_PACKAGES)
def test_every_msgid_has_a_ukrainian_translation(package):
    cat = catalog(package)
    missing = [(msgid, where[0]) for msgid, where in extracted(package).items()
               if translated(cat, msgid) is None]
    listing = "\n".join(f"  {where}: {msgid!r}" for msgid, where in missing)
    assert not missing, (f"{len(missing)} msgid(s) of {package} have no Ukrainian translation "
                         f"in {catalog_path(package).relative_to(ROOT)}:\n{listing}")


@pytest.mark.parametrize("package", CATALOG_PACKAGES)
def test_translations_keep_their_placeholders(package):
    """A translation that drops or invents a placeholder shows wrong text or fails to render."""
    cat = catalog(package)
    wrong = []
    for msgid in extracted(package):
        forms = translated(cat, msgid)
        if forms is None:
            continue
        source = " ".join(msgid) if isinstance(msgid, tuple) else msgid
        for pattern in (PERCENT, BRACES):
            expected = set(pattern.findall(source))
            for form in forms:
                if set(pattern.findall(form)) != expected:
                    wrong.append(f"  {msgid!r} -> {form!r}")
        # Templates %-format every message: a lone % in a translation breaks the page.
        if not lone_percent(source):
            wrong += [f"  {msgid!r} -> {form!r} (a lone %)" for form in forms
                      if lone_percent(form)]
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", CATALOG_PACKAGES)
def test_catalog_header(package):
    path = catalog_path(package)
    if not path.exists():
        if extracted(package):
            pytest.fail(f"{path.relative_to(ROOT)} is missing")
        pytest.skip(f"{package} shows no text yet")
    text = path.read_text(encoding="utf-8")
    assert '"Language: uk\\n"' in text
    assert re.search(r'"Content-Type: text/plain; charset=UTF-8\\n"', text, re.I)
    assert catalog(package).num_plurals == 3  # one, few, many


def test_the_kernel_catalog_is_not_empty():
    assert len(extracted("app")) > 200
    assert "Please correct the highlighted fields." in extracted("app")
    assert ("%(num)s obligation", "%(num)s obligations") in extracted("app")


def test_scope_of_each_catalog():
    assert in_scope("app", "templates/base.html")
    assert in_scope("app", "templates/identity/login.html")
    assert not in_scope("app", "templates/petitions/list.html")
    assert in_scope("petitions", "templates/petitions/list.html")
    assert not in_scope("petitions", "templates/base.html")
    assert not in_scope("petitions", "app/web/forms.py")
    assert in_scope("budget", "budget/views.py")


# -- rendered pages ---------------------------------------------------------------------------

# Strings every kernel page shows, in English and in Ukrainian.
ON_EVERY_PAGE = [("Skip to content", "Перейти до змісту"), ("Audit log", "Журнал аудиту"),
                 ("Answers", "Відповіді")]


@pytest.fixture
def site(client, db):
    from app.communities import service as communities
    from tests.factories import make_admin, make_community, make_user

    place = make_community(db, name="Громада для перекладу")
    admin = make_admin(db, name="Адміністраторка")
    communities.grant_staff(db, admin, place.community, "official", place.council)
    communities.claim_residency(db, make_user(db, name="Заявник"), place.community,
                                "вул. Шевченка, 1", None)
    client.login(admin)
    return client, place.community.slug


PAGES = {
    "/": ("Participation in your community", "Участь у житті вашої громади"),
    "/communities": ("Communities", "Громади"),
    "/communities/{slug}": ("Rules of participation", "Правила участі"),
    "/communities/{slug}/rules": ("History of changes", "Історія змін"),
    "/communities/{slug}/rules/edit": ("Record the new rules", "Записати нові правила"),
    "/communities/{slug}/residency": ("Your address in the community", "Ваша адреса в громаді"),
    "/communities/{slug}/residents": ("No claims are waiting.", "Заявник"),
    "/communities/{slug}/obligations": ("Obligations and answers", "Зобов’язання та відповіді"),
    "/rules": ("Rules of participation compared", "Порівняння правил участі"),
    "/obligations": ("Opened before", "Відкрито до"),
    "/audit": ("Head hash (SHA-256)", "Хеш вершини (SHA-256)"),
    "/account": ("Personal API tokens", "Персональні токени API"),
    "/no-such-page": ("This page does not exist.", "Такої сторінки не існує."),
}


@cache
def _english_texts() -> list[str]:
    """Kernel msgids long enough to be recognisable, without placeholders, that translate."""
    cat = catalog("app")
    out = []
    for msgid in extracted("app"):
        if isinstance(msgid, tuple) or len(msgid) < 12 or "%(" in msgid or "{" in msgid:
            continue
        forms = translated(cat, msgid)
        if forms and forms[0] != msgid:
            out.append(msgid)
    return out


def _get(browser, path: str, lang: str):
    separator = "&" if "?" in path else "?"
    return browser.get(f"{path}{separator}lang={lang}")


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_speak_the_chosen_language(site, path):
    browser, slug = site
    url = path.format(slug=slug)
    english_marker, ukrainian_marker = PAGES[path]

    en = _get(browser, url, "en")
    uk = _get(browser, url, "uk")

    assert en.status_code == uk.status_code
    assert en.status_code in (200, 404)
    if path != "/communities/{slug}/residents":
        assert english_marker in en.text
    assert ukrainian_marker in uk.text
    assert '<html lang="uk">' in uk.text and '<html lang="en">' in en.text
    for english, ukrainian in ON_EVERY_PAGE:
        assert english in en.text and ukrainian not in en.text
        assert ukrainian in uk.text
    leaks = [m for m in _english_texts()
             if html.escape(m) in en.text and html.escape(m) in uk.text]
    assert not leaks, f"English text on the Ukrainian page {url}: {leaks}"


def test_error_messages_and_form_errors_are_translated(client, db):
    response = client.submit("/register", {"email": "x", "password": "short",
                                           "display_name": ""})
    assert response.status_code == 422
    assert "Пароль має містити щонайменше 8 символів." in response.text
    assert "Введіть правильну адресу електронної пошти." in response.text
    english = client.submit("/register?lang=en", {"email": "x", "password": "short",
                                                  "display_name": ""})
    assert "The password must be at least 8 characters long." in english.text
    assert "Має бути не менше ніж 1." in client.get("/obligations?page=0&lang=uk").text
