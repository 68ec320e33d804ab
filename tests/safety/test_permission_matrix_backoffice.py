"""Every back-office action (pages and API) against every role and scope.

The roles of the kernel's matrix, plus the back office's own: an administrator of community A
and one of community B, an administrator of A's region and one of B's region (the operator is
the matrix's "admin"). Each role's request runs in a savepoint rolled back afterwards, so every
role meets the same state. test_permission_matrix.py counts these rows as covering the
back office's kernel routes; the modules' back-office routes (the budget's bulk upload of
implementation progress, for a cycle of community A) are checked here to have rows, and an
upload writes rows if and only if it is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session

from app import clock
from app.accountability import inbox as inbox_service
from app.accountability import service as accountability
from app.communities import service as communities
from app.communities.models import StaffRole
from app.identity import service as identity
from app.rules.schema import Period
from budget.models import ProjectStatus
from tests.budget.factories import make_cycle, make_project
from tests.factories import make_community_admin, make_region, make_region_admin, make_user
from tests.safety.conftest import ROLES, all_routes, row_counts
from tests.safety.test_permission_matrix import (
    ANON_GET,
    ANON_POST,
    Setup,
    request_as,
    setup_world,
    undone,
)
from tests.safety.test_web_security import fetch

BO_ROLES = (*ROLES, "community_admin", "community_admin_other", "region_admin",
            "region_admin_other")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass(frozen=True)
class Upload:
    """A body sent as multipart `file` (with the CSRF token on a page, the token in the API)."""
    content: str


# The bulk implementation-progress CSV (budget/bulk.py): a file without rows is refused as
# invalid (422) for those who may upload, before anything is written; a file with a row for
# the cycle's winner is applied (200).
CSV_HEADER = "project_id,status,percent,text,date\r\n"
HEADER_ONLY = Upload(CSV_HEADER)
EMPTY = Upload("")
ONE_ROW = Upload(CSV_HEADER + "{winner},in_progress,40,Підрядника обрано роботи тривають,\r\n")


@dataclass
class BackOffice:
    setup: Setup
    params: dict[str, object]


def build(db: Session) -> BackOffice:
    setup = setup_world(db)
    world = setup.world
    region, region_b = make_region(db), make_region(db)
    for place, r in ((world.a, region), (world.b, region_b)):
        place.community.region_id = r.id
        db.add(place.community)
    db.flush()
    world.users["community_admin"] = make_community_admin(db, world.a)
    world.users["community_admin_other"] = make_community_admin(db, world.b)
    world.users["region_admin"] = make_region_admin(db, region)
    world.users["region_admin_other"] = make_region_admin(db, region_b)
    for role in ("community_admin", "community_admin_other", "region_admin",
                 "region_admin_other"):
        _, setup.tokens[role] = identity.create_token(db, world.user(role), "matrix")
    newcomer = make_user(db, email="newcomer@example.org")
    del newcomer
    moderator_row = next(s for s in communities.repo.staff_of(db, world.user("moderator").id)
                         if s.role == StaffRole.moderator)
    admin_row = communities.repo.staff_of(db, world.user("community_admin").id)[0]
    region_admin_row = communities.repo.region_admin(db, world.user("region_admin").id,
                                                     region.id)
    obligation = accountability.open_obligation(
        db, kind="petition_answer", community_id=world.a.community.id,
        authority_id=world.a.council.id, subject_type="petition", subject_id=10_000_001,
        subject_title="Матриця: освітлення вулиці", subject_path="/petitions/10000001",
        period=Period(days=10, unit="working"), ruleset_id=world.a.rules.id)
    inbox_service.record_decision(db, world.user("admin"), obligation.id, document=PDF,
                                  document_name="decision.pdf")
    from app.accountability import observers

    view = observers.save_view(db, world.user("observer"), "Прострочене", "/obligations")
    cycle = make_cycle(db, world.a)  # a participatory budget of community A, with a winner
    winner = make_project(db, world.a, cycle)
    winner.status = ProjectStatus.selected
    db.add(winner)
    db.commit()
    return BackOffice(setup, {
        "view": view.id, "council": world.a.council.id,
        "region": region.slug, "slug": world.a.community.slug,
        "moderator_staff": moderator_row.id, "admin_staff": admin_row.id,
        "region_admin_row": region_admin_row.id, "obligation": obligation.id,
        "department": world.a.department.id, "cycle": cycle.id,
        "winner": winner.id})


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(BO_ROLES, status)


def only(allowed: dict[str, int], others: int, anonymous: int) -> dict[str, int]:
    return {**everyone(others), "anonymous": anonymous, **allowed}


def staff_of_a(status: int) -> dict[str, int]:
    """The operator, A's administrator and A's region's administrator."""
    return {"admin": status, "community_admin": status, "region_admin": status}


def region_of_a(status: int) -> dict[str, int]:
    return {"admin": status, "region_admin": status}


def handlers_of_a(status: int) -> dict[str, int]:
    """Who may handle an item waiting for A's council: its official and A's administrators."""
    return {**staff_of_a(status), "official": status}


IN_BACK_OFFICE = ("official", "official_other", "moderator", "admin", "community_admin",
                  "community_admin_other", "region_admin", "region_admin_other")
FUTURE = (clock.today() + timedelta(days=40)).isoformat()
REASON = "Матриця прав: перевірка"

# (id, method, path, expected statuses, form or json body)
BACKOFFICE: list[tuple[str, str, str, dict[str, int], object]] = [
    ("index", "GET", "/backoffice",
     only(dict.fromkeys(IN_BACK_OFFICE, 200), 403, ANON_GET), None),
    ("region page", "GET", "/backoffice/regions/{region}", only(region_of_a(200), 403, ANON_GET),
     None),
    ("community page", "GET", "/backoffice/communities/{slug}",
     only(staff_of_a(200), 403, ANON_GET), None),
    ("public roles", "GET", "/communities/{slug}/roles", everyone(200), None),
    ("public region", "GET", "/regions/{region}", everyone(200), None),
    ("inbox", "GET", "/inbox", only({"official": 200, "official_other": 200}, 403, ANON_GET),
     None),
    ("inbox item", "GET", "/inbox/{obligation}", only(handlers_of_a(200), 403, ANON_GET), None),
    ("decision document", "GET", "/obligations/{obligation}/decision.pdf", everyone(200), None),
    ("create region", "POST", "/backoffice/regions", only({"admin": 303}, 403, ANON_POST),
     {"slug": "matrix-region", "name": "Матрична"}),
    ("observer", "POST", "/backoffice/observers", only({"admin": 303}, 403, ANON_POST),
     {"email": "newcomer@example.org", "observer": "yes", "reason": REASON}),
    ("connect", "POST", "/backoffice/regions/{region}/communities",
     only(region_of_a(303), 403, ANON_POST),
     {"community_slug": "matrix-new", "name": "Нова громада", "population": "900"}),
    ("region admin", "POST", "/backoffice/regions/{region}/admins",
     only({"admin": 303}, 403, ANON_POST), {"email": "newcomer@example.org", "reason": REASON}),
    ("region admin revoke", "POST", "/backoffice/regions/{region}/admins/{region_admin_row}/revoke",
     only({"admin": 303}, 403, ANON_POST), {"reason": REASON}),
    ("details", "POST", "/backoffice/communities/{slug}/details",
     only(staff_of_a(303), 403, ANON_POST),
     {"name": "Перейменована громада", "population": "12000", "default_language": "uk"}),
    ("district", "POST", "/backoffice/communities/{slug}/districts",
     only(staff_of_a(303), 403, ANON_POST), {"district_slug": "matrix-okruh", "name": "Округ"}),
    ("authority", "POST", "/backoffice/communities/{slug}/authorities",
     only(staff_of_a(303), 403, ANON_POST), {"name": "Відділ освіти", "kind": "department"}),
    ("holiday", "POST", "/backoffice/communities/{slug}/holidays",
     only(staff_of_a(303), 403, ANON_POST), {"day": FUTURE, "name": "День громади"}),
    ("grant moderator", "POST", "/backoffice/communities/{slug}/staff",
     only(staff_of_a(303), 403, ANON_POST),
     {"email": "newcomer@example.org", "role": "moderator", "reason": REASON}),
    # A community's administrators are appointed by the region's, not by each other.
    ("grant administrator", "POST", "/backoffice/communities/{slug}/staff",
     only({**staff_of_a(303), "community_admin": 403}, 403, ANON_POST),
     {"email": "newcomer@example.org", "role": "administrator", "reason": REASON}),
    ("revoke moderator", "POST", "/backoffice/communities/{slug}/staff/{moderator_staff}/revoke",
     only(staff_of_a(303), 403, ANON_POST), {"reason": REASON}),
    # The last administrator stays (409) for those who may remove administrators at all.
    ("revoke last administrator", "POST",
     "/backoffice/communities/{slug}/staff/{admin_staff}/revoke",
     only({**region_of_a(409), "community_admin": 403}, 403, ANON_POST), {"reason": REASON}),
    ("assign", "POST", "/inbox/{obligation}/assign", only(handlers_of_a(303), 403, ANON_POST),
     {"department_id": "{department}"}),
    ("council session", "POST", "/inbox/{obligation}/decision",
     only(handlers_of_a(303), 403, ANON_POST),
     {"session_on": clock.today().isoformat(), "decision_number": "12/3",
      "votes_for": "20", "votes_against": "2", "votes_abstained": "1"}),
    # NGO observers (the operator is one too)
    ("observer page", "GET", "/observer",
     only({"observer": 200, "admin": 200}, 403, ANON_GET), None),
    ("follow", "POST", "/observer/follow", only({"observer": 303, "admin": 303}, 403, ANON_POST),
     {"subject_type": "authority", "subject_id": "{council}"}),
    ("save view", "POST", "/observer/views",
     only({"observer": 303, "admin": 303}, 403, ANON_POST),
     {"name": "Усе прострочене", "address": "/obligations?status=overdue"}),
    # Only its owner deletes a saved view: to anyone else it is not there.
    ("delete view", "POST", "/observer/views/{view}/delete",
     only({"observer": 303, "admin": 404}, 403, ANON_POST), {}),
    # JSON API
    ("api regions", "GET", "/api/v1/regions", everyone(200), None),
    ("api create region", "POST", "/api/v1/regions", only({"admin": 201}, 403, 401),
     {"slug": "matrix-region", "name": "Матрична"}),
    ("api region admin", "POST", "/api/v1/regions/{region}/admins",
     only({"admin": 201}, 403, 401), {"email": "newcomer@example.org", "reason": REASON}),
    ("api assign", "POST", "/api/v1/inbox/{obligation}/assign",
     only(handlers_of_a(200), 403, 401), {"department_id": "{department}"}),
    ("api decision", "POST", "/api/v1/inbox/{obligation}/decision",
     only(handlers_of_a(200), 403, 401), "council"),
    ("api connect", "POST", "/api/v1/communities", only(region_of_a(201), 403, 401),
     {"region": "{region}", "slug": "matrix-new", "name": "Нова громада", "population": 900}),
    ("api update", "PATCH", "/api/v1/communities/{slug}", only(staff_of_a(200), 403, 401),
     {"population": 12_500}),
    ("api authorities", "GET", "/api/v1/communities/{slug}/authorities", everyone(200), None),
    ("api add authority", "POST", "/api/v1/communities/{slug}/authorities",
     only(staff_of_a(201), 403, 401), {"name": "Відділ освіти", "kind": "department"}),
    ("api districts", "GET", "/api/v1/communities/{slug}/districts", everyone(200), None),
    ("api add district", "POST", "/api/v1/communities/{slug}/districts",
     only(staff_of_a(201), 403, 401), {"slug": "matrix-okruh", "name": "Округ"}),
    ("api staff", "GET", "/api/v1/communities/{slug}/staff", only(staff_of_a(200), 403, 401),
     None),
    ("api grant", "POST", "/api/v1/communities/{slug}/staff", only(staff_of_a(201), 403, 401),
     {"email": "newcomer@example.org", "role": "moderator", "reason": REASON}),
    ("api grant administrator", "POST", "/api/v1/communities/{slug}/staff",
     only({**staff_of_a(201), "community_admin": 403}, 403, 401),
     {"email": "newcomer@example.org", "role": "administrator", "reason": REASON}),
    ("api revoke", "DELETE",
     "/api/v1/communities/{slug}/staff/{moderator_staff}?reason=Матриця%20прав",
     only(staff_of_a(204), 403, 401), None),
    ("api holidays", "GET", "/api/v1/communities/{slug}/holidays", everyone(200), None),
    ("api add holiday", "POST", "/api/v1/communities/{slug}/holidays",
     only(staff_of_a(201), 403, 401), {"day": FUTURE, "name": "День громади"}),
    ("api inbox", "GET", "/api/v1/inbox",
     only({"official": 200, "official_other": 200}, 403, 401), None),
    # Bulk updates of implementation (budget): only the officials of the cycle's community
    # upload, as for one progress update; not the operator, nor any administrator.
    ("bulk progress page", "GET", "/budget/{cycle}/progress-upload",
     only({"official": 200}, 403, ANON_GET), None),
    ("bulk progress upload", "POST", "/budget/{cycle}/progress-upload",
     only({"official": 200}, 403, ANON_POST), ONE_ROW),
    ("bulk progress upload, header only", "POST", "/budget/{cycle}/progress-upload",
     only({"official": 422}, 403, ANON_POST), HEADER_ONLY),
    ("bulk progress upload, empty file", "POST", "/budget/{cycle}/progress-upload",
     only({"official": 422}, 403, ANON_POST), EMPTY),
    ("api bulk progress", "POST", "/api/v1/budgets/{cycle}/progress",
     only({"official": 200}, 403, 401), ONE_ROW),
    ("api bulk progress, header only", "POST", "/api/v1/budgets/{cycle}/progress",
     only({"official": 422}, 403, 401), HEADER_ONLY),
    ("api bulk progress, empty file", "POST", "/api/v1/budgets/{cycle}/progress",
     only({"official": 422}, 403, 401), EMPTY),
]

# The modules' back-office routes: the kernel's table (test_permission_matrix.py) checks the
# kernel's routes only, so these are checked here (test_every_module_back_office_route_...).
MODULE_BACKOFFICE = {"budget.views": ("bulk_progress_page", "bulk_progress"),
                     "budget.api": ("bulk_progress",)}


def upload_as(client, setup: Setup, role: str, url: str, upload: Upload, *, api: bool):
    client.cookies.clear()
    user = setup.world.user(role)
    files = {"file": ("progress.csv", upload.content.encode(), "text/csv")}
    if api:
        headers = {"Authorization": f"Bearer {setup.tokens[role]}"} if user else {}
        return fetch(client, "POST", url, files=files, headers=headers)
    if user is not None:
        client.login(user)
    return fetch(client, "POST", url, files=files, data={"csrf_token": client.csrf()})


def _fill(value, params: dict):
    whole = re.fullmatch(r"\{(\w+)\}", value) if isinstance(value, str) else None
    if whole:  # a value that is one parameter keeps its type (an id stays a number)
        return params[whole.group(1)]
    if isinstance(value, str):
        return value.format(**params) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    if isinstance(value, Upload):
        return Upload(_fill(value.content, params))
    return value


@pytest.mark.parametrize("name, method, path, expected, body", BACKOFFICE,
                         ids=[row[0] for row in BACKOFFICE])
def test_back_office_action_answers_each_role_and_scope_as_expected(
        client, db, name, method, path, expected, body):
    world = build(db)
    url = _fill(path, world.params)
    payload = _fill(body, world.params)
    if body == "council":  # multipart in the API: sent as a form
        payload = {"session_on": clock.today().isoformat(),
                   "decision_number": "12/3",
                   "votes_for": "20", "votes_against": "2", "votes_abstained": "1"}
    got = {}
    for role in BO_ROLES:
        with undone(db):
            if isinstance(body, Upload):  # a file: written if and only if it was applied
                before = row_counts(db)
                got[role] = upload_as(client, world.setup, role, url, payload,
                                      api=path.startswith("/api/")).status_code
                after = row_counts(db)
                for counts in (before, after):  # logging the role in adds its session
                    counts.pop("identity_session")
                changed = {t: (n, after[t]) for t, n in before.items() if after[t] != n}
                assert bool(changed) == (got[role] == 200), f"{role}: {got[role]}, {changed}"
                continue
            if body == "council" and path.startswith("/api/"):  # multipart, with a token
                client.cookies.clear()
                token = world.setup.tokens.get(role)
                got[role] = client.post(url, data=payload, headers={
                    "Authorization": f"Bearer {token}"} if token else {}).status_code
                continue
            got[role] = request_as(client, world.setup, role, method, url,
                                   api=path.startswith("/api/"), data=payload,
                                   json=payload).status_code
    assert got == expected


def test_every_module_back_office_route_has_a_row(app):
    rows = {(m, re.sub(r"{\w+}", "{}", p.split("?")[0])) for _, m, p, _, _ in BACKOFFICE}
    routes = {(m, re.sub(r"{[^}]+}", "{}", r.path)) for r in all_routes(app)
              for m in r.methods - {"HEAD"} if r.endpoint is not None
              and r.endpoint.__name__ in MODULE_BACKOFFICE.get(r.endpoint.__module__, ())}
    expected = sum(len(names) for names in MODULE_BACKOFFICE.values())
    assert len(routes) == expected, f"a back-office route is gone or renamed: {routes}"
    missing = sorted(routes - rows)
    assert not missing, f"back-office routes of the modules without a row: {missing}"
