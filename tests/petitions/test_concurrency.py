"""Signing under real concurrency: threads, separate connections, real commits; each scenario
both in the signer's own transaction (CLI, tests) and through the group commit (requests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.db import GROUP_COMMIT, build_engine, transaction
from app.exceptions import Conflict
from petitions.models import Petition, PetitionSignature
from petitions.service import signing
from tests.factories import make_community, make_resident
from tests.petitions.factories import make_petition


@contextmanager
def own_transaction(engine) -> Iterator:
    with transaction(engine) as session:
        yield session


@contextmanager
def batched_request(engine) -> Iterator:
    """What a request of a batched route has: a read-only session that hands writes on."""
    with transaction(engine, write=False) as session:
        session.info[GROUP_COMMIT] = True
        yield session


@pytest.mark.parametrize("session_for", [own_transaction, batched_request])
def test_concurrent_signing(isolated_database, session_for):
    """One database for both checks (creating one costs seconds on PostgreSQL)."""
    engine = build_engine(isolated_database, pool_size=16, max_overflow=8)
    try:
        hundred_residents_signing_twice_at_once(engine, session_for)
        the_threshold_is_crossed_exactly_once(engine, session_for)
    finally:
        engine.dispose()


def hundred_residents_signing_twice_at_once(engine, session_for):
    with transaction(engine) as session:
        place = make_community(session, rules_override={"petitions": {"threshold": 1000}})
        petition = make_petition(session, place, "open")
        residents = [make_resident(session, place) for _ in range(100)]
        for person in residents:
            session.expunge(person)
        petition_id = petition.id

    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(job) -> None:
        person, public = job
        try:
            with session_for(engine) as session:
                signing.sign(session, person, petition_id, public_name=public)
            result = "signed"
        except Conflict:
            result = "refused"
        with lock:
            outcomes.append(result)

    # Each resident's two attempts sit side by side, so two threads run them at once.
    jobs = [(person, public) for person in residents for public in (True, False)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(attempt, jobs))

    assert outcomes.count("signed") == 100
    assert outcomes.count("refused") == 100
    with transaction(engine, write=False) as session:
        stored = session.get(Petition, petition_id)
        rows = session.exec(select(func.count()).select_from(PetitionSignature)
                            .where(PetitionSignature.petition_id == petition_id)).one()
        assert stored.signature_count == 100 == rows
        public = session.exec(select(func.count()).select_from(PetitionSignature).where(
            PetitionSignature.petition_id == petition_id, PetitionSignature.public_name)).one()
        assert stored.public_signer_count == public


def the_threshold_is_crossed_exactly_once(engine, session_for):
    with transaction(engine) as session:
        place = make_community(session, rules_override={"petitions": {"threshold": 20}})
        petition = make_petition(session, place, "open")
        residents = [make_resident(session, place) for _ in range(40)]
        for person in residents:
            session.expunge(person)
        petition_id = petition.id

    results: list[str] = []
    lock = threading.Lock()

    def attempt(person) -> None:
        try:
            with session_for(engine) as session:
                signing.sign(session, person, petition_id)
            result = "signed"
        except Conflict:
            result = "refused"
        with lock:
            results.append(result)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(attempt, residents))
    assert results.count("signed") == 20
    with transaction(engine, write=False) as session:
        stored = session.get(Petition, petition_id)
        assert (stored.status, stored.signature_count) == ("awaiting_answer", 20)
        from app.accountability.models import Obligation

        assert session.exec(select(func.count()).select_from(Obligation).where(
            Obligation.subject_id == petition_id)).one() == 1
        from app.notifications.models import Follow

        # Only those counted follow it (and its author): one refused after the threshold not.
        followers = set(session.exec(select(Follow.user_id).where(
            Follow.subject_type == "petition", Follow.subject_id == petition_id)).all())
        signers = set(session.exec(select(PetitionSignature.user_id).where(
            PetitionSignature.petition_id == petition_id)).all())
        assert len(signers) == 20 and followers - signers == {stored.author_id}
