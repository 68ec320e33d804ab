"""The draft text: Markdown split into numbered sections, rendered with raw HTML disabled.

Sections begin at first- and second-level headings found by the Markdown parser itself, so a
"#" inside a code block or a list is not mistaken for one. Text before the first heading is a
section of its own (shown as the preamble). Raw HTML in the source is escaped, never passed
through, and markdown-it refuses javascript:, vbscript: and data: links.

Also the plain text people type (titles, names, reasons, comments), tidied the one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt


@dataclass(frozen=True)
class SectionText:
    number: int
    title: str
    body: str


@lru_cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")

    # Headings inside a section sit below the section's own heading (h3 on the page):
    # ### becomes h4, and so on, never above h4.
    def heading(self, tokens, idx, options, env):
        token = tokens[idx]
        level = min(6, max(4, int(token.tag[1]) + 1))
        token.tag = f"h{level}"
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)

    def link_open(self, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "nofollow noopener")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def render(markdown: str) -> str:
    """Safe HTML for a piece of Markdown."""
    return _parser().render(markdown or "")


def _inline_text(token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def split_sections(markdown: str) -> list[SectionText]:
    """Numbered sections, split on top-level and second-level headings."""
    text = (markdown or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    tokens = _parser().parse(text)
    heads: list[tuple[int, int, str]] = []  # (first line, line after heading, title)
    for i, token in enumerate(tokens):
        if (token.type == "heading_open" and token.level == 0 and token.tag in ("h1", "h2")
                and token.map):
            heads.append((token.map[0], token.map[1], _inline_text(tokens[i + 1])))
    sections: list[SectionText] = []
    first = heads[0][0] if heads else len(lines)
    preamble = "\n".join(lines[:first]).strip()
    if preamble:
        sections.append(SectionText(1, "", preamble))
    for n, (_start, body_start, title) in enumerate(heads):
        body_end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        body = "\n".join(lines[body_start:body_end]).strip()
        sections.append(SectionText(len(sections) + 1, title[:300], body))
    return sections


def clean_line(value: str | None) -> str:
    """One line of text: runs of whitespace (newlines included) become one space."""
    return " ".join((value or "").split())


def clean_body(value: str | None) -> str:
    """Paragraphs of text: each line tidied, at most one empty line between paragraphs."""
    lines = [" ".join(line.split()) for line in (value or "").replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
