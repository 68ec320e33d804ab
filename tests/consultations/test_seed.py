"""The demo seed: one open consultation with answers, one reported; idempotent."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from app import clock as app_clock
from app.accountability import service as accountability
from app.accountability.models import ObligationStatus
from app.seed import seed_demo
from consultations.models import OBLIGATION_KIND, Consultation, Phase
from consultations.seed import seed
from consultations.service import reading


def test_seed_creates_an_open_and_a_reported_consultation_once(db, clock):
    demo = seed_demo(db, [seed])
    assert demo is not None
    consultations = db.exec(select(Consultation).order_by(Consultation.id)).all()
    phases = [reading.phase(c) for c in consultations]
    assert phases == [Phase.open, Phase.reported]
    open_one, reported = consultations
    assert open_one.response_count >= 4 and open_one.ngo_count == 1
    assert reading.questions(db, open_one) and reading.sections(db, open_one)
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", reported.id)
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time
    assert reported.rating_yes + reported.rating_partly == 2
    assert app_clock.now() == clock()  # the seed put the test's clock back
    seed(db, demo)  # again: nothing new
    assert db.exec(select(func.count()).select_from(Consultation)).one() == 2
