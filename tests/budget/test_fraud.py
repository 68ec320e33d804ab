"""The moderators' fraud tools of a budget cycle: how ballots arrived (per hour, by e-mail
domain, by network), the invalidation of a set of online ballots with every counter exact
afterwards, the voters told and free to vote again, the public record and the audit entry;
the network hashes forgotten after the retention; a property test that any sequence of
ballots, changes and invalidations keeps every counter equal to its rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from app import clock as app_clock
from app.audit.models import AuditEntry
from app.deliberation.networks import network_hash
from app.exceptions import Conflict, Forbidden, InvalidInput
from app.notifications.models import Message
from budget import fraud
from budget import repository as repo
from budget.ballots import cast_ballot, my_ballot, record_paper_ballot
from budget.models import (
    BallotInvalidationCreate,
    BudgetBallot,
    BudgetBallotChoice,
    BudgetBallotInvalidation,
    BudgetCycle,
    BudgetProject,
    Phase,
)
from budget.results import publish_results
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_community, make_moderator, make_official, make_resident

REASON = "Бюлетені з одного скрипта: однакові адреси й мережа."


def invalidation(**kw) -> BallotInvalidationCreate:
    return BallotInvalidationCreate(reason=kw.pop("reason", REASON), **kw)


def exact(db, cycle_id: int) -> bool:
    """Every counter of the cycle equals its rows: the ballot count, each project's votes and
    score."""
    db.expire_all()
    cycle = db.get(BudgetCycle, cycle_id)
    rows = db.exec(select(func.count()).select_from(BudgetBallot)
                   .where(BudgetBallot.cycle_id == cycle_id)).one()
    if cycle.ballot_count != rows:
        return False
    tallies = defaultdict(lambda: (0, 0))
    for project_id, points in db.exec(
            select(BudgetBallotChoice.project_id, BudgetBallotChoice.points)
            .join(BudgetBallot, BudgetBallot.id == BudgetBallotChoice.ballot_id)
            .where(BudgetBallot.cycle_id == cycle_id)):
        votes, score = tallies[project_id]
        tallies[project_id] = (votes + 1, score + points)
    projects = db.exec(select(BudgetProject).where(BudgetProject.cycle_id == cycle_id)).all()
    return all((p.vote_count, p.score) == tallies[p.id] for p in projects)


def actions(db, cycle_id: int) -> list[str]:
    return list(db.exec(select(AuditEntry.action).where(
        AuditEntry.subject_type == repo.CYCLE_SUBJECT, AuditEntry.subject_id == cycle_id)))


@pytest.fixture
def place(db):
    return make_community(db, rules_override={
        "budget": {"voting_method": "approval", "max_choices": 3},
        "deliberation": {"burst_minimum": 4, "burst_factor": 3}})


def test_invalidating_a_domain_drops_every_count_exactly_and_tells_the_voters(db, clock,
                                                                              place):
    cycle, (a, b, c) = make_voting_cycle(db, place, clock, [(0, 10_000)] * 3)
    moderator = make_moderator(db, place)
    bots = [make_resident(db, place, email=f"bot{i}@spam.example") for i in range(3)]
    people = [make_resident(db, place) for _ in range(2)]
    for voter in bots:
        cast_ballot(db, voter, cycle, [a.id, b.id], client_address="203.0.113.5")
    for voter in people:
        cast_ballot(db, voter, cycle, [b.id, c.id], client_address="198.51.100.1")
    assert exact(db, cycle.id) and db.get(BudgetProject, a.id).vote_count == 3
    done = fraud.invalidate(db, moderator, cycle, invalidation(email_domain="@SPAM.example"))
    assert done.invalidation.count == 3 and done.cycle.ballot_count == 2
    assert exact(db, cycle.id)
    assert [db.get(BudgetProject, p.id).vote_count for p in (a, b, c)] == [0, 2, 2]
    assert "budget.ballots_invalidated" in actions(db, cycle.id)
    told = db.exec(select(Message).where(Message.user_id == bots[0].id)).all()
    assert any(REASON in m.body and "/ballot" in m.body for m in told)
    assert db.exec(select(Message).where(Message.user_id == people[0].id)).all() == []
    assert my_ballot(db, bots[0], cycle)[0] is None
    cast_ballot(db, bots[0], cycle, [c.id])  # they may vote again to confirm
    assert exact(db, cycle.id) and db.get(BudgetCycle, cycle.id).ballot_count == 3
    record = fraud.public_invalidations(db, cycle)
    assert [(r.count, r.reason) for r in record] == [(3, REASON)]


def test_invalidating_a_network_or_a_time_window(db, clock, place):
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000)] * 2)
    moderator = make_moderator(db, place)
    for _ in range(2):
        cast_ballot(db, make_resident(db, place), cycle, [a.id], client_address="203.0.113.7")
    cast_ballot(db, make_resident(db, place), cycle, [b.id], client_address="198.51.100.1")
    clock.advance(hours=2)
    later = app_clock.now()
    cast_ballot(db, make_resident(db, place), cycle, [a.id, b.id],
                client_address="2001:db8::1")
    done = fraud.invalidate(db, moderator, cycle,
                            invalidation(network=network_hash("203.0.113.200")))  # same /24
    assert done.invalidation.count == 2 and exact(db, cycle.id)
    fraud.invalidate(db, moderator, cycle, invalidation(
        cast_from=later - timedelta(minutes=1), cast_until=later + timedelta(minutes=1)))
    assert db.get(BudgetCycle, cycle.id).ballot_count == 1 and exact(db, cycle.id)
    assert db.get(BudgetProject, b.id).vote_count == 1
    assert db.get(BudgetProject, a.id).vote_count == 0


def test_a_changed_ballot_is_invalidated_with_its_current_choices(db, clock, place):
    cycle, (a, b, c) = make_voting_cycle(db, place, clock, [(0, 10_000)] * 3)
    moderator = make_moderator(db, place)
    bot = make_resident(db, place, email="one@spam.example")
    cast_ballot(db, bot, cycle, [a.id, b.id])
    cast_ballot(db, bot, cycle, [c.id])  # changed: a and b no longer counted
    cast_ballot(db, make_resident(db, place), cycle, [a.id])
    fraud.invalidate(db, moderator, cycle, invalidation(email_domain="spam.example"))
    assert exact(db, cycle.id)
    assert [db.get(BudgetProject, p.id).vote_count for p in (a, b, c)] == [1, 0, 0]


def test_a_filter_that_matches_nothing_or_everything_writes_nothing(db, clock, place):
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    moderator = make_moderator(db, place)
    for _ in range(2):
        cast_ballot(db, make_resident(db, place), cycle, [a.id])
    for bad in (invalidation(email_domain="nobody.example"), invalidation(),
                invalidation(email_domain="example.org"),  # every factory voter's domain
                invalidation(email_domain="not a domain"),
                BallotInvalidationCreate.model_construct(  # as the form passes it on
                    network="0" * 31 + "g", email_domain=None, cast_from=None,
                    cast_until=None, reason=REASON),
                invalidation(email_domain="example.org", reason="short"),
                invalidation(cast_from=app_clock.now(),
                             cast_until=app_clock.now() - timedelta(hours=1))):
        with pytest.raises(InvalidInput):
            fraud.invalidate(db, moderator, cycle, bad)
    assert db.get(BudgetCycle, cycle.id).ballot_count == 2 and exact(db, cycle.id)
    assert db.exec(select(BudgetBallotInvalidation)).all() == []


def test_paper_ballots_are_never_matched(db, clock, place):
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    official, moderator = make_official(db, place), make_moderator(db, place)
    start = app_clock.now()
    cast_ballot(db, make_resident(db, place, email="x@spam.example"), cycle, [a.id])
    record_paper_ballot(db, official, cycle, projects_in=[a.id],
                        voter_email=make_resident(db, place, email="y@spam.example").email)
    cast_ballot(db, make_resident(db, place), cycle, [a.id])
    done = fraud.invalidate(db, moderator, cycle, invalidation(email_domain="spam.example"))
    assert done.invalidation.count == 1 and exact(db, cycle.id)
    # A window over the whole vote takes the online ballot only: the paper one stays.
    again = fraud.invalidate(db, moderator, cycle, invalidation(cast_from=start))
    assert again.invalidation.count == 1 and exact(db, cycle.id)
    left = repo.ballots(db, cycle.id)
    assert [b.source for b in left] == ["paper"]


def test_when_and_who(db, clock, place):
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000)] * 2)
    moderator, official = make_moderator(db, place), make_official(db, place)
    cast_ballot(db, make_resident(db, place, email="v@spam.example"), cycle, [a.id])
    cast_ballot(db, make_resident(db, place), cycle, [b.id])
    other = make_moderator(db, make_community(db))
    for person in (make_resident(db, place), official, other):
        with pytest.raises(Forbidden):
            fraud.invalidate(db, person, cycle, invalidation(email_domain="spam.example"))
        with pytest.raises(Forbidden):
            fraud.arrivals(db, person, cycle)
    to_phase(clock, cycle, Phase.results)  # counting: still allowed, nobody may vote again
    done = fraud.invalidate(db, moderator, cycle, invalidation(email_domain="spam.example"))
    told = db.exec(select(Message).where(Message.body.contains(REASON))).all()
    assert told and all("/ballot" not in m.body for m in told)
    assert done.invalidation.count == 1 and exact(db, cycle.id)
    publish_results(db, official, cycle)
    with pytest.raises(Conflict):  # published results are final
        fraud.invalidate(db, moderator, cycle, invalidation(cast_from=app_clock.now()))


def test_arrivals_per_hour_domain_and_network_with_bursts(db, clock, place):
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    moderator = make_moderator(db, place)
    for _hour in range(3):
        cast_ballot(db, make_resident(db, place), cycle, [a.id], client_address="192.0.2.1")
        clock.advance(hours=1)
    for i in range(6):
        cast_ballot(db, make_resident(db, place, email=f"b{i}@burst.example"), cycle, [a.id],
                    client_address="198.51.100.9")
    seen = fraud.arrivals(db, moderator, cycle)
    assert [h.count for h in seen.hours] == [1, 1, 1, 6]
    assert [h.burst for h in seen.hours] == [False, False, False, True]
    assert seen.domains[0] == ("burst.example", 6)
    assert seen.networks[0] == (network_hash("198.51.100.1"), 6)
    assert seen.networks[1] == (network_hash("192.0.2.77"), 3)


def test_network_hashes_are_dropped_after_the_retention(db, clock, place):
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    cast_ballot(db, make_resident(db, place), cycle, [a.id], client_address="192.0.2.1")
    assert repo.ballot_networks(db, cycle.id) != []
    clock.advance(days=89)
    fraud.forget_networks(db)
    assert repo.ballot_networks(db, cycle.id) != []  # within the retention (90 days)
    clock.advance(days=2)
    assert fraud.forget_networks(db) >= 1
    assert repo.ballot_networks(db, cycle.id) == []


# -- the property -----------------------------------------------------------------------------

VOTERS = 6
act = st.one_of(
    st.tuples(st.just("vote"), st.integers(0, VOTERS - 1), st.integers(1, 7)),
    st.tuples(st.just("domain"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("network"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("window"), st.integers(0, 5), st.just(0)),
)


def test_any_sequence_keeps_every_counter_equal_to_its_rows(db, clock):
    place = make_community(db, rules_override={
        "budget": {"voting_method": "cumulative", "cumulative_points": 9, "max_choices": 3}})
    moderator = make_moderator(db, place)
    voters = [make_resident(db, place, email=f"v{i}@d{i % 2}.example") for i in range(VOTERS)]
    seen = {"invalidated": 0, "refused": 0}
    cycle, projects = make_voting_cycle(db, place, clock, [(0, 10_000)] * 3)
    start = app_clock.now()

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.lists(act, min_size=1, max_size=12))
    # Always among the examples: a vote, a change, an invalidation of one of two ballots and
    # a refused one (so the final assertion never depends on what was drawn).
    @example([("vote", 0, 3), ("vote", 1, 5), ("vote", 0, 6), ("domain", 0, 0),
              ("domain", 1, 0)])
    def run(acts):
        clock.set(start)
        ids = [b.id for b in repo.ballots(db, cycle.id)]  # a fresh start for each example
        totals = repo.choice_totals(db, ids)
        repo.delete_ballots(db, ids)
        repo.bump_projects(db, {p: (-votes, -points) for p, (votes, points) in totals.items()})
        repo.bump_ballot_count(db, cycle, -len(ids))
        times = []
        for kind, n, mask in acts:
            clock.advance(minutes=1)
            times.append(app_clock.now())
            try:
                if kind == "vote":
                    chosen = [p for i, p in enumerate(projects) if mask & (1 << i)]
                    cast_ballot(db, voters[n], cycle,
                                points_in={p.id: 1 + (n + p.id) % 3 for p in chosen},
                                client_address=f"10.0.{n % 2}.{n}")
                else:
                    data = {"domain": {"email_domain": f"d{n}.example"},
                            "network": {"network": network_hash(f"10.0.{n}.1")},
                            "window": {"cast_from": times[min(n, len(times) - 1)]}}[kind]
                    fraud.invalidate(db, moderator, cycle, invalidation(**data))
                    seen["invalidated"] += 1
            except (Conflict, Forbidden, InvalidInput):
                seen["refused"] += 1
            assert exact(db, cycle.id), (kind, n, mask)

    run()
    assert seen["invalidated"] and seen["refused"]


# -- through the API and the pages --------------------------------------------------------------

def test_the_api_invalidates_and_answers_bad_input_with_a_clear_4xx(db, clock, client, place):
    from tests.budget.test_api import bearer

    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000)] * 2)
    moderator = make_moderator(db, place)
    for i in range(2):
        cast_ballot(db, make_resident(db, place, email=f"api{i}@spam.example"), cycle, [a.id],
                    client_address="203.0.113.4")
    cast_ballot(db, make_resident(db, place), cycle, [b.id], client_address="198.51.100.4")
    headers = bearer(db, moderator)
    url = f"/api/v1/budgets/{cycle.id}/ballots/invalidations"
    seen = client.get(f"/api/v1/budgets/{cycle.id}/arrivals", headers=headers).json()
    assert {"network": network_hash("203.0.113.4"), "count": 2} in seen["networks"]
    for body, field in (({"reason": REASON}, "email_domain"),
                        ({"email_domain": "nobody.example", "reason": REASON}, "email_domain"),
                        ({"cast_from": "2000-01-01T00:00:00Z", "reason": REASON},
                         "всі бюлетені"),  # in the user's language
                        ({"email_domain": "spam.example", "reason": "short"}, "reason"),
                        ({"network": "not-a-hash", "reason": REASON}, "network"),
                        ({"cast_from": "yesterday", "reason": REASON}, "cast_from"),
                        ({"email_domain": "spam.example", "reason": REASON, "x": 1}, "x")):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text
    assert db.get(BudgetCycle, cycle.id).ballot_count == 3
    response = client.post(url, json={"network": network_hash("203.0.113.99"),
                                      "reason": REASON}, headers=headers)
    assert response.status_code == 201
    assert response.json() == {"cycle_id": cycle.id, "invalidated": 2, "ballot_count": 1}
    assert exact(db, cycle.id)
    public = client.get(f"/api/v1/budgets/{cycle.id}").json()["ballot_invalidations"]
    assert [(i["count"], i["reason"]) for i in public] == [(2, REASON)]
    operation = client.get("/openapi.json").json()["paths"][
        "/api/v1/budgets/{cycle_id}/ballots/invalidations"]["post"]
    assert {"201", "403", "409", "422"} <= set(operation["responses"])


def test_the_form_works_without_javascript(db, clock, client, place):
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    moderator = make_moderator(db, place)
    for i in range(2):
        cast_ballot(db, make_resident(db, place, email=f"form{i}@spam.example"), cycle, [a.id])
    cast_ballot(db, make_resident(db, place), cycle, [a.id])
    db.commit()
    client.login(moderator)
    page = client.get(f"/budget/{cycle.id}/arrivals?domain=spam.example")
    assert page.status_code == 200 and 'value="spam.example"' in page.text
    url = f"/budget/{cycle.id}/invalidations"
    refused = client.post(url, data={"email_domain": "spam.example", "reason": "short",
                                     "cast_from": "not a date", "csrf_token": client.csrf()})
    assert refused.status_code == 422 and 'name="reason"' in refused.text
    assert db.get(BudgetCycle, cycle.id).ballot_count == 3
    done = client.post(url, data={"email_domain": "spam.example", "reason": REASON,
                                  "csrf_token": client.csrf()}, follow_redirects=False)
    assert done.status_code == 303 and "done=invalidated&n=2" in done.headers["location"]
    db.expire_all()
    assert db.get(BudgetCycle, cycle.id).ballot_count == 1 and exact(db, cycle.id)
    shown = client.get(done.headers["location"] + "&lang=en").text
    assert "Ballots invalidated: 2" in shown
    cycle_page = client.get(f"/budget/{cycle.id}?lang=uk").text
    assert REASON in cycle_page
