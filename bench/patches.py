"""Experiments: what-if changes applied to the bench server only, to measure a proposal.

    .venv/bin/python bench/run.py --patch pool,threads=8      (results are marked as patched)

The official figures never use these. Each patch monkeypatches the running server process
(HROMADA_BENCH_PATCHES, read by bench.server.create_bench_app) so that a proposed change to
app/ or a module can be measured before anyone edits the code:

  pool=N        a connection pool of N connections and no overflow (default 30), so that no
                request opens or closes a connection (proposed for app/db.py, with
                admission=N)
  threads=N     at most N request threads per worker instead of anyio's 40
  commit-once   commit and close the request session in one thread-pool hop, not two
  finish-threads  commit, roll back and close the request session on a thread pool of their
                own (proposed for app/web/deps.py): a request holding a lock never waits for a
                thread held by requests that wait for that lock
  admission=N   at most N requests per worker inside a request transaction at once (the
                others wait in the event loop, holding neither a thread nor a connection);
                N at most the pool's capacity (proposed for app/web/deps.py)
  async-session the request session dependency as `async def` (it does no I/O), so it does
                not cost a thread-pool hop (proposed for app/web/deps.py)
  no-audit      audit.append does nothing: an upper bound of what the hash chain costs (not a
                proposal: the chain is a requirement)
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from fastapi import Request

KNOWN = ("pool", "threads", "commit-once", "no-audit", "finish-threads", "admission",
         "async-session")


def requested() -> dict[str, str]:
    out = {}
    for item in os.environ.get("HROMADA_BENCH_PATCHES", "").split(","):
        name, _, value = item.strip().partition("=")
        if name:
            if name not in KNOWN:
                raise ValueError(f"unknown bench patch {name!r} (known: {', '.join(KNOWN)})")
            out[name] = value
    return out


def apply(app: Any) -> list[str]:
    """Apply the requested patches before the app serves; returns their names."""
    patches = requested()
    if "pool" in patches:
        from app import db

        original = db.build_engine

        size = int(patches["pool"] or 30)

        def build_engine(url: str, **kwargs: Any):
            kwargs.setdefault("pool_size", size)
            kwargs.setdefault("max_overflow", 0)
            return original(url, **kwargs)

        db.build_engine = build_engine
        db.get_engine.cache_clear()
    if "threads" in patches:
        limit = int(patches["threads"] or 8)
        original_lifespan = app.router.lifespan_context

        @contextlib.asynccontextmanager
        async def lifespan(application: Any):  # pragma: no cover - runs in the bench server
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = limit
            async with original_lifespan(application) as state:
                yield state

        app.router.lifespan_context = lifespan
    if "commit-once" in patches:
        _commit_once()
    if "async-session" in patches:
        from app.web import deps

        async def get_session(request: Request):  # pragma: no cover - bench server
            return deps.get_session(request)

        app.dependency_overrides[deps.get_session] = get_session
    if "admission" in patches:
        _admission(int(patches["admission"] or 30))
    if "finish-threads" in patches:
        _finish_threads()
    if "no-audit" in patches:
        from app.audit import service as audit

        audit.append = lambda *args, **kwargs: None
    return list(patches)


def _commit_once() -> None:
    """TransactionalRoute with commit + close in a single thread-pool call."""
    from sqlalchemy.exc import OperationalError
    from starlette.concurrency import run_in_threadpool

    from app.web import deps
    from app.web.i18n import N_

    def finish(session: Any, commit: bool, external: bool) -> None:
        try:
            session.commit() if commit else session.rollback()
        finally:
            if not external:
                session.close()

    def get_route_handler(self):  # pragma: no cover - runs in the bench server
        handler = super(deps.TransactionalRoute, self).get_route_handler()

        async def route_handler(request: Request):
            token = deps.write_intent.set(request.method not in deps.SAFE_METHODS)
            finished = False
            try:
                response = await handler(request)
                session = request.state._state.get("db")
                if session is not None:
                    commit = response.status_code < 400 or bool(
                        request.state._state.get("commit_on_error"))
                    await run_in_threadpool(finish, session, commit,
                                            bool(request.state._state.get("db_external")))
                    request.state._state.pop("db", None)
                    finished = True
                return response
            except OperationalError as exc:
                deps._rollback(request)
                text = str(exc).lower()
                if "locked" in text or "could not serialize" in text:
                    raise deps.DatabaseBusy(N_("The service is busy. Please try again in a "
                                               "moment.")) from exc
                raise
            except BaseException:
                deps._rollback(request)
                raise
            finally:
                session = request.state._state.pop("db", None)
                if session is not None and not finished and not request.state._state.get(
                        "db_external"):
                    await run_in_threadpool(session.close)
                deps.write_intent.reset(token)

        return route_handler

    deps.TransactionalRoute.get_route_handler = get_route_handler


def _finish_threads() -> None:
    """app.web.deps uses run_in_threadpool only to commit, roll back and close: give those
    calls their own capacity limiter."""
    import anyio.to_thread

    from app.web import deps

    limiter: list[Any] = []

    async def run_in_finish_thread(fn: Any, *args: Any) -> Any:
        if not limiter:
            limiter.append(anyio.CapacityLimiter(40))
        return await anyio.to_thread.run_sync(fn, *args, limiter=limiter[0])

    deps.run_in_threadpool = run_in_finish_thread


def _admission(size: int) -> None:
    """Every TransactionalRoute handler runs under one asyncio semaphore per worker."""
    import asyncio

    from app.web import deps

    semaphore: list[asyncio.Semaphore] = []
    original = deps.TransactionalRoute.get_route_handler

    def get_route_handler(self):  # pragma: no cover - runs in the bench server
        handler = original(self)

        async def admitted(request: Any):
            if not semaphore:
                semaphore.append(asyncio.Semaphore(size))
            async with semaphore[0]:
                return await handler(request)

        return admitted

    deps.TransactionalRoute.get_route_handler = get_route_handler
