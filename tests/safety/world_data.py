"""Items of every module in several states, in community A, for route-wide tests."""

from __future__ import annotations

import contextlib

from sqlmodel import Session

from tests.safety.conftest import World


def populate(db: Session, world: World, clock=None) -> dict[str, list[int]]:
    """Create what the modules' test factories can make; a missing module is left out."""
    made: dict[str, list[int]] = {}
    with contextlib.suppress(ImportError):
        from tests.petitions.factories import make_petition

        ids = []
        for state in ("open", "moderation", "draft", "awaiting_answer", "answered",
                      "rejected"):
            with contextlib.suppress(AssertionError):
                ids.append(make_petition(db, world.a, state).id)
        made["petition"] = ids
    with contextlib.suppress(ImportError, AttributeError, TypeError):
        from tests.budget import factories as budget_factories  # type: ignore

        maker = getattr(budget_factories, "make_cycle", None)
        if maker is not None:
            made["cycle"] = [maker(db, world.a).id]
    with contextlib.suppress(ImportError, AttributeError, TypeError):
        from tests.consultations import factories as consultation_factories  # type: ignore

        maker = getattr(consultation_factories, "make_consultation", None)
        if maker is not None:
            made["consultation"] = [maker(db, world.a).id]
    db.flush()
    return made
