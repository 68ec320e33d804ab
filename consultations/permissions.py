"""Who may do what with a consultation, in which phase: named permissions built from the
kernel's predicates (app.communities.permissions).

Each `check_<act>(session, user, target, ...)` raises the error a person should see (401 not
logged in, 403 wrong role, 404 not to be seen, 409 wrong phase or state); the kernel's
`allowed(check, ...)` turns one into a yes/no for a page or an API flag. A check of a
consultation takes its phase explicitly (computed once by the caller from the clock), so a
page and the service that acts on it judge the same moment. Routes load and authorise through
consultations/dependencies.py; services call the check of their act before they write.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from app import clock
from app.communities import permissions as p
from app.communities.models import Authority
from app.exceptions import Conflict, Forbidden, NotFound
from app.identity.models import User
from app.rules.calendar import LOCAL_TZ
from app.rules.schema import AssuranceLevel
from app.web.i18n import N_
from consultations import repository as repo
from consultations.models import (
    Consultation,
    ConsultationOrganisation,
    ConsultationResponse,
    Phase,
)

PUBLIC_PHASES = frozenset({Phase.scheduled, Phase.open, Phase.closed, Phase.reported})

NO_SUCH_CONSULTATION = N_("No such consultation.")
REPORT_PUBLISHED = N_("The outcome report has already been published.")
ALREADY_RATED = N_("You have already rated this report.")
VERIFIES_ORGANISATIONS = N_("Only an official of the organisation's community can verify it.")


# -- predicates ---------------------------------------------------------------------------

def is_staff_of(session: Session, user: User | None, c: Consultation) -> bool:
    """An official of the consultation's own authority."""
    return p.is_official_of(session, user, c.authority_id)


def is_moderator(session: Session, user: User | None, c: Consultation) -> bool:
    return p.is_moderator_in(session, user, c.community_id) or p.is_admin(user)


def is_resident(session: Session, user: User | None, c: Consultation) -> bool:
    return p.is_verified_resident(session, user, c.community_id)


def is_contact(user: User | None, org: ConsultationOrganisation | None) -> bool:
    """The person who registered the organisation: its contact, who confirms its members."""
    return user is not None and org is not None and org.user_id == user.id


def acts_for(session: Session, user: User | None, org: ConsultationOrganisation | None) -> bool:
    """The organisation's contact, or a member the contact confirmed."""
    return is_contact(user, org) or (user is not None and org is not None
                                     and repo.is_confirmed_member(session, org.id, user.id))


def owns_verified_organisation(session: Session, user: User | None,
                               org: ConsultationOrganisation | None, c: Consultation) -> bool:
    """Acts for a verified organisation of the consultation's community."""
    return (org is not None and org.verified and org.community_id == c.community_id
            and acts_for(session, user, org))


def takes_part(session: Session, user: User | None, c: Consultation) -> bool:
    """A verified resident, or someone acting for a verified organisation of the community."""
    if user is None:
        return False
    return is_resident(session, user, c) or any(
        owns_verified_organisation(session, user, org, c)
        for org in repo.organisations_acted_for(session, user.id))


def in_priority_window(c: Consultation, now: datetime | None = None) -> bool:
    """Open, but only to invited stakeholders yet (the rules' priority window)."""
    now = now or clock.now()
    return c.priority_days > 0 and clock.aware(c.starts_at) <= now < clock.aware(c.public_at)


def is_participant(session: Session, user: User | None, c: Consultation) -> bool:
    """Someone who answered or commented."""
    return user is not None and repo.is_participant(session, c.id, user.id)


def sees_unpublished(session: Session, user: User | None, c: Consultation) -> bool:
    """Contributions their authors chose not to publish go to the authority (and moderators)."""
    return is_staff_of(session, user, c) or is_moderator(session, user, c)


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _open_for_contributions(c: Consultation, phase: Phase) -> None:
    if phase == Phase.open:
        return
    if phase == Phase.scheduled:
        raise Conflict(N_("This consultation opens on {date}; answers are not accepted yet."),
                       date=_day(c.start_date))
    if phase == Phase.draft:
        raise Conflict(N_("This consultation has not been published."))
    raise Conflict(N_("This consultation closed on {date}; answers and comments are no "
                      "longer accepted."), date=_day(c.end_date))


# -- the consultation and its draft -------------------------------------------------------

def check_view(session: Session, user: User | None, c: Consultation, phase: Phase) -> None:
    """Drafts are seen only by the authority's officials (and admins); the rest is public."""
    if phase in PUBLIC_PHASES or is_staff_of(session, user, c) or p.is_admin(user):
        return
    raise NotFound(NO_SUCH_CONSULTATION)


def check_create_any(session: Session, user: User | None) -> None:
    """Start a consultation at all: an official of some authority."""
    user = p.logged_in(user)
    if not p.memberships(session, user).official_of:
        raise Forbidden(N_("Only an official of an authority can open a consultation."))


def check_create(session: Session, user: User | None, authority: Authority) -> None:
    """Start a consultation of this authority: one of its officials."""
    p.logged_in(user)
    if not p.is_official_of(session, user, authority.id):
        raise Forbidden(N_("Only an official of this authority can open a consultation."))


def check_edit(session: Session, user: User | None, c: Consultation, phase: Phase) -> None:
    """Change the draft (its text, questions and attachments) or publish it."""
    check_view(session, user, c, phase)
    if phase != Phase.draft:
        raise Conflict(N_("Only a draft can be changed; this consultation is published."))
    if not is_staff_of(session, user, c):
        raise Forbidden(N_("Only an official of the consultation's authority can change it."))


# -- contributions ------------------------------------------------------------------------

def may_answer(session: Session, user: User | None, c: Consultation,
               level: str = AssuranceLevel.resident) -> bool:
    """Answer for oneself: the level of assurance the consultation's rules ask for."""
    return p.has_level(session, user, c.community_id, level)


def check_respond(session: Session, user: User | None, c: Consultation, phase: Phase,
                  level: str = AssuranceLevel.resident) -> None:
    """Answer the questionnaire for oneself, while it is open: the level of assurance the
    rules ask for (by default a verified resident); the refusal says what is missing."""
    p.logged_in(user)
    _open_for_contributions(c, phase)
    if in_priority_window(c):
        raise Conflict(N_("Until {date} only invited stakeholders can answer; the "
                          "consultation opens to everyone then."),
                       date=_day(clock.aware(c.public_at).astimezone(LOCAL_TZ).date()))
    p.check_level(session, user, c.community_id, level)


def check_respond_for(session: Session, user: User | None, c: Consultation, phase: Phase,
                      org: ConsultationOrganisation | None) -> None:
    """Answer for an organisation (None: there is no such organisation): its contact or a
    confirmed member, once an official has verified it, while the consultation is open; in
    the priority window only if it was invited."""
    user = p.logged_in(user)
    _open_for_contributions(c, phase)
    if not owns_verified_organisation(session, user, org, c):
        if org is not None and org.user_id != user.id and repo.is_member(session, org.id,
                                                                         user.id):
            raise Forbidden(N_("The organisation's contact has not confirmed that you act "
                               "on its behalf."))
        raise Forbidden(N_("You can answer only for a verified organisation of this "
                           "community that you act for."))
    if in_priority_window(c) and repo.invitation(session, c.id, org.id) is None:
        raise Conflict(N_("Until {date} only invited stakeholders can answer; the "
                          "consultation opens to everyone then."),
                       date=_day(clock.aware(c.public_at).astimezone(LOCAL_TZ).date()))


def check_own_response(session: Session, user: User | None, c: Consultation,
                       response: ConsultationResponse | None) -> None:
    """A response is seen and changed only by the person who submitted it."""
    if (response is None or response.consultation_id != c.id or user is None
            or response.user_id != user.id):
        raise NotFound(N_("No such response."))


def check_edit_response(session: Session, user: User | None, c: Consultation, phase: Phase,
                        response: ConsultationResponse | None) -> None:
    """Change one's own answers, until the end date."""
    check_own_response(session, user, c, response)
    if phase != Phase.open:
        raise Conflict(N_("The consultation closed on {date}; answers can no longer be "
                          "changed."), date=_day(c.end_date))


def check_moderate(session: Session, user: User | None, c: Consultation, phase: Phase
                   ) -> None:
    """Hide a comment: a moderator of the community (or an admin), once it is public."""
    p.logged_in(user)
    if phase not in PUBLIC_PHASES or not is_moderator(session, user, c):
        raise Forbidden(N_("Only a moderator of the community can hide comments."))


# -- the outcome --------------------------------------------------------------------------

def check_publish_report(session: Session, user: User | None, c: Consultation, phase: Phase
                         ) -> None:
    """Publish the outcome report: an official of the authority, once it has closed."""
    p.logged_in(user)
    if phase == Phase.reported:
        raise Conflict(REPORT_PUBLISHED)
    if not is_staff_of(session, user, c):
        raise Forbidden(N_("Only an official of the consultation's authority can publish "
                           "the outcome report."))
    if phase != Phase.closed:
        raise Conflict(N_("The outcome report can be published once the consultation has "
                          "closed (after {date})."), date=_day(c.end_date))


def check_rate(session: Session, user: User | None, c: Consultation, phase: Phase) -> None:
    """Rate whether one's input was considered: once, by a participant, after the report."""
    user = p.logged_in(user)
    if phase != Phase.reported:
        raise Conflict(N_("You can rate the consultation once its outcome report is "
                          "published."))
    if not is_participant(session, user, c):
        raise Forbidden(N_("Only people who answered or commented can rate the report."))
    if repo.rating(session, c.id, user.id) is not None:
        raise Conflict(ALREADY_RATED)


# -- organisations ------------------------------------------------------------------------

def check_register_organisation(session: Session, user: User | None) -> None:
    user = p.logged_in(user)
    if not user.email_verified:
        raise Forbidden(N_("Confirm your e-mail address first."))


def check_review_organisations(session: Session, user: User | None) -> None:
    """See the organisations waiting for verification: an official of some community, or an
    admin."""
    user = p.logged_in(user)
    if not (p.memberships(session, user).official_in or p.is_admin(user)):
        raise Forbidden(VERIFIES_ORGANISATIONS)


def check_verify_organisation(session: Session, user: User | None,
                              org: ConsultationOrganisation) -> None:
    p.logged_in(user)
    if not (p.is_official_in(session, user, org.community_id) or p.is_admin(user)):
        raise Forbidden(VERIFIES_ORGANISATIONS)
    if org.verified:
        raise Conflict(N_("This organisation is already verified."))


def check_confirm_member(session: Session, user: User | None,
                         org: ConsultationOrganisation | None) -> None:
    """Confirm (or remove) a person acting for the organisation: its contact."""
    user = p.logged_in(user)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if not is_contact(user, org):
        raise Forbidden(N_("Only the organisation's contact can confirm its members."))


def check_join_organisation(session: Session, user: User | None,
                            org: ConsultationOrganisation | None) -> None:
    """Ask to act for an organisation: a person with a confirmed e-mail, not yet its member."""
    user = p.logged_in(user)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if not user.email_verified:
        raise Forbidden(N_("Confirm your e-mail address first."))
    if is_contact(user, org) or repo.is_member(session, org.id, user.id):
        raise Conflict(N_("You already act for this organisation or asked to."))


# -- the opinion map ----------------------------------------------------------------------

def check_state(session: Session, user: User | None, c: Consultation, phase: Phase) -> None:
    """Write a statement or vote on one: whoever may answer or comment, while it is open."""
    user = p.logged_in(user)
    _open_for_contributions(c, phase)
    if not takes_part(session, user, c):
        raise Forbidden(N_("Only verified residents and registered organisations take part "
                           "in the opinion map."))


def check_moderate_contributions(session: Session, user: User | None, c: Consultation,
                                 phase: Phase) -> None:
    """Take personal data out of a contribution's free text before it is published: a
    moderator of the community (or an admin)."""
    p.logged_in(user)
    if phase not in PUBLIC_PHASES or not is_moderator(session, user, c):
        raise Forbidden(N_("Only a moderator of the community can edit contributions for "
                           "publication."))
