"""What a new user ran into: the account page offered a claim where the person already is a
resident; e-mailed links pointed at port 8000 whatever port the site was served on."""

from __future__ import annotations

from app.settings import Settings
from tests.factories import make_community, make_resident


def test_the_account_page_offers_no_claim_where_one_is_a_resident(client, db):
    home, other = make_community(db), make_community(db)
    client.login(make_resident(db, home))
    page = client.get("/account")
    assert f"/communities/{home.community.slug}/residency" not in page.text
    assert f"/communities/{other.community.slug}/residency" in page.text


def test_the_base_url_follows_host_and_port(monkeypatch):
    monkeypatch.delenv("HROMADA_BASE_URL", raising=False)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8123")
    assert Settings(_env_file=None).base_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert Settings(_env_file=None).base_url == "http://localhost:8123"
    monkeypatch.setenv("HROMADA_BASE_URL", "https://hromada.example/")
    assert Settings(_env_file=None).base_url == "https://hromada.example"
