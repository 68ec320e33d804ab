"""The composition root: builds the application and registers every module.

`modules()` is the only place the kernel meets the modules by name (import-linter allows
exactly these imports; tests/app/test_registry.py checks that no other file of app/ names
them). Everything else reads the registry (app.modules.registered()).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app import modules as registry
from app.modules import Module
from app.settings import ROOT, get_settings
from app.web import templating
from app.web.auth import csrf_protect
from app.web.deps import Route

log = logging.getLogger("hromada")

KERNEL_MODELS = (
    "app.identity.models",
    "app.communities.models",
    "app.rules.models",
    "app.accountability.models",
    "app.notifications.models",
    "app.audit.models",
    "app.storage.models",
    "app.deliberation.models",
)


def modules() -> list[Module]:
    """The application's modules, in the order of every listing (header, dashboard, rules)."""
    from budget.module import MODULE as BUDGET
    from consultations.module import MODULE as CONSULTATIONS
    from petitions.module import MODULE as PETITIONS

    return [PETITIONS, BUDGET, CONSULTATIONS]


def load_models(chosen: list[Module] | None = None) -> None:
    """Import every table so that metadata (and Alembic) knows the whole schema."""
    for name in KERNEL_MODELS:
        importlib.import_module(name)
    for module in modules() if chosen is None else chosen:
        if module.models is not None:
            importlib.import_module(module.models)


def register_modules(chosen: list[Module] | None = None) -> list[Module]:
    """Register these modules (by default the application's) in the kernel's registry."""
    return registry.register(modules() if chosen is None else chosen)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    from app.db import get_engine
    from app.migrate import ensure_migrated

    ensure_migrated(get_engine())
    templating.compile_templates()
    # Everything loaded at start-up lives as long as the process: keep it out of the
    # collector's full passes, which otherwise stall requests on large heaps.
    gc.collect()
    gc.freeze()
    task = None
    if get_settings().worker_in_process:
        from app.worker import run_forever

        task = asyncio.create_task(run_forever())
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_app(*, check_migrations: bool = True,
               modules: list[Module] | None = None) -> FastAPI:
    """The application, with these modules (by default the composition root's)."""
    settings = get_settings()
    load_models(modules)
    registered = register_modules(modules)
    app = FastAPI(
        title="Hromada API",
        version="1",
        description="Petitions, participatory budgets and public consultations of territorial "
                    "communities, with every authority's answer on the record. Authenticate "
                    "with a personal token: POST /api/v1/tokens, then "
                    "`Authorization: Bearer <token>`.",
        lifespan=lifespan if check_migrations else None,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(csrf_protect)],
    )
    app.router.route_class = Route
    app.state.modules = registered

    from app.web.errors import install_error_handlers
    from app.web.middleware import WebContextMiddleware

    install_error_handlers(app)
    app.add_middleware(WebContextMiddleware)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    from app.api import api_router
    from app.views import router as kernel_router

    # Each API router is included on its own (not through one /api/v1 router), so that a
    # request skips those under other paths (see skip_unreachable_routers).
    app.include_router(api_router, prefix="/api/v1")
    for module in registered:
        if module.api_router is not None:
            app.include_router(module.api_router, prefix="/api/v1")
    app.include_router(kernel_router, include_in_schema=False)
    for module in registered:
        if module.router is not None:
            app.include_router(module.router, include_in_schema=False)
    app.state.nav = [link for module in registered for link in module.nav]
    from app.web import pagecache

    pagecache.install(app)  # after every router: it sees every route; its middleware is outermost
    skip_unreachable_routers(app)  # last: it reads the final routes and their methods
    log.debug("Hromada started in %s mode", settings.environment)
    return app


# -- routing --------------------------------------------------------------------------------
#
# FastAPI (since 0.137) keeps each included router as one node of a route tree and matches a
# request by trying every route of every node in turn, down the tree, without looking at the
# path first; and it matches again on the way in to the chosen node. A request for a module page
# therefore tried every API and kernel route before its own: with some 180 routes that was
# most of the cost of a request that does little else (about 400 of 480 microseconds in-process
# for a route registered after the others). The paths of our routes begin with literal segments
# (/api/v1/petitions, /budget...), so each top-level router can tell from the request's first
# segments that none of its routes can match, and is skipped; within a router that can match,
# FastAPI matches exactly as before and in the same order, so the route that answers (or the
# 404, 405 or redirect) is the same.


def literal_heads(router: BaseRoute) -> tuple[int, frozenset[str]] | None:
    """(n, heads): every route of an included router begins with at least n literal path
    segments, and heads are its routes' first n segments ("api/v1/petitions" for
    /api/v1/petitions/{id}/sign with n = 3); or None if a route could match any path (a path
    parameter in its first segment, a mount at the root, a host route)."""
    contexts = getattr(router, "effective_route_contexts", None)
    if contexts is None:
        return None
    heads: list[list[str]] = []
    for context in contexts():
        route = getattr(context, "starlette_route", None) or context
        path = getattr(route, "path", None)
        if not path or not path.startswith("/"):
            return None
        head = []
        for segment in path[1:].split("/"):
            if "{" in segment:
                break
            head.append(segment)
        if not head:
            return None
        heads.append(head)
    if not heads:
        return None
    depth = min(len(head) for head in heads)
    return depth, frozenset("/".join(head[:depth]) for head in heads)


def skip_unreachable_routers(app: FastAPI) -> None:
    """Let each included router of the app answer "no match" at once for a request whose first
    path segments begin none of its routes.

    The routes are read when the app is built: a route added later to a module's router
    (routes are registered when the module is imported, before create_app) would not be seen.
    """
    for route in app.router.routes:
        found = literal_heads(route) if hasattr(route, "original_router") else None
        if found is not None:
            route.matches = _guarded(route.matches, heads=found[1])


def _guarded(matches, heads: frozenset[str]):
    # A path's first n segments are one of the heads (of n segments each) exactly when the
    # path is "/" + head or begins with "/" + head + "/".
    exact = frozenset(f"/{head}" for head in heads)
    under = tuple(sorted(f"/{head}/" for head in heads))

    def guarded_matches(scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path[:1] == "/" and path not in exact and not path.startswith(under):
            return Match.NONE, {}
        return matches(scope)

    return guarded_matches
