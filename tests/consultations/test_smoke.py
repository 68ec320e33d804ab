from consultations.models import Phase
from consultations.service import reading
from tests.consultations.factories import make_consultation, respond
from tests.factories import make_community, make_resident


def test_smoke(db, clock):
    place = make_community(db)
    c = make_consultation(db, place)
    assert reading.phase(c) == Phase.open
    r = make_resident(db, place)
    respond(db, c, r)
    db.refresh(c)
    assert c.response_count == 1
