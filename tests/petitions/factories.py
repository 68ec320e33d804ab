"""Petition factories: a petition in any state, reached through the real service."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlmodel import Session

from app import clock as app_clock
from petitions.models import (
    AnswerCreate,
    Category,
    Decision,
    Petition,
    PetitionCreate,
    RejectionReason,
)
from petitions.service import drafting, outcome, signing
from tests.factories import Place, make_moderator, make_official, make_resident

_seq = itertools.count(1)
TEXT = ("Просимо облаштувати безпечний пішохідний перехід біля школи, з освітленням, "
        "острівцем безпеки та світлофором, до початку навчального року.")
STATES = ("draft", "sponsoring", "moderation", "open", "awaiting_answer", "answered", "closed",
          "rejected")


def petition_data(place: Place, **kw) -> PetitionCreate:
    n = next(_seq)
    values = {"community_id": place.community.id, "authority_id": place.council.id,
              "title": f"Петиція номер {n}: безпечний перехід", "text": TEXT,
              "category": Category.transport, "submit": False}
    values.update(kw)
    return PetitionCreate(**values)


def make_petition(db: Session, place: Place, state: str = "open", *, author=None,
                  moderator=None, official=None, clock=None, decision=Decision.supported,
                  **kw) -> Petition:
    """A petition of `place` in `state`. "closed" needs the `clock` fixture (time passes);
    "sponsoring" needs rules with sponsors_required > 0; "awaiting_answer" and "answered"
    sign it up to the threshold with new residents."""
    assert state in STATES, state
    author = author or make_resident(db, place)
    petition = drafting.create(db, author, petition_data(place, **kw))
    if state == "draft":
        return petition
    drafting.submit(db, author, petition.id)
    if state == "sponsoring":
        assert petition.status == "sponsoring", "the place's rules ask for no sponsors"
        return petition
    while petition.status == "sponsoring":
        drafting.sponsor(db, make_resident(db, place), petition.id)
    if state == "moderation":
        return petition
    moderator = moderator or make_moderator(db, place)
    if state == "rejected":
        drafting.reject(db, moderator, petition.id, RejectionReason.duplicate,
                        "Така сама петиція вже збирає підписи.")
        return petition
    drafting.publish(db, moderator, petition.id)
    if state == "open":
        return petition
    if state == "closed":
        assert clock is not None, "a petition closes when time passes: pass clock="
        clock.set(app_clock.aware(petition.collection_ends_at) + timedelta(minutes=1))
        signing.close_expired(db)
        db.refresh(petition)
        return petition
    sign_to_threshold(db, place, petition)
    if state == "awaiting_answer":
        return petition
    official = official or make_official(db, place)
    outcome.answer(db, official, petition.id, AnswerCreate(
        decision=decision, text="Рада підтримує петицію і виконає її до кінця року.",
        forwarded_to="Служба автомобільних доріг" if decision == Decision.forwarded else None))
    return petition


def sign_to_threshold(db: Session, place: Place, petition: Petition) -> list:
    signers = []
    while petition.status == "open":
        signer = make_resident(db, place)
        signing.sign(db, signer, petition.id)
        signers.append(signer)
    return signers
