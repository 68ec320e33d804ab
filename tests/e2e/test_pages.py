"""Every other page people reach outside the five loops, for each kind of person: each must
pass axe, read fully in both languages and stay within the weight limit."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _a_full_page_of_communities(site) -> None:
    """As many communities as a page of the dashboard shows: its weight is then the weight
    of a real region's dashboard, whatever ran before."""
    import inspect

    from sqlmodel import func, select

    from app.accountability import stats
    from app.communities.models import Community

    per_page = inspect.signature(stats.dashboard).parameters["per_page"].default or 50
    with site.seed.session() as db:
        count = db.exec(select(func.count()).select_from(Community)).one()
    for _ in range(per_page - count):
        site.seed.community("region")


def test_every_other_page(site):
    place = site.seed.community("pages")
    slug = place.slug
    _a_full_page_of_communities(site)
    pages = {
        "visitor": [
            "/", "/communities", f"/communities/{slug}", f"/communities/{slug}/rules", "/rules",
            "/obligations", f"/communities/{slug}/obligations",
            f"/authorities/{place.council_id}", "/audit", "/methodology", "/open-data",
            "/open-data/dictionary", "/open-data/datasets/petitions", "/dashboard", "/petitions",
            "/budget", "/consultations",
            "/login", "/register", ("/no-such-page", 404)],
        "resident": [
            "/account", "/petitions/mine", "/petitions/new", "/account/erase",
            "/consultations/organisations", ("/petitions/999999", 404),
            ("/budget/999999", 404)],
        "official": [
            f"/communities/{slug}/residents", "/consultations/organisations/review",
            "/consultations/new", "/budget/new"],
        "moderator": ["/petitions/moderation"],
        "admin": [f"/communities/{slug}/rules/edit"],
    }
    for kind, paths in pages.items():
        account = None if kind == "visitor" else site.seed.person(kind, place)
        person = site.person(kind, account)
        for entry in paths:
            path, status = entry if isinstance(entry, tuple) else (entry, 200)
            person.open(path, status=status, soft=True)
    site.assert_clean()
