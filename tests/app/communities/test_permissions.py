"""Every predicate of app/communities/permissions.py against every role.

The predicates are asked about community A and its council. Each role is one person; the
matrix says which predicates hold for them, and every other predicate must not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.communities import permissions
from app.communities import service as communities
from app.communities.models import StaffRole
from tests.factories import (
    make_admin,
    make_community,
    make_moderator,
    make_observer,
    make_official,
    make_resident,
    make_user,
)

PREDICATES: dict[str, Callable] = {
    "is_verified_resident": lambda db, u, a: permissions.is_verified_resident(
        db, u, a.community.id),
    "is_official_of": lambda db, u, a: permissions.is_official_of(db, u, a.council.id),
    "is_official_in": lambda db, u, a: permissions.is_official_in(db, u, a.community.id),
    "is_moderator_in": lambda db, u, a: permissions.is_moderator_in(db, u, a.community.id),
    "is_admin": lambda db, u, a: permissions.is_admin(u),
    "is_observer": lambda db, u, a: permissions.is_observer(u),
    "can_verify_residency": lambda db, u, a: permissions.can_verify_residency(
        db, u, a.community.id),
}


def _claimant(db, a, b):
    user = make_user(db)
    communities.claim_residency(db, user, a.community, "вул. Зелена, 1", None)
    return user


# role -> (who, the predicates that hold for them in community A)
ROLES: dict[str, tuple[Callable, set[str]]] = {
    "anonymous": (lambda db, a, b: None, set()),
    "registered, no residency": (lambda db, a, b: make_user(db), set()),
    "resident": (lambda db, a, b: make_resident(db, a), {"is_verified_resident"}),
    "resident, e-mail unconfirmed": (lambda db, a, b: make_resident(db, a, verified=False),
                                     set()),
    "residency claimed, not verified": (_claimant, set()),
    "resident of another community": (lambda db, a, b: make_resident(db, b), set()),
    "official": (lambda db, a, b: make_official(db, a),
                 {"is_official_of", "is_official_in", "can_verify_residency"}),
    "official of another authority": (lambda db, a, b: make_official(db, a, a.department),
                                      {"is_official_in", "can_verify_residency"}),
    "official of another community": (lambda db, a, b: make_official(db, b), set()),
    "moderator": (lambda db, a, b: make_moderator(db, a), {"is_moderator_in"}),
    "moderator of another community": (lambda db, a, b: make_moderator(db, b), set()),
    "observer": (lambda db, a, b: make_observer(db), {"is_observer"}),
    "admin": (lambda db, a, b: make_admin(db), {"is_admin", "is_observer",
                                                 "can_verify_residency"}),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_predicate_matrix(db, role):
    a, b = make_community(db), make_community(db)
    build, expected = ROLES[role]
    user = build(db, a, b)

    actual = {name for name, predicate in PREDICATES.items() if predicate(db, user, a)}

    assert actual == expected


def test_a_new_staff_role_counts_at_once(db):
    a = make_community(db)
    user = make_user(db)
    assert not permissions.is_moderator_in(db, user, a.community.id)  # cached now
    communities.grant_staff(db, user, a.community, StaffRole.moderator)
    assert permissions.is_moderator_in(db, user, a.community.id)


def test_memberships_are_loaded_once_per_session(db):
    a = make_community(db)
    user = make_resident(db, a)
    first = permissions.memberships(db, user)
    assert permissions.memberships(db, user) is first
    assert first.verified_in == frozenset({a.community.id})


def test_an_official_needs_an_authority(db):
    from app.exceptions import InvalidInput

    a = make_community(db)
    with pytest.raises(InvalidInput):
        communities.grant_staff(db, make_user(db), a.community, StaffRole.official)


# Clock: Monday 2026-03-02.
@pytest.mark.parametrize(("birth", "minimum", "allowed"), [
    (date(2010, 3, 2), 16, True),  # sixteenth birthday today
    (date(2010, 3, 3), 16, False),  # tomorrow
    (date(2008, 2, 29), 18, True),  # born on 29 February, 18 on 1 March 2026
    (date(2008, 3, 3), 18, False),
    (None, 14, False),  # unknown age: not old enough for any limit
    (None, 0, True),  # no limit
    (date(2020, 1, 1), 0, True),
])
def test_minimum_age(db, clock, birth, minimum, allowed):
    user = make_user(db, birth_date=birth)
    assert permissions.meets_minimum_age(user, minimum) is allowed


def test_minimum_age_for_anonymous(clock):
    assert permissions.meets_minimum_age(None, 0) is True
    assert permissions.meets_minimum_age(None, 14) is False
