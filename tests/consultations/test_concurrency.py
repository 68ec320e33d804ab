"""Counters stay exact when many people answer and edit at once (real commits, threads)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.db import build_engine, transaction
from app.exceptions import Conflict
from consultations.models import (
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    ConsultationResponse,
    ResponseIn,
)
from consultations.service import responding
from tests.consultations.factories import answers, make_consultation
from tests.factories import make_community, make_resident

PEOPLE = 8


@pytest.fixture
def engine(isolated_database):
    engine = build_engine(isolated_database)
    yield engine
    engine.dispose()


def test_concurrent_responses_keep_counters_exact(engine, clock):
    with transaction(engine) as session:
        place = make_community(session)
        c = make_consultation(session, place)
        people = [make_resident(session, place) for _ in range(PEOPLE)]
        cid, ids = c.id, [p.id for p in people]
    errors: list[BaseException] = []
    barrier = threading.Barrier(PEOPLE)

    def answer(user_id: int, n: int) -> None:
        try:
            barrier.wait()
            for attempt in range(2):  # the second attempt is a duplicate: refused, not counted
                with transaction(engine) as session:
                    from app.identity.models import User

                    consultation = session.get(Consultation, cid)
                    user = session.get(User, user_id)
                    try:
                        responding.respond(session, user, consultation, ResponseIn(
                            answers=answers(session, consultation, single=n % 3,
                                            multiple=(0, 1) if n % 2 else (2,))))
                    except Conflict:
                        assert attempt == 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(uid, n)) for n, uid in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with transaction(engine, write=False) as session:
        c = session.get(Consultation, cid)
        assert c.response_count == PEOPLE == c.resident_count
        assert session.exec(select(func.count()).select_from(ConsultationResponse)).one() == PEOPLE
        for option in session.exec(select(ConsultationOption)).all():
            real = session.exec(select(func.count()).select_from(ConsultationAnswer)
                                .where(ConsultationAnswer.option_id == option.id)).one()
            assert option.count == real
