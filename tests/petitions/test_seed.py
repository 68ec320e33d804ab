"""The demo petitions: every state of the loop, reached through the service; idempotent."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from app.seed import seed_demo
from petitions.models import Petition, public_status
from petitions.seed import seed
from petitions.service import reading


def test_demo_petitions_in_every_state(db, clock):
    demo = seed_demo(db, [seed])
    assert demo is not None
    petitions = list(db.exec(select(Petition)))
    shown = Counter(public_status(p, clock.current).value for p in petitions)
    assert shown == Counter({"open": 2, "overdue": 1, "answered": 1, "moderation": 1,
                             "draft": 1, "sponsoring": 1, "rejected": 1})
    answered = next(p for p in petitions if p.status == "answered")
    view = reading.detail(db, None, answered.id)
    assert view.ratings.total == 4 and len(view.updates) == 1
    assert all(p.signature_count <= (p.threshold or 0) for p in petitions)

    before = len(petitions)
    seed(db, demo)  # a second call changes nothing
    assert len(list(db.exec(select(Petition)))) == before
