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
from app.notifications import service as notifications
from app.web.i18n import N_, _
from consultations import permissions, text
from consultations import repository as repo
from consultations.models import (
    ORGANISATION_CATEGORIES,
    ConsultationOrganisation,
    ConsultationOrganisationMember,
    MemberStatus,
    OrganisationIn,
)

CODE_TAKEN = N_("An organisation with this registration code is already registered in this "
                "community.")


def edrpou_check_digit(first_seven: str) -> int:
    """The check digit of an EDRPOU code (the State Statistics Service's algorithm): the
    digits weighted 1 to 7 (7, 1 to 6 for codes between 30000000 and 60000000), the sum
    modulo 11; when that is 10, weights 2 higher; when it is 10 again, 0."""
    digits = [int(d) for d in first_seven]
    middle = 30_000_000 <= int(first_seven + "0") < 60_000_000
    weights = [7, 1, 2, 3, 4, 5, 6] if middle else [1, 2, 3, 4, 5, 6, 7]
    total = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if total == 10:
        total = sum(d * (w + 2) for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if total == 10 else total


def valid_edrpou(code: str) -> bool:
    return (len(code) == 8 and code.isascii() and code.isdigit()
            and edrpou_check_digit(code[:7]) == int(code[7]))


def _valid(data: OrganisationIn) -> tuple[str, str]:
    """The cleaned name and registration code."""
    if data.category not in ORGANISATION_CATEGORIES:
        message = N_("Choose the kind of organisation.")
        raise InvalidInput(message, fields={"category": message})
    name = text.clean_line(data.name)
    code = re.sub(r"\s+", "", data.code)
    if len(name) < 2:
        message = N_("Enter the organisation's name.")
        raise InvalidInput(message, fields={"name": message})
    if not valid_edrpou(code):
        message = N_("Enter the organisation's EDRPOU code: 8 digits, as in the Unified State "
                     "Register (the last digit is a check digit).")
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
                                   category=data.category, code=code,
                                   topics=sorted(set(data.topics)))
    session.add(org)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(CODE_TAKEN) from None
    return org


def organisations_of(session: Session, user: User | None) -> list[ConsultationOrganisation]:
    """Those the person registered or was confirmed to act for."""
    return repo.organisations_acted_for(session, user.id) if user else []


def get(session: Session, organisation_id: int) -> ConsultationOrganisation:
    org = repo.organisation(session, organisation_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    return org


def public_register(session: Session, community_id: int) -> list[ConsultationOrganisation]:
    """The verified organisations of a community (none for a community that does not exist:
    a filter, like the other lists')."""
    return repo.register(session, community_id)


def members(session: Session, org: ConsultationOrganisation
            ) -> list[tuple[ConsultationOrganisationMember, str | None]]:
    return repo.members(session, org.id)


def join(session: Session, user: User, organisation_id: int) -> ConsultationOrganisationMember:
    """Ask to act for an organisation; its contact confirms."""
    org = repo.organisation(session, organisation_id)
    permissions.check_join_organisation(session, user, org)
    member = ConsultationOrganisationMember(organisation_id=org.id, user_id=user.id)
    session.add(member)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("You already act for this organisation or asked to.")) from None
    contact = session.get(User, org.user_id)
    if contact is not None:
        notifications.send_to(session, contact, f"org-member-{member.id}", lambda: (
            _("Confirm who acts for {name}").format(name=org.name),
            _("{person} asks to act on behalf of {name} in consultations. Confirm or refuse "
              "on the organisations page.").format(person=user.display_name, name=org.name)))
    return member


def confirm_member(session: Session, user: User, organisation_id: int, member_user_id: int
                   ) -> ConsultationOrganisationMember:
    org = repo.organisation(session, organisation_id)
    permissions.check_confirm_member(session, user, org)
    member = repo.member(session, org.id, member_user_id)
    if member is None:
        raise NotFound(N_("This person has not asked to act for the organisation."))
    if member.status == MemberStatus.confirmed:
        raise Conflict(N_("This member is already confirmed."))
    member.status = MemberStatus.confirmed
    member.confirmed_at = clock.now()
    session.add(member)
    session.flush()
    audit.append(session, "consultation.organisation_member_confirmed",
                 "consultation_organisation", org.id, user.id, member=member_user_id)
    return member


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
