"""Skipping the routers that cannot match (app.main.skip_unreachable_routers) changes no answer."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import Match

from app.main import create_app, literal_heads, skip_unreachable_routers


def _scope(method: str, path: str, root_path: str = "") -> dict:
    return {"type": "http", "method": method, "path": root_path + path, "root_path": root_path,
            "query_string": b"", "headers": []}


def _paths(app: FastAPI) -> list[str]:
    """Every route path with its parameters filled in, with and without a trailing slash, and
    paths no route has."""
    paths = {"/", "", "/nowhere", "/api", "/api/", "/api/v1", "/api/v1/", "/api/v2/x",
             "/static", "/static/app.css", "//petitions", "/petitions%2Fx", "/Petitions",
             "/api//v1/petitions", "/api/v1/petitions//x"}
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in (contexts() if contexts else [route]):
            path = getattr(getattr(context, "starlette_route", None) or context, "path", "")
            filled = re.sub(r"\{[^}]+\}", "1", path)
            paths.update({filled, filled.rstrip("/") or "/", filled + "/", filled + "/extra"})
    return sorted(paths)


def test_the_guard_never_changes_what_a_router_matches():
    guarded = create_app(check_migrations=False)
    plain = create_app(check_migrations=False)
    for route in plain.router.routes:
        vars(route).pop("matches", None)  # FastAPI's own matching, unguarded
    assert any("matches" in vars(route) for route in guarded.router.routes)
    checked = 0
    for path in _paths(plain):
        for method in ("GET", "POST", "DELETE"):
            for root_path in ("", "/hromada"):
                for ours, theirs in zip(guarded.router.routes, plain.router.routes, strict=True):
                    scope = _scope(method, path, root_path)
                    assert ours.matches(dict(scope))[0] == theirs.matches(dict(scope))[0], (
                        method, root_path + path, ours)
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize("path", ["/{slug}", "/{path:path}", "/x-{id}"])
def test_a_router_whose_routes_may_match_any_path_is_not_guarded(path):
    router = APIRouter()
    router.add_api_route(path, lambda: None)
    router.add_api_route("/fixed", lambda: None)
    app = FastAPI()
    app.include_router(router)
    assert literal_heads(app.router.routes[-1]) is None
    skip_unreachable_routers(app)
    assert "matches" not in vars(app.router.routes[-1])


def test_a_router_is_guarded_by_the_literal_segments_all_its_routes_begin_with():
    router = APIRouter()
    router.add_api_route("/items/{id}", lambda id: None)
    router.add_api_route("/items/{id}/parts", lambda id: None)
    router.add_api_route("/things/", lambda: None)
    app = FastAPI()
    app.include_router(router, prefix="/api/v1")
    assert literal_heads(app.router.routes[-1]) == (
        3, frozenset({"api/v1/items", "api/v1/things"}))
    skip_unreachable_routers(app)
    included = app.router.routes[-1]
    for path, match in [("/items/1", Match.NONE), ("/api/v1", Match.NONE),
                        ("/api/v1/items/1", Match.FULL), ("/api/v1/items/1/parts", Match.FULL),
                        ("/api/v1/things/", Match.FULL), ("/api/v1/things", Match.NONE),
                        ("/api/v1/other/1", Match.NONE)]:
        assert included.matches(_scope("GET", path))[0] == match, path
    assert included.matches(_scope("POST", "/api/v1/items/1"))[0] == Match.PARTIAL
