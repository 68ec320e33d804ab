"""Pure helpers of the browser tests: page text for the language check, mail, page weight.

Nothing here imports Playwright, so the module loads on machines without a browser.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass(frozen=True)
class Mode:
    """How a scenario runs: with scripts (htmx) or without, in Ukrainian or English."""

    js: bool
    lang: str

    @property
    def id(self) -> str:
        return f"{'js' if self.js else 'nojs'}-{self.lang}"


ALL_MODES = [Mode(True, "uk"), Mode(True, "en"), Mode(False, "uk"), Mode(False, "en")]
# `make test` runs every scenario with scripts in Ukrainian and without them in English (both
# languages, both ways of working); HROMADA_E2E_MODES names others (`make e2e-other-modes`,
# which CI runs too, takes the two crossings left).
_CHOSEN = os.environ.get("HROMADA_E2E_MODES", "js-uk,nojs-en").split(",")
MODES = [m for m in ALL_MODES if m.id in _CHOSEN]

# Every page's HTML plus its style sheets, before htmx (issue 8: "at most 30 KB").
WEIGHT_LIMIT = 30_000

# WCAG 2.2 AA as axe-core tags it.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Text that is the same in both languages on purpose: the names of the languages in the
# switcher, and abbreviations that Ukrainian keeps in Latin letters.
SAME_IN_BOTH = {"Українська", "English", "API", "CSV", "JSON", "Atom", "htmx", "WCAG"}

_LETTER = re.compile(r"[^\W\d_]")
_URLISH = re.compile(r"^(https?://|/|[\w.+-]+@[\w-]+\.)\S*$")
_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")
_DIGEST = re.compile(r"^[0-9a-f]{32,}$")  # a hash shown as data (a client network's, a receipt)
_TEXT = re.compile(r">[^<]*[^\s<][^<]*<")


def normalise(text: str) -> str:
    return " ".join(text.split())


def skeleton(html: str) -> str:
    """The page's structure: elements and attributes, text only as "there is text", without
    the per-session token and with every digit a 0. Pages with the same skeleton differ only
    in words and numbers, which axe's rules do not depend on, so one audit covers them."""
    html = _TOKEN.sub("-", html)
    html = re.sub(r'\b(lang|hreflang)="[a-z]{2}"', r'\1=""', html)
    html = _TEXT.sub(">T<", html)
    return re.sub(r"\d", "0", html)


class _Texts(HTMLParser):
    """Text nodes and the text of the attributes people read or hear, of one page."""

    # Code (column names, identifiers, example values) reads the same in every language.
    SKIP = {"script", "style", "template", "code", "kbd", "samp"}
    SPOKEN = ("aria-label", "alt", "placeholder", "title")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        values = dict(attrs)
        for name in self.SPOKEN:
            if values.get(name):
                self.nodes.append(normalise(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.nodes.append(normalise(values["value"]))

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(normalise(data))


def text_nodes(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser.nodes


@dataclass
class AllowList:
    """User content (what the tests typed and seeded): it reads the same in both languages."""

    items: set[str] = field(default_factory=set)

    def add(self, *values: str | None) -> None:
        for value in values:
            if value and value.strip():
                self.items.add(normalise(value))
                for para in value.split("\n"):
                    if para.strip():
                        self.items.add(normalise(para))
                        self.items.add(normalise(para.lstrip("#")))  # a Markdown heading

    def covers(self, node: str) -> bool:
        if node in SAME_IN_BOTH or _URLISH.match(node) or _DIGEST.match(node):
            return True
        rest = node
        for item in sorted(self.items | SAME_IN_BOTH, key=len, reverse=True):
            if node in item and len(node) >= 3:
                return True
            rest = rest.replace(item, " ")
        return not _LETTER.search(rest)


def untranslated(uk_html: str, en_html: str, allow: AllowList) -> list[str]:
    """Chrome that reads the same in the Ukrainian and the English rendering of a page."""
    english = set(text_nodes(en_html))
    found = []
    for node in text_nodes(uk_html):
        if node in english and _LETTER.search(node) and not allow.covers(node):
            found.append(node)
    return sorted(set(found))


def fetch(url: str, cookies: dict[str, str]) -> tuple[int, bytes]:
    """GET with the person's cookies, without touching the browser's cookie jar."""
    request = urllib.request.Request(url, headers={
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def with_lang(url: str, lang: str) -> str:
    base, _, fragment = url.partition("#")
    base = re.sub(r"([?&])lang=[a-z]+&?", r"\1", base).rstrip("?&")
    return f"{base}{'&' if '?' in base else '?'}lang={lang}"


_STYLESHEET = re.compile(r'<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"|'
                         r'<link[^>]+href="([^"]+)"[^>]*rel="stylesheet"')


def stylesheets(html: str) -> list[str]:
    return [a or b for a, b in _STYLESHEET.findall(html)]


def page_pattern(url: str) -> str:
    """/petitions/12?done=signed -> /petitions/#?done: one entry per kind of page."""
    path, _, query = url.split("://", 1)[-1].partition("/")[2].partition("#")[0].partition("?")
    keys = sorted({part.split("=")[0] for part in query.split("&") if part} - {"lang"})
    path = "/".join("#" if re.search(r"\d", part) else part for part in path.split("/"))
    return "/" + path + ("?" + "&".join(keys) if keys else "")


_GLUED = re.compile(r"\s(required|checked|selected|disabled|multiple|readonly|hidden)"
                    r"(aria-|hx-|data-|id=|name=|class=)")


def glued_attributes(html: str) -> list[str]:
    """Attributes run together (`requiredaria-describedby=...`): the browser sees neither."""
    return sorted({m.group(0).strip() for m in _GLUED.finditer(html)})


def verification_link(mail_dir: Path, address: str, timeout: float = 15.0) -> str:
    """The confirmation link of the newest message to `address` in the file outbox."""
    deadline = time.monotonic() + timeout
    while True:
        messages = sorted(mail_dir.glob("**/*.eml"), key=lambda p: p.stat().st_mtime,
                          reverse=True) if mail_dir.exists() else []
        for path in messages:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address.lower() not in str(message.get("To", "")).lower():
                continue
            part = message.get_body(preferencelist=("plain", "html"))
            body = part.get_content() if part is not None else ""
            match = re.search(r"https?://\S+/verify-email\?token=[\w.\-]+", body)
            if match:
                return match.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"no confirmation e-mail to {address} in {mail_dir} after "
                                 f"{timeout:.0f} s (is the in-process worker running?)")
        time.sleep(0.1)
