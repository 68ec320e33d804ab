"""District pots (a resident's district decides which pots their ballot covers; results, the
Pabulib export and the statistics per pot) and the supports phase (pre-selection)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock as app_clock
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.exceptions import Conflict, Forbidden, InvalidInput
from budget import ballots, cycles, results, review, supports
from budget.models import BudgetProject, CategoryIn, Phase, ProjectStatus
from budget.pabulib import exchange
from budget.pabulib.format import parse as load
from tests.budget.factories import cycle_data, make_project, review_all, to_phase
from tests.factories import make_admin, make_community, make_official, make_resident, make_user


def lives_in(db, place, district=None):
    """A verified resident of the place, in the district (or none)."""
    person = make_resident(db, place)
    if district is not None:
        communities.set_residency_district(
            db, communities_repo.residency(db, person.id, place.community.id), district)
    return person


@pytest.fixture
def city(db):
    place = make_community(db, rules_override={"budget": {
        "voting_method": "approval", "max_choices": 5, "aggregation": "greedy",
        "supports": True, "support_selection": "threshold", "support_number": 2}})
    districts = [communities.create_district(db, place.community, slug=slug, name=name)
                 for slug, name in (("sykhiv", "Сихів"), ("lychakiv", "Личаків"),
                                    ("zaliznychnyi", "Залізничний"))]
    return place, districts


def four_pots(db, place, districts, **kw):
    """A cycle with a city-wide pot and one pot per district (Sykhiv counts by equal
    shares, with at most two choices)."""
    today = app_clock.today()
    data = cycle_data(place, total_funds=1_000_000,
                      supports_end=today + timedelta(days=12), **kw)
    data = data.model_copy(update={"categories": [
        CategoryIn(name="Місто", funds=400_000),
        CategoryIn(name="Сихів", funds=200_000, district_id=districts[0].id,
                   aggregation="equal-shares", max_choices=2),
        CategoryIn(name="Личаків", funds=200_000, district_id=districts[1].id),
        CategoryIn(name="Залізничний", funds=200_000, district_id=districts[2].id)]})
    return cycles.create_cycle(db, make_admin(db), data)


def test_a_cycle_with_supports_needs_their_closing_day_and_pots_need_districts_of_its_own(
        db, clock, city):
    place, districts = city
    admin = make_admin(db)
    with pytest.raises(InvalidInput) as missing:
        cycles.create_cycle(db, admin, cycle_data(place))
    assert "supports_end" in missing.value.fields
    elsewhere = communities.create_district(db, make_community(db).community, slug="other-place",
                                            name="Інше")
    for pots in ([CategoryIn(name="Чужий", funds=10, district_id=elsewhere.id)],
                 [CategoryIn(name="А", funds=10, district_id=districts[0].id),
                  CategoryIn(name="Б", funds=10, district_id=districts[0].id)]):
        data = cycle_data(place, supports_end=app_clock.today() + timedelta(days=12))
        with pytest.raises(InvalidInput) as refused:
            cycles.create_cycle(db, admin, data.model_copy(update={"categories": pots}))
        assert "categories" in refused.value.fields
    cycle = four_pots(db, place, districts)
    pots = cycles.categories(db, cycle)
    assert [(p.name, p.district_id, p.aggregation, p.max_choices) for p in pots] == [
        ("Місто", None, None, None), ("Сихів", districts[0].id, "equal-shares", 2),
        ("Личаків", districts[1].id, None, None), ("Залізничний", districts[2].id, None, None)]
    plain = make_community(db)  # rules without supports: no supports day
    with pytest.raises(InvalidInput):
        cycles.create_cycle(db, admin, cycle_data(
            plain, supports_end=app_clock.today() + timedelta(days=12)))


def test_supports_pre_select_the_proposals_that_go_to_review(db, clock, city):
    place, districts = city
    cycle = four_pots(db, place, districts)
    city_pot, sykhiv_pot, lychakiv_pot, _ = cycles.categories(db, cycle)
    popular = make_project(db, place, cycle, category=city_pot, cost=100_000)
    unpopular = make_project(db, place, cycle, category=city_pot, cost=100_000)
    local = make_project(db, place, cycle, category=lychakiv_pot, cost=50_000)
    fans = [lives_in(db, place, districts[0]) for _ in range(3)]

    with pytest.raises(Conflict):  # not yet: submission is open
        supports.support(db, fans[0], cycle, popular)
    to_phase(clock, cycle, Phase.supports)
    assert [supports.support(db, fan, cycle, popular) for fan in fans] == [1, 2, 3]
    assert supports.support(db, fans[0], cycle, popular) == 3  # twice is once
    assert supports.support(db, fans[0], cycle, popular, on=False) == 2
    assert supports.support(db, fans[0], cycle, popular, on=True) == 3
    assert supports.support(db, fans[1], cycle, unpopular) == 1
    with pytest.raises(Forbidden):  # a resident of Sykhiv, a proposal of Lychakiv's pot
        supports.support(db, fans[0], cycle, local)
    with pytest.raises(Forbidden):  # not a verified resident
        supports.support(db, make_user(db), cycle, popular)
    db.refresh(popular)
    assert popular.support_count == 3 and supports.supported(db, fans[0], [popular]) == {
        popular.id}

    # The phase closes: the proposals below the threshold are not reviewed.
    to_phase(clock, cycle, Phase.review)
    with pytest.raises(Conflict):
        supports.support(db, fans[2], cycle, unpopular)
    official = make_official(db, place)
    review_all(db, place, cycle, [popular], official=official)
    for project in (unpopular, local):
        db.refresh(project)
        assert project.status == ProjectStatus.not_supported
    with pytest.raises(Conflict):
        review_all(db, place, cycle, [unpopular], official=official)
    state = review.review_state(db, cycle)
    assert state.obligation.opened_at == app_clock.aware(cycle.supports_end)
    assert state.obligation.answered_at is not None  # the one proposal to review is reviewed


def test_top_n_supports_keep_the_most_supported_of_each_pot_ties_included(db, clock):
    place = make_community(db, rules_override={"budget": {
        "supports": True, "support_selection": "top", "support_number": 1}})
    cycle = cycles.create_cycle(db, make_admin(db), cycle_data(
        place, supports_end=app_clock.today() + timedelta(days=12),
        categories=[("Малі", 300_000), ("Великі", 700_000)]))
    small, large = cycles.categories(db, cycle)
    a, b, c = (make_project(db, place, cycle, category=small) for _ in range(3))
    d = make_project(db, place, cycle, category=large)
    to_phase(clock, cycle, Phase.supports)
    people = [make_resident(db, place) for _ in range(2)]
    for person in people:
        supports.support(db, person, cycle, a)
        supports.support(db, person, cycle, b)
    supports.support(db, people[0], cycle, c)
    to_phase(clock, cycle, Phase.review)
    assert supports.close_supports(db, cycle) == 1
    assert supports.close_supports(db, cycle) == 0  # once
    statuses = {p.id: p.status for p in (db.get(BudgetProject, x.id) for x in (a, b, c, d))}
    assert statuses == {a.id: "submitted", b.id: "submitted", c.id: "not_supported",
                        d.id: "submitted"}


def test_a_ballot_covers_the_city_pot_and_the_voters_district_and_is_counted_per_pot(
        db, clock, city):
    place, districts = city
    cycle = four_pots(db, place, districts)
    city_pot, sykhiv_pot, lychakiv_pot, rail_pot = cycles.categories(db, cycle)
    park = make_project(db, place, cycle, category=city_pot, cost=300_000)
    library = make_project(db, place, cycle, category=city_pot, cost=200_000)
    benches = make_project(db, place, cycle, category=sykhiv_pot, cost=120_000)
    lamps = make_project(db, place, cycle, category=sykhiv_pot, cost=90_000)
    square = make_project(db, place, cycle, category=lychakiv_pot, cost=150_000)
    every = [park, library, benches, lamps, square]
    to_phase(clock, cycle, Phase.supports)
    backers = [make_resident(db, place) for _ in range(2)]
    for project in (park, library):
        for person in backers:
            supports.support(db, person, cycle, project)
    for district_pot_project, district in ((benches, districts[0]), (lamps, districts[0]),
                                           (square, districts[1])):
        for _ in range(2):
            supports.support(db, lives_in(db, place, district), cycle, district_pot_project)
    to_phase(clock, cycle, Phase.review)
    review_all(db, place, cycle, every)
    to_phase(clock, cycle, Phase.voting)

    sykhiv = [lives_in(db, place, districts[0]) for _ in range(3)]
    lychakiv = lives_in(db, place, districts[1])
    nowhere = lives_in(db, place)
    # Another district's pot is refused (403), nothing is written.
    with pytest.raises(Forbidden):
        ballots._valid_ballot(db, cycle, cycles.rules_of(db, cycle), [park.id, square.id],
                              None, districts[0].id)
    with pytest.raises(Forbidden):
        ballots.cast_ballot(db, nowhere, cycle, [benches.id])
    with pytest.raises(InvalidInput):  # Sykhiv's own limit: two projects
        ballots._valid_ballot(db, cycle, cycles.rules_of(db, cycle),
                              [benches.id, lamps.id, park.id, benches.id], None,
                              districts[0].id)
    cats, on_ballot = ballots.pots_for(db, cycle, districts[0].id)
    assert [c.name for c in cats] == ["Місто", "Сихів"]
    assert {p.id for p in on_ballot} == {park.id, library.id, benches.id, lamps.id}
    for person, chosen in ((sykhiv[0], [park, benches]), (sykhiv[1], [library, benches]),
                           (sykhiv[2], [park, lamps]), (lychakiv, [park, square]),
                           (nowhere, [library])):
        ballots.add_ballot(db, person, cycle, {p.id: 1 for p in chosen})

    to_phase(clock, cycle, Phase.results)
    counted = results.compute_results(db, cycle)
    by_pot = {c.name: c for c in counted.categories}
    assert by_pot["Сихів"].rule == "equal-shares" and by_pot["Місто"].rule == "greedy"
    assert (by_pot["Місто"].voters, by_pot["Сихів"].voters, by_pot["Личаків"].voters) == (
        5, 3, 1)
    assert {r.project.id for r in by_pot["Місто"].winners} == {park.id}
    # Equal shares: 200 000 among Sykhiv's three voters; the lamps' one supporter cannot pay
    # 90 000 from a share of 66 667, and raising the share would overspend.
    assert {r.project.id for r in by_pot["Сихів"].winners} == {benches.id}
    assert by_pot["Сихів"].explanation.share is not None
    assert by_pot["Залізничний"].projects == [] and by_pot["Залізничний"].spent == 0

    # One Pabulib file per pot, as Pabulib keeps one per district.
    sykhiv_file = load(exchange.export_pabulib(db, cycle, sykhiv_pot.id))
    assert sykhiv_file.meta["district"] == "Сихів"
    assert sykhiv_file.meta["rule"] == "equalshares/add1"
    assert sykhiv_file.meta["max_length"] == "2" and len(sykhiv_file.votes) == 3
    city_file = load(exchange.export_pabulib(db, cycle, city_pot.id))
    assert "district" not in city_file.meta and len(city_file.votes) == 5
    assert city_file.meta["rule"] == "greedy"
