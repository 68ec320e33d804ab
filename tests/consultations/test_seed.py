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
    assert phases == [Phase.open, Phase.reported, Phase.closed, Phase.open]
    open_one, reported, evidence, draft = consultations
    # The community that follows the Commission: 4 weeks of evidence, then 12 on the draft.
    assert (evidence.stage, draft.stage, draft.evidence_id) == ("evidence", "draft",
                                                                evidence.id)
    assert (evidence.end_date - evidence.start_date).days + 1 == 28
    assert (draft.end_date - draft.start_date).days + 1 == 84
    assert draft.invitation_count == 2 and draft.response_count == 6
    assert draft.statement_count == 4 and draft.vote_count > 20
    assert open_one.response_count >= 4 and open_one.ngo_count == 1
    assert reading.questions(db, open_one) and reading.sections(db, open_one)
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", reported.id)
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time
    assert reported.rating_yes + reported.rating_partly == 2
    assert app_clock.now() == clock()  # the seed put the test's clock back
    seed(db, demo)  # again: nothing new
    assert db.exec(select(func.count()).select_from(Consultation)).one() == 4
