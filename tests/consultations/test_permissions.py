"""Every role against every phase: what the permission says, and what the service does.

One world per role: five consultations of one council, one in each phase (draft, scheduled,
open, closed awaiting the report, reported), seen at one moment of the clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock as app_clock
from app.communities.permissions import allowed
from app.deliberation import permissions as deliberation_perm
from app.deliberation import service as deliberation
from app.exceptions import DomainError
from consultations import permissions
from consultations.dependencies import load
from consultations.models import ConsultationUpdate, Phase, Rating, ResponseIn
from consultations.service import discussion, drafting, outcome, reading, responding
from tests.consultations.factories import (
    answers,
    comment,
    make_consultation,
    make_organisation,
    report_in,
    respond,
    today,
)
from tests.factories import (
    make_admin,
    make_community,
    make_moderator,
    make_observer,
    make_official,
    make_resident,
    make_user,
)

ROLES = ("anonymous", "registered", "unverified_email", "resident", "organisation",
         "official", "other_official", "moderator", "admin", "observer")
PHASES = (Phase.draft, Phase.scheduled, Phase.open, Phase.closed, Phase.reported)
ACTIONS = ("view", "edit", "respond", "comment", "moderate", "report", "rate")

TAKES_PART = {"resident", "organisation"}


def expected(role: str, phase: Phase, action: str) -> bool:
    if action == "view":
        return phase != Phase.draft or role in ("official", "admin")
    if action == "edit":
        return phase == Phase.draft and role == "official"
    if action == "respond":
        return phase == Phase.open and role in TAKES_PART
    if action == "comment":
        return phase == Phase.open and role in TAKES_PART | {"official"}
    if action == "moderate":
        return phase != Phase.draft and role in ("moderator", "admin")
    if action == "report":
        return phase == Phase.closed and role == "official"
    if action == "rate":  # participants of the reported consultation: resident, organisation
        return phase == Phase.reported and role in TAKES_PART
    raise AssertionError(action)


@pytest.fixture
def world(db, clock):
    place = make_community(db)
    official = make_official(db, place)
    people = {
        "anonymous": None,
        "registered": make_user(db),
        "unverified_email": None,
        "resident": make_resident(db, place),
        "organisation": make_user(db),
        "official": official,
        "other_official": make_official(db, place, place.department),
        "moderator": make_moderator(db, place),
        "admin": make_admin(db),
        "observer": make_observer(db),
    }
    people["unverified_email"] = make_resident(db, place, verified=False)
    org = make_organisation(db, place, people["organisation"])
    # The closed and the reported consultations ran earlier; the resident and the
    # organisation took part in both.
    closed = make_consultation(db, place, official, title="Closed consultation")
    reported = make_consultation(db, place, official, title="Reported consultation")
    comments = {}
    for phase, c in ((Phase.closed, closed), (Phase.reported, reported)):
        respond(db, c, people["resident"])
        respond(db, c, people["organisation"], organisation=org)
        comments[phase] = comment(db, c, people["resident"], reading.sections(db, c)[0].id,
                                  "Said while it was open")
    clock.set(app_clock.aware(reported.ends_at) + timedelta(days=2))
    outcome.publish_report(db, official, reported, report_in(db, reported))
    consultations = {
        Phase.draft: make_consultation(db, place, official, publish=False, title="A draft"),
        Phase.scheduled: make_consultation(db, place, official, title="Later",
                                           start=today() + timedelta(days=3)),
        Phase.open: make_consultation(db, place, official, title="Open now"),
        Phase.closed: closed,
        Phase.reported: reported,
    }
    comments[Phase.open] = comment(db, consultations[Phase.open], people["resident"],
                                   reading.sections(db, consultations[Phase.open])[0].id,
                                   "Said now")
    for phase, c in consultations.items():
        assert reading.phase(c) == phase
    db.info["comments"] = comments
    return people, org, consultations


def check_comment(db, user, c, phase) -> None:
    """The kernel's permission to comment, on the consultation as its space shows it."""
    target = discussion.target_for(db, user, c)
    deliberation_perm.check_comment(db, user, target, deliberation.rules_of(db, target))


CHECKS = {
    "view": permissions.check_view,
    "edit": permissions.check_edit,
    "comment": check_comment,
    "moderate": permissions.check_moderate,
    "report": permissions.check_publish_report,
    "rate": permissions.check_rate,
}


def permission(db, role, user, org, c, phase, action) -> bool:
    """What the named permission says (the yes/no that pages and API flags show)."""
    if action == "respond":
        if role == "organisation":
            return allowed(permissions.check_respond_for, db, user, c, phase, org)
        return allowed(permissions.check_respond, db, user, c, phase)
    return allowed(CHECKS[action], db, user, c, phase)


def attempt(db, role, user, org, c, phase, action) -> bool:
    """Run the action through the service in a savepoint that is rolled back."""
    savepoint = db.begin_nested()
    try:
        if action == "view":
            load(db, user, c.id)
        elif action == "edit":
            drafting.update(db, user, c, ConsultationUpdate(title="Another title here"))
        elif action == "respond":
            responding.respond(db, user, c, ResponseIn(
                organisation_id=org.id if role == "organisation" else None,
                answers=answers(db, c)))
        elif action == "comment":
            comment(db, c, user, reading.sections(db, c)[0].id, "A comment on it")
        elif action == "moderate":
            written = db.info["comments"].get(phase)
            if written is None:  # no comment can exist before it opens
                return allowed(permissions.check_moderate, db, user, c, phase)
            discussion.hide_comment(db, user, c, written.id, "Breaks the rules")
        elif action == "report":
            outcome.publish_report(db, user, c, report_in(db, c))
        elif action == "rate":
            outcome.rate(db, user, c, Rating.yes)
        return True
    except DomainError:
        return False
    finally:
        savepoint.rollback()
        db.expire_all()


def test_every_role_against_every_phase(db, clock, world):
    people, org, consultations = world
    mismatches = []
    for role in ROLES:
        user = people[role]
        for phase, c in consultations.items():
            for action in ACTIONS:
                want = expected(role, phase, action)
                got_permission = permission(db, role, user, org, c, phase, action)
                got_service = attempt(db, role, user, org, c, phase, action)
                if (got_permission, got_service) != (want, want):
                    mismatches.append((role, phase.value, action, want, got_permission,
                                       got_service))
    assert not mismatches, "\n".join(map(str, mismatches))


def test_the_matrix_is_not_vacuous():
    """Every action is allowed to someone in some phase, and refused to someone too."""
    for action in ACTIONS:
        outcomes = {expected(role, phase, action) for role in ROLES for phase in PHASES}
        assert outcomes == {True, False}, action


def test_moderation_through_the_service_in_each_public_phase(db, clock):
    place = make_community(db)
    official = make_official(db, place)
    c = make_consultation(db, place, official)
    author = make_resident(db, place)
    comments = [comment(db, c, author, reading.sections(db, c)[0].id, f"Comment {n}")
                for n in range(3)]
    moderator = make_moderator(db, place)
    discussion.hide_comment(db, moderator, c, comments[0].id, "Hidden while open")
    clock.set(app_clock.aware(c.ends_at) + timedelta(hours=1))
    discussion.hide_comment(db, moderator, c, comments[1].id, "Hidden while closed")
    outcome.publish_report(db, official, c, report_in(db, c))
    discussion.hide_comment(db, make_admin(db), c, comments[2].id, "Hidden after the report")
    assert all(cm.state == "hidden" for cm in comments)
