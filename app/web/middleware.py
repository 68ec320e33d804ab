"""One pure-ASGI middleware for every request: language, CSRF cookie, security headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import get_settings
from app.web import i18n

CSRF_COOKIE = "hromada_csrf"
LANG_COOKIE = "lang"

# No inline script anywhere: htmx is loaded from /static and configured by a meta tag.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
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


def csrf_token_for(cookie_value: str) -> str:
    """The token a form must carry: an HMAC of the browser's CSRF cookie."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, cookie_value.encode(), hashlib.sha256).hexdigest()


class WebContextMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        cookies = _cookies(scope)
        query_lang = _query_param(scope, "lang")
        accept = _header(scope, b"accept-language")
        lang = i18n.negotiate(cookies.get(LANG_COOKIE), query_lang, accept,
                              settings.default_language)
        token = i18n.current_language.set(lang)

        csrf_cookie = cookies.get(CSRF_COOKIE)
        new_csrf = None
        if not csrf_cookie or len(csrf_cookie) != 43:
            csrf_cookie = new_csrf = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_cookie"] = csrf_cookie
        state["csrf_token"] = csrf_token_for(csrf_cookie)
        state["lang"] = lang
        path: str = scope["path"]
        is_static = path.startswith("/static/")
        secure = "; Secure" if settings.secure_cookies else ""

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
                if settings.secure_cookies:
                    headers.raw.append((b"strict-transport-security",
                                        b"max-age=31536000; includeSubDomains"))
                if new_csrf and not is_static:
                    headers.append("set-cookie", f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; "
                                   f"SameSite=Lax{secure}")
                if query_lang in i18n.LANGUAGES and query_lang != cookies.get(LANG_COOKIE):
                    headers.append("set-cookie", f"{LANG_COOKIE}={query_lang}; Path=/; "
                                   f"Max-Age=31536000; SameSite=Lax{secure}")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            i18n.current_language.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _cookies(scope: Scope) -> dict[str, str]:
    raw = _header(scope, b"cookie")
    if not raw:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is treated as no cookies
        return {}
    return {k: v.value for k, v in jar.items()}


def _query_param(scope: Scope, name: str) -> str | None:
    from urllib.parse import parse_qs

    qs = scope.get("query_string", b"").decode("latin-1")
    if not qs or name not in qs:
        return None
    values = parse_qs(qs).get(name)
    return values[0] if values else None
