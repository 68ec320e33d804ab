"""Every budget permission against every role and every phase."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock as app_clock
from app.exceptions import Conflict, Forbidden, NotAuthenticated
from budget import permissions as perm
from budget.models import BudgetProject, Phase, ProjectStatus
from tests.budget.factories import make_cycle, to_phase
from tests.factories import (
    make_admin,
    make_community,
    make_moderator,
    make_observer,
    make_official,
    make_resident,
    make_user,
)

ROLES = ("anonymous", "unverified", "resident", "young", "outsider", "author", "official",
         "foreign_official", "moderator", "observer", "admin")
PHASES = tuple(Phase)
MINIMUM_AGE = 16


@pytest.fixture
def world(db, clock):
    place = make_community(db)
    other = make_community(db)
    cycle = make_cycle(db, place)
    young = app_clock.today() - timedelta(days=365 * 15)
    people = {
        "anonymous": None,
        "unverified": make_user(db),
        "resident": make_resident(db, place),
        "young": make_resident(db, place, birth_date=young),
        "outsider": make_resident(db, other),
        "author": make_resident(db, place),
        "official": make_official(db, place),
        "foreign_official": make_official(db, other),
        "moderator": make_moderator(db, place),
        "observer": make_observer(db),
        "admin": make_admin(db),
    }
    project = BudgetProject(id=1, cycle_id=cycle.id, category_id=1,
                            author_id=people["author"].id, title="x", cost=1)
    return db, cycle, project, people


def table(expect, run) -> None:
    """Run `run(role, phase)` for every role and phase; all mismatches are reported at once."""
    wrong = []
    for role in ROLES:
        for phase in PHASES:
            got, want = run(role, phase), expect(role, phase)
            if got != want:
                wrong.append(f"{role} in {phase.value}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


def outcome(check, *args) -> str:
    try:
        check(*args)
    except NotAuthenticated:
        return "login"
    except Forbidden:
        return "forbidden"
    except Conflict:
        return "phase"
    return "ok"


def with_phase(cycle, phase: Phase):
    cycle.results_published_at = app_clock.now() if phase == Phase.implementation else None
    return cycle


RESIDENTS = {"resident", "young", "author"}


def test_submit(world):
    db, cycle, _, people = world

    def expect(role, phase):
        if phase != Phase.submission:
            return "phase"
        if role == "anonymous":
            return "login"
        return "ok" if role in RESIDENTS else "forbidden"

    table(expect, lambda role, phase: outcome(perm.check_submit, db, people[role],
                                              with_phase(cycle, phase), phase))


def test_edit(world):
    db, cycle, project, people = world

    def expect(role, phase):
        if phase != Phase.submission:
            return "phase"
        if role == "anonymous":
            return "login"
        return "ok" if role == "author" else "forbidden"

    table(expect, lambda role, phase: outcome(perm.check_edit, db, people[role],
                                              with_phase(cycle, phase), project, phase))


def test_vote(world):
    db, cycle, _, people = world

    def expect(role, phase):
        if phase != Phase.voting:
            return "phase"
        if role == "anonymous":
            return "login"
        return "ok" if role in {"resident", "author"} else "forbidden"

    table(expect, lambda role, phase: outcome(perm.check_vote, db, people[role],
                                              with_phase(cycle, phase), phase, MINIMUM_AGE))


STAFF_CHECKS = {
    "review": (perm.check_review, Phase.review),
    "paper": (perm.check_paper, Phase.voting),
    "publish": (perm.check_publish, Phase.results),
}


@pytest.mark.parametrize("action", list(STAFF_CHECKS))
def test_official_actions(world, action):
    db, cycle, _, people = world
    check, open_in = STAFF_CHECKS[action]

    def expect(role, phase):
        if role == "anonymous":
            return "login"
        if role != "official":
            return "forbidden"
        return "ok" if phase == open_in else "phase"

    table(expect, lambda role, phase: outcome(check, db, people[role],
                                              with_phase(cycle, phase), phase))


def test_move_date(world):
    db, cycle, _, people = world

    def expect(role, phase):
        if role == "anonymous":
            return "login"
        if role not in {"official", "admin"}:
            return "forbidden"
        return "phase" if phase == Phase.implementation else "ok"

    table(expect, lambda role, phase: outcome(perm.check_move_date, db, people[role],
                                              with_phase(cycle, phase)))


def test_create(world):
    db, cycle, _, people = world
    for role in ROLES:
        got = outcome(perm.check_create, db, people[role], cycle.community_id)
        expected = {"anonymous": "login", "official": "ok", "admin": "ok"}.get(role,
                                                                            "forbidden")
        assert got == expected, role


def test_progress(world):
    db, cycle, project, people = world
    for status in ProjectStatus:
        project.status = status
        for role in ROLES:
            got = outcome(perm.check_progress, db, people[role], cycle, project)
            if role == "anonymous":
                expected = "login"
            elif role != "official":
                expected = "forbidden"
            else:
                expected = "ok" if status == ProjectStatus.selected else "phase"
            assert got == expected, (role, status)


def test_imported_cycles_are_read_only(world):
    db, cycle, project, people = world
    cycle.source = "pabulib"
    for phase in PHASES:
        assert outcome(perm.check_vote, db, people["resident"], cycle, phase, 0) == "phase"
        assert outcome(perm.check_submit, db, people["resident"], cycle, phase) == "phase"
        assert outcome(perm.check_review, db, people["official"], cycle, phase) == "phase"
    assert outcome(perm.check_move_date, db, people["admin"], cycle) == "phase"


def test_voter(world):
    """Eligibility whatever the phase (a paper voter named by their account, or the vote)."""
    db, cycle, _, people = world
    for role in ROLES:
        got = outcome(perm.check_voter, db, people[role], cycle, MINIMUM_AGE)
        expected = "ok" if role in {"resident", "author"} else "forbidden"
        assert got == expected, role


def test_voter_age():
    today = app_clock.today()
    old_enough = today.replace(year=today.year - MINIMUM_AGE) - timedelta(days=1)
    too_young = today.replace(year=today.year - MINIMUM_AGE) + timedelta(days=1)
    assert outcome(perm.check_voter_age, old_enough, MINIMUM_AGE) == "ok"
    assert outcome(perm.check_voter_age, too_young, MINIMUM_AGE) == "forbidden"
    assert outcome(perm.check_voter_age, too_young, 0) == "ok"


def test_create_somewhere(world):
    db, cycle, _, people = world
    for role in ROLES:
        places = [cycle.community_id] if role in {"official", "admin"} else []
        got = outcome(perm.check_create_somewhere, people[role], places)
        expected = {"anonymous": "login", "official": "ok", "admin": "ok"}.get(role,
                                                                            "forbidden")
        assert got == expected, role


def test_export(world, clock):
    """Ballots and the count are open to everyone once voting has ended, to no one before."""
    _, cycle, _, _ = world
    clock.set(app_clock.aware(cycle.submission_start) - timedelta(hours=1))
    assert outcome(perm.check_export, cycle) == "phase"  # upcoming
    for phase in (Phase.submission, Phase.review, Phase.voting, Phase.results):
        to_phase(clock, cycle, phase)
        expected = "ok" if phase == Phase.results else "phase"
        assert outcome(perm.check_export, cycle) == expected, phase
    with_phase(cycle, Phase.implementation)
    assert outcome(perm.check_export, cycle) == "ok"


def test_checks_read_the_phase_of_the_moment_when_given_none(world, clock):
    """The routes' dependencies call a check without a phase: it reads the cycle's phase."""
    db, cycle, project, people = world
    for phase in (Phase.submission, Phase.review, Phase.voting, Phase.results):
        to_phase(clock, cycle, phase)
        for role in ROLES:
            for check, args in ((perm.check_submit, ()), (perm.check_review, ()),
                                (perm.check_paper, ()), (perm.check_publish, ()),
                                (perm.check_edit, (project,))):
                assert outcome(check, db, people[role], cycle, *args) == outcome(
                    check, db, people[role], cycle, *args, phase), (check.__name__, role, phase)
