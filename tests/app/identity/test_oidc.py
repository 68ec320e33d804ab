"""Sign-in through an OpenID provider, against real providers over HTTP (tests/app/identity/
providers.py): the mock provider for the flows, a tiny provider of our own for the tokens a good
provider never sends. The pages are driven as a browser would; nothing of the relying party is
replaced."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.identity import oidc
from app.identity.models import OidcLogin, ProviderLink, User
from app.notifications.models import Message
from app.settings import OidcProvider, get_settings
from app.web.auth import SESSION_COOKIE
from tests.app.identity.providers import MockProvider, TinyProvider
from tests.factories import make_user

TAX_ID = "3012345678"


@pytest.fixture(scope="session")
def mock_provider():
    provider = MockProvider()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def tiny_provider():
    provider = TinyProvider()
    yield provider
    provider.stop()


@pytest.fixture
def providers(monkeypatch, mock_provider, tiny_provider):
    settings = get_settings()
    monkeypatch.setattr(settings, "oidc_providers", [
        OidcProvider(name="diia", label="ID.GOV.UA", issuer=mock_provider.issuer,
                     client_id="hromada", client_secret="s3cret", identifies=True,
                     claims={"tax_id": "drfocode"}),
        OidcProvider(name="tiny", label="Tiny", issuer=tiny_provider.issuer,
                     client_id=TinyProvider.CLIENT_ID, identifies=True, userinfo=False),
    ])
    oidc.reset_caches()
    tiny_provider.mode = "good"
    yield settings.oidc_providers
    oidc.reset_caches()


def begin(client, provider: str = "diia", next_: str = "/account") -> str:
    response = client.get(f"/login/oidc/{provider}?next={next_}")
    assert response.status_code == 303, response.text
    return response.headers["location"]


def back_at(client, location: str):
    """The browser returns from the provider to our callback."""
    url = urlparse(location)
    return client.get(f"{url.path}?{url.query}")


def person(sub: str, email: str, **extra) -> dict:
    return {"email": email, "name": "Аліса Петренко", "birthdate": "1990-04-05",
            "drfocode": TAX_ID, **extra}


def refusals(db) -> list[dict]:
    rows = db.exec(select(AuditEntry).where(AuditEntry.action == "identity.sign_in_refused"))
    return [json.loads(row.data) for row in rows]


def test_sign_in_creates_an_account_and_a_second_email_lands_on_it(client, make_client, db,
                                                                     providers, mock_provider):
    mock_provider.set_person("alice-bankid", person("alice-bankid", "alice@example.org"))

    authorization = begin(client)
    query = parse_qs(urlparse(authorization).query)
    assert authorization.startswith(mock_provider.issuer)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"{get_settings().base_url}/login/oidc/diia/callback"]

    response = back_at(client, mock_provider.consent(authorization, "alice-bankid"))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    assert client.cookies.get(SESSION_COOKIE)
    page = client.get("/account")
    assert page.status_code == 200 and "Аліса Петренко" in page.text

    user = db.exec(select(User).where(User.email == "alice@example.org")).one()
    assert not user.email_verified  # a new address is confirmed as everyone's is
    assert str(user.birth_date) == "1990-04-05"
    mail = db.exec(select(Message).where(Message.user_id == user.id)).all()
    assert any("/verify-email?token=" in m.body for m in mail)
    link = db.exec(select(ProviderLink).where(ProviderLink.user_id == user.id)).one()
    assert link.identifies and link.person_hash and link.register_key
    # No national identifier, no subject in clear: only keyed hashes.
    stored = json.dumps([link.model_dump(mode="json"), user.model_dump(mode="json")])
    assert TAX_ID not in stored and "alice-bankid" not in stored
    # The sign-in under way is gone.
    assert db.exec(select(OidcLogin)).all() == []

    # The same person, another subject (Mobile ID) and another e-mail: the same account.
    mock_provider.set_person("alice-mobileid",
                             person("alice-mobileid", "alice.work@example.org"))
    other = make_client()
    authorization = begin(other)
    response = back_at(other, mock_provider.consent(authorization, "alice-mobileid"))
    assert response.status_code == 303, response.text
    assert other.get("/account").text.count("alice@example.org") >= 1
    assert db.exec(select(User).where(User.email == "alice.work@example.org")).first() is None
    assert len(db.exec(select(ProviderLink).where(ProviderLink.user_id == user.id)).all()) == 2

    # And the first subject again: signed in, nothing new.
    again = make_client()
    response = back_at(again, mock_provider.consent(begin(again), "alice-bankid"))
    assert response.status_code == 303
    assert len(db.exec(select(ProviderLink)).all()) == 2


def test_a_state_is_good_once(client, db, providers, mock_provider):
    mock_provider.set_person("bohdan", person("bohdan", "bohdan@example.org",
                                              drfocode="2999999999"))
    location = mock_provider.consent(begin(client), "bohdan")
    assert back_at(client, location).status_code == 303

    replay = back_at(client, location)
    assert replay.status_code == 400
    assert "вже використано" in replay.text or "already used" in replay.text
    assert refusals(db)[-1]["reason"] == "state_unknown"


def test_an_unknown_state_is_refused_and_audited(client, db, providers):
    response = client.get("/login/oidc/diia/callback?code=abc&state=made-up",
                          headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This sign-in link is not valid or was already used" in response.text
    assert refusals(db)[-1] == {"provider": "diia", "reason": "state_unknown"}
    assert db.exec(select(User)).all() == []


def test_a_state_from_another_browser_is_refused(client, make_client, db, providers,
                                                 mock_provider):
    mock_provider.set_person("carol", person("carol", "carol@example.org",
                                             drfocode="2888888888"))
    location = mock_provider.consent(begin(client), "carol")
    stranger = make_client()
    response = back_at(stranger, location)
    assert response.status_code == 400
    assert refusals(db)[-1]["reason"] == "state_other_browser"
    assert db.exec(select(User)).all() == []


def test_a_denied_consent_is_a_clear_refusal(client, db, providers, mock_provider):
    response = back_at(client, mock_provider.deny(begin(client)))
    assert response.status_code == 400
    assert refusals(db)[-1]["reason"] == "provider_error"


@pytest.mark.parametrize(("mode", "reason", "message"), [
    ("other_key", "signature", "signature is not the provider"),
    ("expired", "expired", "has expired"),
    ("other_audience", "audience", "issued for another site"),
    ("other_issuer", "issuer", "comes from another provider"),
    ("other_nonce", "nonce", "does not belong to this sign-in"),
    ("no_nonce", "nonce", "does not belong to this sign-in"),
])
def test_a_bad_id_token_is_refused(client, db, providers, tiny_provider, mode, reason,
                                   message):
    tiny_provider.mode = mode
    authorization = begin(client, "tiny")
    with __import__("httpx").Client() as browser:
        location = browser.get(authorization).headers["location"]
    response = back_at(client, location + "&lang=en")
    assert response.status_code == 400, response.text
    assert message in response.text
    assert refusals(db)[-1] == {"provider": "tiny", "reason": reason}
    assert db.exec(select(User)).all() == []
    assert db.exec(select(ProviderLink)).all() == []
    # The code went to the token endpoint with the PKCE verifier.
    assert len(tiny_provider.token_requests[-1]["code_verifier"]) >= 43


def test_the_tiny_provider_good_token_signs_in(client, db, providers, tiny_provider):
    with __import__("httpx").Client() as browser:
        location = browser.get(begin(client, "tiny")).headers["location"]
    assert back_at(client, location).status_code == 303
    assert db.exec(select(User).where(User.email == "tiny@example.org")).one()


def test_an_existing_email_is_linked_only_by_its_owner(client, db, providers, mock_provider):
    owner = make_user(db, email="dana@example.org", name="Дана")
    db.commit()
    mock_provider.set_person("dana", person("dana", "dana@example.org",
                                            drfocode="2777777777"))
    response = back_at(client, mock_provider.consent(begin(client), "dana"))
    assert response.status_code == 409
    assert db.exec(select(ProviderLink)).all() == []

    # Logged in with the password, the owner links the provider from the account page.
    client.login(owner)
    response = client.get("/account/providers/diia")
    assert response.status_code == 303
    response = back_at(client, mock_provider.consent(response.headers["location"], "dana"))
    assert response.status_code == 303 and response.headers["location"] == "/account?done=linked"
    link = db.exec(select(ProviderLink)).one()
    assert link.user_id == owner.id


def test_an_unknown_provider_is_not_found(client, providers):
    assert client.get("/login/oidc/nobody").status_code == 404
    assert client.get("/login/oidc/nobody/callback?state=x&code=y").status_code == 404


def test_the_login_page_offers_the_providers(client, providers):
    page = client.get("/login?lang=en")
    assert 'href="/login/oidc/diia?next=' in page.text and "Sign in with ID.GOV.UA" in page.text
