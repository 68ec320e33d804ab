"""The moderators' fraud tools: how signatures arrived, and the invalidation of a set of them
with exact counts afterwards, the threshold state and the obligation following, the signers
told; a property test that any sequence of signatures, withdrawals and invalidations leaves
every counter equal to its rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from app import clock as app_clock
from app.deliberation.networks import network_hash
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.notifications.models import Message
from petitions import repository as repo
from petitions.models import InvalidationCreate, PetitionInvalidation, PetitionSignature
from petitions.service import fraud, signing
from tests.factories import make_community, make_moderator, make_resident
from tests.petitions.factories import make_petition
from tests.petitions.helpers import audit_actions, obligation, stored

REASON = "Підписи з одного скрипта: однакові адреси й мережа."


def invalidation(**kw) -> InvalidationCreate:
    return InvalidationCreate(reason=kw.pop("reason", REASON), **kw)


def public_rows(db, petition_id: int) -> int:
    return db.exec(select(func.count()).select_from(PetitionSignature).where(
        PetitionSignature.petition_id == petition_id,
        PetitionSignature.public_name.is_(True))).one()


def exact(db, petition_id: int) -> bool:
    petition = stored(db, petition_id)
    return (petition.signature_count == repo.count_signatures(db, petition_id)
            and petition.public_signer_count == public_rows(db, petition_id))


@pytest.fixture
def place(db):
    return make_community(db, rules_override={"petitions": {"threshold": 5}})


def test_invalidating_a_domain_drops_the_count_exactly_and_tells_the_signers(db, place):
    petition = make_petition(db, place, "open")
    moderator = make_moderator(db, place)
    bots = [make_resident(db, place, email=f"bot{i}@spam.example") for i in range(3)]
    people = [make_resident(db, place) for _ in range(1)]
    for signer in bots + people:
        signing.sign(db, signer, petition.id, public_name=True)
    assert stored(db, petition.id).signature_count == 4
    done = fraud.invalidate(db, moderator, petition.id, invalidation(email_domain="SPAM.example"))
    assert done.invalidation.count == 3 and done.invalidation.public_count == 3
    assert stored(db, petition.id).signature_count == 1 and exact(db, petition.id)
    assert "petition.signatures_invalidated" in audit_actions(db, petition.id)
    told = db.exec(select(Message).where(Message.user_id == bots[0].id)).all()
    assert any(REASON in m.body for m in told)
    signing.sign(db, bots[0], petition.id)  # they may sign again to confirm
    assert stored(db, petition.id).signature_count == 2 and exact(db, petition.id)


def test_invalidating_a_network_or_a_time_window(db, clock, place):
    petition = make_petition(db, place, "open")
    moderator = make_moderator(db, place)
    for _ in range(2):
        signing.sign(db, make_resident(db, place), petition.id, client_address="203.0.113.7")
    signing.sign(db, make_resident(db, place), petition.id, client_address="198.51.100.1")
    clock.advance(hours=2)
    later = app_clock.now()
    signing.sign(db, make_resident(db, place), petition.id, client_address="2001:db8::1")
    fraud.invalidate(db, moderator, petition.id,
                     invalidation(network=network_hash("203.0.113.200")))  # the same /24
    assert stored(db, petition.id).signature_count == 2 and exact(db, petition.id)
    fraud.invalidate(db, moderator, petition.id, invalidation(
        signed_from=later - timedelta(minutes=1), signed_until=later + timedelta(minutes=1)))
    assert stored(db, petition.id).signature_count == 1 and exact(db, petition.id)


def test_a_filter_that_matches_nothing_or_everything_writes_nothing(db, place):
    petition = make_petition(db, place, "open")
    moderator = make_moderator(db, place)
    for _ in range(2):
        signing.sign(db, make_resident(db, place), petition.id)
    for bad in (invalidation(email_domain="nobody.example"), invalidation(),
                invalidation(email_domain="example.org"),  # every factory signer's domain
                invalidation(email_domain="not a domain"),
                invalidation(email_domain="nobody.example", reason="short")):
        with pytest.raises(InvalidInput):
            fraud.invalidate(db, moderator, petition.id, bad)
    assert stored(db, petition.id).signature_count == 2 and exact(db, petition.id)
    assert db.exec(select(PetitionInvalidation)).all() == []


def test_only_a_moderator_of_the_community_invalidates(db, place):
    petition = make_petition(db, place, "open")
    signing.sign(db, make_resident(db, place), petition.id)
    other = make_moderator(db, make_community(db))
    for person in (make_resident(db, place), other):
        with pytest.raises(Forbidden):
            fraud.invalidate(db, person, petition.id, invalidation(email_domain="example.org"))
        with pytest.raises(Forbidden):
            fraud.arrivals(db, person, petition.id)


def test_a_threshold_no_longer_reached_reopens_collection_and_marks_the_obligation(db, place):
    petition = make_petition(db, place, "open")
    moderator = make_moderator(db, place)
    for i in range(5):
        domain = "spam.example" if i < 2 else "example.org"
        signing.sign(db, make_resident(db, place, email=f"t{i}-{petition.id}@{domain}"),
                     petition.id)
    assert stored(db, petition.id).status == "awaiting_answer"
    assert obligation(db, petition.id).threshold_lost_at is None
    fraud.invalidate(db, moderator, petition.id, invalidation(email_domain="spam.example"))
    again = stored(db, petition.id)
    assert (again.status, again.signature_count, again.answer_due_at) == ("open", 3, None)
    marked = obligation(db, petition.id)
    assert marked is not None and marked.threshold_lost_at is not None  # marked, kept
    for _ in range(2):
        signing.sign(db, make_resident(db, place), petition.id)
    assert stored(db, petition.id).status == "awaiting_answer"
    assert obligation(db, petition.id).threshold_lost_at is None  # it stands again


def test_arrivals_per_hour_domain_and_network_with_bursts(db, clock):
    place = make_community(db, rules_override={
        "petitions": {"threshold": 500},
        "deliberation": {"burst_minimum": 4, "burst_factor": 3}})
    petition = make_petition(db, place, "open")
    moderator = make_moderator(db, place)
    for _hour in range(3):
        signing.sign(db, make_resident(db, place), petition.id, client_address="192.0.2.1")
        clock.advance(hours=1)
    for i in range(6):
        signing.sign(db, make_resident(db, place, email=f"b{i}@burst.example"), petition.id,
                     client_address="198.51.100.9")
    seen = fraud.arrivals(db, moderator, petition.id)
    assert [h.count for h in seen.hours] == [1, 1, 1, 6]
    assert [h.burst for h in seen.hours] == [False, False, False, True]
    assert seen.domains[0] == ("burst.example", 6)
    assert seen.networks[0] == (network_hash("198.51.100.1"), 6)


def test_network_hashes_are_dropped_after_the_retention(db, clock, place):
    petition = make_petition(db, place, "open")
    signing.sign(db, make_resident(db, place), petition.id, client_address="192.0.2.1")
    clock.advance(days=91)
    assert fraud.forget_networks(db) >= 1
    assert repo.arrivals_by_network(db, petition.id) == []


# -- the property -----------------------------------------------------------------------------

SIGNERS = 6
act = st.one_of(
    st.tuples(st.just("sign"), st.integers(0, SIGNERS - 1), st.booleans()),
    st.tuples(st.just("withdraw"), st.integers(0, SIGNERS - 1), st.booleans()),
    st.tuples(st.just("domain"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("network"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("window"), st.integers(0, 5), st.booleans()),
)


def test_any_sequence_keeps_every_counter_equal_to_its_rows(db, clock):
    place = make_community(db, rules_override={"petitions": {"threshold": 4}})
    moderator = make_moderator(db, place)
    signers = [make_resident(db, place, email=f"p{i}@d{i % 2}.example")
               for i in range(SIGNERS)]
    seen = {"invalidated": 0, "refused": 0}

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.lists(act, min_size=1, max_size=14))
    # Always among the examples: an invalidation that takes one of two signatures, and a
    # refused act (so the final assertion never depends on what was drawn).
    @example([("sign", 0, False), ("sign", 1, True), ("domain", 0, False),
              ("withdraw", 3, False)])
    def run(acts):
        petition = make_petition(db, place, "open")
        times = []
        for kind, n, flag in acts:
            clock.advance(minutes=1)
            times.append(app_clock.now())
            try:
                if kind == "sign":
                    signing.sign(db, signers[n], petition.id, public_name=flag,
                                 client_address=f"10.0.{n % 2}.{n}")
                elif kind == "withdraw":
                    signing.withdraw(db, signers[n], petition.id)
                else:
                    data = {"domain": {"email_domain": f"d{n}.example"},
                            "network": {"network": network_hash(f"10.0.{n}.1")},
                            "window": {"signed_from": times[min(n, len(times) - 1)]}}[kind]
                    fraud.invalidate(db, moderator, petition.id, invalidation(**data))
                    seen["invalidated"] += 1
            except (Conflict, Forbidden, InvalidInput, NotFound):
                seen["refused"] += 1
            db.expire_all()
            now = stored(db, petition.id)
            assert exact(db, petition.id), (kind, n)
            if now.status == "open":
                assert now.signature_count < now.threshold
            if now.status == "awaiting_answer":
                assert now.signature_count >= now.threshold

    run()
    assert seen["invalidated"] and seen["refused"]
