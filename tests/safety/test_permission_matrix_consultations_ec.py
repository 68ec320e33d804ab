"""Every role against the routes of consultations at the Commission's standard: the register's
members, statements and votes of the opinion map, the moderation of contributions, and the
public pages (register, invitations, contributions, map). Community A's open consultation has
one statement by a resident of A and one verified organisation registered by another resident.
"""

from __future__ import annotations

import pytest

from tests.consultations.factories import make_consultation, make_organisation
from tests.factories import make_resident
from tests.safety.conftest import ROLES
from tests.safety.test_permission_matrix import (
    ANON_GET,
    ANON_POST,
    everyone,
    logged_in,
    only,
    request_as,
    setup_world,
    undone,
)

# Only the verified resident of A takes part in the map: the staff, the observer and the admin
# of the world are no residents of A, the outsider and the other community's official belong
# elsewhere.
PARTAKERS = ("resident",)


def _takes_part(allowed: int, others: int, anonymous: int) -> dict[str, int]:
    return only(dict.fromkeys(PARTAKERS, allowed), others, anonymous)


# (method, path, expected statuses, body); {c}: the consultation, {s}: the statement,
# {o}: the organisation, {r}: a response.
TABLE = [
    ("GET", "/consultations/organisations/register?community={slug}", everyone(200), None),
    ("GET", "/consultations/{c}/map", everyone(200), None),
    ("GET", "/consultations/{c}/contributions", everyone(200), None),
    ("GET", "/consultations/{c}/contributions/moderate",
     only({"moderator": 200, "admin": 200}, 403, ANON_GET), None),
    ("POST", "/consultations/{c}/statements",
     _takes_part(303, 403, ANON_POST), {"body": "Benches in every park, please"}),
    ("POST", "/consultations/{c}/statements/{s}/vote",
     _takes_part(303, 403, ANON_POST), {"vote": "agree"}),
    ("POST", "/consultations/organisations/{o}/join",
     logged_in(303, ANON_POST), None),
    ("GET", "/api/v1/consultations/organisations?community_id={community_id}",
     everyone(200), None),
    ("GET", "/api/v1/consultations/{c}/invitations", everyone(200), None),
    ("GET", "/api/v1/consultations/{c}/contributions", everyone(200), None),
    ("GET", "/api/v1/consultations/{c}/statements", everyone(200), None),
    ("GET", "/api/v1/consultations/{c}/map", everyone(200), None),
    ("POST", "/api/v1/consultations/{c}/statements",
     _takes_part(201, 403, 401), {"body": "Benches in every park, please"}),
    ("POST", "/api/v1/consultations/{c}/statements/{s}/vote",
     _takes_part(201, 403, 401), {"vote": "disagree"}),
    ("POST", "/api/v1/consultations/organisations/{o}/members",
     logged_in(201, 401), None),
    ("GET", "/api/v1/consultations/organisations/{o}/members",
     logged_in(403, 401), None),
    ("POST", "/api/v1/consultations/{c}/contributions/{r}/redact",
     only({"moderator": 200, "admin": 200}, 403, 401),
     {"question_id": "{q}", "text": "Trees."}),
]


@pytest.mark.parametrize("method, path, expected, body", TABLE,
                         ids=[f"{m} {p}" for m, p, _, _ in TABLE])
def test_route_answers_each_role_as_expected(client, db, method, path, expected, body):
    from consultations.models import QuestionKind, StatementIn
    from consultations.service import mapping, reading, responding
    from tests.consultations.factories import answers

    setup = setup_world(db)
    world = setup.world
    c = make_consultation(db, world.a)
    author = make_resident(db, world.a)
    statement = mapping.add_statement(db, author, c, StatementIn(body="More trees near schools"))
    org = make_organisation(db, world.a, make_resident(db, world.a), name="Matrix NGO")
    text_q = next(v for v in reading.questions(db, c) if v.question.kind == QuestionKind.text)
    response = responding.respond(db, author, c, responding.ResponseIn(
        answers=answers(db, c, text="Trees near school five."))).response
    db.commit()
    values = {"c": c.id, "s": statement.id, "o": org.id, "r": response.id, "q": text_q.question.id,
              "slug": world.a.community.slug, "community_id": world.a.community.id}
    url = path.format(**values)
    payload = ({k: (v.format(**values) if isinstance(v, str) else v) for k, v in body.items()}
               if body else None)
    if payload and "question_id" in payload:
        payload["question_id"] = int(payload["question_id"])
    got = {}
    for role in ROLES:
        with undone(db):
            got[role] = request_as(client, setup, role, method, url,
                                   api=path.startswith("/api/"), data=payload,
                                   json=payload).status_code
    assert got == expected
