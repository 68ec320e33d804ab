"""The API keeps its contract: schemathesis, every check, with the token of a resident, an
official, a moderator and an administrator, against the app; 0 failures.

Bounded for `make test`: with each role, every operation gets a few generated requests of
each mode (the fuzzing phase, a fixed seed), and the role's share of the operations the
coverage phase's cases (so each operation's are sent once, with one of the roles).
bench/fuzz_api.py runs all of it with every role, far longer, with real commits.
"""

from __future__ import annotations

import pytest
from fastapi import Request

from app.identity import service as identity
from tests.safety.fuzzing import ROLES, describe, fuzz, load_schema

EXAMPLES = 3  # per operation and generation mode, on top of the coverage phase's cases


@pytest.fixture
def served(app, db):
    """The app on the test's transaction; a request that failed leaves it usable for the
    next one (a savepoint of its own is rolled back, the setup stays)."""
    from app.web.deps import get_session

    def session(request: Request):
        if not db.is_active:
            db.rollback()
        db.commit()  # the setup so far is kept; a failing request rolls back its own work
        request.state.db = db
        request.state.db_external = True
        return db

    app.dependency_overrides[get_session] = session
    yield app
    app.dependency_overrides.pop(get_session, None)
    if not db.is_active:
        db.rollback()


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_contract(served, db, role, monkeypatch):
    from tests.safety.conftest import build_world
    from tests.safety.world_data import populate

    # Generated e-mails never match an account: skip argon2's deliberate slowness.
    monkeypatch.setattr(identity, "verify_password", lambda password, hashed: False)
    world = build_world(db)
    populate(db, world)
    _, raw = identity.create_token(db, world.user(role), "contract")
    db.commit()

    report = fuzz(served, headers={"Authorization": f"Bearer {raw}"}, max_examples=EXAMPLES,
                  share=(ROLES.index(role), len(ROLES)))
    print(describe(report))  # the figures, shown with -s

    assert report.ok, describe(report)
    assert report.operations >= 70, describe(report)  # every operation of the API ran


def test_the_schema_lists_the_kernel_and_privacy_operations(app):
    paths = {result.ok().path for result in load_schema(app).get_all_operations()}
    assert {"/api/v1/me/data", "/api/v1/audit/head", "/api/v1/tokens"} <= paths


@pytest.mark.slow
def test_the_api_keeps_its_contract_under_many_examples(served, db, monkeypatch):
    """The long variant (also: bench/fuzz_api.py, with real commits)."""
    from tests.safety.conftest import build_world
    from tests.safety.world_data import populate

    monkeypatch.setattr(identity, "verify_password", lambda password, hashed: False)
    world = build_world(db)
    populate(db, world)
    tokens = {role: identity.create_token(db, world.user(role), "contract")[1]
              for role in ROLES}
    db.commit()
    failed = []
    for role, raw in tokens.items():
        report = fuzz(served, headers={"Authorization": f"Bearer {raw}"}, max_examples=100,
                      seed=None)
        if not report.ok:
            failed.append(f"{role}: {describe(report)}")
    assert not failed, "\n".join(failed)
