"""Who may do what in a community: small predicates that modules compose into permissions.

The one permission idiom of the project. A module's permissions.py names each act as a
`check_<act>(session, user, target, ...)` that composes these predicates and raises the error
a person should see (401 not logged in, 403 wrong role, 409 wrong state, 404 not to be
seen); `allowed(check, ...)` turns a check into a yes/no for a template or an API flag. Routes
load and authorise through dependencies built on the checks (e.g. `visible_petition`), never
inline; services call the check of their act before they write.

A user's memberships are loaded once per request (cached in the request's session).

Staff act in their role only after a second factor in this session (`staff_second_factor`, on by
default): until then an official, moderator or administrator is, to every predicate, the
resident they also are, and every page tells them what is missing (`staff_locked`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app import clock
from app.communities import repository as repo
from app.communities.models import Evidence, ResidencyStatus, StaffRole
from app.exceptions import DomainError, Forbidden, NotAuthenticated
from app.identity import providers as identity_providers
from app.identity import service as identity
from app.identity.models import User
from app.rules.schema import AssuranceLevel
from app.settings import get_settings
from app.web.i18n import N_

MEMBERSHIPS = "memberships"  # session.info: user id -> their Memberships, for the request


@dataclass(frozen=True)
class Memberships:
    verified_in: frozenset[int] = frozenset()
    claimed_in: frozenset[int] = frozenset()
    official_of: frozenset[int] = frozenset()  # authority ids
    official_in: frozenset[int] = frozenset()  # community ids
    moderator_in: frozenset[int] = frozenset()
    birth_date: date | None = None
    register_in: frozenset[int] = frozenset()  # verified by matching the register
    extra: dict = field(default_factory=dict)
    admin_in: frozenset[int] = frozenset()  # communities the person administers
    region_admin_of: frozenset[int] = frozenset()  # region ids
    # Communities where a moderator's block of the person runs now (app.deliberation):
    # community id -> the block's id.
    blocked_in: dict[int, int] = field(default_factory=dict)
    # The starosta district of each verified residency that names one: community id -> id.
    district_in: dict[int, int] = field(default_factory=dict)


def acts_as_staff(user: User | None) -> bool:
    """The person may act in a staff role now: they passed a second factor in this session
    (or the deployment does not ask staff for one)."""
    return user is not None and (not get_settings().staff_second_factor
                                 or identity.second_factor_passed(user))


def staff_locked(session: Session, user: User | None) -> bool:
    """The person holds a staff role they cannot act in before a second factor."""
    if user is None or acts_as_staff(user):
        return False
    if user.role == "admin":
        return True
    memberships(session, user)  # fills the request's cache with every role the person holds
    held = session.info[MEMBERSHIPS][user.id]
    return bool(held.official_in or held.moderator_in or held.admin_in
                or held.region_admin_of)


def memberships(session: Session, user: User | None) -> Memberships:
    if user is None:
        return Memberships()
    cache = session.info.setdefault(MEMBERSHIPS, {})
    if user.id not in cache:
        load_memberships(session, [user])
    found = cache[user.id]
    return found if acts_as_staff(user) else _without_staff(found)


def load_memberships(session: Session, users: list[User]) -> None:
    """Read the memberships of these people into the session's cache, in one query for all
    (a batch of signatures checks each signer with it)."""
    cache = session.info.setdefault(MEMBERSHIPS, {})
    wanted = {user.id: user for user in users if user.id not in cache}
    if not wanted:
        return
    rows: dict[int, list] = {user_id: [] for user_id in wanted}
    for user_id, *row in repo.memberships_of(session, list(wanted), clock.now()):
        rows[user_id].append(row)
    for user_id, held in rows.items():
        cache[user_id] = _memberships_of_rows(held, wanted[user_id].birth_date)


def _memberships_of_rows(rows: list, birth_date: date | None) -> Memberships:
    verified, claimed, off_auth, off_comm, moder = set(), set(), set(), set(), set()
    register, admin, region_admin, blocked, districts = set(), set(), set(), {}, {}
    for kind, what, community_id, authority_id, evidence in rows:
        if kind == "block":
            blocked[community_id] = authority_id  # the row's fourth column holds the block's id
        elif kind == "residency":
            (verified if what == ResidencyStatus.verified else claimed).add(community_id)
            if what == ResidencyStatus.verified and evidence == Evidence.register:
                register.add(community_id)
            if what == ResidencyStatus.verified and authority_id is not None:
                districts[community_id] = authority_id  # a residency's fourth column: district
        elif what == StaffRole.official:
            off_comm.add(community_id)
            if authority_id is not None:
                off_auth.add(authority_id)
        elif kind == "region":
            region_admin.add(community_id)  # the row's third column holds the region's id
        elif what == StaffRole.moderator:
            moder.add(community_id)
        elif what == StaffRole.administrator:
            admin.add(community_id)
    return Memberships(frozenset(verified), frozenset(claimed), frozenset(off_auth),
                       frozenset(off_comm), frozenset(moder), birth_date,
                       register_in=frozenset(register), admin_in=frozenset(admin),
                       region_admin_of=frozenset(region_admin), blocked_in=blocked,
                       district_in=districts)


def forget_memberships(session: Session) -> None:
    """Standing changed in this session (a residency, a role, a block): checks later in it
    read the memberships again."""
    session.info.pop(MEMBERSHIPS, None)


def _without_staff(found: Memberships) -> Memberships:
    return Memberships(found.verified_in, found.claimed_in, birth_date=found.birth_date,
                       register_in=found.register_in, extra=found.extra,
                       blocked_in=found.blocked_in, district_in=found.district_in)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- predicates ---------------------------------------------------------------------------

def logged_in(user: User | None) -> User:
    """The person, or NotAuthenticated (the first predicate of every act)."""
    if user is None:
        raise NotAuthenticated()
    return user


def is_admin(user: User | None) -> bool:
    return user is not None and user.is_admin and acts_as_staff(user)


def is_observer(user: User | None) -> bool:
    return user is not None and user.is_observer


def is_verified_resident(session: Session, user: User | None, community_id: int) -> bool:
    return (user is not None and user.email_verified
            and community_id in memberships(session, user).verified_in)


CONFIRM_EMAIL = N_("Confirm your e-mail address first: open the link we sent you (your account "
                   "page sends a new one).")
CLAIM_RESIDENCY = N_("This needs a verified resident of the community: claim residency in it "
                     "first (your account page).")
CLAIM_WAITING = N_("This needs a verified resident of the community: your residency claim is "
                   "waiting for an official's verification.")
NEEDS_REGISTER = N_("The community's rules ask for residency matched to its register of "
                    "residents: sign in through an identity provider, or claim residency "
                    "again with your name, date of birth and address as the register has "
                    "them.")
NEEDS_PROVIDER = N_("The community's rules ask for your identity through an identity "
                    "provider: sign in with it from the login page, or link it on your "
                    "account page.")


def level_problem(session: Session, user: User | None, community_id: int,
                  level: AssuranceLevel | str) -> str | None:
    """What the person lacks for an act at this level of assurance (a msgid that says what to
    do), or None when they have it."""
    if user is None:
        return N_("Please log in to continue.")
    if not user.email_verified:
        return CONFIRM_EMAIL
    if level == AssuranceLevel.email:
        return None
    held = memberships(session, user)
    if community_id not in held.verified_in:
        return CLAIM_WAITING if community_id in held.claimed_in else CLAIM_RESIDENCY
    if level == AssuranceLevel.register and community_id not in held.register_in:
        return NEEDS_REGISTER
    if level == AssuranceLevel.provider and not identity_providers.identified(session, user):
        return NEEDS_PROVIDER
    return None


def has_level(session: Session, user: User | None, community_id: int,
              level: AssuranceLevel | str) -> bool:
    return level_problem(session, user, community_id, level) is None


def check_level(session: Session, user: User | None, community_id: int,
                level: AssuranceLevel | str) -> None:
    """Forbidden, saying what is missing, unless the person has this level of assurance."""
    problem = level_problem(session, user, community_id, level)
    if problem is not None:
        raise Forbidden(problem)


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
    return (is_official_in(session, user, community_id) or is_admin(user)
            or is_community_admin(session, user, community_id))


# -- the back office: who administers what, and who may grant which role --------------------

def is_operator(user: User | None) -> bool:
    """The platform operator (the deployment's administrator)."""
    return is_admin(user)


def is_region_admin(session: Session, user: User | None, region_id: int | None) -> bool:
    return (user is not None and region_id is not None
            and region_id in memberships(session, user).region_admin_of)


def is_community_admin(session: Session, user: User | None, community_id: int) -> bool:
    return user is not None and community_id in memberships(session, user).admin_in


def administers_community(session: Session, user: User | None, community) -> bool:
    """The operator, an administrator of the region hosting the community, or one of its own
    administrators."""
    return (is_operator(user) or is_region_admin(session, user, community.region_id)
            or is_community_admin(session, user, community.id))


def in_back_office(session: Session, user: User | None) -> bool:
    """The person holds a role the back office serves (and may act in it now)."""
    if user is None:
        return False
    held = memberships(session, user)
    return is_operator(user) or bool(held.admin_in or held.region_admin_of
                                      or held.official_in or held.moderator_in)


def check_manage_regions(session: Session, user: User | None) -> None:
    """Regions are the deployment's: only the operator creates them and appoints their
    administrators."""
    logged_in(user)
    if not is_operator(user):
        raise Forbidden(N_("Only the platform operator can manage regions."))


def check_connect_community(session: Session, user: User | None, region) -> None:
    """Connecting a community to a region: the operator or an administrator of that region."""
    logged_in(user)
    if not (is_operator(user) or is_region_admin(session, user, region.id)):
        raise Forbidden(N_("Only an administrator of this region can connect communities "
                           "to it."))


def check_manage_community(session: Session, user: User | None, community) -> None:
    """Setting a community up (authorities, districts, holidays, staff below administrator,
    its details): its administrators, its region's, the operator."""
    logged_in(user)
    if not administers_community(session, user, community):
        raise Forbidden(N_("Only an administrator of this community can do this."))


def check_grant(session: Session, user: User | None, community, role: str) -> None:
    """Nobody grants a role above their own or outside their scope: a community's
    administrators are appointed by its region's administrators (or the operator); officials
    and moderators by any administrator of the community."""
    logged_in(user)
    if role == StaffRole.administrator:
        if not (is_operator(user) or is_region_admin(session, user, community.region_id)):
            raise Forbidden(N_("Only an administrator of the region can appoint or remove "
                               "the administrators of a community."))
        return
    check_manage_community(session, user, community)


def check_see_inbox(session: Session, user: User | None) -> None:
    logged_in(user)
    if not memberships(session, user).official_of:
        raise Forbidden(N_("The inbox is for officials of an authority."))


def allowed(check: Callable[..., None], *args, **kwargs) -> bool:
    """A check as a yes/no, for showing or hiding an action."""
    try:
        check(*args, **kwargs)
    except DomainError:
        return False
    return True
