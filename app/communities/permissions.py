"""Who may do what in a community: small predicates that modules compose into permissions.

The one permission idiom of the project. A module's permissions.py names each act as a
`check_<act>(session, user, target, ...)` that composes these predicates and raises the error
a person should see (401 not logged in, 403 wrong role, 409 wrong state, 404 not to be
seen); `allowed(check, ...)` turns a check into a yes/no for a template or an API flag. Routes
load and authorise through dependencies built on the checks (e.g. `visible_petition`), never
inline; services call the check of their act before they write.

A user's memberships are loaded once per request (cached in the request's session).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app import clock
from app.communities import repository as repo
from app.communities.models import ResidencyStatus, StaffRole
from app.exceptions import DomainError, NotAuthenticated
from app.identity.models import User


@dataclass(frozen=True)
class Memberships:
    verified_in: frozenset[int] = frozenset()
    claimed_in: frozenset[int] = frozenset()
    official_of: frozenset[int] = frozenset()  # authority ids
    official_in: frozenset[int] = frozenset()  # community ids
    moderator_in: frozenset[int] = frozenset()
    birth_date: date | None = None
    extra: dict = field(default_factory=dict)


def memberships(session: Session, user: User | None) -> Memberships:
    if user is None:
        return Memberships()
    cache = session.info.setdefault("memberships", {})
    if user.id in cache:
        return cache[user.id]
    verified, claimed, off_auth, off_comm, moder = set(), set(), set(), set(), set()
    for kind, what, community_id, authority_id in repo.memberships_of(session, user.id):
        if kind == "residency":
            (verified if what == ResidencyStatus.verified else claimed).add(community_id)
        elif what == StaffRole.official:
            off_comm.add(community_id)
            if authority_id is not None:
                off_auth.add(authority_id)
        elif what == StaffRole.moderator:
            moder.add(community_id)
    result = Memberships(frozenset(verified), frozenset(claimed), frozenset(off_auth),
                         frozenset(off_comm), frozenset(moder), user.birth_date)
    cache[user.id] = result
    return result


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- predicates ---------------------------------------------------------------------------

def logged_in(user: User | None) -> User:
    """The person, or NotAuthenticated (the first predicate of every act)."""
    if user is None:
        raise NotAuthenticated()
    return user


def is_admin(user: User | None) -> bool:
    return user is not None and user.is_admin


def is_observer(user: User | None) -> bool:
    return user is not None and user.is_observer


def is_verified_resident(session: Session, user: User | None, community_id: int) -> bool:
    return (user is not None and user.email_verified
            and community_id in memberships(session, user).verified_in)


def meets_minimum_age(user: User | None, minimum_age: int) -> bool:
    if minimum_age <= 0:
        return True
    return (user is not None and user.birth_date is not None
            and age_on(user.birth_date, clock.today()) >= minimum_age)


def is_official_of(session: Session, user: User | None, authority_id: int) -> bool:
    return user is not None and authority_id in memberships(session, user).official_of


def is_official_in(session: Session, user: User | None, community_id: int) -> bool:
    return user is not None and community_id in memberships(session, user).official_in


def is_moderator_in(session: Session, user: User | None, community_id: int) -> bool:
    return user is not None and (community_id in memberships(session, user).moderator_in)


def can_verify_residency(session: Session, user: User | None, community_id: int) -> bool:
    return is_official_in(session, user, community_id) or is_admin(user)


def allowed(check: Callable[..., None], *args, **kwargs) -> bool:
    """A check as a yes/no, for showing or hiding an action."""
    try:
        check(*args, **kwargs)
    except DomainError:
        return False
    return True
