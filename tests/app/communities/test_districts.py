"""Starosta districts: a community's own, unique by address name, and a residency's district."""

from __future__ import annotations

import pytest

from app.communities import service as communities
from app.exceptions import Conflict, InvalidInput, NotFound
from tests.factories import make_community, make_resident


def test_create_and_list_the_districts_of_a_community(db):
    place = make_community(db)
    other = make_community(db)
    zymna = communities.create_district(db, place.community, slug="zymna-voda",
                                        name="  Зимна   Вода ", name_en="Zymna Voda")
    communities.create_district(db, place.community, slug="bartativ", name="Бартатів")
    communities.create_district(db, other.community, slug="zymna-voda", name="Зимна Вода")

    listed = communities.list_districts(db, place.community)
    assert [d.name for d in listed] == ["Бартатів", "Зимна Вода"]
    assert zymna.name_en == "Zymna Voda"
    assert communities.get_district(db, place.community, zymna.id) == zymna
    with pytest.raises(NotFound):  # another community's district is not found through this one
        communities.get_district(db, other.community, zymna.id)


@pytest.mark.parametrize(("slug", "name", "field"), [
    ("Bad Slug", "Назва", "slug"), ("x", "Назва", "slug"), ("ok-slug", " ", "name"),
    ("ok-slug", "Д" * 161, "name"), ("nul\x00", "Назва", "slug"),
])
def test_a_malformed_district_is_refused_and_nothing_written(db, slug, name, field):
    place = make_community(db)
    with pytest.raises(InvalidInput) as caught:
        communities.create_district(db, place.community, slug=slug, name=name)
    assert field in caught.value.fields
    assert communities.list_districts(db, place.community) == []


def test_a_taken_district_slug_is_a_conflict(db):
    place = make_community(db)
    communities.create_district(db, place.community, slug="sokilnyky", name="Сокільники")
    with pytest.raises(Conflict):
        communities.create_district(db, place.community, slug="sokilnyky", name="Інша")
    assert len(communities.list_districts(db, place.community)) == 1


def test_a_residency_has_a_district_of_its_own_community_only(db):
    place = make_community(db)
    other = make_community(db)
    person = make_resident(db, place)
    residency = communities.repo.residency(db, person.id, place.community.id)
    assert residency.district_id is None
    district = communities.create_district(db, place.community, slug="pidbirtsi", name="Підбірці")
    foreign = communities.create_district(db, other.community, slug="pidbirtsi", name="Підбірці")

    communities.set_residency_district(db, residency, district)
    assert residency.district_id == district.id
    with pytest.raises(InvalidInput):
        communities.set_residency_district(db, residency, foreign)
    assert residency.district_id == district.id
    communities.set_residency_district(db, residency, None)
    assert residency.district_id is None


def test_deleting_a_district_leaves_the_residency_without_one(db):
    place = make_community(db)
    person = make_resident(db, place)
    residency = communities.repo.residency(db, person.id, place.community.id)
    district = communities.create_district(db, place.community, slug="hlynna", name="Глинна")
    communities.set_residency_district(db, residency, district)
    db.delete(district)
    db.flush()
    db.expire_all()
    assert communities.repo.residency(db, person.id, place.community.id).district_id is None
