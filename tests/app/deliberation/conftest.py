"""Fixtures of the deliberation tests: the petitions module's obligation kinds registered (its
petitions are the items commented on), a community with a petition open for signatures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import Place, make_community, make_moderator, make_resident


@pytest.fixture(scope="session", autouse=True)
def _registered_kinds():
    from app.accountability.service import register_kind
    from petitions.module import MODULE

    for kind in MODULE.obligation_kinds:
        register_kind(kind)


@dataclass
class World:
    place: Place
    petition: object
    author: object
    resident: object
    moderator: object


@pytest.fixture
def world(db) -> World:
    from tests.petitions.factories import make_petition

    place = make_community(db, rules_override={"petitions": {"threshold": 50},
                                               "deliberation": {"reports_to_hide": 2}})
    author = make_resident(db, place)
    petition = make_petition(db, place, "open", author=author)
    return World(place, petition, author, make_resident(db, place), make_moderator(db, place))
