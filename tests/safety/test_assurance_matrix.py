"""Each level of assurance against each act whose level the community's rules set, for each
kind of person: who may sign and sponsor a petition, vote in the budget, answer a consultation.

The level is a rule (a community's versioned rules, on /rules); the check is the kernel's
(app.communities.permissions.check_level), called by each module's permission of the act, and
its refusal says what is missing.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app import clock as app_clock
from app.communities import permissions as p
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import Evidence, Register
from app.exceptions import DomainError, Forbidden
from app.identity.models import ProviderLink, User
from app.rules import service as rules_service
from budget import cycles
from budget import permissions as budget_permissions
from consultations import permissions as consultation_permissions
from consultations.models import Phase as ConsultationPhase
from petitions import permissions as petition_permissions
from tests.budget.factories import make_cycle
from tests.consultations.factories import make_consultation
from tests.factories import make_community, make_user
from tests.petitions.factories import make_petition

LEVELS = ["email", "resident", "register", "provider"]

# Each kind of person and the levels they hold.
PEOPLE: dict[str, set[str]] = {
    "unconfirmed e-mail, verified resident": set(),
    "confirmed e-mail only": {"email"},
    "claim waiting": {"email"},
    "verified by an official": {"email", "resident"},
    "matched to the register": {"email", "resident", "register"},
    "official's verification and a provider": {"email", "resident", "provider"},
    "register and a provider": {"email", "resident", "register", "provider"},
    "resident of another community, with a provider": {"email"},
}


def make_person(db: Session, place, kind: str) -> User:
    user = make_user(db, verified=kind != "unconfirmed e-mail, verified resident")
    community = place.community
    if kind == "claim waiting":
        communities.claim_residency(db, user, community, "вул. Соборна, 3", None)
    elif kind in ("unconfirmed e-mail, verified resident", "verified by an official",
                  "official's verification and a provider"):
        communities.set_verified_resident(db, user, community)
    elif kind in ("matched to the register", "register and a provider"):
        register = communities_repo.latest_register(db, community.id)
        if register is None:
            register = Register(community_id=community.id, version=1, entries=1,
                                register_date=date(2026, 1, 1))
            db.add(register)
            db.flush()
        communities.set_verified_resident(db, user, community, Evidence.register, register)
    elif kind == "resident of another community, with a provider":
        communities.set_verified_resident(db, user, make_community(db).community)
    if "provider" in kind:
        db.add(ProviderLink(user_id=user.id, provider="diia", subject_hash=f"{user.id:064d}",
                            identifies=True))
        db.flush()
    db.info.pop("memberships", None)
    db.info.pop("identified", None)
    return user


def sign(db, place, user, level, clock):
    petition = make_petition(db, place, "open")
    rules = rules_service.version(db, petition.ruleset_id).rules.petitions
    assert rules.sign_level == level
    petition_permissions.check_sign(db, user, petition, app_clock.now(), rules)


def sponsor(db, place, user, level, clock):
    petition = make_petition(db, place, "sponsoring")
    rules = rules_service.version(db, petition.ruleset_id).rules.petitions
    assert rules.sponsor_level == level
    petition_permissions.check_sponsor(db, user, petition, app_clock.now(), rules)


def vote(db, place, user, level, clock):
    cycle = make_cycle(db, place)
    rules = cycles.rules_of(db, cycle)
    assert rules.vote_level == level
    budget_permissions.check_voter(db, user, cycle, rules.minimum_age, rules.vote_level)


def answer(db, place, user, level, clock):
    c = make_consultation(db, place)
    from consultations.service import reading

    rules = reading.rules_of(db, c)
    assert rules.answer_level == level
    consultation_permissions.check_respond(db, user, c, ConsultationPhase.open,
                                           rules.answer_level)


ACTS = {
    "sign a petition": (sign, {"petitions": {"sign_level": None}}),
    "sponsor a petition": (sponsor, {"petitions": {"sponsor_level": None,
                                                   "sponsors_required": 2}}),
    "vote in the budget": (vote, {"budget": {"vote_level": None}}),
    "answer a consultation": (answer, {"consultations": {"answer_level": None}}),
}


def rules_for(act: str, level: str) -> dict:
    _, template = ACTS[act]
    section, values = next(iter(template.items()))
    return {section: {k: (level if v is None else v) for k, v in values.items()}}


@pytest.mark.parametrize("act", list(ACTS))
@pytest.mark.parametrize("level", LEVELS)
def test_each_level_against_each_act(db, clock, act, level):
    place = make_community(db, rules_override=rules_for(act, level))
    check, _ = ACTS[act]
    got, expected = {}, {}
    for kind, held in PEOPLE.items():
        user = make_person(db, place, kind)
        expected[kind] = level in held
        try:
            with db.begin_nested():
                check(db, place, user, level, clock)
                raise _Allowed
        except _Allowed:
            got[kind] = True
        except Forbidden as refused:
            got[kind] = False
            # The refusal says what is missing, never only "not allowed".
            assert refused.message in (p.CONFIRM_EMAIL, p.CLAIM_RESIDENCY, p.CLAIM_WAITING,
                                       p.NEEDS_REGISTER, p.NEEDS_PROVIDER), refused.message
        except DomainError as other:
            raise AssertionError(f"{act} at {level} for {kind}: {other.message}") from other
    assert got == expected


class _Allowed(Exception):
    """Raised inside the savepoint so that whatever the check's setup wrote is undone."""


def test_a_verified_resident_with_unconfirmed_email_is_told_to_confirm_it(db, clock):
    place = make_community(db)
    user = make_person(db, place, "unconfirmed e-mail, verified resident")
    assert p.level_problem(db, user, place.community.id, "resident") == p.CONFIRM_EMAIL
    assert p.level_problem(db, user, place.community.id, "email") == p.CONFIRM_EMAIL
