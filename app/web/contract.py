"""The contract of the JSON API under /api/v1: what each operation says it answers.

Every API router is made with `make_api_router`; its routes (`ApiRoute`) declare, in their
OpenAPI operation, every status they can answer, derived here from what the route is rather
than listed by hand:

    every operation      503 busy (the database could not take the request in time)
    any parameter/body   422 invalid (validation, or a rule of the service), 400 bad_request
                         (a request that cannot be understood)
    a path parameter,    404 not_found (nothing there, or nothing the caller may see)
      or a body naming
      its community
    a Bearer token       401 not_authenticated (missing, invalid or revoked token)
    a write that needs   403 forbidden (the caller may not), 409 conflict (the target's state
      a token              refuses it: a closed phase, a second signature, ...)
    @rate_limited        429 rate_limited, with Retry-After
    a dependency marked  whatever its `@raises(...)` says (app.exceptions.raises)
    `responses=` given   kept, with its own description (the audit receipt check's codes)

Each error status carries the one error body (`ErrorBody`, rendered by app.web.errors). A GET
answers with an `ETag` of the bytes it sends and `Cache-Control`; `If-None-Match` with that
tag gets 304 and no body. A list is a page (app.web.paging) and says so with its `Link`. The
Bearer token is a declared security scheme: required where the route needs the person,
optional where a token only changes what is shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response, StreamingResponse
from fastapi.utils import create_model_field
from pydantic import BaseModel, Field
from starlette.convertors import Convertor, register_url_convertor

from app.exceptions import DomainError, raises_of
from app.web.auth import bearer_token, optional_bearer_user
from app.web.deps import SAFE_METHODS, Route
from app.web.paging import Page
from app.web.ratelimit import rate_limit_of

# Codes the handlers of app/web/errors.py give errors that are not a DomainError.
HANDLER_CODES = ("invalid", "bad_request", "http_error", "server_error")

DESCRIPTIONS = {
    400: "The request cannot be understood (`bad_request`).",
    401: "No valid personal token: missing, invalid or revoked (`not_authenticated`).",
    403: "The token's owner may not do this here (`forbidden`).",
    404: "Nothing there, or nothing the caller may see (`not_found`).",
    409: "The target's current state refuses the request: a closed phase, a second "
         "signature or vote, an item already decided (`conflict`).",
    422: "A parameter or the body breaks a rule; `fields` names each field at fault "
         "(`invalid`).",
    429: "Too many requests or failed logins; `Retry-After` says when to try again "
         "(`rate_limited`).",
    503: "The service is busy; try again in a moment (`busy`).",
}


def error_codes() -> list[str]:
    """Every `error` code a response can carry: the domain errors' and the handlers'."""
    codes: set[str] = set(HANDLER_CODES)
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        codes.add(cls.code)
        stack.extend(cls.__subclasses__())
    return sorted(codes)


def _code_enum(schema: dict[str, Any]) -> None:
    # Read when the schema is generated (after every module registered its errors).
    schema["enum"] = error_codes()


class ErrorBody(BaseModel):
    """The body of every error of the API."""

    error: str = Field(description="What went wrong, as a code.", json_schema_extra=_code_enum)
    message: str = Field(description="What went wrong, in the request's language.")
    fields: dict[str, str] = Field(default_factory=dict, description=(
        "The fields at fault (a parameter's or a body field's name, dotted for nested ones), "
        "each with its message. Absent when no field is at fault."))


# -- which statuses a route answers ------------------------------------------------------

def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    return (d.call for d in _dependants(dependant) if d.call is not None)


def token_of(route: ApiRoute) -> str | None:
    """"required" when the route needs a Bearer token, "optional" when it reads one if sent."""
    calls = set(_calls(route.dependant))
    if bearer_token in calls:  # bearer_user reads it too
        return "required"
    if optional_bearer_user in calls:
        return "optional"
    return None


def _names_a_community(route: ApiRoute) -> bool:
    """Whether the body names its community (`community_id`), which may not exist."""
    model = getattr(route.body_field, "field_info", None)
    model = getattr(model, "annotation", None)
    fields = getattr(model, "model_fields", {})
    return "community_id" in fields


def error_statuses(route: ApiRoute) -> set[int]:
    """The error statuses the route can answer (see the module's docstring)."""
    dependants = list(_dependants(route.dependant))
    found = {503}
    if route.body_field is not None or any(
            d.path_params or d.query_params or d.header_params or d.cookie_params
            for d in dependants):
        found |= {400, 422}
    if any(d.path_params for d in dependants) or _names_a_community(route):
        found.add(404)
    token = token_of(route)
    if token is not None:
        found.add(401)
    if token == "required" and route.methods - SAFE_METHODS:
        found |= {403, 409}
    if rate_limit_of(route.endpoint) is not None:
        found.add(429)
    for call in _calls(route.dependant):
        found |= {error.status_code for error in raises_of(call)}
    found |= {int(status) for status in route.responses if str(status).startswith(("4", "5"))}
    return found


STRING = {"type": "string"}
ETAG = {"description": "A tag of the exact bytes sent: send it back in `If-None-Match`.",
        "required": True, "schema": STRING}
CACHE_CONTROL = {"description": "`no-cache` (revalidate with the ETag), `private` when a token "
                                "was sent.", "required": True, "schema": STRING}
LINK = {"description": "`<next page>; rel=\"next\"` while more items follow (as `next`).",
        "required": False, "schema": STRING}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "The ETag of a copy the client holds: 304 while it is current.",
                 "schema": STRING}
BEARER = "token"  # the name of the security scheme (app.web.auth.bearer_scheme)


def _media_type(route: ApiRoute) -> str | None:
    response_class = route.response_class
    response_class = getattr(response_class, "value", response_class)  # a default's value
    return getattr(response_class, "media_type", None)


def _declare(route: ApiRoute) -> None:
    """Complete the route's OpenAPI operation: its error responses, cache headers, token."""
    responses = {int(status): dict(entry) for status, entry in route.responses.items()}
    # The error body is JSON whatever the success is (a CSV download refuses in JSON too).
    json_route = _media_type(route) in (None, "application/json")
    for status in error_statuses(route):
        entry = responses.setdefault(status, {})
        entry.setdefault("description", DESCRIPTIONS.get(status, "An error."))
        if "model" not in entry and "content" not in entry:
            if json_route:
                entry["model"] = ErrorBody
            else:
                entry["content"] = {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ErrorBody"}}}
        if status == 429:
            entry.setdefault("headers", {"Retry-After": {
                "description": "Seconds to wait.", "required": True,
                "schema": {"type": "integer"}}})
        if status == 401:
            entry.setdefault("headers", {"WWW-Authenticate": {
                "description": "`Bearer`.", "required": True, "schema": STRING}})
    extra = dict(route.openapi_extra or {})
    if "GET" in route.methods and route.is_cacheable:
        success = route.status_code or 200
        entry = responses.setdefault(success, {})
        entry["headers"] = {"ETag": ETAG, "Cache-Control": CACHE_CONTROL,
                            **entry.get("headers", {})}
        if isinstance(route.response_model, type) and issubclass(route.response_model, Page):
            entry["headers"]["Link"] = LINK
        responses[304] = {"description": "Not modified: the copy the client holds (its "
                                         "`If-None-Match`) is current.",
                          "headers": {"ETag": ETAG, "Cache-Control": CACHE_CONTROL}}
        extra["parameters"] = [*extra.get("parameters", []), IF_NONE_MATCH]
    if token_of(route) == "optional":
        # FastAPI lists the scheme as required; an empty requirement makes it optional.
        extra["security"] = [*extra.get("security", []), {}]
    route.responses = dict(sorted(responses.items()))
    route.openapi_extra = extra or None
    route.response_fields = {
        status: create_model_field(name=f"Response_{status}_{route.unique_id}",
                                   type_=entry["model"], mode="serialization")
        for status, entry in route.responses.items() if entry.get("model")}


# -- ids in paths -----------------------------------------------------------------------

class IdConvertor(Convertor[int]):
    """`{petition_id:id}`: an id in a path, 1 to 999,999,999. Another segment there
    ("mine", "-1", a number no column holds) is another path: 404, or 405 when another route
    has that path ("/responses/mine")."""

    regex = "[1-9][0-9]{0,8}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


# -- content types other than JSON ------------------------------------------------------
# A route answering a file declares its class (`response_class=CsvResponse`): the OpenAPI
# operation then names that content type, and the body is sent with it.

class CsvResponse(Response):
    """CSV, UTF-8 (Starlette adds the charset), one header row."""

    media_type = "text/csv"


class NdjsonResponse(StreamingResponse):
    """One JSON object a line, streamed."""

    media_type = "application/x-ndjson"


# -- ETag and 304 ------------------------------------------------------------------------

def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, tag: str) -> bool:
    """Whether If-None-Match names the tag (weak comparison, as RFC 9110 asks for it)."""
    wanted = tag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def revalidated(request: Request, response: Response) -> Response:
    """A successful GET with a body, tagged with the hash of its bytes; 304 when the client's
    copy has that tag."""
    body = getattr(response, "body", None)
    if response.status_code != 200 or not isinstance(body, bytes):
        return response
    tag = response.headers.get("etag") or entity_tag(body)
    response.headers["ETag"] = tag
    if "cache-control" not in response.headers:
        private = "authorization" in request.headers
        response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
    # What an API GET answers may depend on whose token asks (a draft, the caller's own vote):
    # a cache keeps one copy per Authorization.
    vary = response.headers.get("vary")
    if not vary or "authorization" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Authorization" if vary else "Authorization"
    held = request.headers.get("if-none-match")
    if held and _matches(held, tag):
        kept = {name: value for name, value in response.headers.items()
                if name in ("etag", "cache-control", "link", "vary", "content-location")}
        return Response(status_code=304, headers=kept)
    return response


class ApiRoute(Route):
    """A route of the JSON API: one request transaction (Route), a complete contract."""

    def __init__(self, path: str, endpoint, **kwargs) -> None:
        response_class = kwargs.get("response_class")
        # A streamed body has no bytes to tag before it is sent.
        self.is_cacheable = not (isinstance(response_class, type)
                                 and issubclass(response_class, StreamingResponse))
        super().__init__(path, endpoint, **kwargs)
        _declare(self)

    def get_route_handler(self):
        handler = super().get_route_handler()
        if "GET" not in self.methods or not self.is_cacheable:
            return handler

        async def conditional(request: Request) -> Response:
            return revalidated(request, await handler(request))

        return conditional


def make_api_router(**kwargs) -> APIRouter:
    """Every router of the JSON API: its routes declare their whole contract."""
    return APIRouter(route_class=ApiRoute, **kwargs)
