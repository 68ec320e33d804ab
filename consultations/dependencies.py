"""Load and authorise: the consultation (and the response) a route works on, as the person
asking may have it, and the person a page is only for, through the checks of
consultations/permissions.py.

HTML routes know the person by the session cookie (app.web.auth.OptionalUser/CurrentUser), API
routes only by a Bearer token (OptionalApiUser/ApiUser). Each dependency below is made once per
kind of person by `_consultation` (all of them load through `load`). A route that needs the
person too declares them before the consultation, so that "log in" comes before "not found".

(No `from __future__ import annotations` here: the dependencies are made with the kind of
person as a value, which FastAPI must see as such.)
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from sqlmodel import Session

from app.identity.models import User
from app.web.auth import ApiUser, CurrentUser, OptionalApiUser, OptionalUser
from app.web.deps import DbSession
from consultations import permissions
from consultations.models import Consultation, ConsultationResponse, Phase
from consultations.service import reading, responding

Check = Callable[[Session, User | None, Consultation, Phase], None]


def load(session: Session, user: User | None, consultation_id: int,
         check: Check = permissions.check_view) -> Consultation:
    """The consultation, once `check` (seeing it, by default) lets the person have it."""
    c = reading.get(session, consultation_id)
    check(session, user, c, reading.phase(c))
    return c


def _consultation(person: Any, check: Check = permissions.check_view) -> Any:
    """A dependency: the consultation of the path, as `person` (who is asking, by the cookie or
    by the token) may have it."""

    def consultation(session: DbSession, user: person, consultation_id: int) -> Consultation:
        return load(session, user, consultation_id, check)

    return Annotated[Consultation, Depends(consultation)]


def _person(check: Callable[[Session, User | None], None]) -> Any:
    """A dependency: the logged-in person, once `check` lets them use the page."""

    def person(session: DbSession, user: CurrentUser) -> User:
        check(session, user)
        return user

    return Annotated[User, Depends(person)]


# -- HTML routes (the session cookie) -----------------------------------------------------

VisibleConsultation = _consultation(OptionalUser)
EditableConsultation = _consultation(CurrentUser, permissions.check_edit)
ConsultationAuthor = _person(permissions.check_create_any)
OrganisationReviewer = _person(permissions.check_review_organisations)


def own_response(session: DbSession, user: CurrentUser, c: VisibleConsultation,
                 response_id: int) -> ConsultationResponse:
    return responding.own_response(session, user, c, response_id)


OwnResponse = Annotated[ConsultationResponse, Depends(own_response)]


# -- API routes (the Bearer token) --------------------------------------------------------

ApiVisibleConsultation = _consultation(OptionalApiUser)
ApiCallerConsultation = _consultation(ApiUser)  # for a route that needs the token: every write
ApiEditableConsultation = _consultation(ApiUser, permissions.check_edit)
