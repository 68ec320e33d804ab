"""The tallies are append-only: concurrent answers and ratings never wait on a shared row, and
folding the deltas loses none of those committed meanwhile (PostgreSQL; SQLite has one writer)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.accountability import service, stats
from app.db import transaction
from app.rules.schema import Period
from tests.factories import make_community


@pytest.fixture
def two_open(iso_engine, kinds, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: there is nothing to wait on")
    with transaction(iso_engine) as session:
        place = make_community(session, slug="conc")
        for n in (1, 2):
            service.open_obligation(
                session, kind="petition_answer", community_id=place.community.id,
                authority_id=place.council.id, subject_type="item", subject_id=n,
                subject_title=f"Item {n}", subject_path=f"/items/{n}",
                period=Period(days=10), ruleset_id=place.rules.id)
    return place


def test_two_answers_of_the_same_month_do_not_wait_for_each_other(iso_engine, two_open):
    with transaction(iso_engine) as first:
        service.answer(first, "petition_answer", "item", 1, "First")
        service.record_rating(first, "petition_answer", "item", 1, "yes")
        # Still uncommitted: a second request answers and rates the other one meanwhile.
        with transaction(iso_engine) as second:
            second.exec(text("SET LOCAL lock_timeout = '2s'"))
            service.answer(second, "petition_answer", "item", 2, "Second")
            service.record_rating(second, "petition_answer", "item", 2, "no")
        # ... and the worker folds the tallies while `first` is still open.
        with transaction(iso_engine) as worker:
            worker.exec(text("SET LOCAL lock_timeout = '2s'"))
            service.compact_stats(worker)
    with transaction(iso_engine) as session:
        service.compact_stats(session)
        board = stats.dashboard(session, per_page=None, authorities_limit=None)
        overall = board.overall
        assert (overall.opened, overall.answered) == (2, 2)
        assert (overall.rating_yes, overall.rating_no) == (1, 1)
        community = stats.dashboard(session, community=two_open.community).overall
        assert community.as_dict() == overall.as_dict()
