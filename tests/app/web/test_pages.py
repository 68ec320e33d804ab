"""Security headers, cookies, error pages by request type, and the choice of language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.web.auth import SESSION_COOKIE
from app.web.middleware import CSRF_COOKIE
from tests.browser import TOKEN_RE
from tests.factories import PASSWORD, make_community, make_user


@pytest.mark.parametrize("path", ["/", "/login", "/rules", "/no-such-page", "/api/v1/rules"])
def test_security_headers_on_every_response(client, db, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client, db):
    page = client.get("/")
    assert "<script>" not in page.text
    assert " on" + "click=" not in page.text


def test_no_template_styles_inline():
    # The CSP allows style sheets from 'self' only: an inline style is refused by the browser.
    import re

    from app.web.templating import TEMPLATE_DIR

    offenders = [f"{path.relative_to(TEMPLATE_DIR)}:{n}"
                 for path in sorted(TEMPLATE_DIR.rglob("*.html"))
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"\sstyle\s*=|<style[\s>]", line)]
    assert not offenders, offenders


def test_cookies_are_httponly_and_samesite(client, db):
    make_user(db, email="cookie@example.org")
    db.commit()
    first = client.get("/login")
    csrf_cookie = [h for h in first.headers.get_list("set-cookie")
                   if h.startswith(f"{CSRF_COOKIE}=")][0]
    assert "HttpOnly" in csrf_cookie and "SameSite=Lax" in csrf_cookie

    token = TOKEN_RE.search(first.text).group(1)
    login = client.post("/login", data={"csrf_token": token, "email": "cookie@example.org",
                                        "password": PASSWORD})

    session_cookie = [h for h in login.headers.get_list("set-cookie")
                      if h.startswith(f"{SESSION_COOKIE}=")][0]
    assert "HttpOnly" in session_cookie
    assert "samesite=lax" in session_cookie.lower()
    assert "Secure" not in session_cookie  # plain http in tests; https turns it on


def test_secure_cookies_and_hsts_over_https(client, db, settings, monkeypatch):
    monkeypatch.setattr(settings, "base_url", "https://hromada.example")
    response = client.get("/")
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_page_is_a_404_page(client, db):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Такої сторінки не існує." in response.text
    assert "<html" in response.text


def test_unknown_api_path_is_json(client, db):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "http_error"


def test_unknown_community_is_a_404_in_both(client, db):
    assert client.get("/communities/nowhere").status_code == 404
    api = client.get("/api/v1/communities/nowhere")
    assert api.status_code == 404
    assert api.json() == {"error": "not_found", "message": "Такої громади немає."}


@pytest.mark.parametrize("path", [
    "/obligations?page=abc",
    "/obligations?page=0",
    "/obligations?status=whatever",
    "/obligations?from=yesterday",
    "/obligations?q=" + "x" * 500,
    "/api/v1/obligations?limit=100000",
    "/api/v1/obligations?status=whatever",
])
def test_invalid_query_parameters_are_a_422_not_a_500(client, db, path):
    response = client.get(path)
    assert response.status_code == 422


def test_method_not_allowed(client, db):
    assert client.delete("/rules").status_code in (403, 405)
    assert client.put("/api/v1/rules").status_code == 405


def test_an_htmx_request_gets_the_error_fragment(client, db):
    response = client.get("/communities/nowhere", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert 'id="error"' in response.text
    assert "Такої громади немає." in response.text
    assert "<html" not in response.text and "<footer" not in response.text


def test_an_unexpected_error_is_a_500_page_and_fragment(app, db, monkeypatch):
    from app.audit import service as audit
    from app.web.deps import get_session

    def boom(session):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(audit, "head_hash", boom)
    app.dependency_overrides[get_session] = lambda: db
    try:
        with TestClient(app, raise_server_exceptions=False) as browser:
            page = browser.get("/audit")
            fragment = browser.get("/audit", headers={"HX-Request": "true"})
            api = browser.get("/api/v1/audit/head")
    finally:
        app.dependency_overrides.pop(get_session, None)

    assert page.status_code == 500
    assert "Щось пішло не так з нашого боку." in page.text
    assert "disk on fire" not in page.text
    assert fragment.status_code == 500 and "<html" not in fragment.text
    assert api.status_code == 500 and api.json()["error"] == "server_error"


def test_a_get_needing_login_redirects_and_keeps_the_query(client, db):
    response = client.get("/account?sent=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account%3Fsent%3D1"


def test_ukrainian_is_the_default(client, db):
    page = client.get("/")
    assert '<html lang="uk">' in page.text
    assert "Участь у житті вашої громади" in page.text


def test_the_language_switch_sets_a_cookie(client, db):
    page = client.get("/?lang=en")
    assert '<html lang="en">' in page.text
    assert "Participation in your community" in page.text
    assert any(h.startswith("lang=en") for h in page.headers.get_list("set-cookie"))

    again = client.get("/")
    assert '<html lang="en">' in again.text

    back = client.get("/rules?lang=uk")
    assert '<html lang="uk">' in back.text
    assert '<html lang="uk">' in client.get("/").text


@pytest.mark.parametrize(("accept", "lang"), [
    ("en-GB,en;q=0.9", "en"), ("uk-UA,uk;q=0.9,en;q=0.5", "uk"), ("ru-RU,ru", "uk"),
    ("de-DE,fr;q=0.5", "uk"),
])
def test_the_browser_language_is_respected(client, db, accept, lang):
    page = client.get("/", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}">' in page.text


def test_an_unknown_language_is_ignored(client, db):
    page = client.get("/?lang=xx")
    assert '<html lang="uk">' in page.text
    assert not any(h.startswith("lang=") for h in page.headers.get_list("set-cookie"))


def test_the_language_is_saved_for_a_logged_in_person(client, db):
    user = make_user(db)
    client.login(user)
    response = client.submit("/account/language", {"language": "en"})
    assert response.status_code == 303
    db.refresh(user)
    assert user.language == "en"
    assert client.submit("/account/language", {"language": "xx"}).status_code == 422


@pytest.mark.parametrize("path", ["/rules", "/communities", "/communities/{slug}/rules",
                                  "/obligations", "/audit", "/login"])
def test_every_page_knows_who_is_logged_in(client, db, path):
    from tests.factories import make_admin

    place = make_community(db)
    client.login(make_admin(db, name="Адміністраторка Оксана"))

    page = client.get(path.format(slug=place.community.slug))

    assert "Адміністраторка Оксана" in page.text
    assert 'action="/logout"' in page.text
    if path == "/communities/{slug}/rules":
        assert f'href="/communities/{place.community.slug}/rules/edit"' in page.text


def test_the_health_check(client, db):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok"}


def test_community_pages(client, db):
    place = make_community(db, name="Тестова громада")
    db.commit()
    listing = client.get("/communities")
    assert "Тестова громада" in listing.text
    detail = client.get(f"/communities/{place.community.slug}")
    assert detail.status_code == 200
    assert "Рада" in detail.text
    english = client.get(f"/communities/{place.community.slug}?lang=en")
    assert "Community" in english.text and "Council" in english.text
