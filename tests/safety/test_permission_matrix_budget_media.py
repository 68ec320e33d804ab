"""The budget's supports, pictures, documents and map routes, every role: a precise table.

A cycle of community A in its supports phase with a city-wide pot and a pot of one district,
a proposal in each. The resident of the matrix lives in no district: the city-wide proposal is
theirs to support, the district's is not. Roles and helpers are those of
test_permission_matrix.py; each role's request is rolled back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock as app_clock
from app.communities import service as communities
from budget.models import CategoryIn, Phase
from tests.budget.factories import cycle_data, make_project, to_phase
from tests.factories import make_admin, make_resident
from tests.safety.conftest import ROLES
from tests.safety.test_permission_matrix import (
    ANON_GET,
    ANON_POST,
    everyone,
    only,
    request_as,
    setup_world,
    undone,
)

FORBIDDEN_BUT = 403


def _world(db, clock):
    from budget import cycles

    setup = setup_world(db)
    place = setup.world.a
    district = communities.create_district(db, place.community, slug="sykhiv", name="Сихів")
    data = cycle_data(place, total_funds=500_000)
    data = data.model_copy(update={"categories": [
        CategoryIn(name="Місто", funds=300_000),
        CategoryIn(name="Сихів", funds=200_000, district_id=district.id)]})
    cycle = cycles.create_cycle(db, make_admin(db), data)
    city, local = cycles.categories(db, cycle)
    author = make_resident(db, place)
    open_to_all = make_project(db, place, cycle, author=author, category=city)
    of_district = make_project(db, place, cycle, author=author, category=local)
    cycle.supports_end = app_clock.aware(cycle.submission_end) + timedelta(days=3)
    db.add(cycle)
    db.commit()
    to_phase(clock, cycle, Phase.supports)
    return setup, cycle, open_to_all, of_district


def _rows(cycle, city, local):
    base = f"/budget/{cycle.id}/projects"
    api = f"/api/v1/budgets/{cycle.id}/projects"
    resident_only = only({"resident": 303}, FORBIDDEN_BUT, ANON_POST)
    return [
        ("POST", f"{base}/{city.id}/support", resident_only, {"on": "1"}),
        ("POST", f"{base}/{local.id}/support", only({}, 403, ANON_POST), {"on": "1"}),
        ("PUT", f"{api}/{city.id}/support", only({"resident": 200}, 403, 401), {}),
        ("PUT", f"{api}/{local.id}/support", only({}, 403, 401), {}),
        ("DELETE", f"{api}/{city.id}/support", only({"resident": 200}, 403, 401), None),
        # No file sent: officials of the community get as far as the form's error; the
        # author's time to add files (submission) has passed; everyone else may not.
        ("POST", f"{base}/{city.id}/files", only({"official": 422}, 403, ANON_POST),
         {"kind": "image"}),
        ("POST", f"{base}/{city.id}/files/1/delete", only({"official": 404}, 404, ANON_POST),
         {}),
        ("GET", f"{base}/{city.id}/files/1", everyone(404), None),
        ("GET", f"{base}/{city.id}/files/1/thumb", everyone(404), None),
        ("GET", f"{api}/{city.id}/files", everyone(200), None),
        ("GET", f"/budget/{cycle.id}/map", everyone(200), None),
        ("GET", f"{base}/{city.id}", everyone(200), None),
        ("GET", f"/budget/{cycle.id}/ballot", {**everyone(200), "anonymous": ANON_GET}, None),
    ]


def test_supports_files_and_map_answer_each_role_as_expected(client, db, clock):
    setup, cycle, city, local = _world(db, clock)
    wrong = []
    for method, url, expected, body in _rows(cycle, city, local):
        got = {}
        for role in ROLES:
            with undone(db):
                response = request_as(client, setup, role, method, url,
                                      api=url.startswith("/api/"), data=body, json=body)
                got[role] = response.status_code
        if got != expected:
            wrong.append(f"{method} {url}: {got}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("phase", [Phase.submission, Phase.review, Phase.voting])
def test_supports_are_refused_outside_their_phase(client, db, clock, phase):
    setup, cycle, city, _ = _world(db, clock)
    to_phase(clock, cycle, phase)
    with undone(db):
        response = request_as(client, setup, "resident", "POST",
                              f"/budget/{cycle.id}/projects/{city.id}/support",
                              api=False, data={"on": "1"})
    assert response.status_code == 409
