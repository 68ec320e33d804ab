"""The JSON API's contract (app/web/contract.py, app/web/paging.py): every status an operation
can answer is documented with the one error body, lists page one way, GETs carry an ETag."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.exceptions import Conflict, DomainError, raises
from app.identity import service as identity
from app.models import Id, Input
from app.web.contract import ErrorBody, error_codes, make_api_router
from app.web.errors import install_error_handlers
from app.web.forms import translate_validation_errors
from app.web.ratelimit import rate_limited
from tests.factories import make_community, make_resident

ERROR = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def schema(app) -> dict:
    return app.openapi()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def error_statuses(operation: dict) -> set[int]:
    return {int(s) for s in operation["responses"] if s[0] in "45"}


def test_every_error_is_documented_with_the_one_error_body(schema):
    for path, method, operation in operations(schema):
        label = f"{method} {path}"
        errors = error_statuses(operation)
        assert 503 in errors, label  # the database may be busy for anyone
        for status in errors:
            content = operation["responses"][str(status)]["content"]
            assert list(content) == ["application/json"], label  # a CSV route's too
            assert content["application/json"]["schema"] == ERROR, label
        if operation.get("parameters") or operation.get("requestBody"):
            inputs = [p for p in operation.get("parameters", [])
                      if p["name"] != "If-None-Match"]
            if inputs or operation.get("requestBody"):
                assert {400, 422} <= errors, label
        if "{" in path:
            assert 404 in errors, label


def test_the_token_is_a_declared_scheme_required_or_optional(schema):
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer", "description": (
            "A personal API token: POST /api/v1/tokens, then `Authorization: Bearer "
            "<token>`.")}
    security = {f"{m} {p}": op.get("security") for p, m, op in operations(schema)}
    assert security["GET /api/v1/me"] == [{"token": []}]
    assert security["GET /api/v1/petitions/{petition_id}"] == [{"token": []}, {}]  # optional
    assert security["GET /api/v1/communities"] is None
    for path, method, operation in operations(schema):
        if operation.get("security"):
            assert 401 in error_statuses(operation), f"{method} {path}"
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_the_statuses_follow_from_what_a_route_is(schema):
    ops = {f"{m} {p}": op for p, m, op in operations(schema)}
    assert error_statuses(ops["GET /api/v1/me"]) == {401, 503}
    # A write by a token holder: refused, in conflict with the state, rate limited.
    assert error_statuses(ops["POST /api/v1/petitions/{petition_id}/signatures"]) == {
        400, 401, 403, 404, 409, 422, 429, 503}
    assert "Retry-After" in ops["POST /api/v1/petitions/{petition_id}/signatures"][
        "responses"]["429"]["headers"]
    # A dependency's own errors: ballots are published once voting has ended (409).
    assert 409 in error_statuses(ops["GET /api/v1/budgets/{cycle_id}/ballots.csv"])
    # A body naming its community, which may not exist.
    assert 404 in error_statuses(ops["POST /api/v1/budgets"])
    # A route's own responses keep their descriptions.
    assert "not_sealed" in ops["GET /api/v1/audit/check"]["responses"]["409"]["description"]
    assert 403 not in error_statuses(ops["POST /api/v1/tokens"])


def test_the_error_codes_are_an_enumeration_of_every_domain_error(schema):
    enum = schema["components"]["schemas"]["ErrorBody"]["properties"]["error"]["enum"]
    assert enum == error_codes()
    stack = [DomainError]
    while stack:
        cls = stack.pop()
        assert cls.code in enum
        stack.extend(cls.__subclasses__())
    assert {"invalid", "not_found", "http_error", "not_in_log"} <= set(enum)


def test_files_name_their_content_type(schema):
    ops = {f"{m} {p}": op for p, m, op in operations(schema)}
    for label, media in [("GET /api/v1/petitions/export.csv", "text/csv"),
                         ("GET /api/v1/budgets/{cycle_id}/results.csv", "text/csv"),
                         ("GET /api/v1/budgets/{cycle_id}/ballots.csv", "text/csv"),
                         ("GET /api/v1/open-data/obligations.csv", "text/csv"),
                         ("GET /api/v1/budgets/{cycle_id}/export.pb", "text/plain"),
                         ("GET /api/v1/audit/entries.ndjson", "application/x-ndjson")]:
        assert list(ops[label]["responses"]["200"]["content"]) == [media], label


def test_every_list_is_a_page(schema):
    pages = 0
    for path, method, operation in operations(schema):
        if method != "GET" or "200" not in operation["responses"]:
            continue
        body = operation["responses"]["200"].get("content", {}).get("application/json", {})
        assert body.get("schema", {}).get("type") != "array", f"{method} {path}"  # no bare list
        name = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
        if name.startswith(("Page_", "CountedPage_")):
            pages += 1
            assert {"items", "next"} <= set(schema["components"]["schemas"][name]["properties"])
            assert "Link" in operation["responses"]["200"]["headers"], f"{method} {path}"
    assert pages >= 15


def test_a_get_is_tagged_and_revalidated(client, db):
    make_community(db)
    db.commit()
    first = client.get("/api/v1/communities")
    tag = first.headers["etag"]
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = client.get("/api/v1/communities", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    # One copy per token in a cache: what a GET answers may depend on who asks.
    assert first.headers["vary"] == again.headers["vary"] == "Authorization"
    for held in (f"W/{tag}", f'"other", {tag}', "*"):
        assert client.get("/api/v1/communities",
                          headers={"If-None-Match": held}).status_code == 304
    assert client.get("/api/v1/communities",
                      headers={"If-None-Match": '"other"'}).status_code == 200
    make_community(db)
    db.commit()
    changed = client.get("/api/v1/communities", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_a_get_with_a_token_is_private(client, db):
    place = make_community(db)
    _, raw = identity.create_token(db, make_resident(db, place), "t")
    db.commit()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200 and me.headers["cache-control"] == "private, no-cache"
    assert me.headers["etag"]


def test_a_list_names_its_next_page_in_the_body_and_a_link(client, db):
    for _ in range(3):
        make_community(db)
    db.commit()
    first = client.get("/api/v1/communities?limit=2")
    body = first.json()
    assert len(body["items"]) == 2 and body["total"] == 3
    address = urlsplit(body["next"])
    assert address.path == "/api/v1/communities"
    assert parse_qs(address.query) == {"limit": ["2"], "offset": ["2"]}
    assert first.headers["link"] == f'<{body["next"]}>; rel="next"'
    last = client.get(body["next"])
    assert [c["id"] for c in last.json()["items"]] not in ([c["id"] for c in body["items"]],)
    assert len(last.json()["items"]) == 1 and last.json()["next"] is None
    assert "link" not in last.headers


def test_a_method_the_path_has_not_is_405_naming_every_method_it_has(client):
    response = client.request("OPTIONS", "/api/v1/petitions")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert response.json()["error"] == "http_error"
    mine = client.put("/api/v1/consultations/1/responses/mine", json={})
    assert mine.status_code == 405 and mine.headers["allow"] == "GET"


@pytest.mark.parametrize("path", ["/api/v1/petitions/-1", "/api/v1/petitions/abc",
                                  "/api/v1/petitions/0", "/api/v1/petitions/99999999999",
                                  "/api/v1/budgets/1%2C2"])
def test_an_id_no_column_holds_is_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.json()["error"] == "http_error"


def test_no_token_is_401_with_www_authenticate(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert ErrorBody.model_validate(response.json()).error == "not_authenticated"


class Body(Input):
    count: int
    flag: bool = False
    ids: list[Id] = []
    points: dict[int, int] = {}


@pytest.mark.parametrize("data, at_fault", [
    ({"count": True}, ("count",)),
    ({"count": "5"}, ("count",)),
    ({"count": 1, "flag": 1}, ("flag",)),
    ({"count": 1, "flag": "true"}, ("flag",)),
    ({"count": 1, "ids": [1, False]}, ("ids", 1)),
    ({"count": 1, "ids": [0]}, ("ids", 0)),
    ({"count": 1, "ids": [2**31]}, ("ids", 0)),
    ({"count": 1, "points": {"1": True}}, ("points", "1")),
])
def test_a_json_body_is_read_as_sent(data, at_fault):
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(data)
    assert [e["loc"] for e in refused.value.errors()] == [at_fault]


def test_a_form_is_read_as_text():
    parsed = Body.model_validate({"count": "5", "flag": "on", "ids": ["3"]},
                                 context={"form": True})
    assert (parsed.count, parsed.flag, parsed.ids) == (5, True, [3])
    assert Body.model_validate({"count": 5, "flag": True, "points": {"1": 2}}).points == {1: 2}


@raises(Conflict)
def closed() -> None:
    raise Conflict("closed")


bare = make_api_router()


@bare.post("/things/{thing_id:id}")
@rate_limited("create")
def act(request: Request, thing_id: int, _: Annotated[None, Depends(closed)]):
    return {}


@bare.get("/plain")
def plain():
    return {"ok": True}


def test_the_rules_apply_to_any_api_router():
    """A bare app: a rate-limited write whose dependency conflicts, and a plain GET."""
    router = bare
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    ops = app.openapi()["paths"]
    assert error_statuses(ops["/things/{thing_id}"]["post"]) == {400, 404, 409, 422, 429,
                                                                 503}
    assert error_statuses(ops["/plain"]["get"]) == {503}
    assert set(ops["/plain"]["get"]["responses"]) == {"200", "304", "503"}
    client = TestClient(app)
    assert client.post("/things/1").status_code == 409
    assert client.get("/plain").headers["etag"]


@pytest.mark.parametrize("query", ["/api/v1/dashboard?tool=", "/api/v1/dashboard?tool=weather",
                                   "/api/v1/open-data/obligations.json?kind=",
                                   "/api/v1/open-data/obligations.csv?tool=",
                                   "/api/v1/obligations?kind="])
def test_a_value_outside_an_enumeration_is_refused_even_empty(client, query):
    response = client.get(query)
    assert response.status_code == 422
    assert set(response.json()["fields"]) <= {"tool", "kind"} and response.json()["fields"]


def test_every_route_of_the_api_is_on_a_contract_router(app):
    from fastapi.routing import iter_route_contexts

    from app.web.contract import ApiRoute

    api = [context for context in iter_route_contexts(app.routes)
           if getattr(context, "path", "").startswith("/api/v1/")]
    assert len(api) >= 70
    for context in api:
        route = getattr(context, "original_route", context)
        assert isinstance(route, ApiRoute), context.path


@pytest.mark.parametrize("url, status", [
    ("/api/v1/communities/a%00b", 404), ("/api/v1/petitions?community=%00", 404),
    ("/api/v1/obligations?q=%00", 200), ("/api/v1/petitions?q=a%00", 200)])
def test_a_nul_in_a_parameter_is_read_alike_on_every_database(client, url, status):
    """PostgreSQL refuses a NUL in a parameter; no slug or title holds one anyway."""
    assert client.get(url).status_code == status


def test_a_nul_in_a_body_is_refused_at_its_field(client, db):
    place = make_community(db)
    _, raw = identity.create_token(db, make_resident(db, place), "t")
    db.commit()
    response = client.post("/api/v1/petitions", headers={"Authorization": f"Bearer {raw}"},
                           json={"community_id": place.community.id, "authority_id": 1,
                                 "title": "A title\x00 of a petition", "text": "x" * 200,
                                 "category": "other", "submit": False}, params={"lang": "en"})
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "title": "This text holds a NUL character, which cannot be stored."}
    # A field called `body` (a comment's, a consultation's) is named as any other.
    assert translate_validation_errors([
        {"loc": ("body", "body"), "type": "nul_character"},
        {"loc": ("body", "questions", 0, "body"), "type": "string_too_short", "ctx": {}},
        {"loc": ("body",), "type": "missing"}]).keys() == {"body", "questions.0.body",
                                                            "request"}
    with pytest.raises(ValidationError) as refused:  # a form too
        Body.model_validate({"count": "1\x00"}, context={"form": True})
    assert refused.value.errors()[0]["type"] == "nul_character"
