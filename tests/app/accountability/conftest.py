"""Accountability fixtures: the four kinds of obligation, and a fixed, hand-computed region.

The kernel never imports the modules, so the kinds are registered here when no module has
registered them (and removed afterwards); when the modules are installed their own
registrations are used unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from app.accountability import service
from app.accountability.service import ObligationKind
from app.rules import service as rules
from tests.factories import Place, make_community

FOUR_KINDS = [
    ObligationKind("petition_answer", "Answer to a petition", "petitions"),
    ObligationKind("budget_review", "Review of a budget project", "budget"),
    ObligationKind("budget_implementation", "Delivery of a budget project", "budget"),
    ObligationKind("consultation_report", "Report on a consultation", "consultations"),
]


@pytest.fixture
def kinds():
    added = [k for k in FOUR_KINDS if k.code not in service.KINDS]
    for kind in added:
        service.register_kind(kind)
    yield {k.code: service.KINDS[k.code] for k in FOUR_KINDS}
    for kind in added:
        service.KINDS.pop(kind.code, None)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


T0 = utc(2026, 3, 2, 9)  # Monday, 11:00 in Kyiv
NOW = utc(2026, 3, 20, 12)  # Friday, when the figures are read
HOLIDAY = date(2026, 3, 4)  # a day off of community A only


@dataclass
class Region:
    a: Place
    b: Place
    ids: dict[str, int]  # label -> obligation id


def open_(db, place: Place, authority, label: str, kind: str, opened: datetime, n: list[int]):
    rule_set = place.rules.rules
    period = {"petition_answer": rule_set.petitions.answer_deadline,
              "budget_review": rule_set.budget.review_deadline,
              "budget_implementation": rule_set.budget.implementation_deadline,
              "consultation_report": rule_set.consultations.report_deadline}[kind]
    n[0] += 1
    return service.open_obligation(
        db, kind=kind, community_id=place.community.id, authority_id=authority.id,
        subject_type="item", subject_id=n[0], subject_title=f"Item {label}",
        subject_path=f"/items/{n[0]}", period=period, ruleset_id=place.rules.id,
        opened_at=opened)


@pytest.fixture
def region(db, clock, kinds) -> Region:
    """Nine obligations in two communities, every status, ratings, and a holiday in A.

    Hand-computed at NOW (see test_figures.py): A1 (answered on the last day, on time only
    because of A's holiday), A2 late, A3 overdue, A4 pending, A5 and A6 answered early;
    B1 answered at the same instant as A1 but late (no holiday in B), B2 overdue since
    February, B3 due soon.
    """
    clock.set(T0)
    a = make_community(db, slug="alpha", name="Альфа", population=10_000)
    b = make_community(db, slug="beta", name="Бета", population=20_000,
                       rules_override={"petitions": {"threshold": None,
                                                     "threshold_per_1000": 2.5}})
    rules.add_holiday(db, HOLIDAY, "День громади", community_id=a.community.id)
    n = [0]
    o = {}
    o["A1"] = open_(db, a, a.council, "A1", "petition_answer", T0, n)
    o["A2"] = open_(db, a, a.council, "A2", "petition_answer", T0, n)
    o["A3"] = open_(db, a, a.department, "A3", "petition_answer", T0, n)
    o["A4"] = open_(db, a, a.department, "A4", "budget_review", T0, n)
    o["A5"] = open_(db, a, a.council, "A5", "consultation_report", T0, n)
    o["A6"] = open_(db, a, a.council, "A6", "budget_implementation", T0, n)
    o["B1"] = open_(db, b, b.council, "B1", "petition_answer", T0, n)
    o["B2"] = open_(db, b, b.council, "B2", "petition_answer", utc(2026, 2, 10, 9), n)
    o["B3"] = open_(db, b, b.department, "B3", "consultation_report", utc(2026, 3, 6, 9), n)

    def answer(label: str, at: datetime, **ratings: int) -> None:
        ob = o[label]
        clock.set(at)
        service.answer(db, ob.kind, ob.subject_type, ob.subject_id, f"Answer {label}")
        for value, count in ratings.items():
            for _ in range(count):
                service.record_rating(db, ob.kind, ob.subject_type, ob.subject_id, value)

    answer("A5", utc(2026, 3, 5, 10))
    answer("A6", utc(2026, 3, 10, 9))
    answer("A1", utc(2026, 3, 17, 20), yes=3, partly=1)
    answer("B1", utc(2026, 3, 17, 20), yes=1, no=1)
    answer("A2", utc(2026, 3, 18, 8), partly=1, no=2)
    clock.set(NOW)
    return Region(a, b, {label: ob.id for label, ob in o.items()})
