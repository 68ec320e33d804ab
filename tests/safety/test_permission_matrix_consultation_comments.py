"""Comments on a consultation's sections, on the kernel's mechanism: every role against every
phase, as pages and through the API: read the discussion (all of it, one section), comment on a
section, comment for an organisation, support, report, a moderator's direct hiding (the
kernel's decision from the discussion, and the consultation API's hide).

The world: community A's council holds one consultation in each phase (a draft, a scheduled
one, an open one, a closed one awaiting its report). The open and the closed one have a
comment on their first section by a neighbour (nobody of the matrix), written while open. The
matrix's resident acts for a verified organisation of A. Each role's request runs in a
savepoint rolled back afterwards (the helpers of test_permission_matrix.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session

from app import clock
from app.identity import service as identity
from consultations.models import Phase
from consultations.service import reading
from tests.consultations.factories import comment, make_consultation, make_organisation, today
from tests.factories import make_resident
from tests.safety.conftest import ROLES, all_routes, build_world
from tests.safety.test_permission_matrix import ANON_POST, request_as, undone

PHASES = (Phase.draft, Phase.scheduled, Phase.open, Phase.closed)
COMMENTERS = ("resident", "official")  # a resident of A; an official of its council
STAFF = ("moderator", "admin")
SEES_DRAFTS = ("official", "admin")
BODY = "Пропоную більше тіні біля дитячих майданчиків."
REASON = "Образа інших учасників."


def _sees(role: str, phase: Phase) -> bool:
    return phase != Phase.draft or role in SEES_DRAFTS


def read(api: bool):
    """The discussion is as public as the consultation: a draft is the authority's."""
    def expected(role: str, phase: Phase) -> int:
        return 200 if _sees(role, phase) else 404
    return expected


def write(ok: int, api: bool, *, voice: bool = False):
    """Comment while open: those who take part and the authority's officials (for an
    organisation: only who acts for it); before and after, nobody (409)."""
    def expected(role: str, phase: Phase) -> int:
        if role == "anonymous":
            return 401 if api else ANON_POST  # a login first, even on a draft
        if not _sees(role, phase):
            return 404
        if phase != Phase.open:
            return 409
        allowed = ("resident",) if voice else COMMENTERS
        return ok if role in allowed else 403
    return expected


def report(ok: int, api: bool):
    """Anyone logged in reports a comment once, whatever the phase."""
    def expected(role: str, phase: Phase) -> int:
        return (401 if api else ANON_POST) if role == "anonymous" else ok
    return expected


def moderate(ok: int, api: bool):
    """A moderator of A (or an admin) hides a comment at once, with a public reason."""
    def expected(role: str, phase: Phase) -> int:
        if role == "anonymous":
            return 401 if api else ANON_POST
        return ok if role in STAFF else 403
    return expected


def support(ok: int, api: bool):
    def expected(role: str, phase: Phase) -> int:
        if role == "anonymous":
            return 401 if api else ANON_POST
        if phase != Phase.open:
            return 409
        return ok if role in COMMENTERS else 403
    return expected


# (method, path, expected(role, phase), body, phases with a comment only)
ROWS = [
    ("GET", "/consultations/{c}", read(False), None, False),
    ("GET", "/consultations/{c}?anchor={section}", read(False), None, False),
    ("GET", "/discussions/consultation/{c}", read(False), None, False),
    ("GET", "/discussions/consultation/{c}?anchor={section}", read(False), None, False),
    ("POST", "/discussions/consultation/{c}", write(303, False),
     {"body": BODY, "anchor_id": "{section}", "publication": "anonymous"}, False),
    ("POST", "/discussions/consultation/{c}#voice", write(303, False, voice=True),
     {"body": BODY, "anchor_id": "{section}", "voice_id": "{org}"}, False),
    ("POST", "/comments/{comment}/support", support(303, False), {}, True),
    ("POST", "/comments/{comment}/report", report(303, False), {"reason": "off_topic"}, True),
    ("POST", "/comments/{comment}/moderation", moderate(303, False),
     {"decision": "hide", "reason": REASON}, True),
    # JSON API
    ("GET", "/api/v1/consultations/{c}/comments", read(True), None, False),
    ("GET", "/api/v1/consultations/{c}/comments?section_id={section}", read(True), None,
     False),
    ("POST", "/api/v1/consultations/{c}/comments", write(201, True),
     {"body": BODY, "section_id": "{section}", "publication": "unpublished"}, False),
    ("POST", "/api/v1/consultations/{c}/comments#voice", write(201, True, voice=True),
     {"body": BODY, "section_id": "{section}", "organisation_id": "{org}"}, False),
    ("POST", "/api/v1/comments/{comment}/reports", report(201, True), {"reason": "spam"},
     True),
    ("POST", "/api/v1/comments/{comment}/moderation", moderate(200, True),
     {"decision": "hide", "reason": REASON}, True),
    ("POST", "/api/v1/consultations/{c}/comments/{comment}/hide", moderate(200, True),
     {"reason": REASON}, True),
]


@dataclass
class Setup:
    world: object
    tokens: dict[str, str]
    ids: dict[Phase, dict[str, object]]


def setup_world(db: Session) -> Setup:
    world = build_world(db)
    place = world.a
    official = world.user("official")
    org = make_organisation(db, place, world.user("resident"), name="Тінь для дітей")
    neighbour = make_resident(db, place)
    ids: dict[Phase, dict[str, object]] = {}
    for phase in PHASES:
        start = today() + timedelta(days=3) if phase == Phase.scheduled else None
        c = make_consultation(db, place, official, publish=phase != Phase.draft, start=start,
                              title=f"Консультація: {phase.value}")
        section = reading.sections(db, c)[0]
        found = {"c": c.id, "section": section.id, "org": org.id, "comment": None}
        if phase in (Phase.open, Phase.closed):
            found["comment"] = comment(db, c, neighbour, section.id, "Сказано, поки було "
                                                                     "відкрито.").id
        if phase == Phase.closed:  # its end date passed an hour ago
            c.ends_at = clock.now() - timedelta(hours=1)
            db.add(c)
            db.flush()
        assert reading.phase(c) == phase
        ids[phase] = found
    tokens = {role: identity.create_token(db, world.user(role), "matrix")[1]
              for role in ROLES if world.user(role) is not None}
    db.commit()
    return Setup(world, tokens, ids)


def _fill(value, ids, api: bool):
    if not isinstance(value, str) or "{" not in value:
        return value
    filled = value.format(**ids)
    return int(filled) if api else filled


def cases():
    for method, path, expected, body, needs_comment in ROWS:
        for phase in PHASES:
            if needs_comment and phase not in (Phase.open, Phase.closed):
                continue  # no comment exists before a consultation opens
            yield pytest.param(method, path, phase, expected, body,
                               id=f"{method} {path} {phase.value}")


@pytest.mark.parametrize("method, path, phase, expected, body", list(cases()))
def test_each_role_in_each_phase_gets_what_the_rules_give_it(client, db, method, path, phase,
                                                             expected, body):
    setup = setup_world(db)
    ids = setup.ids[phase]
    url = path.split("#")[0].format(**ids)
    api = path.startswith("/api/")
    payload = None if body is None else {k: _fill(v, ids, api) for k, v in body.items()}
    got, want = {}, {}
    for role in ROLES:
        with undone(db):
            response = request_as(client, setup, role, method, url, api=api, data=payload,
                                  json=payload)
            got[role] = response.status_code
        want[role] = expected(role, phase)
    assert got == want


def test_the_matrix_is_not_vacuous():
    """Every row lets someone do it in some phase, and refuses someone."""
    for method, path, expected, _body, _needs in ROWS:
        outcomes = {expected(role, phase) < 400 for role in ROLES for phase in PHASES}
        assert outcomes == {True, False}, (method, path)


def test_every_consultation_comment_route_has_a_row(app):
    """The consultation's comment routes (the kernel's, mounted for consultations) and the
    kernel's moderation from the discussion are all in the table."""
    table = {(m, p.split("#")[0].split("?")[0]) for m, p, _, _, _ in ROWS}
    names = {"{consultation_id:id}": "{c}", "{comment_id:id}": "{comment}",
             "{comment_id:int}": "{comment}"}
    missing = []
    for route in all_routes(app):
        if not (route.path.startswith("/api/v1/consultations/{consultation_id:id}/comments")
                or route.path == "/comments/{comment_id:int}/moderation"):
            continue
        generic = route.path
        for key, value in names.items():
            generic = generic.replace(key, value)
        for method in route.methods - {"HEAD"}:
            if (method, generic) not in table:
                missing.append((method, route.path))
    assert not missing, missing
