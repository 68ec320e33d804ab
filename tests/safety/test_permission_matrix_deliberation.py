"""Every new act of deliberation and moderation, every role: comment, reply, support, report,
the moderation queue, decisions, appeals, blocks, and the petitions' fraud tools (arrivals and
invalidations), as pages and through the API. Each role's request runs in a savepoint rolled
back afterwards (the helpers of test_permission_matrix.py), so every role meets the same state.

The world: community A with a petition collecting signatures (its author is nobody of the
matrix), a comment on it by a neighbour, a second comment by the resident that a moderator hid
(the resident may appeal), three signatures (two from one suspicious domain), and a block of
the neighbour's friend that a moderator may lift.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.deliberation import service as deliberation
from app.deliberation.models import COMMENT, CommentCreate, Decision
from app.identity import service as identity
from petitions.service import signing
from tests.budget.factories import make_cycle
from tests.factories import make_resident
from tests.petitions.factories import make_petition
from tests.safety.conftest import ROLES, all_routes, build_world
from tests.safety.test_permission_matrix import (
    ANON_GET,
    ANON_POST,
    everyone,
    logged_in,
    only,
    request_as,
    undone,
)
from tests.safety.test_permission_matrix_ballot_fraud import ROUTES as BALLOT_FRAUD_ROUTES

BODY = {"body": "Підтримую: перехід біля школи потрібен."}
REPORT = {"reason": "spam"}
REASON = "Реєстрації одного скрипта з одного домену."
INVALIDATION = {"email_domain": "bots.example", "reason": REASON}
STAFF = ("moderator", "admin")


def commenters(status: int, others: int, anonymous: int) -> dict[str, int]:
    """The rules' default: verified residents of A comment, and A's officials for their
    authority; nobody else."""
    return only({"resident": status, "official": status}, others, anonymous)


def staff(status: int, others: int, anonymous: int) -> dict[str, int]:
    return only(dict.fromkeys(STAFF, status), others, anonymous)


# (method, path, expected statuses, body); paths name the ids of the world below.
ROWS: list[tuple[str, str, dict[str, int], object]] = [
    ("GET", "/discussions/petition/{petition}", everyone(200), None),
    ("POST", "/discussions/petition/{petition}", commenters(303, 403, ANON_POST), BODY),
    ("POST", "/comments/{comment}/support", commenters(303, 403, ANON_POST), {}),
    ("POST", "/comments/{comment}/report", logged_in(303, ANON_POST), REPORT),
    ("POST", "/comments/{comment}/moderation", staff(303, 403, ANON_POST), {"decision": "keep"}),
    ("POST", "/reports/petition/{petition}", logged_in(303, ANON_POST), REPORT),
    ("GET", "/communities/{slug}/moderation", staff(200, 403, ANON_GET), None),
    ("POST", "/moderation/cases/{open_case}", staff(303, 404, ANON_POST), {"decision": "keep"}),
    ("GET", "/moderation/cases/{hidden_case}",
     only({"resident": 200, "moderator": 200, "admin": 200}, 404, ANON_GET), None),
    ("POST", "/moderation/cases/{hidden_case}/appeal", only({"resident": 303}, 403, ANON_POST),
     {"text": "Я написав правду, прошу повернути коментар."}),
    ("GET", "/communities/{slug}/blocks", staff(200, 403, ANON_GET), None),
    ("POST", "/communities/{slug}/blocks", staff(303, 403, ANON_POST),
     {"user_id": "{neighbour_id}", "reason": "Спам у коментарях.", "days": "3"}),
    ("POST", "/blocks/{block}/lift", staff(303, 403, ANON_POST), {}),
    ("GET", "/petitions/{petition}/arrivals", staff(200, 403, ANON_GET), None),
    ("POST", "/petitions/{petition}/invalidations", staff(303, 403, ANON_POST), INVALIDATION),
    ("GET", "/budget/{cycle}/arrivals", staff(200, 403, ANON_GET), None),
    ("GET", "/account/digest", logged_in(200, ANON_GET), None),
    ("POST", "/account/digest", logged_in(303, ANON_POST), {"frequency": "weekly"}),
    # JSON API
    ("GET", "/api/v1/petitions/{petition}/comments", everyone(200), None),
    ("POST", "/api/v1/petitions/{petition}/comments", commenters(201, 403, 401), BODY),
    ("POST", "/api/v1/comments/{comment}/supports", commenters(201, 403, 401), {}),
    ("POST", "/api/v1/comments/{comment}/reports", logged_in(201, 401), REPORT),
    ("POST", "/api/v1/comments/{comment}/moderation", staff(200, 403, 401),
     {"decision": "keep"}),
    ("POST", "/api/v1/moderation/cases/{hidden_case}/appeal", only({"resident": 200}, 403, 401),
     {"text": "Я написав правду, прошу повернути коментар."}),
    ("POST", "/api/v1/communities/{slug}/blocks", staff(201, 403, 401),
     {"user_id": "{neighbour_id}", "reason": "Спам у коментарях.", "days": 3}),
    ("GET", "/api/v1/petitions/{petition}/arrivals", staff(200, 403, 401), None),
    ("GET", "/api/v1/budgets/{cycle}/arrivals", staff(200, 403, 401), None),
    ("POST", "/api/v1/petitions/{petition}/signatures/invalidations", staff(201, 403, 401),
     INVALIDATION),
]


@dataclass
class Setup:
    world: object
    tokens: dict[str, str]
    ids: dict[str, object]


def setup_world(db: Session) -> Setup:
    world = build_world(db)
    place = world.a
    petition = make_petition(db, place, "open")
    neighbour = make_resident(db, place)
    comment = deliberation.add_comment(db, neighbour, "petition", petition.id,
                                       CommentCreate(body="Перехід потрібен дітям."))
    open_case = deliberation.report(db, make_resident(db, place), COMMENT, comment.id, "spam")
    own = deliberation.add_comment(db, world.user("resident"), "petition", petition.id,
                                   CommentCreate(body="Сусід з квартири 5 — шахрай."))
    hidden_case = deliberation.moderate_comment(db, world.user("moderator"), own.id,
                                                Decision.hide, "Образа іншого мешканця.")
    friend = make_resident(db, place)
    block = deliberation.block(db, world.user("moderator"), place.community.id, friend.id,
                               "Погрози в коментарях.", None)
    for i in range(2):
        signing.sign(db, make_resident(db, place, email=f"bot{i}-{petition.id}@bots.example"),
                     petition.id)
    signing.sign(db, make_resident(db, place), petition.id)
    cycle = make_cycle(db, place)
    tokens = {}
    for role in ROLES:
        user = world.user(role)
        if user is not None:
            tokens[role] = identity.create_token(db, user, "matrix")[1]
    db.commit()
    ids = {"petition": petition.id, "comment": comment.id, "open_case": open_case.id,
           "hidden_case": hidden_case.id, "block": block.id, "slug": place.community.slug,
           "neighbour_id": neighbour.id, "cycle": cycle.id}
    return Setup(world, tokens, ids)


def _fill(value, ids):
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize("method, path, expected, body", ROWS,
                         ids=[f"{m} {p}" for m, p, _, _ in ROWS])
def test_each_role_gets_what_the_rules_give_it(client, db, method, path, expected, body):
    setup = setup_world(db)
    url = path.format(**setup.ids)
    api = path.startswith("/api/")
    payload = None
    if body is not None:
        payload = {key: _fill(value, setup.ids) for key, value in body.items()}
        if api and "user_id" in payload:
            payload["user_id"] = int(payload["user_id"])
    got = {}
    for role in ROLES:
        with undone(db):
            response = request_as(client, setup, role, method, url, api=api, data=payload,
                                  json=payload)
            got[role] = response.status_code
    assert got == expected


def test_every_new_route_has_a_row(app):
    """Every route of app.deliberation (the modules' comment routes included) and of the
    petitions' fraud tools is in the table above."""
    names = {"{petition_id:id}": "{petition}", "{petition_id:int}": "{petition}",
             "{cycle_id}": "{cycle}", "{cycle_id:id}": "{cycle}",
             "{subject_type}/{subject_id:int}": "petition/{petition}",
             "{comment_id:int}": "{comment}", "{comment_id:id}": "{comment}",
             "{block_id:int}": "{block}"}
    table = {(m, p) for m, p, _, _ in ROWS}
    found, missing = [], []
    for route in all_routes(app):
        module = getattr(route.endpoint, "__module__", "")
        if not (module.startswith("app.deliberation")
                or route.path.endswith(("/arrivals", "/invalidations"))):
            continue
        if "/projects/" in route.path:
            continue  # the same checks on a project: tests/app/deliberation/test_api.py
        if route.path.startswith("/api/v1/consultations/"):
            continue  # each phase: tests/safety/test_permission_matrix_consultation_comments.py
        for method in route.methods - {"HEAD"}:
            generic = route.path
            for key, value in names.items():
                generic = generic.replace(key, value)
            found.append((method, route.path))
            if (method, route.path) in BALLOT_FRAUD_ROUTES:
                continue  # every phase: tests/safety/test_permission_matrix_ballot_fraud.py
            if not {(method, generic.replace("{case_id:int}", case).replace("{case_id:id}",
                                                                               case))
                    for case in ("{open_case}", "{hidden_case}")} & table:
                missing.append((method, route.path))
    assert len(found) >= len(ROWS)
    assert not missing, missing
