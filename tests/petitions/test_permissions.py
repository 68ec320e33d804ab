"""Every role against every state: what the petition page offers each person.

The expectations are written out in full below; the test builds a petition in each state and
asks the same code the page asks (service.detail(...).can). Service tests check that the
actions themselves refuse with the right error.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import clock as app_clock
from app.exceptions import NotFound
from petitions.models import AnswerCreate
from petitions.service import outcome, reading, signing
from tests.factories import (
    make_admin,
    make_community,
    make_moderator,
    make_observer,
    make_official,
    make_resident,
    make_user,
)
from tests.petitions.factories import make_petition, sign_to_threshold

ROLES = ("anonymous", "resident", "outsider", "unverified", "minor", "author", "signer",
         "moderator", "official", "other_official", "admin", "observer")
STATES = ("draft", "sponsoring", "moderation", "open", "closed", "awaiting_answer",
          "overdue", "answered", "rejected")
ACTIONS = ("view", "edit", "submit", "sponsor", "moderate", "sign", "withdraw", "paper",
           "answer", "rate", "update", "follow")
LOGGED_IN = set(ROLES) - {"anonymous"}
PUBLIC = {"sponsoring", "open", "closed", "awaiting_answer", "overdue", "answered", "rejected"}

# action -> state -> the roles allowed. Anything not listed: nobody.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "view": {"draft": {"author", "admin"}, "moderation": {"author", "moderator", "admin"},
             **{state: set(ROLES) for state in PUBLIC}},
    "edit": {"draft": {"author"}},
    "submit": {"draft": {"author"}},
    # Verified residents of age who are not the author ("signer" has signed nothing yet).
    "sponsor": {"sponsoring": {"resident", "signer"}},
    "moderate": {"moderation": {"moderator"}},
    # The signer has signed already; the author may sign their own petition.
    "sign": {"open": {"resident", "author"}},
    "withdraw": {"open": {"signer"}},
    "paper": {"open": {"official", "other_official"}},
    "answer": {"awaiting_answer": {"official"}, "overdue": {"official"}},
    "rate": {"answered": {"signer"}},
    "update": {"answered": {"official"}},
    "follow": {state: LOGGED_IN for state in PUBLIC},
}


def _world(db, clock, state):
    place = make_community(db, rules_override={"petitions": {"sponsors_required": 1}})
    people = {
        "anonymous": None,
        "resident": make_resident(db, place),
        "outsider": make_resident(db, make_community(db)),
        "unverified": make_resident(db, place, verified=False),
        "minor": make_resident(db, place, birth_date=date(2016, 6, 1)),
        "author": make_resident(db, place),
        "signer": make_resident(db, place),
        "moderator": make_moderator(db, place),
        "official": make_official(db, place),
        "other_official": make_official(db, place, authority=place.department),
        "admin": make_admin(db),
        "observer": make_observer(db),
    }
    stage = {"closed": "open", "overdue": "awaiting_answer"}.get(state, state)
    early = stage if stage in ("draft", "sponsoring", "moderation", "rejected") else "open"
    petition = make_petition(db, place, early, author=people["author"],
                             moderator=people["moderator"])
    if early == "open":
        signing.sign(db, people["signer"], petition.id)
    if stage in ("awaiting_answer", "answered"):
        sign_to_threshold(db, place, petition)
    if stage == "answered":
        outcome.answer(db, people["official"], petition.id, AnswerCreate(
            decision="supported", text="Рада підтримує петицію повністю."))
    if state == "closed":
        clock.set(app_clock.aware(petition.collection_ends_at) + timedelta(minutes=1))
    if state == "overdue":
        clock.set(app_clock.aware(petition.answer_due_at) + timedelta(minutes=1))
    return petition, people


def _marker(action: str, petition_id: int) -> str | None:
    """How the page offers an action (None: the page always shows it, e.g. viewing)."""
    base = f"/petitions/{petition_id}"
    return {"edit": f'href="{base}/edit"', "paper": f'href="{base}/paper"',
            "moderate": f'action="{base}/publish"', "update": f'action="{base}/updates"',
            "follow": 'follow"',  # following already: the page offers to stop instead
            "view": None}.get(action, f'action="{base}/{action}"')


@pytest.mark.parametrize("state", STATES)
def test_every_role_in_every_state(db, clock, make_client, state):
    petition, people = _world(db, clock, state)
    db.commit()
    assert reading.detail(db, people["admin"], petition.id).status.value == state
    problems = []
    for role, user in people.items():
        try:
            view = reading.detail(db, user, petition.id)
            actual = {"view": True, **{a: view.can.get(a, False) for a in ACTIONS[1:]}}
        except NotFound:
            actual = dict.fromkeys(ACTIONS, False)
        browser = make_client()
        if user is not None:
            browser.login(user)
        page = browser.get(f"/petitions/{petition.id}")
        assert page.status_code == (200 if actual["view"] else 404)
        for action in ACTIONS:
            expected = role in EXPECTED[action].get(state, set())
            if actual[action] != expected:
                problems.append(f"{role} {action}: expected {expected}")
            marker = _marker(action, petition.id)
            if marker and (marker in page.text) != expected:
                problems.append(f"{role} {action}: the page {'lacks' if expected else 'shows'}"
                                " the form")
    assert problems == []


def test_the_matrix_is_not_vacuous():
    """Each action is allowed to someone somewhere, and refused to someone."""
    for action in ACTIONS:
        allowed = set().union(*EXPECTED[action].values())
        refused = any(EXPECTED[action].get(state, set()) != set(ROLES) for state in STATES)
        assert allowed and refused


def test_unverified_claim_is_not_residency(db, clock):
    from app.communities import service as communities

    place = make_community(db)
    claimant = make_user(db)
    communities.claim_residency(db, claimant, place.community, "вул. Миру, 1", None)
    petition = make_petition(db, place, "open")
    assert reading.detail(db, claimant, petition.id).can["sign"] is False
    assert reading.detail(db, claimant, petition.id).sign_denied
