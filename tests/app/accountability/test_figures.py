"""The monitoring figures against values computed by hand on the fixed region (conftest.py).

At NOW (Friday 20 March 2026, 12:00 UTC):
  A1 petition, A council:     due end of Tue 17 Mar (10 working days, A's holiday on Wed 4 Mar
                              adds one), answered 17 Mar 22:00 Kyiv -> on time, 15 days,
                              ratings yes 3, partly 1
  A2 petition, A council:     answered 18 Mar -> late, 16 days, ratings partly 1, no 2
  A3 petition, A department:  unanswered, due 17 Mar -> overdue
  A4 budget review, A dept:   due 31 Mar (20 working days) -> pending
  A5 consultation, A council: answered 5 Mar -> on time, 3 days
  A6 implementation, A counc: answered 10 Mar -> on time, 8 days
  B1 petition, B council:     due end of Mon 16 Mar (no holiday in B), answered at the same
                              instant as A1 -> late, 15 days, ratings yes 1, no 1
  B2 petition, B council:     opened 10 Feb, due 24 Feb, unanswered -> overdue (February)
  B3 consultation, B dept:    opened 6 Mar, due end of 20 Mar -> due soon
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from app.accountability import service, stats
from app.accountability.models import Obligation, ObligationStatus
from tests.app.accountability.conftest import NOW, utc


def test_due_dates_follow_working_days_holidays_and_kyiv_midnight(db, region):
    due = {label: db.get(Obligation, i).due_at for label, i in region.ids.items()}
    aware = {k: v if v.tzinfo else v.replace(tzinfo=NOW.tzinfo) for k, v in due.items()}
    assert aware["A1"] == utc(2026, 3, 17, 22)  # Tue 17 Mar ends at 22:00 UTC (UTC+2)
    assert aware["B1"] == utc(2026, 3, 16, 22)  # one working day earlier without the holiday
    assert aware["A4"] == utc(2026, 3, 31, 21)  # summer time from 29 March: UTC+3
    assert aware["A5"] == utc(2026, 3, 16, 22)  # 14 calendar days ignore the holiday
    assert aware["B2"] == utc(2026, 2, 24, 22)
    assert aware["B3"] == utc(2026, 3, 20, 22)


def test_statuses_and_answer_days(db, region):
    got = {label: (service.status_of(db.get(Obligation, i)).value,
                   db.get(Obligation, i).answer_days) for label, i in region.ids.items()}
    assert got == {
        "A1": ("answered_on_time", 15), "A2": ("answered_late", 16), "A3": ("overdue", None),
        "A4": ("pending", None), "A5": ("answered_on_time", 3),
        "A6": ("answered_on_time", 8), "B1": ("answered_late", 15), "B2": ("overdue", None),
        "B3": ("due_soon", None)}


def check(figures, *, opened, on_time, late, overdue, due_soon, response, on_time_rate,
          median, substance, yes=None, partly=None, no=None):
    assert (figures.opened, figures.answered_on_time, figures.answered_late, figures.overdue,
            figures.due_soon) == (opened, on_time, late, overdue, due_soon)
    assert figures.response_rate == response
    assert figures.on_time_rate == on_time_rate
    assert figures.median_days == median
    assert figures.substance_rate == substance
    if yes is not None:
        assert (figures.rating_yes, figures.rating_partly, figures.rating_no) == (yes, partly,
                                                                                  no)


def test_region_figures_by_hand(db, region):
    board = stats.dashboard(db)
    check(board.overall, opened=9, on_time=3, late=2, overdue=2, due_soon=1, response=5 / 7,
          on_time_rate=3 / 5, median=15, substance=4 / 9, yes=4, partly=2, no=3)
    assert board.overall.pending == 1
    tools = dict(board.by_tool)
    assert list(tools) == ["petitions", "budget", "consultations"]
    check(tools["petitions"], opened=5, on_time=1, late=2, overdue=2, due_soon=0,
          response=3 / 5, on_time_rate=1 / 3, median=15, substance=4 / 9)
    check(tools["budget"], opened=2, on_time=1, late=0, overdue=0, due_soon=0, response=1.0,
          on_time_rate=1.0, median=8, substance=None)
    check(tools["consultations"], opened=2, on_time=1, late=0, overdue=0, due_soon=1,
          response=1.0, on_time_rate=1.0, median=3, substance=None)
    kinds = dict(board.by_kind)
    check(kinds["budget_review"], opened=1, on_time=0, late=0, overdue=0, due_soon=0,
          response=None, on_time_rate=None, median=None, substance=None)
    months = dict(board.by_month)
    assert list(months) == [202602, 202603]
    check(months[202602], opened=1, on_time=0, late=0, overdue=1, due_soon=0, response=0.0,
          on_time_rate=None, median=None, substance=None)
    check(months[202603], opened=8, on_time=3, late=2, overdue=1, due_soon=1, response=5 / 6,
          on_time_rate=3 / 5, median=15, substance=4 / 9)
    communities = {r.slug: r for r in board.communities}
    check(communities["alpha"].figures, opened=6, on_time=3, late=1, overdue=1, due_soon=0,
          response=4 / 5, on_time_rate=3 / 4, median=11.5, substance=3 / 7)
    check(communities["beta"].figures, opened=3, on_time=0, late=1, overdue=1, due_soon=1,
          response=1 / 2, on_time_rate=0.0, median=15, substance=1 / 2)
    # The key rules beside the figures.
    assert communities["alpha"].per_1000 == 0.3
    assert communities["beta"].per_1000 == 2.5
    assert communities["alpha"].answer_deadline.days == 10
    # The two authorities with an overdue obligation, most overdue first (a tie: by id).
    assert [r.authority.id for r in board.authorities] == sorted(
        [region.a.department.id, region.b.council.id])


def test_community_and_authority_figures_by_hand(db, region):
    board = stats.dashboard(db, community=region.a.community)
    check(board.overall, opened=6, on_time=3, late=1, overdue=1, due_soon=0, response=4 / 5,
          on_time_rate=3 / 4, median=11.5, substance=3 / 7, yes=3, partly=2, no=2)
    authorities = {r.authority.id: r.figures for r in board.authorities}
    check(authorities[region.a.council.id], opened=4, on_time=3, late=1, overdue=0,
          due_soon=0, response=1.0, on_time_rate=3 / 4, median=11.5, substance=3 / 7)
    check(authorities[region.a.department.id], opened=2, on_time=0, late=0, overdue=1,
          due_soon=0, response=0.0, on_time_rate=None, median=None, substance=None)
    department = stats.for_authority(db, region.b.department.id)
    check(department.overall, opened=1, on_time=0, late=0, overdue=0, due_soon=1,
          response=None, on_time_rate=None, median=None, substance=None)


def test_tool_filter(db, region):
    board = stats.dashboard(db, tool="petitions")
    check(board.overall, opened=5, on_time=1, late=2, overdue=2, due_soon=0, response=3 / 5,
          on_time_rate=1 / 3, median=15, substance=4 / 9)
    assert {k for k, _ in board.by_kind} == {"petition_answer"}
    beta = next(r for r in board.communities if r.slug == "beta")
    check(beta.figures, opened=2, on_time=0, late=1, overdue=1, due_soon=0, response=1 / 2,
          on_time_rate=0.0, median=15, substance=1 / 2)


def test_overdue_the_instant_the_deadline_passes(db, region, clock):
    a3 = db.get(Obligation, region.ids["A3"])
    deadline = utc(2026, 3, 17, 22)
    clock.set(deadline - timedelta(microseconds=1))
    assert service.status_of(a3) == ObligationStatus.due_soon
    before = stats.dashboard(db, community=region.a.community).overall.overdue
    clock.set(deadline)
    assert service.status_of(a3) == ObligationStatus.overdue
    after = stats.dashboard(db, community=region.a.community).overall.overdue
    assert after == before + 1
    rows, total = service.search(db, community_id=region.a.community.id,
                                 status=ObligationStatus.overdue)
    assert [o.id for o in rows] == [a3.id] and total == 1


def test_a_changed_rating_moves_between_counters(db, region):
    a1 = db.get(Obligation, region.ids["A1"])
    service.record_rating(db, a1.kind, a1.subject_type, a1.subject_id, "no", previous="yes")
    overall = stats.dashboard(db).overall
    assert (overall.rating_yes, overall.rating_partly, overall.rating_no) == (3, 2, 4)
    community = stats.dashboard(db, community=region.a.community).overall
    assert (community.rating_yes, community.rating_no) == (2, 3)


@pytest.mark.parametrize(("histogram", "expected"), [
    ({}, None), ({4: 1}, 4), ({1: 1, 9: 1}, 5), ({0: 2, 10: 1}, 0), ({2: 1, 3: 1, 8: 2}, 5.5),
    ({1: 3, 2: 3}, 1.5), ({5: 1000, 6: 1}, 5),
])
def test_median_from_a_histogram(histogram, expected):
    assert stats.median(Counter(histogram)) == expected
    values = sorted(v for v, n in histogram.items() for _ in range(n))
    if values:
        mid = len(values) // 2
        plain = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
        assert plain == expected


def test_the_tallies_agree_with_the_obligations_after_folding(db, region):
    before = stats.as_json(stats.dashboard(db, per_page=None, authorities_limit=None))
    assert service.compact_stats(db) > 0
    assert service.compact_stats(db) == 0  # nothing left to fold
    folded = stats.as_json(stats.dashboard(db, per_page=None, authorities_limit=None))
    service.rebuild_stats(db)
    rebuilt = stats.as_json(stats.dashboard(db, per_page=None, authorities_limit=None))
    assert before == folded == rebuilt


def test_paging_and_sorting_the_comparison(db, region):
    board = stats.dashboard(db, sort="response_rate", per_page=1)
    assert board.pages == 2 and board.communities_total == 2
    assert [r.slug for r in board.communities] == ["beta"]  # 50% before 80%
    assert board.communities[0].figures.median_days == 15  # medians of the page are loaded
    board = stats.dashboard(db, sort="median_days", descending=True, per_page=1, page=2)
    assert [r.slug for r in board.communities] == ["alpha"]
    assert board.communities[0].figures.median_days == 11.5


def test_a_page_sorted_by_name_reads_only_its_communities(db, region):
    full = {r.slug: r.figures.as_dict() for r in stats.dashboard(db).communities}
    first = stats.dashboard(db, per_page=1)
    second = stats.dashboard(db, per_page=1, page=2)
    assert [r.slug for r in first.communities] == ["alpha"]  # Альфа before Бета
    assert [r.slug for r in second.communities] == ["beta"]
    assert first.communities[0].figures.as_dict() == full["alpha"]
    assert second.communities[0].figures.as_dict() == full["beta"]
    assert stats.dashboard(db, per_page=1, page=99).page == 2
