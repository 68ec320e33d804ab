"""The CSV of contributions: each contributor's publication choice decides their row.

named:      the row shows the name (the organisation's name for an organisation's response);
anonymous:  the row is there without a name;
none:       there is no row at all.

The repository already leaves unpublished responses out; this writer drops them again, so no
caller can leak one by passing the wrong rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.web.i18n import gettext as _
from consultations.models import CATEGORY_LABELS, Publication


@dataclass(frozen=True)
class QuestionColumn:
    id: int
    prompt: str


@dataclass
class Contribution:
    publication: str
    category: str
    name: str | None  # the person's or the organisation's name
    answers: dict[int, str] = field(default_factory=dict)  # question id -> cell text


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str | None) -> str:
    """A spreadsheet never evaluates what a contributor typed."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def contributions_csv(questions: Iterable[QuestionColumn],
                      contributions: Iterable[Contribution]) -> str:
    questions = list(questions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Number"), _("Respondent"), _("Category")]
                    + [cell(q.prompt) for q in questions])
    number = 0
    for item in contributions:
        if item.publication not in (Publication.named, Publication.anonymous):
            continue
        number += 1
        name = item.name if item.publication == Publication.named and item.name else ""
        if item.publication == Publication.anonymous:
            name = _("Anonymous")
        label = CATEGORY_LABELS.get(item.category)
        writer.writerow([str(number), cell(name), _(label) if label else item.category]
                        + [cell(item.answers.get(q.id, "")) for q in questions])
    return out.getvalue()
