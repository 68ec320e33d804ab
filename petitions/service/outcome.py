"""What follows the threshold: the authority's answer, the signers' rating of it, the
implementation updates of a supported petition, and following a petition to hear of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput
from app.identity.models import User
from app.notifications import service as notifications
from app.web.i18n import N_, gettext
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import (
    DECISION_LABELS,
    IMPLEMENTED_DECISIONS,
    OBLIGATION_KIND,
    SUBJECT_TYPE,
    UPDATE_LABELS,
    AnswerCreate,
    Decision,
    Petition,
    PetitionAnswer,
    PetitionImplementationUpdate,
    PetitionStatus,
    Rating,
    UpdateCreate,
)
from petitions.rules import PetitionRules
from petitions.service.common import clean_text, clean_title, get_visible, link_of, rules_of

# Lower bounds of a meaningful answer and update; an answer's upper bound is the rules'.
ANSWER_MIN = 20
UPDATE_MIN = 10
UPDATE_MAX = 5000


# -- the answer -----------------------------------------------------------------------------

def _validated_answer(rules: PetitionRules, data: AnswerCreate) -> PetitionAnswer:
    """The answer as it will be stored (texts normalised), or InvalidInput naming every
    field that is wrong."""
    text = clean_text(data.text)
    steps = clean_text(data.planned_steps or "") or None
    forwarded_to = clean_title(data.forwarded_to or "") or None
    errors: dict[str, tuple[str, dict]] = {}
    if not ANSWER_MIN <= len(text) <= rules.text_max:
        errors["text"] = (N_("Give the reasons for the decision ({min} to {max} characters)."),
                          {"min": ANSWER_MIN, "max": rules.text_max})
    if steps is not None and len(steps) > rules.text_max:
        errors["planned_steps"] = (N_("This is too long (at most {max_length} characters)."),
                                   {"max_length": rules.text_max})
    if data.planned_by is not None and data.planned_by < clock.today():
        errors["planned_by"] = (N_("A planned date cannot be in the past."), {})
    if data.decision == Decision.forwarded and not forwarded_to:
        errors["forwarded_to"] = (N_("Name the body the petition was forwarded to."), {})
    if errors:
        raise InvalidInput(fields=errors)
    return PetitionAnswer(
        decision=str(data.decision), text=text, planned_steps=steps, planned_by=data.planned_by,
        forwarded_to=forwarded_to if data.decision == Decision.forwarded else None)


def answer(session: Session, official: User | None, petition_id: int, data: AnswerCreate
           ) -> PetitionAnswer:
    """The addressed authority's answer: public, closes the obligation on time or late."""
    petition = get_visible(session, official, petition_id)
    now = clock.now()
    perm.check_answer(session, official, petition, now)
    result = _validated_answer(rules_of(session, petition), data)
    if not repo.transition(session, petition, (PetitionStatus.awaiting_answer,),
                           status=PetitionStatus.answered, answered_at=now, updated_at=now):
        raise Conflict(N_("This petition is not awaiting an answer."))
    result.petition_id, result.authority_id = petition.id, petition.authority_id
    result.official_id, result.created_at = official.id, now
    repo.add_answer(session, result)
    _close_obligation(session, official, petition, result, now)
    _tell_followers_of_answer(session, petition, data.decision)
    return result


def _close_obligation(session: Session, official: User, petition: Petition,
                      result: PetitionAnswer, now: datetime) -> None:
    """The authority's obligation is answered (on time or late), in the ledger and the log."""
    obligation = accountability.answer(session, OBLIGATION_KIND, SUBJECT_TYPE, petition.id,
                                       summary=result.text[:500], answered_at=now)
    on_time = now <= clock.aware(obligation.due_at)
    audit.append(session, "petition.answered", SUBJECT_TYPE, petition.id, official.id,
                 decision=result.decision, on_time=on_time)


def _tell_followers_of_answer(session: Session, petition: Petition, decision: Decision
                              ) -> None:
    link, title, label = link_of(petition.id), petition.title, DECISION_LABELS[decision]
    notifications.notify_followers(
        session, SUBJECT_TYPE, petition.id, f"petition:{petition.id}:answered", lambda: (
            gettext("The authority answered the petition"),
            gettext("The petition \u201c{title}\u201d has an answer: {decision}. Read it and "
                    "rate whether it addressed the substance: {link}").format(
                title=title, decision=gettext(label), link=link)))


def rate(session: Session, user: User | None, petition_id: int, value: Rating | str
         ) -> Obligation:
    """A signer's one rating of whether the answer addressed the substance."""
    petition = get_visible(session, user, petition_id)
    perm.check_rate(session, user, petition, clock.now())
    if value not in Rating.__members__:
        raise InvalidInput(N_("Choose yes, partly or no."),
                           fields={"value": N_("Choose yes, partly or no.")})
    if not repo.set_rating(session, petition.id, user.id, str(value)):
        perm.check_rater_signed(repo.signature_of(session, petition.id, user.id) is not None)
        raise Conflict(N_("You have already rated this answer."))
    obligation = accountability.record_rating(session, OBLIGATION_KIND, SUBJECT_TYPE,
                                              petition.id, str(value))
    audit.append(session, "petition.rated", SUBJECT_TYPE, petition.id, user.id,
                 value=str(value))
    return obligation


# -- implementation updates -----------------------------------------------------------------

def _validated_update(data: UpdateCreate) -> PetitionImplementationUpdate:
    """The update as it will be stored, or InvalidInput naming every field that is wrong."""
    text = clean_text(data.text)
    happened_on = data.happened_on or clock.today()
    errors: dict[str, tuple[str, dict]] = {}
    if not UPDATE_MIN <= len(text) <= UPDATE_MAX:
        errors["text"] = (N_("Describe the progress ({min} to {max} characters)."),
                          {"min": UPDATE_MIN, "max": UPDATE_MAX})
    if happened_on > clock.today():
        errors["happened_on"] = (N_("An update reports what has happened: the date cannot be "
                                    "in the future."), {})
    if errors:
        raise InvalidInput(fields=errors)
    return PetitionImplementationUpdate(status=str(data.status), text=text,
                                        happened_on=happened_on)


def post_update(session: Session, official: User | None, petition_id: int, data: UpdateCreate
                ) -> PetitionImplementationUpdate:
    """An implementation update of a (partly) supported petition; followers hear of it."""
    petition = get_visible(session, official, petition_id)
    now = clock.now()
    perm.check_post_update(session, official, petition, now)
    _, result, _ = repo.outcome(session, petition.id)
    if result is None or result.decision not in IMPLEMENTED_DECISIONS:
        raise Conflict(N_("Implementation updates are posted for supported petitions."))
    item = _validated_update(data)
    item.petition_id, item.author_id, item.created_at = petition.id, official.id, now
    repo.add_update(session, item)
    audit.append(session, "petition.update_posted", SUBJECT_TYPE, petition.id, official.id,
                 status=str(data.status))
    link, title, label = link_of(petition.id), petition.title, UPDATE_LABELS[data.status]
    text = item.text
    notifications.notify_followers(
        session, SUBJECT_TYPE, petition.id, f"petition:{petition.id}:update:{item.id}",
        lambda: (
            gettext("Implementation update on a petition you follow"),
            gettext("\u201c{title}\u201d: {status}.\n\n{text}\n\n{link}").format(
                title=title, status=gettext(label), text=text, link=link)),
        exclude_user_id=official.id)
    return item


# -- following ------------------------------------------------------------------------------

def follow(session: Session, user: User | None, petition_id: int) -> None:
    petition = get_visible(session, user, petition_id)
    perm.check_follow(session, user, petition, clock.now())
    notifications.follow(session, user, SUBJECT_TYPE, petition.id)


def unfollow(session: Session, user: User | None, petition_id: int) -> None:
    petition = get_visible(session, user, petition_id)
    perm.check_unfollow(session, user, petition, clock.now())
    notifications.unfollow(session, user, SUBJECT_TYPE, petition.id)
