"""Load and authorise: the consultation (and the response) a route works on, as the person
asking may see it, and the person a page is only for, through the checks of
consultations/permissions.py.

HTML routes know the person by the session cookie (app.web.auth.OptionalUser/CurrentUser), API
routes only by a Bearer token (ApiUser/OptionalApiUser): each dependency below exists once per
kind of route and all of them load through `load`. A route that needs the person too declares
them before the consultation, so that "log in" comes before "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

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


# -- HTML routes (the session cookie) -----------------------------------------------------

def visible_consultation(session: DbSession, user: OptionalUser, consultation_id: int
                         ) -> Consultation:
    return load(session, user, consultation_id)


def editable_consultation(session: DbSession, user: CurrentUser, consultation_id: int
                          ) -> Consultation:
    return load(session, user, consultation_id, permissions.check_edit)


VisibleConsultation = Annotated[Consultation, Depends(visible_consultation)]
EditableConsultation = Annotated[Consultation, Depends(editable_consultation)]


def consultation_author(session: DbSession, user: CurrentUser) -> User:
    """Someone who may start a consultation: an official of some authority."""
    permissions.check_create_any(session, user)
    return user


def organisation_reviewer(session: DbSession, user: CurrentUser) -> User:
    """Someone who verifies organisations: an official of some community, or an admin."""
    permissions.check_review_organisations(session, user)
    return user


ConsultationAuthor = Annotated[User, Depends(consultation_author)]
OrganisationReviewer = Annotated[User, Depends(organisation_reviewer)]


def own_response(session: DbSession, user: CurrentUser, c: VisibleConsultation,
                 response_id: int) -> ConsultationResponse:
    return responding.own_response(session, user, c, response_id)


OwnResponse = Annotated[ConsultationResponse, Depends(own_response)]


# -- API routes (the Bearer token) --------------------------------------------------------

def api_visible_consultation(session: DbSession, user: OptionalApiUser, consultation_id: int
                             ) -> Consultation:
    return load(session, user, consultation_id)


def api_caller_consultation(session: DbSession, user: ApiUser, consultation_id: int
                            ) -> Consultation:
    """As `api_visible_consultation`, for a route that needs the token (every write)."""
    return load(session, user, consultation_id)


def api_editable_consultation(session: DbSession, user: ApiUser, consultation_id: int
                              ) -> Consultation:
    return load(session, user, consultation_id, permissions.check_edit)


ApiVisibleConsultation = Annotated[Consultation, Depends(api_visible_consultation)]
ApiCallerConsultation = Annotated[Consultation, Depends(api_caller_consultation)]
ApiEditableConsultation = Annotated[Consultation, Depends(api_editable_consultation)]
