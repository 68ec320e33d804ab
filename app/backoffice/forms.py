"""Reading the back office's form fields: whole numbers, dates and optional ids, each refused
with a message naming its field."""

from __future__ import annotations

from datetime import date

from app.exceptions import InvalidInput
from app.models import MAX_ID
from app.web.i18n import N_


def whole(value: str | None, field: str, *, required: bool = True, maximum: int = MAX_ID
          ) -> int | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(fields={field: N_("This field is required.")})
        return None
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise InvalidInput(fields={field: N_("Enter a whole number.")})
    number = int(text)
    if number > maximum:
        raise InvalidInput(fields={field: N_("Enter a whole number.")})
    return number


def an_id(value: str | None, field: str) -> int | None:
    """An optional id chosen from a list ("" for none)."""
    number = whole(value, field, required=False)
    if number is not None and number < 1:
        raise InvalidInput(fields={field: N_("Choose one of the offered options.")})
    return number


def day(value: str | None, field: str, *, required: bool = True) -> date | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(fields={field: N_("Enter a date (YYYY-MM-DD).")})
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(fields={field: N_("Enter a date (YYYY-MM-DD).")}) from None
