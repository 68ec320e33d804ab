"""Domain errors carry their HTTP status and a translatable message; one handler renders them."""

from __future__ import annotations

from typing import Any

from app.web.i18n import N_, gettext

# A field's message: a msgid, or a msgid with the parameters it is formatted with.
FieldMessage = str | tuple[str, dict[str, Any]]


def _translate(msgid: str, params: dict[str, Any]) -> str:
    text = gettext(msgid)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


class DomainError(Exception):
    """An error a user can cause and understand. `message` is a msgid, translated on render;
    `fields` names the fields at fault (field -> msgid, or (msgid, its parameters))."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, FieldMessage] | None = None,
                 **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params
        self.fields = fields or {}

    def text(self) -> str:
        """The message in the request's language."""
        return _translate(self.message, self.params)

    def field_texts(self) -> dict[str, str]:
        """Each field's message in the request's language."""
        out = {}
        for name, message in self.fields.items():
            msgid, params = message if isinstance(message, tuple) else (message, self.params)
            out[name] = _translate(msgid, params)
        return out


class InvalidInput(DomainError):
    """The one invalid-input error: a message for the form and one per field at fault. Views
    turn it into a re-rendered form (app.web.forms.rerender), the handler into JSON."""

    status_code = 422
    code = "invalid"

    def __init__(self, message: str = N_("Please correct the highlighted fields."), *,
                 fields: dict[str, FieldMessage] | None = None, **params: Any):
        super().__init__(message, fields=fields, **params)


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


def raises(*errors: type[DomainError]):
    """Declare the domain errors a dependency (or an endpoint) raises itself, beyond those its
    route's shape implies: the API contract (app.web.contract) lists their statuses."""
    def mark(function):
        function.hromada_raises = (*getattr(function, "hromada_raises", ()), *errors)
        return function
    return mark


def raises_of(function: Any) -> tuple[type[DomainError], ...]:
    return getattr(function, "hromada_raises", ())
