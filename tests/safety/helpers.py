"""Helpers that reach into the participation modules (tests may; the kernel may not)."""

from __future__ import annotations

from sqlmodel import Session

from tests.factories import Place, make_community

HIGH_THRESHOLD = {"petitions": {"threshold": 1_000_000}}


def open_petition(db: Session, place: Place | None = None) -> tuple[int, Place]:
    """A petition open for signatures (threshold out of reach), through the real service."""
    from tests.petitions.factories import make_petition

    place = place or make_community(db, rules_override=HIGH_THRESHOLD)
    petition = make_petition(db, place, "open")
    return petition.id, place
