"""One pure-ASGI middleware for every request: language, CSRF cookie, security headers.

It runs for every request, static files included, so whatever can be computed once is (the
header lines, the cookie attributes), the request headers are read in one pass, and the common
Cookie header is split without http.cookies unless it holds something unusual.
"""

from __future__ import annotations

import hmac
import re
import secrets
from http.cookies import Morsel, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import get_settings
from app.web import i18n

CSRF_COOKIE = "hromada_csrf"
LANG_COOKIE = "lang"



def tile_origin(template: str) -> str:
    """The origin of a map tile server's address template, as a CSP source: its scheme and
    host, with a {s} subdomain placeholder as a wildcard ("" when there is none)."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.netloc.replace("{s}", "*")
    if not re.fullmatch(r"[A-Za-z0-9.*:\[\]-]+", host):
        return ""
    return f"{parts.scheme}://{host}"


# No inline script anywhere: htmx is loaded from /static and configured by a meta tag. Images
# come from the site, and map tiles from the tile server of the settings.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data: {tile_origin(get_settings().map_tile_url)}".rstrip() + "; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_CSRF_ATTRIBUTES = b"; Path=/; HttpOnly; SameSite=Lax"
_LANG_ATTRIBUTES = b"; Path=/; Max-Age=31536000; SameSite=Lax"
_SECURE = b"; Secure"
CSRF_COOKIE_LENGTH = 43  # secrets.token_urlsafe(32)


def csrf_token_for(cookie_value: str) -> str:
    """The token a form must carry: an HMAC of the browser's CSRF cookie."""
    key = get_settings().secret_key.encode()
    return hmac.digest(key, cookie_value.encode(), "sha256").hex()


_NO_CSRF_PATHS = ("/api/", "/static/")


class WebContextMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        cookie_header = accept = None
        for key, value in scope["headers"]:
            if key == b"cookie":
                if cookie_header is None:
                    cookie_header = value.decode("latin-1")
            elif key == b"accept-language" and accept is None:
                accept = value.decode("latin-1")
        cookies = parse_cookies(cookie_header) if cookie_header else {}
        query_lang = _query_param(scope, "lang")
        lang_cookie = cookies.get(LANG_COOKIE)
        lang = i18n.negotiate(lang_cookie, query_lang, accept, settings.default_language)
        token = i18n.current_language.set(lang)

        # The JSON API (Bearer tokens, never cookies) and static files need no CSRF cookie.
        csrf_cookie, new_csrf = cookies.get(CSRF_COOKIE), None
        if scope["path"].startswith(_NO_CSRF_PATHS):
            csrf_cookie = csrf_token = ""
        else:
            if not csrf_cookie or len(csrf_cookie) != CSRF_COOKIE_LENGTH:
                csrf_cookie = new_csrf = secrets.token_urlsafe(32)
            csrf_token = csrf_token_for(csrf_cookie)
        state = scope.setdefault("state", {})
        state["csrf_cookie"], state["csrf_token"], state["lang"] = csrf_cookie, csrf_token, lang
        secure = settings.secure_cookies
        cookie_lines = []
        if new_csrf:
            cookie_lines.append((b"set-cookie", b"".join((
                CSRF_COOKIE.encode(), b"=", new_csrf.encode(), _CSRF_ATTRIBUTES,
                _SECURE if secure else b""))))
        if query_lang in i18n.LANGUAGES and query_lang != lang_cookie:
            cookie_lines.append((b"set-cookie", b"".join((
                LANG_COOKIE.encode(), b"=", query_lang.encode(), _LANG_ATTRIBUTES,
                _SECURE if secure else b""))))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A copy: the response may send the same header list again (a cached page).
                headers = list(message.get("headers", ()))
                present = {name for name, _ in headers}
                if present.isdisjoint(_SECURITY_NAMES):
                    headers += SECURITY_HEADERS
                else:
                    headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if secure:
                    headers.append(HSTS)
                headers += cookie_lines
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            i18n.current_language.reset(token)


# A Cookie header as browsers send it: name=value pairs separated by "; ", with names of the
# characters http.cookies accepts in a name (it rejects the whole header for any other) and
# values without quotes, backslashes, spaces or non-ASCII. Such a header means the same to
# http.cookies as to a split on ";" and "="; anything else is left to http.cookies.
_NAME = r"[A-Za-z0-9!#%&'*+\-.^_`|~:][A-Za-z0-9!#$%&'*+\-.^_`|~:]*"
_VALUE = r"[!#-:<-\[\]-~]*"
_PLAIN_COOKIES = re.compile(rf"{_NAME}={_VALUE}(?:; ?{_NAME}={_VALUE})*;?")
_RESERVED = frozenset(Morsel._reserved)  # expires, path, domain...: attributes, not cookies


def parse_cookies(header: str) -> dict[str, str]:
    """The cookies of a Cookie header, as http.cookies.SimpleCookie reads them."""
    if _PLAIN_COOKIES.fullmatch(header):
        cookies = {}
        for pair in header.split(";"):
            name, _, value = pair.lstrip(" ").partition("=")
            if name:
                if name.lower() in _RESERVED:
                    break
                cookies[name] = value
        else:
            return cookies
    jar = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed cookie header is treated as no cookies
        return {}
    return {k: v.value for k, v in jar.items()}


def _query_param(scope: Scope, name: str) -> str | None:
    raw: bytes = scope.get("query_string", b"")
    if not raw or name.encode() not in raw:
        return None
    values = parse_qs(raw.decode("latin-1")).get(name)
    return values[0] if values else None
