"""The moderators' fraud tools: how a petition's signatures arrived (per hour, by e-mail
domain, by client network, with bursts flagged) and the invalidation of a set of them.

An invalidation deletes the matching signatures and lowers the counters by exactly the rows it
deleted, under the petition's row lock (the group commit of signing takes the same lock), so
every counter stays equal to its rows. A petition that had reached its threshold and no longer
does goes back to collecting (or closed, once its period is over); the obligation the threshold
opened is marked, not deleted. The signers are told and may sign again; the whole act is on the
audit log with its public reason and count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.audit import service as audit
from app.deliberation import invalidation
from app.deliberation.arrivals import Arrivals, arrivals_of
from app.identity.models import User
from app.rules import service as rules_service
from app.web.i18n import N_
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import (
    OBLIGATION_KIND,
    SUBJECT_TYPE,
    InvalidationCreate,
    Petition,
    PetitionInvalidation,
    PetitionStatus,
)
from petitions.service.common import get_visible, link_of

SIGNERS_TOLD = invalidation.Notice(
    subject=N_("Your signature was invalidated"),
    text=N_("Your signature on the petition \u201c{title}\u201d was invalidated by a moderator."
            "\n\nReason: {reason}"),
    again=N_("If you signed it yourself, sign again to confirm: {link}"))


def _deliberation_rules(session: Session, petition: Petition):
    return rules_service.version(session, petition.ruleset_id).rules.deliberation


# -- arrivals -------------------------------------------------------------------------------

def arrivals(session: Session, user: User | None, petition_id: int) -> Arrivals:
    """Signatures per hour (bursts flagged), by e-mail domain, by network."""
    petition = get_visible(session, user, petition_id)
    perm.check_see_arrivals(session, user, petition, clock.now())
    return arrivals_of(petition, repo.signing_times(session, petition.id),
                       repo.arrivals_by_domain(session, petition.id),
                       repo.arrivals_by_network(session, petition.id), petition.signature_count,
                       _deliberation_rules(session, petition))


# -- invalidation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Invalidated:
    petition: Petition
    invalidation: PetitionInvalidation


def _criteria(data: InvalidationCreate) -> dict:
    checked = invalidation.criteria(
        email_domain=data.email_domain, network=data.network, start=data.signed_from,
        end=data.signed_until, reason=data.reason, end_field="signed_until",
        nothing=N_("Choose which signatures to invalidate: a domain, a network or a time "
                   "window."))
    return {"email_domain": checked.email_domain, "network": checked.network,
            "signed_from": checked.start, "signed_until": checked.end,
            "reason": checked.reason}


def invalidate(session: Session, user: User | None, petition_id: int,
               data: InvalidationCreate) -> Invalidated:
    petition = get_visible(session, user, petition_id)
    now = clock.now()
    perm.check_invalidate(session, user, petition, now)
    criteria = _criteria(data)
    reason = criteria.pop("reason")
    petition = repo.lock_petition(session, petition.id)
    matched = repo.count_matching(session, petition.id, **criteria)
    invalidation.check_matched(
        matched, repo.count_signatures(session, petition.id),
        none=N_("No signature matches this filter; nothing was invalidated."),
        every=N_("This filter matches every signature of the petition; narrow it down (a "
                 "petition is rejected, not emptied)."))
    removed = repo.delete_matching(session, petition.id, **criteria)
    public = sum(1 for _user, named in removed if named)
    had_obligation = petition.status in (PetitionStatus.awaiting_answer,
                                          PetitionStatus.answered)
    repo.take_signatures(session, petition, len(removed), public,
                         **_state_after(petition, len(removed), now))
    if had_obligation and petition.signature_count < (petition.threshold or 0):
        accountability.mark_threshold_lost(session, OBLIGATION_KIND, SUBJECT_TYPE, petition.id,
                                           now)
    record = repo.add_invalidation(session, PetitionInvalidation(
        petition_id=petition.id, moderator_id=user.id, reason=reason,
        email_domain=criteria["email_domain"], network_hash=criteria["network"],
        signed_from=criteria["signed_from"], signed_until=criteria["signed_until"],
        count=len(removed), public_count=public, created_at=now))
    audit.append(session, "petition.signatures_invalidated", SUBJECT_TYPE, petition.id,
                 user.id, count=len(removed), reason=reason, invalidation_id=record.id,
                 signatures=petition.signature_count)
    invalidation.tell(session, [uid for uid, _named in removed if uid is not None],
                      f"petition-invalidation:{record.id}", SIGNERS_TOLD, title=petition.title,
                      reason=reason, link=link_of(petition.id),
                      again=petition.status == PetitionStatus.open)
    return Invalidated(petition, record)


def _state_after(petition: Petition, removed: int, now: datetime) -> dict:
    """The petition's state once `removed` signatures are gone: a petition awaiting an answer
    whose count falls below its threshold collects again (or is closed, its period over)."""
    if petition.status != PetitionStatus.awaiting_answer or petition.threshold is None:
        return {}
    if petition.signature_count - removed >= petition.threshold:
        return {}
    ends = clock.aware(petition.collection_ends_at)
    if ends is not None and ends > now:
        return {"status": PetitionStatus.open, "threshold_reached_at": None,
                "answer_due_at": None, "updated_at": now}
    return {"status": PetitionStatus.closed, "threshold_reached_at": None,
            "answer_due_at": None, "closed_at": now, "updated_at": now}


def forget_networks(session: Session, now: datetime | None = None) -> int:
    """Drop the keyed network hashes past each community's retention (the worker's job)."""
    return invalidation.forget_networks(session, repo.forget_networks, now)

