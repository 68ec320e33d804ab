"""Jinja2 with jinja2-fragments: one template serves a full page and its htmx fragment."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from jinja2_fragments import render_block
from markupsafe import Markup

from app.settings import ROOT, get_settings
from app.web import i18n, pagecache

TEMPLATE_DIR = ROOT / "templates"


def _format_date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        from app.rules.calendar import LOCAL_TZ

        if value.tzinfo is None:
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        local = value.astimezone(LOCAL_TZ)
        return local.strftime("%d.%m.%Y %H:%M") if with_time else local.strftime("%d.%m.%Y")
    return value.strftime("%d.%m.%Y")


def _format_number(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u202f")
    return f"{int(value):,}".replace(",", "\u202f")


# Currency codes as people read them (ISO 4217 codes stay as they are where not listed).
CURRENCY_NAMES = {"UAH": i18n.N_("UAH"), "PLN": i18n.N_("PLN"), "EUR": i18n.N_("EUR")}


def _format_currency(code: str | None) -> str:
    if not code:
        return ""
    name = CURRENCY_NAMES.get(code.upper())
    return i18n.gettext(name) if name else code


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=get_settings().environment == "development",
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals["_"] = _translate
    env.filters["date"] = _format_date
    env.filters["datetime"] = lambda v: _format_date(v, with_time=True)
    env.filters["number"] = _format_number
    env.filters["currency"] = _format_currency
    env.globals["LANGUAGES"] = i18n.LANGUAGE_NAMES
    env.globals["shared"] = pagecache.shared_fragment
    env.globals["site_part"] = site_part
    return env


@pass_eval_context
def _translate(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """`_("…", name=value)` in a template: what jinja's newstyle `gettext` does (translate,
    mark safe where the template escapes, then always `% variables`, so "%%" reads "%"), in
    one call where jinja's makes two through the template's context. A page calls `_` a few
    dozen times; a message without variables is formatted once per language and kept."""
    if variables or not eval_ctx.autoescape:
        text = i18n.gettext(message)
        return (Markup(text) if eval_ctx.autoescape else text) % variables
    key = (i18n.current_language.get(), message)
    text = _TRANSLATED.get(key)
    if text is None:
        text = Markup(i18n.gettext(message)) % {}
        if len(_TRANSLATED) < TRANSLATED_MAX:  # a label, a heading: the templates' own
            _TRANSLATED[key] = text
    return text


_TRANSLATED: dict[tuple[str, str], Markup] = {}
TRANSLATED_MAX = 20_000  # every message of every language, with room to spare


@pass_context
def site_part(context: Any, name: str) -> Markup:
    """`{{ site_part("nav") }}`: templates/_site_<name>.html, a part of every page that
    depends only on the language and the app's modules (the navigation, the footer). It is
    rendered once per language and app and then reused by every page, logged in or not
    (rendered each time where templates reload, in development)."""
    request, lang = context.get("request"), context.get("lang")
    env = context.environment
    if request is None or env.auto_reload:
        return Markup(env.get_template(f"_site_{name}.html").render(request=request, lang=lang))
    parts = getattr(request.app.state, "site_parts", None)
    if parts is None:
        parts = request.app.state.site_parts = {}
    html = parts.get((name, lang))
    if html is None:  # two threads may both render it: the same HTML
        html = parts[(name, lang)] = Markup(
            env.get_template(f"_site_{name}.html").render(request=request, lang=lang))
    return html


def compile_templates() -> int:
    """Compile every template now (at start-up): otherwise the first requests after a start
    compile them, each of the threads that asks at once compiling the same one again (a
    hundred milliseconds a page under load). Returns how many."""
    env = environment()
    names = env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml",
                                                                         ".txt", ".svg")))
    for name in names:
        env.get_template(name)
    return len(names)


def block_for(request: Request, *element_ids: str) -> str | None:
    """The one htmx idiom: a template names its fragments as blocks after the element they
    fill; an htmx request aimed at one of `element_ids` gets that block, anything else the
    whole page."""
    target = request.headers.get("HX-Target")
    return target if target in element_ids and is_htmx(request) else None


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (boosted navigation and history restores want the
    whole page)."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and not headers.get("HX-Boosted")
            and not headers.get("HX-History-Restore-Request"))


def _current_user(request: Request):
    """The logged-in person for the page header, also on routes that did not ask for them."""
    state = request.state._state
    if "user" in state:
        return state["user"]
    from app.web.auth import SESSION_COOKIE, optional_user

    session = state.get("db")
    if session is None or not request.cookies.get(SESSION_COOKIE):
        return None
    return optional_user(request, session)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page, or only `block` of it (for htmx requests, or when asked).

    A rendering meant for every anonymous visitor of a shared page (app/web/pagecache.py)
    carries no CSRF token; one with a flash message, another status than 200, or a form with
    a token field is the visitor's own and gets their token. Every page is `private,
    no-store` unless the route says otherwise (a shared page answered from the cache is
    public)."""
    token = getattr(request.state, "csrf_token", "")
    for_everyone = pagecache.storing(request)
    if for_everyone and (status_code != 200 or (context or {}).get("flash")):
        pagecache.refuse(request, "flash" if status_code == 200 else "status")
        for_everyone = False
    ctx = {
        "request": request,
        "user": _current_user(request),
        "lang": i18n.current_language.get(),
        "csrf_token": "" if for_everyone else token,
        **(context or {}),
    }
    html = _render(template, block, ctx)
    if for_everyone and pagecache.TOKEN_FIELD in html:
        # A form an anonymous visitor may post: this page is theirs, with their token.
        pagecache.refuse(request, "form")
        html = _render(template, block, {**ctx, "csrf_token": token})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = pagecache.PRIVATE
    return response


def _render(template: str, block: str | None, ctx: dict[str, Any]) -> str:
    env = environment()
    if block is not None:
        return render_block(env, template, block, **ctx)
    return env.get_template(template).render(**ctx)
