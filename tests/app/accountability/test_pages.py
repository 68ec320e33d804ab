"""The public pages: tracker, authority page, dashboard, open data, methodology, feeds."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from app.accountability.service import KINDS
from tests.app.accountability.conftest import utc

ATOM = "{http://www.w3.org/2005/Atom}"


def one_h1(html: str) -> None:
    assert len(re.findall(r"<h1[ >]", html)) == 1


def headings_in_order(html: str) -> None:
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard?community=alpha",
                                  "/dashboard?tool=petitions&sort=overdue&dir=desc",
                                  "/methodology", "/open-data", "/open-data/dictionary",
                                  "/obligations", "/communities/alpha/obligations"])
def test_pages_render_accessibly_in_both_languages(client, region, path):
    for lang in ("uk", "en"):
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}lang={lang}")
        assert response.status_code == 200, response.text
        one_h1(response.text)
        headings_in_order(response.text)
        assert "<table" not in response.text or "<th" in response.text


def test_the_tracker_shows_every_kind_and_status(client, region, kinds):
    html = client.get("/communities/alpha/obligations?lang=en").text
    for label in ("Item A1", "Item A2", "Item A3", "Item A4", "Item A5", "Item A6"):
        assert label in html
    for kind in kinds.values():
        assert kind.label in html
    for status in ("Answered on time", "Answered late", "Overdue", "Pending"):
        assert status in html
    assert "Item B1" not in html
    # The due date shown is the last day of the period, not the midnight after it.
    assert "17.03.2026" in html
    overdue = client.get("/communities/alpha/obligations?status=overdue&lang=en").text
    assert "Item A3" in overdue and "Item A1" not in overdue
    listing = client.get("/obligations?kind=consultation_report&lang=en").text
    assert "Item A5" in listing and "Item B3" in listing and "Item A1" not in listing
    february = client.get("/obligations?from=2026-02-01&to=2026-03-01&lang=en").text
    assert "Item B2" in february and "Item A1" not in february
    assert "Item A2" in client.get("/obligations?q=a2&lang=en").text
    fragment = client.get("/obligations?q=a2", headers={"HX-Request": "true",
                                                        "HX-Target": "results"})
    assert fragment.text.lstrip().startswith('<div id="results"')


def test_the_authority_page(client, region):
    council = region.a.council
    response = client.get(f"/authorities/{council.id}?lang=en")
    assert response.status_code == 200
    html = response.text
    one_h1(html)
    headings_in_order(html)
    assert council.name_en in html
    assert "Item A1" in html and "Item A3" not in html  # A3 belongs to the department
    assert "100.0%" in html and "75.0%" in html and "11.5" in html  # response, on time, median
    assert f"/dashboard/trends?authority={council.id}" in html  # its charts, a page away
    filtered = client.get(f"/authorities/{council.id}?status=answered_late&lang=en").text
    assert "Item A2" in filtered and "Item A1" not in filtered
    assert client.get("/authorities/999999").status_code == 404


def test_the_trends_have_accessible_charts_and_one_table(client, region):
    dashboard = client.get("/dashboard?lang=en").text
    assert 'href="/dashboard/trends"' in dashboard
    html = client.get("/dashboard/trends?lang=en").text
    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, flags=re.S)
    assert len(charts) == 4
    for svg in charts:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for ref in labelled:
            assert f'id="{ref}"' in svg
    assert "March 2026: 83.3%" in html  # the response rate of March read out in the desc
    assert html.count("<caption>Response rate by month</caption>") == 1  # a table beside
    # The comparison shows each community's key rules.
    assert "Signatures per 1,000 residents" in dashboard
    assert "10 working days" in dashboard
    # The most overdue authorities.
    assert region.b.council.name_en in dashboard
    # Narrowed to a community and a tool; a tool that does not exist is refused.
    narrowed = client.get("/dashboard/trends?community=alpha&tool=petitions&lang=en")
    assert narrowed.status_code == 200
    assert f"Trends by month: {region.a.community.name_en}" in narrowed.text
    assert client.get("/dashboard/trends?tool=nonsense").status_code == 422
    # One authority's trends, linked from its page.
    council = region.b.council
    assert f'href="/dashboard/trends?authority={council.id}"' in client.get(
        f"/authorities/{council.id}?lang=en").text
    own = client.get(f"/dashboard/trends?authority={council.id}&lang=en")
    assert own.status_code == 200 and f"Trends by month: {council.name_en}" in own.text
    assert len(re.findall(r"<svg[^>]*>", own.text)) == 4
    assert client.get("/dashboard/trends?authority=999999").status_code == 404


def test_the_dashboard_comparison_sorts_and_answers_htmx_with_its_block(client, region):
    html = client.get("/dashboard?sort=response_rate&dir=asc&lang=en").text
    assert html.index("?community=beta") < html.index("?community=alpha")
    html = client.get("/dashboard?sort=response_rate&dir=desc&lang=en").text
    assert html.index("?community=alpha") < html.index("?community=beta")
    fragment = client.get("/dashboard?sort=overdue", headers={"HX-Request": "true",
                                                              "HX-Target": "comparison"})
    assert fragment.text.lstrip().startswith('<section id="comparison"')
    assert "<h1" not in fragment.text
    assert client.get("/dashboard?tool=weather").status_code == 422
    assert client.get("/dashboard?community=nowhere").status_code == 404


def test_an_empty_dashboard_shows_dashes_not_zeros(client, db, kinds):
    response = client.get("/dashboard?lang=en")
    assert response.status_code == 200
    assert "No obligations yet." in response.text


def test_the_dictionary_documents_every_column_and_kind(client, region):
    from app.accountability.export import NAMES

    html = client.get("/open-data/dictionary?lang=en").text
    for name in NAMES:
        assert f"<code>{name}</code>" in html
    for code in KINDS:
        assert f"<code>{code}</code>" in html
    assert "yes ÷ (yes + partly + no)" in html
    assert "answered ÷ (answered + overdue)" in html


def test_the_methodology_explains_deadlines_and_figures(client):
    html = client.get("/methodology?lang=en").text
    for text in ("Europe/Kyiv", "public holidays", "answered on time ÷ answered",
                 "middle value", "yes ÷ (yes + partly + no)", "17 days later"):
        assert text in html


def test_the_community_feed(client, region):
    response = client.get("/communities/alpha/feed.atom?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    events = [(e.find(f"{ATOM}category").get("term"), e.find(f"{ATOM}title").text)
              for e in entries]
    assert ("overdue", "Deadline missed: Item A3") in events
    assert ("overdue", "Deadline missed: Item A2") in events  # answered, but late
    assert ("answered", "Answered: Item A1") in events
    assert ("opened", "New obligation: Item A4") in events
    assert not [t for t in events if "Item B" in t[1]]
    assert ("overdue", "Deadline missed: Item A1") not in events  # on time thanks to holiday
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(ids) == len(set(ids))
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert feed.find(f"{ATOM}updated").text == updated[0]
    assert client.get("/communities/nowhere/feed.atom").status_code == 404
    ukrainian = client.get("/communities/alpha/feed.atom?lang=uk").text
    assert "Строк пропущено: Item A3" in ukrainian and 'xml:lang="uk"' in ukrainian


def test_a_new_answer_reaches_the_feed_and_the_dashboard_at_once(client, db, region, clock):
    from app.accountability import service
    from app.accountability.models import Obligation

    a4 = db.get(Obligation, region.ids["A4"])
    clock.set(utc(2026, 3, 20, 13))
    service.answer(db, a4.kind, a4.subject_type, a4.subject_id, "Reviewed")
    feed = client.get("/communities/alpha/feed.atom?lang=en").text
    assert "Answered: Item A4" in feed
    data = client.get("/api/v1/dashboard?community=alpha").json()
    assert data["by_kind"]["budget_review"]["answered_on_time"] == 1
