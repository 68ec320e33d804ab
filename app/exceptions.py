"""Domain errors carry their HTTP status and a translatable message; one handler renders them."""

from __future__ import annotations

from typing import Any

from app.web.i18n import N_


class DomainError(Exception):
    """An error a user can cause and understand. `message` is a msgid, translated on render."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params
        self.fields = fields or {}


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"

    def __init__(self, message: str = N_("Please log in to continue."), **kw: Any):
        super().__init__(message, **kw)


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message: str = N_("You are not allowed to do this."), **kw: Any):
        super().__init__(message, **kw)


class NotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self, message: str = N_("Not found."), **kw: Any):
        super().__init__(message, **kw)


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str = N_("Too many attempts. Please wait and try again."),
                 retry_after: int = 60, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class DatabaseBusy(DomainError):
    status_code = 503
    code = "busy"

    def __init__(self, message: str = N_("The service is busy. Please try again in a moment."),
                 **kw: Any):
        super().__init__(message, **kw)
