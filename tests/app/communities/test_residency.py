"""Residency: a person claims it, an official of that community verifies or rejects it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.communities import permissions
from app.communities import service as communities
from app.communities.models import Residency, ResidencyStatus
from app.exceptions import Conflict, Forbidden
from tests.factories import (
    make_admin,
    make_community,
    make_moderator,
    make_observer,
    make_official,
    make_resident,
    make_user,
)


def residency_of(db, user, place) -> Residency | None:
    return db.exec(select(Residency).where(Residency.user_id == user.id,
                                           Residency.community_id == place.community.id)
                   ).first()


def test_claim_then_an_official_verifies(client, make_client, db):
    place = make_community(db)
    person = make_user(db, name="Марта Шевчук", birth_date=None)
    official = make_official(db, place)
    client.login(person)
    slug = place.community.slug

    form = client.get(f"/communities/{slug}/residency")
    assert form.status_code == 200
    claimed = client.submit(f"/communities/{slug}/residency",
                            {"address": "вул. Городоцька, 12, кв. 5", "birth_date": "1988-02-29"})

    assert claimed.status_code == 303
    residency = residency_of(db, person, place)
    assert residency.status == ResidencyStatus.claimed
    assert residency.address == "вул. Городоцька, 12, кв. 5"
    assert person.birth_date == date(1988, 2, 29)
    assert not permissions.is_verified_resident(db, person, place.community.id)
    assert "очікує на підтвердження" in client.get(f"/communities/{slug}").text

    clerk = make_client().login(official)
    queue = clerk.get(f"/communities/{slug}/residents")
    assert queue.status_code == 200
    assert "Марта Шевчук" in queue.text
    decided = clerk.submit(f"/residency/{residency.id}/decision", {"decision": "verify"})

    assert decided.status_code == 303
    assert decided.headers["location"] == f"/communities/{slug}/residents"
    db.refresh(residency)
    assert residency.status == ResidencyStatus.verified
    assert residency.decided_by_id == official.id
    db.info.pop("memberships", None)
    assert permissions.is_verified_resident(db, person, place.community.id)
    assert "Марта Шевчук" not in clerk.get(f"/communities/{slug}/residents").text
    assert "Ви — підтверджений житель громади." in client.get(f"/communities/{slug}").text


def test_a_rejected_claim_can_be_made_again(client, db):
    place = make_community(db)
    person = make_user(db)
    official = make_official(db, place)
    claim = communities.claim_residency(db, person, place.community, "вул. Зелена, 1", None)
    communities.decide_residency(db, official, claim.id, approve=False)
    assert claim.status == ResidencyStatus.rejected
    with pytest.raises(Conflict):
        communities.decide_residency(db, official, claim.id, approve=True)

    again = communities.claim_residency(db, person, place.community, "вул. Зелена, 3", None)

    assert again.id == claim.id
    assert again.status == ResidencyStatus.claimed
    assert again.decided_at is None


def test_a_second_claim_is_a_conflict(db):
    place = make_community(db)
    person = make_user(db)
    communities.claim_residency(db, person, place.community, "вул. Зелена, 1", None)
    with pytest.raises(Conflict):
        communities.claim_residency(db, person, place.community, "вул. Зелена, 1", None)


@pytest.mark.parametrize(("data", "field"), [
    ({"address": "x", "birth_date": "1990-01-01"}, "address"),
    ({"address": "вул. Зелена, 1", "birth_date": "2999-01-01"}, "birth_date"),
    ({"address": "вул. Зелена, 1", "birth_date": "01.01.1990"}, "birth_date"),
    ({"address": "вул. Зелена, 1", "birth_date": ""}, "birth_date"),
])
def test_an_invalid_claim_is_refused_and_nothing_written(client, db, data, field):
    place = make_community(db)
    person = make_user(db, birth_date=None)
    client.login(person)

    response = client.submit(f"/communities/{place.community.slug}/residency", data)

    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert residency_of(db, person, place) is None


def _other_place_official(db, place):
    return make_official(db, make_community(db))


FORBIDDEN = {
    "resident": lambda db, place: make_resident(db, place),
    "moderator": lambda db, place: make_moderator(db, place),
    "observer": lambda db, place: make_observer(db),
    "official of another community": _other_place_official,
    "resident of another community": lambda db, place: make_resident(db, make_community(db)),
    "moderator of another community": lambda db, place: make_moderator(db, make_community(db)),
}


@pytest.mark.parametrize("role", list(FORBIDDEN))
def test_only_officials_of_the_community_verify(client, db, role):
    place = make_community(db)
    claim = communities.claim_residency(db, make_user(db), place.community,
                                        "вул. Зелена, 1", None)
    actor = FORBIDDEN[role](db, place)
    client.login(actor)

    queue = client.get(f"/communities/{place.community.slug}/residents")
    response = client.submit(f"/residency/{claim.id}/decision", {"decision": "verify"})

    assert queue.status_code == 403
    assert response.status_code == 403
    assert "Підтвердити проживання може лише посадова особа цієї громади." in response.text
    db.refresh(claim)
    assert claim.status == ResidencyStatus.claimed
    with pytest.raises(Forbidden):
        communities.decide_residency(db, actor, claim.id, approve=True)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    place = make_community(db)
    claim = communities.claim_residency(db, make_user(db), place.community,
                                        "вул. Зелена, 1", None)
    db.commit()
    slug = place.community.slug

    queue = client.get(f"/communities/{slug}/residents")
    response = client.submit(f"/residency/{claim.id}/decision", {"decision": "verify"})

    assert queue.status_code == 303
    assert queue.headers["location"] == f"/login?next=/communities/{slug}/residents"
    assert response.status_code == 401
    db.refresh(claim)
    assert claim.status == ResidencyStatus.claimed


def test_an_official_of_any_authority_of_the_community_and_an_admin_verify(db):
    place = make_community(db)
    for actor in (make_official(db, place, place.department), make_admin(db)):
        claim = communities.claim_residency(db, make_user(db), place.community,
                                            "вул. Зелена, 1", None)
        assert communities.decide_residency(db, actor, claim.id, True).status == \
            ResidencyStatus.verified


def test_an_unknown_decision_is_refused(client, db):
    place = make_community(db)
    claim = communities.claim_residency(db, make_user(db), place.community,
                                        "вул. Зелена, 1", None)
    client.login(make_official(db, place))
    response = client.submit(f"/residency/{claim.id}/decision", {"decision": "maybe"})
    assert response.status_code == 422
    assert client.submit("/residency/999999/decision",
                         {"decision": "verify"}).status_code == 404
