"""Organisations: an NGO, a business, an academic institution or a public body, registered by a
person and verified by an official of its community; then the person answers for it."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions as cp
from app.communities import service as communities
from app.exceptions import Conflict, InvalidInput, NotFound
from app.identity.models import User
from app.web.i18n import N_
from consultations import permissions, text
from consultations import repository as repo
from consultations.models import (
    ORGANISATION_CATEGORIES,
    ConsultationOrganisation,
    OrganisationIn,
)

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,19}$")
CODE_TAKEN = N_("An organisation with this registration code is already registered in this "
                "community.")


def _valid(data: OrganisationIn) -> tuple[str, str]:
    """The cleaned name and registration code."""
    if data.category not in ORGANISATION_CATEGORIES:
        message = N_("Choose the kind of organisation.")
        raise InvalidInput(message, fields={"category": message})
    name = text.clean_line(data.name)
    code = re.sub(r"\s+", "", data.code).upper()
    if len(name) < 2:
        message = N_("Enter the organisation's name.")
        raise InvalidInput(message, fields={"name": message})
    if not CODE_RE.match(code):
        message = N_("Enter the registration code (letters, digits and hyphens).")
        raise InvalidInput(message, fields={"code": message})
    return name, code


def register_organisation(session: Session, user: User, data: OrganisationIn
                          ) -> ConsultationOrganisation:
    permissions.check_register_organisation(session, user)
    community = communities.get(session, data.community_id)
    name, code = _valid(data)
    if repo.organisation_by_code(session, community.id, code) is not None:
        raise Conflict(CODE_TAKEN,
                       fields={"code": N_("This registration code is already registered.")})
    org = ConsultationOrganisation(user_id=user.id, community_id=community.id, name=name,
                                   category=data.category, code=code)
    session.add(org)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(CODE_TAKEN) from None
    return org


def organisations_of(session: Session, user: User | None) -> list[ConsultationOrganisation]:
    return repo.organisations_of(session, user.id) if user else []


def verify_organisation(session: Session, user: User, organisation_id: int
                        ) -> ConsultationOrganisation:
    org = repo.organisation(session, organisation_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    permissions.check_verify_organisation(session, user, org)
    org.verified = True
    org.verified_at = clock.now()
    org.verified_by_id = user.id
    session.add(org)
    session.flush()
    audit.append(session, "consultation.organisation_verified", "consultation_organisation",
                 org.id, user.id, category=org.category)
    return org


def organisations_to_verify(session: Session, user: User) -> list[ConsultationOrganisation]:
    """Those of the communities the person is an official in (all of them for an admin)."""
    if cp.is_admin(user):
        return repo.unverified_organisations(session, None)
    return repo.unverified_organisations(session, cp.memberships(session, user).official_in)
