"""The budget's fraud tools (how ballots arrived; the invalidation of a set of ballots), every
role, every phase of the cycle, as pages and through the API: a precise table.

The world: community A with a cycle whose voting has opened, three online ballots (two from
one suspicious domain), moved to each phase in turn. Only the community's moderators and the
administrators see the arrivals; they invalidate from the opening of voting until the results
are published (published results are final: 409; before voting there is nothing to
invalidate: 409). Roles and helpers are those of test_permission_matrix.py; each role's
request is rolled back, so every role meets the same state.
"""

from __future__ import annotations

import pytest

from budget.ballots import cast_ballot
from budget.models import Phase
from budget.results import publish_results
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_moderator, make_resident
from tests.safety.conftest import ROLES
from tests.safety.test_permission_matrix import (
    ANON_GET,
    ANON_POST,
    only,
    request_as,
    setup_world,
    undone,
)

REASON = "Бюлетені одного скрипта з одного домену."
FORM = {"email_domain": "bots.example", "reason": REASON}
BODY = {"email_domain": "bots.example", "reason": REASON}
STAFF = ("moderator", "admin")
# The routes of this file, as the app declares them (the deliberation matrix leaves them here).
ROUTES = {("GET", "/budget/{cycle_id}/arrivals"),
          ("GET", "/api/v1/budgets/{cycle_id:id}/arrivals"),
          ("POST", "/budget/{cycle_id}/invalidations"),
          ("POST", "/api/v1/budgets/{cycle_id:id}/ballots/invalidations")}
OPEN = (Phase.voting, Phase.results)
PHASES = (Phase.submission, Phase.review, Phase.voting, Phase.results, Phase.implementation)


def staff(status: int, others: int, anonymous: int) -> dict[str, int]:
    return only(dict.fromkeys(STAFF, status), others, anonymous)


def rows(cycle_id: int, phase: Phase) -> list[tuple[str, str, dict[str, int], object]]:
    acting = phase in OPEN
    return [
        ("GET", f"/budget/{cycle_id}/arrivals", staff(200, 403, ANON_GET), None),
        ("GET", f"/api/v1/budgets/{cycle_id}/arrivals", staff(200, 403, 401), None),
        ("POST", f"/budget/{cycle_id}/invalidations",
         staff(303 if acting else 409, 403, ANON_POST), FORM),
        ("POST", f"/api/v1/budgets/{cycle_id}/ballots/invalidations",
         staff(201 if acting else 409, 403, 401), BODY),
    ]


def _world(db, clock):
    setup = setup_world(db)
    place = setup.world.a
    cycle, projects = make_voting_cycle(db, place, clock, [(0, 10_000), (0, 20_000)])
    for i in range(2):
        cast_ballot(db, make_resident(db, place, email=f"bot{i}-{cycle.id}@bots.example"),
                    cycle, [projects[0].id], client_address="203.0.113.9")
    cast_ballot(db, make_resident(db, place), cycle, [projects[1].id])
    db.commit()
    return setup, cycle


def _to(db, clock, setup, cycle, phase: Phase) -> None:
    if phase == Phase.implementation:
        to_phase(clock, cycle, Phase.results)
        publish_results(db, setup.world.user("official"), cycle)
        db.commit()
    else:
        to_phase(clock, cycle, phase)


@pytest.mark.parametrize("phase", PHASES, ids=[p.value for p in PHASES])
def test_each_role_in_each_phase_gets_what_the_rules_give_it(client, db, clock, phase):
    setup, cycle = _world(db, clock)
    _to(db, clock, setup, cycle, phase)
    wrong = []
    for method, url, expected, body in rows(cycle.id, phase):
        got = {}
        for role in ROLES:
            with undone(db):
                response = request_as(client, setup, role, method, url,
                                      api=url.startswith("/api/"), data=body, json=body)
                got[role] = response.status_code
        if got != expected:
            wrong.append(f"{method} {url}: {got}")
    assert not wrong, "\n".join(wrong)


def test_a_moderator_of_another_community_may_not(client, db, clock):
    setup, cycle = _world(db, clock)
    stranger = make_moderator(db, setup.world.b)
    db.commit()
    for url in (f"/budget/{cycle.id}/arrivals", f"/budget/{cycle.id}/invalidations"):
        with undone(db):
            client.cookies.clear()
            client.login(stranger)
            response = (client.get(url) if url.endswith("arrivals") else
                        client.post(url, data={**FORM, "csrf_token": client.csrf()}))
            assert response.status_code == 403, url


def test_every_route_of_the_tools_has_a_row(app):
    from tests.safety.conftest import all_routes

    declared = {(m, r.path) for r in all_routes(app) for m in r.methods - {"HEAD"}
                if r.path.startswith(("/budget/", "/api/v1/budgets/"))
                and r.path.endswith(("/arrivals", "/invalidations"))}
    assert declared == ROUTES
