"""Turning validation errors into translated, per-field messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from app.exceptions import InvalidInput
from app.web.i18n import N_, gettext

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
}


def translate_validation_errors(errors: Iterable[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
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
        return model.model_validate(data)
    except ValidationError as exc:
        raw = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "request"
            template = MESSAGES.get(err["type"], N_("This value is not valid."))
            raw.setdefault(loc, (template, err.get("ctx") or {}))
        raise FieldErrors(raw) from None


class FieldErrors(InvalidInput):
    """InvalidInput whose field messages carry parameters (formatted on translation)."""

    def __init__(self, raw: dict[str, tuple[str, dict]]):
        super().__init__(N_("Please correct the highlighted fields."))
        self.raw = raw
        self.fields = {k: v[0] for k, v in raw.items()}

    def translated(self) -> dict[str, str]:
        out = {}
        for key, (template, ctx) in self.raw.items():
            try:
                out[key] = gettext(template).format(**ctx)
            except (KeyError, IndexError, ValueError):
                out[key] = gettext(template)
        return out


def field_messages(exc: InvalidInput) -> dict[str, str]:
    """Translated per-field messages of an InvalidInput (for re-rendering a form)."""
    if isinstance(exc, FieldErrors):
        return exc.translated()
    return {k: gettext(v) for k, v in exc.fields.items()}
