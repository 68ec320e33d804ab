"""Personal data (the app.privacy hooks): everything the module holds about a person, and
their erasure, which keeps every contribution counted and readable without their name."""

from __future__ import annotations

from sqlmodel import Session

from app.identity.models import User
from consultations import repository as repo


def _responses(session: Session, user: User) -> list[dict]:
    out = []
    for r in repo.responses_by_user(session, user.id):
        answers = [{"question_id": a.question_id, "option_id": a.option_id, "text": a.text,
                    "value": a.value, "number": a.number, "day": a.day,
                    "position_paper": bool(a.file_key)}
                   for a in repo.answers(session, r.id)]
        out.append({"consultation_id": r.consultation_id, "organisation_id": r.organisation_id,
                    "category": r.category, "publication": r.publication,
                    "submitted_at": r.submitted_at, "updated_at": r.updated_at,
                    "answers": answers})
    return out


def personal_data(session: Session, user: User) -> dict:
    """Organisations, responses with their answers, ratings, memberships, statements and
    votes (comments are the kernel's: app.deliberation gives them)."""
    return {
        "organisations": [{"id": o.id, "community_id": o.community_id, "name": o.name,
                           "category": o.category, "code": o.code, "verified": o.verified,
                           "created_at": o.created_at}
                          for o in repo.organisations_of(session, user.id)],
        "responses": _responses(session, user),
        "ratings": [{"consultation_id": r.consultation_id, "value": r.value,
                     "created_at": r.created_at}
                    for r in repo.ratings_of_user(session, user.id)],
        "memberships": [{"organisation_id": m.organisation_id, "status": m.status,
                         "requested_at": m.requested_at, "confirmed_at": m.confirmed_at}
                        for m in repo.memberships_of_user(session, user.id)],
        "statements": [{"consultation_id": s.consultation_id, "body": s.body,
                        "created_at": s.created_at}
                       for s in repo.statements_of_user(session, user.id)],
        "votes": [{"consultation_id": v.consultation_id, "statement_id": v.statement_id,
                   "value": v.value, "created_at": v.created_at}
                  for v in repo.votes_by_user(session, user.id)],
    }


def erase_user(session: Session, user: User) -> None:
    """On account erasure: contributions stay counted and readable, but no longer name the
    person (the kernel replaces the account's name too)."""
    repo.unname_contributions(session, user.id)
    session.flush()
