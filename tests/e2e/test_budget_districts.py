"""A participatory budget with district pots, from proposal to implementation: an official
opens a cycle with a city-wide pot and three district pots; residents propose projects with an
address, a point on the map and a photo; residents support proposals (one gets no support and
is not reviewed); the official reviews the rest; each resident votes in the city-wide pot and
their own district's only; the official publishes results counted per pot, explained; the
map shows every project; the official adds a photo of the works during implementation.

The server's clock is real, so "time passes" by moving the cycle's dates in the database."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e

AREA = {"area_south": 49.77, "area_north": 49.90, "area_west": 23.90, "area_east": 24.12}
RULES = {"budget": {"voting_method": "approval", "max_choices": 3, "aggregation": "greedy",
                    "project_cost_min": 1000, "project_cost_max": 100_000, "minimum_age": 16,
                    "supports": True, "support_selection": "threshold", "support_number": 1,
                    **AREA}}
CYCLE = "Бюджет участі з округами"
DISTRICTS = [("sykhiv", "Сихів"), ("lychakiv", "Личаків"), ("zaliznychnyi", "Залізничний")]
POTS = [("Місто", "150000", None), ("Сихів", "50000", "Сихів"),
        ("Личаків", "50000", "Личаків"), ("Залізничний", "50000", "Залізничний")]
# title, pot, cost, address, latitude, longitude, author (resident index), supported by
PROJECTS = [
    ("Велодоріжка через центр міста", "Місто", 80_000, "вул. Городоцька, 1", "49.8397",
     "24.0297", 0, [0]),
    ("Фонтан на площі біля ратуші", "Місто", 50_000, "пл. Ринок, 1", "", "", 1, []),
    ("Сквер на проспекті Червоної Калини", "Сихів", 40_000, "просп. Червоної Калини, 60",
     "49.7960", "24.0600", 0, [0]),
    ("Лавки в Личаківському парку", "Личаків", 30_000, "вул. Личаківська, 120", "49.8350",
     "24.0650", 1, [1]),
    ("Дитячий майданчик на Левандівці", "Залізничний", 45_000, "вул. Широка, 80",
     "49.8480", "23.9700", 2, [2]),
]
BALLOTS = {0: [0, 2], 1: [0, 3], 2: [4]}  # resident -> projects they vote for
UNSUPPORTED = 1


def _time_passes(site, cycle_id: int, phase: str) -> None:
    from budget.models import BudgetCycle

    past = datetime.now(UTC) - timedelta(minutes=1)
    dates = {"supports": {"submission_end": past},
             "review": {"supports_end": past},
             "voting": {"review_end": past, "voting_start": past},
             "results": {"voting_end": past, "results_at": past}}[phase]
    site.seed.update(BudgetCycle, cycle_id, **dates)


def _photo(tmp_path, name: str, colour: tuple[int, int, int]):
    from PIL import Image

    image = Image.new("RGB", (1200, 800), colour)
    for x in range(0, 1200, 60):  # a pattern, so the picture is not one flat colour
        image.paste((255, 255, 255), (x, 380, x + 30, 420))
    path = tmp_path / name
    out = io.BytesIO()
    image.save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def _districts(site, place) -> None:
    """The community's starosta districts and, for each, a resident living there."""
    from app.communities import service as communities
    from app.communities.models import Community

    with site.seed.session() as db:
        community = db.get(Community, place.community_id)
        for slug, name in DISTRICTS:
            communities.create_district(db, community, slug=slug, name=name)
    site.allow.add(*(name for _, name in DISTRICTS), *(name for name, _, _ in POTS))


def _lives_in(site, place, account, district_name: str) -> None:
    from app.communities import repository as communities_repo
    from app.communities import service as communities

    with site.seed.session() as db:
        district = next(d for d in communities_repo.districts(db, place.community_id)
                        if d.name == district_name)
        communities.set_residency_district(
            db, communities_repo.residency(db, account.id, place.community_id), district)


def test_district_pots_with_supports_photos_and_the_map(site, tmp_path):
    t = site.t
    place = site.seed.community("budget", RULES)
    _districts(site, place)
    official = site.seed.person("official", place, name="Окружна Посадовиця")
    residents = [site.seed.person("resident", place, name=f"Мешканка округу {n}")
                 for n in (1, 2, 3)]
    for account, (_, district) in zip(residents, DISTRICTS, strict=True):
        _lives_in(site, place, account, district)

    # An official opens a cycle with a city-wide pot and a pot for each district.
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    clerk = site.person("official", official)
    clerk.open("/budget")
    clerk.link(t("New budget cycle"))
    clerk.fill(t("Title"), CYCLE)
    clerk.fill(t("Total funds"), "300000")
    for name, offset in (("Submission opens", 0), ("Submission closes", 10),
                         ("Supports close", 15), ("Review ends", 20), ("Voting opens", 21),
                         ("Voting closes", 30), ("Results announced", 31)):
        clerk.fill(t(name), (today + timedelta(days=offset)).isoformat())
    for n, (pot, funds, district) in enumerate(POTS, start=1):
        clerk.fill(t("Category %(n)s: name", n=n), pot)
        clerk.fill(t("Category %(n)s: funds", n=n), funds)
        if district:
            clerk.select(t("Category %(n)s: district", n=n), district)
    clerk.press(t("Create the cycle"))
    clerk.see(t("Submission of projects"))
    cycle = int(re.search(r"/budget/(\d+)", clerk.page.url).group(1))
    clerk.see(t("residents of %(name)s", name="Личаків"))

    # Residents propose projects with an address and a point; one comes with a photo.
    people = [site.person(f"resident {n + 1}", account) for n, account in enumerate(residents)]
    ids = {}
    for title, pot, cost, address, lat, lng, author, _ in PROJECTS:
        person = people[author]
        person.open(f"/budget/{cycle}")
        person.link(t("Propose a project"))
        options = person.field(t("Category")).locator("option").all_inner_texts()
        person.select(t("Category"), next(o for o in options if o.startswith(f"{pot} (")))
        person.fill(t("Title"), title)
        person.fill(t("Description"), f"{title}: для мешканців округу, бо цього бракує.")
        person.fill(t("Location"), address)
        if lat:
            person.fill(t("Latitude"), lat)
            person.fill(t("Longitude"), lng)
        person.fill(t("Estimated cost"), str(cost))
        person.press(t("Submit the project"))
        person.see(title)
        ids[title] = int(re.search(r"/projects/(\d+)", person.page.url).group(1))
    first = people[0]
    first.field(t("File")).set_input_files(str(_photo(tmp_path, "velo.jpg", (30, 110, 60))))
    first.fill(t("Caption"), "Так виглядатиме велодоріжка")
    first.press(t("Upload"))
    first.see("Так виглядатиме велодоріжка")
    assert first.page.locator("ul.gallery img").count() == 1

    # Supports: each resident supports proposals of the city and of their own district.
    _time_passes(site, cycle, "supports")
    for title, *_rest, backers in PROJECTS:
        for n in backers:
            people[n].open(f"/budget/{cycle}/projects/{ids[title]}")
            people[n].press(t("Support"))
            people[n].see(t("Withdraw my support"))
    people[0].open(f"/budget/{cycle}/projects/{ids[PROJECTS[3][0]]}")  # Lychakiv's
    assert people[0].page.get_by_role("button", name=t("Support"), exact=True).count() == 0

    # Supports close; the official reviews what was supported.
    _time_passes(site, cycle, "review")
    clerk.open(f"/budget/{cycle}")
    clerk.link(t("Review the projects"))
    clerk.see(t("Proposals without enough supports, not reviewed: %(n)s.", n=1))
    for n, (title, *_rest) in enumerate(PROJECTS):
        if n == UNSUPPORTED:
            continue
        section = clerk.page.locator("section.card").filter(has_text=title)
        clerk.tick(t("Feasible"), within=section)
        clerk.fill(t("Public reason"), "Можна виконати за рік у межах кошторису.",
                   within=section)
        clerk.press(t("Record the decision"), within=section)
    clerk.open(f"/budget/{cycle}")
    clerk.see(t("Not enough supports"))

    # Voting: each ballot covers the city-wide pot and the voter's district only.
    _time_passes(site, cycle, "voting")
    for n, chosen in BALLOTS.items():
        voter = people[n]
        voter.open(f"/budget/{cycle}")
        voter.link(t("Vote"))
        shown = voter.text()
        for index, (title, pot, *_rest) in enumerate(PROJECTS):
            if index == UNSUPPORTED:
                assert title not in shown
            elif pot not in ("Місто", DISTRICTS[n][1]):
                assert title not in shown, (n, title)
        for index in chosen:
            voter.tick(re.compile(rf"^{re.escape(PROJECTS[index][0])} — "),
                       fragment="ballot-summary")
        voter.press(t("Cast my ballot"))
        voter.see(t("Your ballot is saved. You can change it until voting closes."))

    # Results, counted per pot, published and explained.
    _time_passes(site, cycle, "results")
    clerk.open(f"/budget/{cycle}/results")
    clerk.press(t("Publish the results"))
    clerk.see(t("Pots"))
    clerk.see(t("Why each project was funded or not"))
    for index, (title, *_rest) in enumerate(PROJECTS):
        if index != UNSUPPORTED:  # each pot funds its one project: it fits its funds
            row = clerk.page.get_by_role("row").filter(has_text=title).first
            assert row.get_by_role("cell").last.inner_text().strip() == t("Yes"), title
    clerk.page.locator("dl.explanations").first.scroll_into_view_if_needed()
    clerk.shot("budget-explained-result")

    # Implementation: the official adds a photo of the works to a funded project.
    clerk.open(f"/budget/{cycle}/projects/{ids[PROJECTS[2][0]]}")
    clerk.field(t("File")).set_input_files(str(_photo(tmp_path, "works.jpg", (150, 90, 40))))
    clerk.fill(t("Caption"), "Роботи в сквері почалися")
    clerk.press(t("Upload"))
    clerk.see(t("during implementation"))

    # Anyone sees every project on the map, and listed with its district and address.
    visitor = site.person("visitor")
    visitor.open(f"/budget/{cycle}/results")
    visitor.link(t("Projects on the map"))
    for title, _pot, _cost, address, *_rest in PROJECTS:
        visitor.see(title)
        visitor.see(address)
    visitor.see(t("district %(name)s", name="Залізничний"))
    located = sum(1 for p in PROJECTS if p[4])
    if visitor.js:
        visitor.page.wait_for_selector(".leaflet-marker-icon")
        assert visitor.page.locator(".leaflet-marker-icon").count() == located
    else:
        assert visitor.page.locator("#budget-map").is_hidden()
    visitor.shot("budget-map")
    site.assert_clean()
