"""Pages for the many, computed once: the shared page cache.

A petition that goes viral is opened by thousands of people who are not logged in, and each
of them sees the same page. This module renders such a page once per change of its content
(and language) and serves that rendering until the content changes. Two idioms, one store:

    @router.get("/petitions/{petition_id:int}")
    @pagecache.shared_page                  # the whole page, for anonymous visitors
    def petition_page(request: Request, ...): ...

    {% call shared("petition-text") %}      # a part of the page that is the same for
      ...                                   # everyone, logged in or not
    {% endcall %}

and a third for the rare write that must not invalidate (see "Invalidation"):

    @router.post("/petitions/{petition_id:int}/sign")
    @pagecache.keeps_pages
    def sign(...): ...

Who is anonymous
    A GET or HEAD without a session cookie and without an Authorization header, and without
    `?lang=` (a language switch sets a cookie, so its answer is the visitor's own). Only
    anonymous visitors get the cached *page*; everyone else gets a fresh rendering that
    reuses the cached *fragments* (below).

The key
    ("page", path, query, language, HX-Request, HX-Target, HX-Boosted,
    HX-History-Restore-Request). The query is normalised: only the parameters the route
    declares (FastAPI's own list for the route, aliases included) are kept, sorted; anything
    else (utm_source, fbclid: every click on a shared link has its own) cannot change the
    rendering and does not split the cache. A shared page therefore reads its query only
    through declared parameters. The htmx headers are in the key as they come, the same
    four are in `Vary`.

What is never stored
    Anything but a 200 from the route itself (errors are raised, or rendered with their
    status, and pass by); a page with a flash message; a response that sets a cookie or
    carries its own Cache-Control; a page that would embed the visitor's CSRF token (see
    below). Such a page is answered as any page: `Cache-Control: private, no-store`.

CSRF
    Every page used to embed the visitor's token (base.html puts it in `hx-headers`; forms
    carry it in a hidden field). A page stored for everyone must not: the token is an HMAC of
    the visitor's own cookie, and someone else's token is useless at best and, replayed by a
    shared cache together with that cookie, a way around the protection at worst. So a
    rendering meant for the cache is made with an empty token (base.html then leaves out
    `hx-headers`), and anonymous shared pages carry no form that posts: an anonymous visitor
    cannot sign, vote or answer; every such action begins at /login, which is not shared and
    carries the visitor's own token as before. If a shared page does render a token field
    (someone added a form anonymous visitors can post), `render` notices, renders it again
    with the visitor's token, and that page is not stored. Public responses also lose the
    CSRF cookie that the web middleware would issue on a first visit: a shared cache must
    not hand one visitor's cookie to the next (most CDNs refuse to store a response that
    sets a cookie anyway, so a surge of first-time visitors would pass straight through).
    The visitor gets their cookie on the first page that is not shared (/login, a form).

Invalidation and how stale a page can be
    Each process keeps its own store and its own *generation*. An entry is served only while
    (a) its generation is the current one and (b) it is younger than the TTL
    (`HROMADA_PAGE_CACHE_TTL`, at most 1 s). The middleware below bumps the generation (and
    empties the store) when a write request of this process has committed: a route whose
    request transaction writes (app/web/deps.py: its method, or `@writes`) answered below
    400 (a 2xx or 3xx means
    committed, DESIGN rule 2), before the response leaves. The writer's own next page is
    therefore fresh, and so is everyone's in that process. Other processes (workers of the
    same server, the deadline job, the CLI) do not see the bump: their entries expire by
    TTL, so they serve a page at most TTL old. The age of an entry counts from the start of
    the request that rendered it (before its first query), so "at most TTL old" holds for
    the data too. A rendering begun before a bump is stored under the old generation and is
    never served. A shared cache in front adds its own max-age (1 s), so behind a CDN a page
    may be up to TTL + 1 s old.

    Hot writes do not invalidate: a signature, a ballot, a follow, a login change nothing a
    shared page shows but counters (which may be TTL stale: at most 1 s) or nothing public
    at all. Signatures and ballots go through the group commit (`@writes(False)`: their
    request transaction only reads), the others say so with `@keeps_pages`; a surge of
    signers then leaves the page cache warm, and the counts catch up within the TTL. Time
    is the app clock (app.clock), so a test that freezes it keeps entries until the content
    changes, and a test that moves it by a second sees them expire.

HTTP
    An anonymous page carries `ETag` (strong: a hash of the exact bytes served),
    `Cache-Control: public, max-age=1` and `Vary: HX-Request, HX-Target, HX-Boosted,
    HX-History-Restore-Request, Cookie, Accept-Language`. `If-None-Match` is answered with
    304 and the same three headers. HEAD works on shared pages (the route accepts it; the
    middleware sends no body). Every other rendered page is `private, no-store` unless its
    route says otherwise. `Vary: Cookie` keeps a CDN from giving an anonymous page to a
    logged-in visitor; a CDN configured to look only at the session cookie gets more hits.

The logged-in split
    A logged-in visitor's page differs from the anonymous one in its personal parts: the
    header (their name, the logout form), their own state and actions (signed? the sign and
    withdraw forms, the rating form, the official's answer form, follow). Those are
    rendered for each request. The parts that are the same for everyone who may see the
    page (the petition's title and text, the authority's answer, the implementation updates,
    a project's description, the results tables, the tracker's list) are
    `{% call shared(name, *parts) %}` blocks: rendered once, kept under
    ("fragment", path, query, language, name, parts) with the same generation and TTL, and
    reused by every visitor, anonymous renderings included. A fragment must not show anything
    personal: no form, no CSRF token (checked: a fragment that holds the visitor's token or
    a token field is an error outside production and is never stored), no user name. Give
    as `parts` every value the fragment depends on that can differ between two visitors of
    the same page (a moderator sees a withheld text: `shared("text", view.show_text)`).
    Fragments that change with every signature (the counter, named signers) stay outside,
    so the signer sees their own signature at once.

    The data behind such a page can be shared the same way (`shared_data`): a petition page
    for a logged-in visitor takes the petition, its answer and its signers' names from the
    store and queries only the visitor's own state. Such data is as stale as a fragment (a
    TTL at most, counts included), so the page right after one's own act (a flash message,
    a receipt) loads it afresh and the signer sees their own signature at once. Who the
    visitor is (their session cookie's person, with their memberships) is kept the same way
    for pages, per session (app.web.auth `_remembered_login`); whatever writes looks it up
    afresh.

Memory
    One LRU store per process, bounded by `HROMADA_PAGE_CACHE_ENTRIES` and
    `HROMADA_PAGE_CACHE_BYTES`. Concurrent misses of one page are rendered once: the first
    request renders, the others wait for it (at most WAIT_SECONDS) and take its result.

Tests
    Tests share one app and one database session; `clear()` empties the store and bumps the
    generation (tests/conftest.py does it around every test), and the test session's own
    writes outside a request invalidate as a committed request would (see tests/conftest.py).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2 import pass_context
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import clock
from app.settings import get_settings
from app.web.auth import SESSION_COOKIE, optional_user
from app.web.i18n import negotiate
from app.web.middleware import CSRF_COOKIE, LANG_COOKIE, parse_cookies

log = logging.getLogger("hromada.pagecache")

PUBLIC = "public, max-age=1"
PRIVATE = "private, no-store"
HTMX_HEADERS = ("hx-request", "hx-target", "hx-boosted", "hx-history-restore-request")
VARY = "HX-Request, HX-Target, HX-Boosted, HX-History-Restore-Request, Cookie, Accept-Language"
TOKEN_FIELD = 'name="csrf_token"'
WAIT_SECONDS = 2.0

_SHARED = "hromada_shared_page"
_KEEPS = "hromada_keeps_pages"
# Keys of the request state (scope["state"]).
_START = "pagecache_start"      # (generation, app time) when the request began
_PAGE = "pagecache_page"        # (path, query, language): the page, for its fragments
_STORING = "pagecache_storing"  # this rendering is meant for everyone
_REFUSED = "pagecache_refused"  # why it is not, after all
_KEY = "pagecache_key"          # the key of the whole page this request is about
_ROUTE = "pagecache_route"      # (path, query, language, htmx headers) as the request came
_FORGET = "pagecache_forget"    # keys to drop once this request has committed

_serving: ContextVar[bool] = ContextVar("pagecache_serving", default=False)


@dataclass(slots=True)
class Entry:
    value: Any  # a page's body, a fragment's HTML, or a page's shared data (`shared_data`)
    generation: int
    born: datetime
    etag: str = ""
    content_type: str = ""
    weight: int = 0  # the size of a value that is not text, as its maker estimates it

    @property
    def size(self) -> int:
        own = len(self.value) if isinstance(self.value, bytes | str) else self.weight
        return own + 200  # the key and the entry's own bookkeeping, roughly


class PageCache:
    """An LRU store bounded by entries and bytes, with a generation and single flight."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._inflight: dict[tuple, threading.Event] = {}
        self.generation = 0
        self.stats = {"hits": 0, "misses": 0, "stores": 0, "evictions": 0, "invalidations": 0}

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()
            self._bytes = 0
            self.stats["invalidations"] += 1

    def get(self, key: tuple, now: datetime, ttl: float) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                age = (now - entry.born).total_seconds()
                if entry.generation == self.generation and 0 <= age < ttl:
                    self._entries.move_to_end(key)
                    self.stats["hits"] += 1
                    return entry
                self._drop(key)
            self.stats["misses"] += 1
            return None

    def put(self, key: tuple, entry: Entry) -> None:
        settings = get_settings()
        max_bytes, max_entries = settings.page_cache_bytes, settings.page_cache_entries
        with self._lock:
            if entry.generation != self.generation or entry.size > max_bytes // 4:
                return  # rendered before a change (never to be served), or too large
            self._drop(key)
            self._entries[key] = entry
            self._bytes += entry.size
            self.stats["stores"] += 1
            while self._entries and (len(self._entries) > max_entries
                                     or self._bytes > max_bytes):
                self._drop(next(iter(self._entries)))
                self.stats["evictions"] += 1

    def forget(self, key: tuple) -> None:
        with self._lock:
            self._drop(key)

    def _drop(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size

    def claim(self, key: tuple) -> threading.Event | None:
        """None: the caller renders `key` (and must `release` it). Otherwise an event that is
        set when the request rendering it is done."""
        with self._lock:
            event = self._inflight.get(key)
            if event is None:
                self._inflight[key] = threading.Event()
            return event

    def release(self, key: tuple) -> None:
        with self._lock:
            event = self._inflight.pop(key, None)
        if event is not None:
            event.set()

    def __len__(self) -> int:
        return len(self._entries)

    def pages(self) -> list[tuple]:
        """The keys of the whole pages held (fragments left out)."""
        with self._lock:
            return [key for key in self._entries if key[0] == "page"]

    @property
    def bytes(self) -> int:
        return self._bytes


CACHE = PageCache()


def invalidate() -> None:
    """Content changed: nothing rendered so far is served again by this process."""
    CACHE.invalidate()


def clear() -> None:
    """Empty the store (tests: no page outlives its test)."""
    CACHE.invalidate()
    ROUTES.clear()
    for key in ("hits", "misses", "stores", "evictions", "invalidations"):
        CACHE.stats[key] = 0


def serving() -> bool:
    """Inside a request (as opposed to a job, the CLI or a test's own setup)."""
    return _serving.get()


def _ttl() -> float:
    return get_settings().page_cache_ttl


def newer_than_ttl(moment: datetime | None) -> bool:
    """Whether `moment` is recent enough that a shared entry may not show it yet."""
    return moment is not None and (clock.now() - clock.aware(moment)).total_seconds() < _ttl()


# -- marking routes -------------------------------------------------------------------------

def shared_page(endpoint: Callable) -> Callable:
    """A page that is the same for every anonymous visitor: cached, with ETag and 304.

    Put it under the route decorator. The endpoint must be a plain `def` with a `request`
    parameter, and must not read its query other than through declared parameters.

    Its `user` (OptionalUser), if it takes one, is found in the page's own thread when the
    page is rendered, not by FastAPI before: an anonymous visitor served from the cache costs
    no lookup, and a logged-in one no thread hop of its own (FastAPI runs each plain-def
    dependency in a thread of its own before the endpoint's)."""
    if inspect.iscoroutinefunction(endpoint):
        raise TypeError("a shared page is a plain def (it may wait for another rendering)")
    signature = inspect.signature(endpoint, eval_str=True)
    if "request" not in signature.parameters:
        raise TypeError("a shared page takes `request: Request`")
    visitor = "user" in signature.parameters
    if visitor and ("session" not in signature.parameters or not any(
            getattr(m, "dependency", None) is optional_user
            for m in getattr(signature.parameters["user"].annotation, "__metadata__", ()))):
        raise TypeError("a shared page takes `user: OptionalUser` with `session: DbSession`")

    @functools.wraps(endpoint)
    def page(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        if visitor:
            kwargs["user"] = optional_user(request, kwargs["session"])
        state = request.state._state
        start = state.get(_START)
        identity = _identity(request)
        if start is None or identity is None or _ttl() <= 0:
            return _private(endpoint(*args, **kwargs))
        state[_PAGE] = identity
        if not _anonymous(request):
            return _private(endpoint(*args, **kwargs))
        key = ("page", *identity, *(request.headers.get(h, "") for h in HTMX_HEADERS))
        state[_KEY] = key
        entry = CACHE.get(key, clock.now(), _ttl())
        leader = False
        if entry is None:
            event = CACHE.claim(key)
            leader = event is None
            if event is not None and event.wait(WAIT_SECONDS):
                entry = CACHE.get(key, clock.now(), _ttl())
        if entry is not None:
            return _answer(request, entry)
        try:
            state[_STORING] = True
            response = endpoint(*args, **kwargs)
            state[_STORING] = False
            entry = _entry(request, response, start)
            if entry is None:
                return _private(response)
            CACHE.put(key, entry)
            return _answer(request, entry)
        finally:
            state[_STORING] = False
            if leader:
                CACHE.release(key)

    if visitor:  # what FastAPI is to solve: everything but the user
        page.__signature__ = signature.replace(parameters=[
            p for p in signature.parameters.values() if p.name != "user"])
    setattr(page, _SHARED, True)
    return page


def keeps_pages(endpoint: Callable) -> Callable:
    """A write that leaves the page cache as it is: it changes nothing a shared page shows,
    or only counters that may be a TTL stale (signatures, ballots). Put it under the route
    decorator."""
    setattr(endpoint, _KEEPS, True)
    return endpoint


def _marked(function: Any, attribute: str) -> bool:
    while function is not None:
        if getattr(function, attribute, False):
            return True
        function = getattr(function, "__wrapped__", None)
    return False


# -- keys -----------------------------------------------------------------------------------

def _declared_query(route: Any) -> frozenset[str] | None:
    """The query parameters the route (and its dependencies) declare, by their names in the
    URL. None when the route is unknown: then the whole query is kept."""
    if route is None or getattr(route, "dependant", None) is None:
        return None
    names = getattr(route, "hromada_query_names", None)
    if names is None:
        found: set[str] = set()
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            found.update(field.alias for field in dependant.query_params)
            stack.extend(dependant.dependencies)
        names = frozenset(found)
        route.hromada_query_names = names
    return names


def _identity(request: Request) -> tuple[str, str, str] | None:
    """(path, normalised query, language), or None if the request is not a plain read."""
    if request.method not in ("GET", "HEAD"):
        return None
    declared = _declared_query(request.scope.get("route"))
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if declared is None or k in declared))
    lang = request.state._state.get("lang", "")
    return request.url.path, query, lang


def _anonymous(request: Request) -> bool:
    return (not request.cookies.get(SESSION_COOKIE)
            and "authorization" not in request.headers
            and "lang" not in request.query_params)


# -- rendering (called by app.web.templating.render) ----------------------------------------

def storing(request: Request) -> bool:
    """This rendering is meant for every anonymous visitor (render it without a token)."""
    state = request.state._state
    return bool(state.get(_STORING)) and not state.get(_REFUSED)


def refuse(request: Request, reason: str) -> None:
    """This rendering is the visitor's own after all (a flash message, a form to post)."""
    request.state._state[_REFUSED] = reason


@pass_context
def shared_fragment(context: Any, name: str, *parts: Any, caller: Callable[[], str]) -> str:
    """`{% call shared(name, *parts) %}…{% endcall %}`: the block, rendered once for all."""
    request = context.get("request")
    state = request.state._state if request is not None else {}
    page, start = state.get(_PAGE), state.get(_START)
    ttl = _ttl()
    if page is None or start is None or ttl <= 0:
        return caller()
    key = ("fragment", *page, name, tuple(repr(p) for p in parts))
    entry = CACHE.get(key, clock.now(), ttl)
    if entry is not None:
        return Markup(entry.value)
    html = caller()
    token = state.get("csrf_token")
    if (token and token in html) or TOKEN_FIELD in html:
        if get_settings().environment != "production":
            raise RuntimeError(f"the shared fragment {name!r} holds a form or a CSRF token")
        log.warning("the shared fragment %r holds a form or a CSRF token: not stored", name)
        return html
    CACHE.put(key, Entry(str(html), generation=start[0], born=start[1]))
    return html


def shared_data(request: Request, name: str, parts: tuple, load: Callable[[], Any],
                weight: Callable[[Any], int]) -> Any:
    """The data a page shows that is the same for every visitor (a petition with its answer):
    loaded once and kept like a fragment (same generation and TTL), so a logged-in visitor's
    page queries only what is their own. The value is shared by requests of all threads: it
    must be read only (ORM entities in it are detached and never added to a session).
    `weight` estimates its size in bytes for the store's bound."""
    start = request.state._state.get(_START)
    if start is None:
        return load()
    return _kept(("data", name, *parts), start, load, weight)


def kept(name: str, parts: tuple, load: Callable[[], Any], weight: Callable[[Any], int],
         keep: Callable[[Any], bool]) -> Any:
    """`shared_data` outside a request (app.batch `recent`: a group commit's checks): the
    same store, generation and TTL, the age counted from just before the load; a value is
    stored only if `keep` says so."""
    return _kept(("data", name, *parts), (CACHE.generation, clock.now()), load, weight, keep)


def _kept(key: tuple, start: tuple[int, datetime], load: Callable[[], Any],
          weight: Callable[[Any], int], keep: Callable[[Any], bool] | None = None) -> Any:
    ttl = _ttl()
    if ttl <= 0:
        return load()
    entry = CACHE.get(key, clock.now(), ttl)
    if entry is not None:
        return entry.value
    value = load()
    if keep is None or keep(value):
        CACHE.put(key, Entry(value, generation=start[0], born=start[1], weight=weight(value)))
    return value


def forget_data(request: Request, name: str, parts: tuple) -> None:
    """What `shared_data` keeps under (name, parts) ends with this request's write: it is
    dropped once the request has committed (when its response starts), so that a request
    begun meanwhile cannot keep it. For a write that otherwise keeps the pages (a logout)."""
    request.state._state.setdefault(_FORGET, []).append(("data", name, *parts))


# -- answering ------------------------------------------------------------------------------

def _entry(request: Request, response: Response, start: tuple[int, datetime]) -> Entry | None:
    """The response as an entry for everyone, or None if it is this visitor's own."""
    state = request.state._state
    if state.get(_REFUSED) or response.status_code != 200:
        return None
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        return None  # a streamed response
    headers = response.headers
    if "set-cookie" in headers or headers.get("cache-control", PRIVATE) != PRIVATE:
        return None
    if set(headers.keys()) - {"content-type", "content-length", "vary", "cache-control"}:
        return None  # a header of its own: the route knows something we do not
    token = state.get("csrf_token")
    if token and token.encode() in body:
        return None
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    return Entry(body, generation=start[0], born=start[1], etag=etag,
                 content_type=headers.get("content-type", "text/html; charset=utf-8"))


def _answer(request: Request, entry: Entry) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": PUBLIC, "Vary": VARY}
    if _matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.value, headers={**headers, "Content-Type": entry.content_type})


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110, 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip() for t in if_none_match.split(","))
    return etag in (t[2:] if t.startswith("W/") else t for t in tags)


def _private(response: Response) -> Response:
    if not isinstance(response, Response):
        return response
    response.headers["Vary"] = VARY
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = PRIVATE
    return response


# -- the middleware -------------------------------------------------------------------------

class SharedPagesMiddleware:
    """Outermost layer: notes when a request began (its generation and time), bumps the
    generation once a write request has committed, sends no body for HEAD, and keeps the
    CSRF cookie (or any cookie) off public responses.

    It also answers an anonymous request for a page it has already served whole, without
    routing it: the first answer of a shared page records, under the request as it came
    (path, raw query, language, htmx headers), which entry it was and the headers it went out
    with; the same request is then answered from that entry for as long as the entry is
    served at all (same generation, within the TTL), with the same headers, ETag and 304.
    No dependency, no thread and no database are involved, as behind a CDN."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        now = clock.now()
        state[_START] = (CACHE.generation, now)
        head = scope["method"] == "HEAD"
        if head or scope["method"] == "GET":
            route = _route_of(scope)
            if route is not None and await ROUTES.answer(route, scope, send, now, head):
                return
            state[_ROUTE] = route
        csrf_cookie = f"{CSRF_COOKIE}=".encode()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                if (getattr(scope.get("route"), "writes", False) and message["status"] < 400
                        and not _marked(scope.get("endpoint"), _KEEPS)):
                    CACHE.invalidate()
                for key in state.pop(_FORGET, ()):
                    CACHE.forget(key)
                headers = list(message.get("headers", []))
                if any(k == b"cache-control" and v.startswith(b"public") for k, v in headers):
                    headers = [(k, v) for k, v in headers
                               if not (k == b"set-cookie" and v.startswith(csrf_cookie))]
                    if any(k == b"set-cookie" for k, _ in headers):
                        headers = [(k, PRIVATE.encode() if k == b"cache-control" else v)
                                   for k, v in headers]
                    elif message["status"] == 200 and state.get(_ROUTE) and state.get(_KEY):
                        ROUTES.record(state[_ROUTE], state[_KEY], headers)
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        token = _serving.set(True)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            _serving.reset(token)


def _route_of(scope: Scope) -> tuple | None:
    """An anonymous request as it came (see "Who is anonymous"), or None."""
    query: bytes = scope.get("query_string", b"")
    if b"lang=" in query:
        return None
    cookie = accept = None
    htmx = ["", "", "", ""]
    for key, value in scope["headers"]:
        if key == b"cookie":
            cookie = value.decode("latin-1")
        elif key == b"authorization":
            return None
        elif key == b"accept-language":
            accept = value.decode("latin-1")
        elif key.startswith(b"hx-"):
            name = key.decode("latin-1")
            if name in HTMX_HEADERS:
                htmx[HTMX_HEADERS.index(name)] = value.decode("latin-1")
    cookies = parse_cookies(cookie) if cookie else {}
    if cookies.get(SESSION_COOKIE):
        return None
    lang = negotiate(cookies.get(LANG_COOKIE), None, accept, get_settings().default_language)
    return (scope["path"], query, lang, *htmx)


class Routes:
    """Which entry answered an anonymous request, and with which headers (bounded LRU)."""

    MAX = 4096

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple, tuple[tuple, str, list]] = OrderedDict()
        self._lock = threading.Lock()
        self.answered = 0  # requests answered here, without routing

    def record(self, route: tuple, key: tuple, headers: list[tuple[bytes, bytes]]) -> None:
        etag = next((v.decode("latin-1") for k, v in headers if k == b"etag"), None)
        if etag is None:
            return
        kept = [(k, v) for k, v in headers if k not in (b"date", b"server")]
        with self._lock:
            self._seen[route] = (key, etag, kept)
            self._seen.move_to_end(route)
            while len(self._seen) > self.MAX:
                self._seen.popitem(last=False)

    async def answer(self, route: tuple, scope: Scope, send: Send, now: datetime,
                     head: bool) -> bool:
        """Answer `route` from the entry it had, if that entry is still served."""
        ttl = _ttl()
        seen = self._seen.get(route)
        if seen is None or ttl <= 0:
            return False
        key, etag, headers = seen
        entry = CACHE.get(key, now, ttl)
        if entry is None or entry.etag != etag:
            return False
        if _matches(_header(scope, b"if-none-match"), etag):
            self.answered += 1
            await send({"type": "http.response.start", "status": 304, "headers": [
                (k, v) for k, v in headers if k not in (b"content-type", b"content-length")]})
            await send({"type": "http.response.body", "body": b""})
            return True
        self.answered += 1
        body = entry.value if isinstance(entry.value, bytes) else entry.value.encode()
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})
        return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
            self.answered = 0


ROUTES = Routes()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def install(app: Any) -> None:
    """Wire the cache into the app, after every router is included: the middleware, and HEAD
    on every shared page."""
    for route in _api_routes(app.router.routes):
        if _marked(route.endpoint, _SHARED):
            route.methods.add("HEAD")
    app.add_middleware(SharedPagesMiddleware)


def _api_routes(routes: list) -> Any:
    """Every APIRoute, also inside included routers (FastAPI keeps them in their own router
    and matches through it)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _api_routes(original.routes)
