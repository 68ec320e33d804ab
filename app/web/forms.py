"""Invalid input: validation errors as translated per-field messages, and a refused form
shown again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from app.exceptions import DomainError, FieldMessage, InvalidInput, NotAuthenticated, NotFound
from app.web.i18n import N_, gettext
from app.web.templating import render

MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short (at least {min_length} characters)."),
    "string_too_long": N_("This is too long (at most {max_length} characters)."),
    "greater_than_equal": N_("Must be at least {ge}."),
    "greater_than": N_("Must be more than {gt}."),
    "less_than_equal": N_("Must be at most {le}."),
    "less_than": N_("Must be less than {lt}."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "date_from_datetime_parsing": N_("Enter a date (YYYY-MM-DD)."),
    "date_parsing": N_("Enter a date (YYYY-MM-DD)."),
    "datetime_parsing": N_("Enter a date and time."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "enum": N_("Choose one of the offered options."),
    "literal_error": N_("Choose one of the offered options."),
    "bool_parsing": N_("Choose yes or no."),
    "value_error": N_("This value is not valid."),
    "string_type": N_("Enter text."),
    "list_type": N_("Choose from the list."),
    "too_long": N_("Too many items (at most {max_length})."),
    "too_short": N_("Too few items (at least {min_length})."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body has the wrong shape."),
    "dict_type": N_("The request body has the wrong shape."),
    "nul_character": N_("This text holds a NUL character, which cannot be stored."),
}


# Where FastAPI found a value: the first part of a request's error location, never a field.
LOCATIONS = frozenset({"body", "query", "path", "header", "cookie", "form"})


def translate_validation_errors(errors: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each error's message in the user's language, under the field it is about ("request"
    when it is about no field). Only the location that begins a request's error is left out:
    a field may itself be called `body` (a comment's, a consultation's)."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in LOCATIONS:
            loc = loc[1:]
        name = ".".join(loc) or "request"
        template = MESSAGES.get(err.get("type", ""), N_("This value is not valid."))
        try:
            message = gettext(template).format(**(err.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            message = gettext(template)
        fields.setdefault(name, message)
    return fields


def parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """Validate input against a pydantic model, raising InvalidInput with per-field msgids."""
    try:
        return model.model_validate(data, context={"form": True})
    except ValidationError as exc:
        fields: dict[str, FieldMessage] = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "request"
            template = MESSAGES.get(err["type"], N_("This value is not valid."))
            fields.setdefault(loc, (template, err.get("ctx") or {}))
        raise InvalidInput(fields=fields) from None


# Errors that are not the form's to show: the handler answers them (login, the 404 page).
NOT_THE_FORMS = (NotAuthenticated, NotFound)


def rerender(request: Request, template: str, context: dict[str, Any], exc: DomainError, *,
             block: str | None = None) -> HTMLResponse:
    """The page of a form that was refused: the same template with the message on top
    (`error`), each field's message beside it (`errors`) and whatever `context` carries (the
    values as sent), in the error's status; `block` for an htmx request. Not logged in and
    not found are raised again, for the error handler."""
    if isinstance(exc, NOT_THE_FORMS):
        raise exc
    return render(request, template, {**context, "error": exc.text(),
                                      "errors": exc.field_texts()},
                  status_code=exc.status_code, block=block)
