"""One place renders every error: as a page, an htmx fragment or JSON, by request type."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.exceptions import DatabaseBusy, DomainError, TooManyRequests
from app.web.forms import translate_validation_errors
from app.web.i18n import N_, gettext
from app.web.templating import is_htmx, render

log = logging.getLogger("hromada.errors")

HTTP_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please log in to continue."),
    403: N_("You are not allowed to do this."),
    404: N_("This page does not exist."),
    405: N_("This action is not available here."),
    409: N_("This conflicts with the current state."),
    413: N_("What you sent is too large."),
    422: N_("Please correct the highlighted fields."),
    429: N_("Too many attempts. Please wait and try again."),
    500: N_("Something went wrong on our side. Please try again later."),
    503: N_("The service is busy. Please try again in a moment."),
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or (
        "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", ""))


def error_response(request: Request, status: int, message: str, code: str,
                   fields: dict[str, str] | None = None, headers: dict | None = None
                   ) -> Response:
    if wants_json(request):
        body = {"error": code, "message": message}
        if fields:
            body["fields"] = fields
        return JSONResponse(body, status_code=status, headers=headers)
    context = {"status": status, "message": message, "fields": fields or {}, "code": code}
    if is_htmx(request):
        return render(request, "error.html", context, status_code=status, block="error",
                      headers=headers)
    return render(request, "error.html", context, status_code=status, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path."""
    from fastapi.routing import iter_route_contexts
    from starlette._utils import get_route_path

    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        message, fields = exc.text(), exc.field_texts()
        headers = None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        if exc.status_code == 401 and wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"}  # the API's one scheme (RFC 9110)
        if exc.status_code == 401 and not wants_json(request) and request.method == "GET":
            from urllib.parse import quote

            from fastapi.responses import RedirectResponse

            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return error_response(request, exc.status_code, message, exc.code, fields, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields = translate_validation_errors(exc.errors())
        return error_response(request, 422, gettext(HTTP_MESSAGES[422]), "invalid", fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = gettext(HTTP_MESSAGES.get(exc.status_code, HTTP_MESSAGES[400]))
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names the methods of the first route whose path matched; the path
            # may have others (GET /petitions and POST /petitions are two routes).
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return error_response(request, exc.status_code, message, "http_error",
                              headers=headers)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A value no column can hold (an id beyond 64 bits, text too long for PostgreSQL):
        # the client's mistake, never a server error. The request transaction is rolled back.
        return error_response(request, 400, gettext(HTTP_MESSAGES[400]), "bad_request")

    @app.exception_handler(OperationalError)
    async def database_error(request: Request, exc: OperationalError) -> Response:
        # A database too busy to answer now (SQLite locked, a PostgreSQL serialization
        # failure, a connection lost): the request was rolled back, try again in a moment.
        text = str(exc).lower()
        if exc.connection_invalidated or "locked" in text or "could not serialize" in text:
            return await domain_error(request, DatabaseBusy())
        raise exc  # any other: a server error (below)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, gettext(HTTP_MESSAGES[500]), "server_error")
