"""The budget service: cycles, phases, projects, review, ballots, results, implementation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app import clock as app_clock
from app.accountability import service as accountability
from app.accountability.models import ObligationStatus
from app.audit.models import AuditEntry
from app.exceptions import Conflict, Forbidden, InvalidInput, NotAuthenticated
from app.notifications.models import Message
from budget import repository as repo
from budget.ballot_check import BallotRejected, preview_ballot
from budget.ballots import cast_ballot, my_ballot, record_paper_ballot
from budget.cycles import categories, create_cycle, move_date, phase_changes
from budget.exports import anonymous_ballots
from budget.implementation import implementation_obligation, post_progress, updates
from budget.models import (
    BudgetBallot,
    BudgetBallotChoice,
    ImplementationStatus,
    Phase,
    ProgressCreate,
    ProjectCreate,
    ProjectStatus,
    ReviewCreate,
)
from budget.pabulib.exchange import export_pabulib
from budget.phases import phase_of, to_day
from budget.privacy import erase_user, personal_data, purge
from budget.projects import (
    ballot_projects,
    edit_project,
    follow,
    is_following,
    list_projects,
    submit_project,
)
from budget.results import compute_results, publish_results, results_for_display, stored_results
from budget.review import open_due_review_obligations, review_due, review_project, review_state
from tests.budget.factories import (
    DESCRIPTION,
    cycle_data,
    make_cycle,
    make_project,
    make_voting_cycle,
    review_all,
    to_phase,
)
from tests.factories import (
    make_admin,
    make_community,
    make_official,
    make_resident,
    make_user,
)


def actions(db, prefix: str = "budget.") -> list[str]:
    return [e.action for e in db.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
            if e.action.startswith(prefix)]


def counters(db, cycle) -> dict[int, tuple[int, int]]:
    db.expire_all()
    return {p.id: (p.vote_count, p.score) for p in list_projects(db, cycle)}


def recount(db, cycle) -> dict[int, tuple[int, int]]:
    """The counters recomputed from the ballot rows (what the stored ones must equal)."""
    out = {p.id: (0, 0) for p in list_projects(db, cycle)}
    for _ballot, project_id, points, _rank in repo.cycle_choices(db, cycle.id):
        votes, score = out[project_id]
        out[project_id] = (votes + 1, score + points)
    return out


# -- cycles and phases ----------------------------------------------------------------------

def test_a_cycle_follows_its_dates(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place, categories=[("Малі проєкти", 200_000),
                                              ("Великі проєкти", 800_000)])
    assert [c.name for c in categories(db, cycle)] == ["Малі проєкти", "Великі проєкти"]
    assert cycle.ruleset_id == place.rules.id
    assert phase_of(cycle) == Phase.submission
    # A phase opens at the start of its local day and closes at the end of its last day.
    last_day = app_clock.aware(cycle.submission_end) - timedelta(seconds=1)
    assert phase_of(cycle, last_day) == Phase.submission
    assert phase_of(cycle, app_clock.aware(cycle.submission_end)) == Phase.review
    assert phase_of(cycle, app_clock.aware(cycle.voting_start)) == Phase.voting
    assert phase_of(cycle, app_clock.aware(cycle.voting_end)) == Phase.results
    assert phase_of(cycle, app_clock.aware(cycle.submission_start)
                            - timedelta(seconds=1)) == Phase.upcoming
    assert to_day("voting_end", cycle.voting_end) == app_clock.today() + timedelta(29)
    assert "budget.cycle_created" in actions(db)


def test_without_categories_the_whole_fund_is_one_pool(db, clock):
    cycle = make_cycle(db, make_community(db), total_funds=750_000)
    (pool,) = categories(db, cycle)
    assert pool.funds == 750_000 and pool.name == ""


@pytest.mark.parametrize("change, field", [
    ({"submission_end": date(2026, 3, 1)}, "submission_end"),
    ({"voting_start": date(2026, 3, 12)}, "voting_start"),
    ({"results_at": date(2026, 3, 25)}, "results_at"),
])
def test_dates_out_of_order_are_refused(db, clock, change, field):
    place = make_community(db)
    with pytest.raises(InvalidInput) as caught:
        create_cycle(db, make_admin(db), cycle_data(place, **change))
    assert field in caught.value.fields


def test_categories_cannot_exceed_the_total(db, clock):
    place = make_community(db)
    with pytest.raises(InvalidInput):
        create_cycle(db, make_admin(db), cycle_data(
            place, categories=[("A", 600_000), ("B", 600_000)], total_funds=1_000_000))
    with pytest.raises(InvalidInput):
        create_cycle(db, make_admin(db), cycle_data(
            place, categories=[("Парки", 1), ("парки", 1)], total_funds=10))


def test_only_staff_create_cycles(db, clock):
    place = make_community(db)
    with pytest.raises(Forbidden):
        create_cycle(db, make_resident(db, place), cycle_data(place))
    other = make_community(db)
    with pytest.raises(Forbidden):
        create_cycle(db, make_official(db, other), cycle_data(place))
    assert create_cycle(db, make_official(db, place), cycle_data(place)).id


def test_a_moved_date_is_recorded_and_changes_the_phase(db, clock):
    place = make_community(db)
    admin = make_admin(db)
    cycle = make_cycle(db, place, admin=admin)
    to_phase(clock, cycle, Phase.voting)
    old_end = app_clock.aware(cycle.voting_end)
    new_day = to_day("voting_end", cycle.voting_end) + timedelta(days=7)
    with pytest.raises(InvalidInput):  # past the announcement of the results: out of order
        move_date(db, admin, cycle, "voting_end", new_day, "Продовжено")
    move_date(db, admin, cycle, "results_at", new_day + timedelta(days=2),
                      "Голосування продовжено")
    change = move_date(db, admin, cycle, "voting_end", new_day,
                               "Продовжено через відключення світла")
    assert app_clock.aware(change.old) == old_end
    assert to_day("voting_end", cycle.voting_end) == new_day
    clock.set(old_end + timedelta(hours=1))
    assert phase_of(cycle) == Phase.voting
    first, recorded = phase_changes(db, cycle)
    assert (first.field, recorded.field) == ("results_at", "voting_end")
    assert recorded.reason == "Продовжено через відключення світла"
    assert "budget.date_moved" in actions(db)


def test_past_dates_do_not_move_and_order_is_kept(db, clock):
    place = make_community(db)
    admin = make_admin(db)
    cycle = make_cycle(db, place, admin=admin)
    to_phase(clock, cycle, Phase.review)
    with pytest.raises(Conflict):  # submission closed already: history is not rewritten
        move_date(db, admin, cycle, "submission_end", app_clock.today()
                          + timedelta(days=3), "спроба")
    with pytest.raises(InvalidInput):  # voting cannot open after it closes
        move_date(db, admin, cycle, "voting_start", app_clock.today()
                          + timedelta(days=40), "пізніше")
    with pytest.raises(InvalidInput):
        move_date(db, admin, cycle, "voting_end", app_clock.today()
                          + timedelta(days=40), "")
    with pytest.raises(Forbidden):
        move_date(db, make_resident(db, place), cycle, "voting_end",
                          app_clock.today() + timedelta(days=40), "хочу")
    assert phase_changes(db, cycle) == []


# -- projects -------------------------------------------------------------------------------

def test_residents_submit_and_edit_until_submission_closes(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    author = make_resident(db, place)
    project = make_project(db, place, cycle, author=author, cost=20_000)
    assert project.status == ProjectStatus.submitted
    assert is_following(db, author, project)
    data = ProjectCreate(category_id=project.category_id, title="Оновлена назва проєкту",
                         description=DESCRIPTION, cost=30_000)
    edit_project(db, author, cycle, project, data)
    assert project.cost == 30_000 and project.title == "Оновлена назва проєкту"
    with pytest.raises(Forbidden):
        edit_project(db, make_resident(db, place), cycle, project, data)
    to_phase(clock, cycle, Phase.review)
    with pytest.raises(Conflict):
        edit_project(db, author, cycle, project, data)
    with pytest.raises(Conflict):
        make_project(db, place, cycle, author=author)


@pytest.mark.parametrize("cost", [999, 500_001, 0])
def test_a_project_outside_the_cost_limits_is_refused(db, clock, cost):
    place = make_community(db)  # rules: 1 000 to 500 000
    cycle = make_cycle(db, place)
    with pytest.raises(InvalidInput) as caught:
        make_project(db, place, cycle, cost=cost)
    assert "cost" in caught.value.fields
    assert list_projects(db, cycle) == []


def test_a_project_over_its_category_funds_is_refused(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place, categories=[("Малі", 50_000), ("Великі", 450_000)])
    small = categories(db, cycle)[0]
    with pytest.raises(InvalidInput) as caught:
        make_project(db, place, cycle, category=small, cost=60_000)
    assert caught.value.params == {"funds": 50_000}


def test_only_verified_residents_submit(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    with pytest.raises(Forbidden):
        make_project(db, place, cycle, author=make_user(db))
    with pytest.raises(NotAuthenticated):
        submit_project(db, None, cycle, ProjectCreate(
            category_id=categories(db, cycle)[0].id, title="Анонімний проєкт",
            description=DESCRIPTION, cost=5000))


# -- review ---------------------------------------------------------------------------------

def test_review_is_an_obligation_from_the_close_of_submission(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    author = make_resident(db, place)
    good = make_project(db, place, cycle, author=author, cost=10_000)
    bad = make_project(db, place, cycle, cost=20_000)
    assert review_state(db, cycle).due_at is None
    to_phase(clock, cycle, Phase.review)
    # Computed on read before anything is recorded ...
    state = review_state(db, cycle)
    assert state.obligation is None and state.status == ObligationStatus.pending
    due = review_due(db, cycle)  # 20 working days after submission closed
    assert state.due_at == due
    # ... and recorded durably by the worker's periodic function.
    assert open_due_review_obligations(db) == 1
    assert open_due_review_obligations(db) == 0
    obligation = review_state(db, cycle).obligation
    assert obligation.kind == "budget_review"
    assert app_clock.aware(obligation.opened_at) == app_clock.aware(cycle.submission_end)
    official = make_official(db, place)
    review_project(db, official, cycle, good, ReviewCreate(
        feasible=True, reason="Можна зробити", revised_cost=12_000))
    assert good.status == ProjectStatus.feasible and good.effective_cost == 12_000
    assert obligation.answered_at is None
    with pytest.raises(InvalidInput):  # not feasible needs a public reason
        review_project(db, official, cycle, bad, ReviewCreate(feasible=False))
    review_project(db, official, cycle, bad, ReviewCreate(
        feasible=False, reason="Ділянка належить державі, а не громаді."))
    assert bad.status == ProjectStatus.unfeasible and bad.revised_cost is None
    db.refresh(obligation)
    assert obligation.answered_at is not None
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time
    sent = db.exec(select(Message).where(Message.user_id == author.id)).all()
    assert any("feasible" in m.subject or "реалізовн" in m.subject for m in sent)
    to_phase(clock, cycle, Phase.voting)
    assert [p.id for p in ballot_projects(db, cycle)] == [good.id]


def test_a_review_left_undone_is_overdue_the_moment_it_is_late(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    make_project(db, place, cycle)
    to_phase(clock, cycle, Phase.review)
    clock.set(review_due(db, cycle) + timedelta(minutes=1))
    assert review_state(db, cycle).status == ObligationStatus.overdue


def test_a_cycle_without_projects_has_nothing_to_review(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    to_phase(clock, cycle, Phase.review)
    open_due_review_obligations(db)
    assert review_state(db, cycle).status == ObligationStatus.answered_on_time


def test_revised_cost_cannot_exceed_the_category(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place, categories=[("Малі", 50_000)], total_funds=50_000)
    project = make_project(db, place, cycle, cost=40_000)
    to_phase(clock, cycle, Phase.review)
    with pytest.raises(InvalidInput):
        review_project(db, make_official(db, place), cycle, project, ReviewCreate(
            feasible=True, reason="", revised_cost=60_000))
    assert project.status == ProjectStatus.submitted


# -- ballots --------------------------------------------------------------------------------

def test_approval_ballot_is_one_per_resident_and_changeable(db, clock):
    place = make_community(db)  # approval, at most 3
    cycle, (a, b, c, d) = make_voting_cycle(db, place, clock, [(0, 10_000)] * 4)
    voter = make_resident(db, place)
    first = cast_ballot(db, voter, cycle, [a.id, b.id])
    assert counters(db, cycle) == {a.id: (1, 1), b.id: (1, 1), c.id: (0, 0), d.id: (0, 0)}
    second = cast_ballot(db, voter, cycle, [b.id, c.id, d.id])
    assert second.id == first.id
    assert counters(db, cycle) == {a.id: (0, 0), b.id: (1, 1), c.id: (1, 1), d.id: (1, 1)}
    assert counters(db, cycle) == recount(db, cycle)
    assert cycle.ballot_count == 1
    assert my_ballot(db, voter, cycle)[1] == {b.id: 1, c.id: 1, d.id: 1}
    assert actions(db)[-2:] == ["budget.ballot_cast", "budget.ballot_changed"]


def test_an_over_k_ballot_is_refused_and_nothing_is_written(db, clock):
    place = make_community(db)
    cycle, projects = make_voting_cycle(db, place, clock, [(0, 10_000)] * 4)
    voter = make_resident(db, place)
    with pytest.raises(BallotRejected) as caught:
        cast_ballot(db, voter, cycle, [p.id for p in projects])
    assert caught.value.message == "You may choose at most {max} projects."
    assert caught.value.params == {"max": 3}
    assert db.exec(select(BudgetBallot)).all() == []
    assert cycle.ballot_count == 0


def test_max_choices_per_category(db, clock):
    place = make_community(db, rules_override={"budget": {"max_choices": 1,
                                                          "max_choices_per_category": True}})
    cycle, (a, b, c) = make_voting_cycle(db, place, clock, [(0, 10_000), (1, 10_000),
                                                            (1, 20_000)],
                                         categories=[("Малі", 100_000), ("Великі", 100_000)])
    voter = make_resident(db, place)
    cast_ballot(db, voter, cycle, [a.id, b.id])
    with pytest.raises(BallotRejected) as caught:
        cast_ballot(db, voter, cycle, [a.id, b.id, c.id])
    assert caught.value.params == {"max": 1, "category": "Великі"}


def test_knapsack_ballot_stays_within_each_categorys_funds(db, clock):
    place = make_community(db, rules_override={"budget": {"voting_method": "knapsack",
                                                          "max_choices": 10}})
    cycle, (a, b, c) = make_voting_cycle(
        db, place, clock, [(0, 60_000), (0, 50_000), (1, 300_000)],
        categories=[("Малі", 100_000), ("Великі", 300_000)])
    voter = make_resident(db, place)
    with pytest.raises(BallotRejected) as caught:
        cast_ballot(db, voter, cycle, [a.id, b.id])
    assert caught.value.params == {"category": "Малі", "cost": 110_000, "funds": 100_000}
    cast_ballot(db, voter, cycle, [a.id, c.id])
    check = preview_ballot(db, cycle, [a.id], None)
    assert [t.remaining for t in check.categories] == [40_000, 300_000]


def test_knapsack_uses_the_revised_cost(db, clock):
    place = make_community(db, rules_override={"budget": {"voting_method": "knapsack"}})
    cycle = make_cycle(db, place, categories=[("Все", 100_000)])
    a = make_project(db, place, cycle, cost=40_000)
    b = make_project(db, place, cycle, cost=40_000)
    to_phase(clock, cycle, Phase.review)
    official = make_official(db, place)
    review_project(db, official, cycle, a, ReviewCreate(feasible=True,
                                                               revised_cost=70_000))
    review_all(db, place, cycle, [b], official=official)
    to_phase(clock, cycle, Phase.voting)
    with pytest.raises(BallotRejected):
        cast_ballot(db, make_resident(db, place), cycle, [a.id, b.id])


def test_cumulative_points(db, clock):
    place = make_community(db, rules_override={"budget": {"voting_method": "cumulative",
                                                          "cumulative_points": 5}})
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000), (0, 20_000)])
    voter = make_resident(db, place)
    with pytest.raises(BallotRejected) as caught:
        cast_ballot(db, voter, cycle, points_in={a.id: 4, b.id: 2})
    assert caught.value.params == {"max": 5, "used": 6}
    with pytest.raises(BallotRejected):
        cast_ballot(db, voter, cycle, points_in={a.id: -1, b.id: 2})
    cast_ballot(db, voter, cycle, points_in={a.id: 3, b.id: 2})
    assert counters(db, cycle) == {a.id: (1, 3), b.id: (1, 2)}
    cast_ballot(db, voter, cycle, points_in={a.id: 5, b.id: 0})
    assert counters(db, cycle) == {a.id: (1, 5), b.id: (0, 0)} == recount(db, cycle)


def test_approval_takes_no_points_and_only_projects_on_the_ballot(db, clock):
    place = make_community(db)
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    voter = make_resident(db, place)
    with pytest.raises(BallotRejected):
        cast_ballot(db, voter, cycle, points_in={a.id: 3})
    with pytest.raises(BallotRejected):
        cast_ballot(db, voter, cycle, [a.id, 999_999])
    with pytest.raises(BallotRejected):
        cast_ballot(db, voter, cycle, [])
    with pytest.raises(BallotRejected):
        cast_ballot(db, voter, cycle, [a.id, a.id])


def test_unfeasible_projects_are_not_on_the_ballot(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    bad = make_project(db, place, cycle)
    to_phase(clock, cycle, Phase.review)
    review_all(db, place, cycle, [bad], feasible=False)
    to_phase(clock, cycle, Phase.voting)
    with pytest.raises(BallotRejected) as caught:
        cast_ballot(db, make_resident(db, place), cycle, [bad.id])
    assert caught.value.message == "Project {project} is not on this ballot."


def test_votes_outside_the_voting_phase_are_refused(db, clock):
    place = make_community(db)
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    voter = make_resident(db, place)
    to_phase(clock, cycle, Phase.results)
    with pytest.raises(Conflict):
        cast_ballot(db, voter, cycle, [a.id])
    assert cycle.ballot_count == 0


@pytest.mark.parametrize("who", ["unverified", "young", "outsider", "no_birth_date"])
def test_ineligible_voters_are_refused(db, clock, who):
    place = make_community(db)  # minimum age 16
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    voter = {
        "unverified": lambda: make_user(db),
        "young": lambda: make_resident(db, place, birth_date=app_clock.today()
                                       - timedelta(days=365 * 15)),
        "outsider": lambda: make_resident(db, make_community(db)),
        "no_birth_date": lambda: make_resident(db, place, birth_date=None),
    }[who]()
    with pytest.raises(Forbidden):
        cast_ballot(db, voter, cycle, [a.id])
    assert db.exec(select(BudgetBallot)).all() == []


def test_paper_ballots_are_deduplicated_against_online_ones(db, clock):
    place = make_community(db)
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000), (0, 10_000)])
    official = make_official(db, place)
    online = make_resident(db, place)
    cast_ballot(db, online, cycle, [a.id])
    with pytest.raises(Conflict):
        record_paper_ballot(db, official, cycle, projects_in=[b.id],
                                    voter_email=online.email)
    registered = make_resident(db, place)
    paper = record_paper_ballot(db, official, cycle, projects_in=[b.id],
                                        voter_email=registered.email.upper())
    assert paper.voter_user_id == registered.id and paper.source == "paper"
    with pytest.raises(Conflict):  # and the resident cannot vote again online
        cast_ballot(db, registered, cycle, [a.id])
    born = app_clock.today() - timedelta(days=365 * 40)
    record_paper_ballot(db, official, cycle, projects_in=[a.id, b.id],
                                identity_document="КВ 123456", birth_date=born)
    with pytest.raises(Conflict):
        record_paper_ballot(db, official, cycle, projects_in=[a.id],
                                    identity_document="кв-123456", birth_date=born)
    with pytest.raises(Forbidden):
        record_paper_ballot(db, official, cycle, projects_in=[a.id],
                                    identity_document="АА 000001",
                                    birth_date=app_clock.today() - timedelta(days=365 * 10))
    with pytest.raises(InvalidInput):
        record_paper_ballot(db, official, cycle, projects_in=[a.id])
    with pytest.raises(Forbidden):
        record_paper_ballot(db, make_resident(db, place), cycle, projects_in=[a.id],
                                    identity_document="ВВ 777777", birth_date=born)
    assert cycle.ballot_count == 3
    assert counters(db, cycle) == {a.id: (2, 2), b.id: (2, 2)} == recount(db, cycle)
    stored = db.exec(select(BudgetBallot).where(BudgetBallot.paper_identity_hash.is_not(None))
                     ).one()
    assert "123456" not in stored.paper_identity_hash


# -- results --------------------------------------------------------------------------------

def _vote(db, place, cycle, ballots):
    for choice in ballots:
        cast_ballot(db, make_resident(db, place), cycle, [p.id for p in choice])


def test_greedy_results_per_category_and_publication(db, clock):
    place = make_community(db)
    cycle, (s1, s2, l1, l2, l3) = make_voting_cycle(
        db, place, clock, [(0, 60_000), (0, 50_000), (1, 300_000), (1, 250_000), (1, 100_000)],
        categories=[("Малі", 100_000), ("Великі", 400_000)])
    author = list_projects(db, cycle)[2].author_id
    _vote(db, place, cycle, [[s1, l1], [s1, l2, l3], [s2, l1], [s1, l2], [l2]])
    official = make_official(db, place)
    with pytest.raises(Conflict):  # voting still open
        publish_results(db, official, cycle)
    to_phase(clock, cycle, Phase.results)
    provisional = results_for_display(db, cycle)
    assert not provisional.published
    small, large = provisional.categories
    assert [r.project.id for r in small.winners] == [s1.id]  # s2 no longer fits
    # l2 (3 votes) first, then l1 (2) does not fit, l3 (1) does: greedy skips
    assert [r.project.id for r in large.winners] == [l2.id, l3.id]
    assert large.spent == 350_000 and large.remaining == 50_000
    with pytest.raises(Forbidden):
        publish_results(db, make_resident(db, place), cycle)
    results = publish_results(db, official, cycle)
    assert results.published and phase_of(cycle) == Phase.implementation
    db.expire_all()
    statuses = {p.id: p.status for p in list_projects(db, cycle)}
    assert statuses == {s1.id: "selected", s2.id: "not_selected", l1.id: "not_selected",
                        l2.id: "selected", l3.id: "selected"}
    for winner in (s1, l2, l3):
        obligation = implementation_obligation(db, winner)
        assert obligation.kind == "budget_implementation"
        assert app_clock.aware(obligation.due_at) > app_clock.now() + timedelta(days=360)
    assert implementation_obligation(db, s2) is None
    with pytest.raises(Conflict):
        publish_results(db, official, cycle)
    stored = stored_results(db, cycle)
    assert [r.project.id for c in stored.categories for r in c.winners] == [s1.id, l2.id,
                                                                             l3.id]
    assert db.exec(select(Message).where(Message.user_id == author)).all()
    assert "budget.results_published" in actions(db)


def test_greedy_without_skipping_and_with_a_threshold(db, clock):
    for rule, expected in (("greedy-no-skip", [0]), ("greedy-threshold", [0, 2])):
        place = make_community(db, rules_override={"budget": {"aggregation": rule,
                                                              "min_vote_threshold": 2}})
        cycle, (a, b, c, d) = make_voting_cycle(
            db, place, clock, [(0, 50_000), (0, 80_000), (0, 20_000), (0, 10_000)],
            categories=[("Все", 100_000)])
        _vote(db, place, cycle, [[a, b, c], [a, b, d], [a, b, c]])
        to_phase(clock, cycle, Phase.results)
        results = compute_results(db, cycle)
        projects = [a, b, c, d]
        assert {r.project.id for r in results.categories[0].winners} == {
            projects[i].id for i in expected}, rule
        clock.set(app_clock.aware(cycle.submission_start))


def test_equal_shares_compares_with_greedy(db, clock):
    place = make_community(db, rules_override={"budget": {"aggregation": "equal-shares"}})
    # A majority of 6 wants three expensive projects; a minority of 4 one cheap project.
    cycle, (x, y, z, m) = make_voting_cycle(
        db, place, clock, [(0, 30_000), (0, 30_000), (0, 30_000), (0, 30_000)],
        categories=[("Все", 100_000)])
    _vote(db, place, cycle, [[x, y, z]] * 6 + [[m]] * 4)
    to_phase(clock, cycle, Phase.results)
    results = compute_results(db, cycle)
    category = results.categories[0]
    assert results.compares_with_greedy
    assert {r.project.id for r in category.winners} >= {m.id}
    assert {r.project.id for r in category.projects if r.greedy_selected} == {x.id, y.id, z.id}
    assert category.differs_from_greedy


def test_no_ballots_funds_nothing(db, clock):
    place = make_community(db)
    cycle, _ = make_voting_cycle(db, place, clock, [(0, 10_000)])
    to_phase(clock, cycle, Phase.results)
    assert compute_results(db, cycle).winner_ids() == []


# -- implementation -------------------------------------------------------------------------

def test_progress_notifies_followers_and_delivery_closes_the_obligation(db, clock):
    place = make_community(db)
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    _vote(db, place, cycle, [[a]])
    to_phase(clock, cycle, Phase.results)
    official = make_official(db, place)
    publish_results(db, official, cycle)
    db.refresh(a)
    follower = make_resident(db, place)
    follow(db, follower, a, True)
    post_progress(db, official, cycle, a, ProgressCreate(
        status=ImplementationStatus.in_progress, percent=30, text="Закупівлю оголошено."))
    assert a.implementation_percent == 30
    assert implementation_obligation(db, a).answered_at is None
    with pytest.raises(InvalidInput):
        post_progress(db, official, cycle, a, ProgressCreate(
            status=ImplementationStatus.in_progress, percent=40, text="Майбутнє",
            happened_on=app_clock.today() + timedelta(days=2)))
    with pytest.raises(Forbidden):
        post_progress(db, follower, cycle, a, ProgressCreate(
            status=ImplementationStatus.delivered, percent=100, text="Я все зробив"))
    post_progress(db, official, cycle, a, ProgressCreate(
        status=ImplementationStatus.delivered, percent=90, text="Майданчик відкрито."))
    assert a.implementation_percent == 100
    obligation = implementation_obligation(db, a)
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time
    assert [u.status for u in updates(db, a)] == ["delivered", "in_progress"]
    got = db.exec(select(Message).where(Message.user_id == follower.id)).all()
    assert len(got) == 2
    assert actions(db).count("budget.implementation_update") == 2


def test_a_project_not_selected_gets_no_progress(db, clock):
    place = make_community(db)
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 300_000), (0, 300_000)],
                                      categories=[("Все", 400_000)])
    _vote(db, place, cycle, [[a]])
    to_phase(clock, cycle, Phase.results)
    official = make_official(db, place)
    publish_results(db, official, cycle)
    db.refresh(b)
    with pytest.raises(Conflict):
        post_progress(db, official, cycle, b, ProgressCreate(
            status=ImplementationStatus.in_progress, percent=10, text="Почали"))


def test_exports_wait_for_the_end_of_voting_and_are_anonymous(db, clock):
    place = make_community(db)
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000), (0, 10_000)])
    voters = [make_resident(db, place) for _ in range(3)]
    for voter, choice in zip(voters, [[a], [a, b], [b]], strict=True):
        cast_ballot(db, voter, cycle, [p.id for p in choice])
    with pytest.raises(Conflict):
        anonymous_ballots(db, cycle)
    to_phase(clock, cycle, Phase.results)
    rows = anonymous_ballots(db, cycle)
    assert [n for n, _, _ in rows] == [1, 2, 3]
    assert sorted(len(chosen) for _, _, chosen in rows) == [1, 1, 2]
    text = export_pabulib(db, cycle)
    assert "vote_type;approval" in text and "num_votes;3" in text
    for voter in voters:
        assert voter.email not in text
    choices = db.exec(select(BudgetBallotChoice)).all()
    assert len(choices) == 4


# -- personal data --------------------------------------------------------------------------

def test_personal_data_erasure_and_purge_keep_the_counts(db, clock):
    place = make_community(db)
    cycle = make_cycle(db, place)
    person = make_resident(db, place)
    project = make_project(db, place, cycle, author=person)
    other = make_project(db, place, cycle)
    to_phase(clock, cycle, Phase.review)
    review_all(db, place, cycle, [project, other])
    to_phase(clock, cycle, Phase.voting)
    cast_ballot(db, person, cycle, [project.id, other.id])
    record_paper_ballot(db, make_official(db, place), cycle, projects_in=[other.id],
                                identity_document="КВ 000111",
                                birth_date=date(1980, 1, 1))
    data = personal_data(db, person)
    assert [p["title"] for p in data["projects"]] == [project.title]
    assert data["ballots"][0]["choices"] == {project.id: 1, other.id: 1}

    erase_user(db, person)
    assert my_ballot(db, person, cycle) == (None, {})
    assert personal_data(db, person)["ballots"] == []
    assert counters(db, cycle) == {project.id: (1, 1), other.id: (2, 2)} == recount(db, cycle)

    to_phase(clock, cycle, Phase.results)
    publish_results(db, make_official(db, place), cycle)
    assert purge(db, app_clock.now()) == 0  # within the retention period
    later = app_clock.now() + timedelta(days=400)
    assert purge(db, later) == 1  # the paper ballot's identity hash
    assert db.exec(select(BudgetBallot).where(
        BudgetBallot.paper_identity_hash.is_not(None))).all() == []
    assert counters(db, cycle) == recount(db, cycle)
