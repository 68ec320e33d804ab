"""Browser tests: a real server, Debian's Chromium driven by Playwright, people doing the loops.

One server (uvicorn in a subprocess, on a fresh migrated SQLite file, with the file mail
backend and the worker in process) and one browser serve the whole session. Every scenario
runs in four modes (JavaScript on and off, Ukrainian and English); each person is a browser
context of their own. After every page a person reaches, the inspector

* runs axe-core (WCAG 2.2 AA tags) on it,
* fetches the page in Ukrainian and in English and fails on chrome that reads the same in
  both (an untranslated message), user content excepted, and
* weighs its HTML and style sheets (at most 30 KB).

Problems are gathered and reported together at the end of each scenario, so one run shows
every failing page. Playwright is imported only inside fixtures: the normal test runs
collect this directory without a browser and deselect it (-m "not e2e").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e import helpers

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HROMADA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}  # an old, small phone: the pages must work there too
SHOT = {"width": 1024, "height": 700}  # screenshots: small files, still legible

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => ({target: n.target.join(' '),
      html: n.html.slice(0, 160), summary: (n.failureSummary || '').slice(0, 300)}))}));
}"""

# Gathered over the session for the summary printed at the end.
REPORT: dict = {"weights": {}, "pages": set(), "audits": 0, "language_checks": 0,
                "seconds": {"axe": 0.0, "languages": 0.0}}


MODES = helpers.MODES


@pytest.fixture(params=MODES, ids=[m.id for m in MODES])
def mode(request) -> helpers.Mode:
    return request.param


# -- the server -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    database_url: str
    mail_dir: Path
    log: Path
    provider: object = None  # the OpenID provider the site signs people in through


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    from app.migrate import upgrade

    tmp = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{tmp / 'e2e.db'}"
    upgrade(database_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    from tests.app.identity.providers import MockProvider

    provider = MockProvider()  # a real OpenID provider in a process of its own
    env = {k: v for k, v in os.environ.items() if not k.startswith("HROMADA_")}
    env.update({
        "HROMADA_DATABASE_URL": database_url, "HROMADA_ENVIRONMENT": "test",
        "HROMADA_SECRET_KEY": "e2e-" + secrets.token_hex(16), "HROMADA_BASE_URL": url,
        "HROMADA_RATE_LIMITS_ENABLED": "false", "HROMADA_MAIL_BACKEND": "file",
        "HROMADA_STAFF_SECOND_FACTOR": "false",
        "HROMADA_OIDC_PROVIDERS": json.dumps([{
            "name": "diia", "label": "ID.GOV.UA", "issuer": provider.issuer,
            "client_id": "hromada-e2e", "client_secret": "e2e-secret", "identifies": True,
            "claims": {"tax_id": "drfocode"}}]),
        "HROMADA_MAIL_DIR": str(tmp / "outbox"), "HROMADA_WORKER_IN_PROCESS": "true",
        "HROMADA_WORKER_INTERVAL_SECONDS": "0.2",
        # Uploads on the disk of the test; no map tiles (the machine may be offline: the maps
        # show their markers on a blank ground, and the pages list every place anyway).
        "HROMADA_UPLOAD_DIR": str(tmp / "uploads"), "HROMADA_MAP_TILE_URL": "",
    })
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n"
                            f"{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /healthz in 30 s:\n"
                            f"{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Server(url, database_url, tmp / "outbox", log, provider)
    finally:
        provider.stop()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- seeding through the services, in this process, on the server's database ---------------------

@dataclass
class Account:
    id: int
    email: str
    name: str
    password: str = PASSWORD
    role: str = "resident"


COMMUNITY_NAMES = {
    "join": ("Світанківська", "Svitanky"), "petition": ("Калинівська", "Kalynivka"),
    "budget": ("Яблунівська", "Yablunivka"), "consult": ("Березівська", "Berezivka"),
    "monitor": ("Дубрівська", "Dubrivka"), "keys-sign": ("Липівська", "Lypivka"),
    "keys-vote": ("Соснівська", "Sosnivka"), "pages": ("Вишнева", "Vyshneve"),
    "region": ("Придніпровська", "Prydniprovska"),
    "consult-ec": ("Вербівська", "Verbivka"),
}


@dataclass
class SeedPlace:
    slug: str
    name: str
    name_en: str
    community_id: int
    council_id: int
    council: str
    council_en: str
    department_id: int


class Seeder:
    """Committed set-up with the kernel's factories (the same DATABASE_URL as the server)."""

    def __init__(self, allow: helpers.AllowList):
        self.allow = allow
        self.labels: dict[str, int] = {}
        self.people = 0

    @contextlib.contextmanager
    def session(self):
        from app.db import transaction

        with transaction() as db:
            yield db

    def community(self, label: str, rules: dict | None = None) -> SeedPlace:
        """A community with its council, a department and the factories' default rules (with
        `rules` merged in). Names are readable (they appear in the screenshots) and unique:
        a repeated label gets a number."""
        from app.communities import service as communities
        from app.communities.models import AuthorityKind
        from app.rules import service as rules_service
        from tests.factories import DEFAULT_RULES, merge

        uk, en = COMMUNITY_NAMES.get(label, (label, label))
        self.labels[label] = self.labels.get(label, 0) + 1
        number = f" {self.labels[label]}" if self.labels[label] > 1 else ""
        with self.session() as db:
            community = communities.create_community(
                db, slug=f"{label}-{secrets.token_hex(3)}", name=f"{uk} громада{number}",
                name_en=f"{en} community{number}", population=12_000)
            council = communities.add_authority(db, community, f"{uk} міська рада",
                                                name_en=f"{en} City Council")
            department = communities.add_authority(
                db, community, "Управління благоустрою", name_en="Public Works Department",
                kind=AuthorityKind.department)
            rules_service.change(db, community.id, merge(DEFAULT_RULES, rules), None,
                                 "initial rules")
            result = SeedPlace(community.slug, community.name, community.name_en, community.id,
                               council.id, council.name, council.name_en, department.id)
        self.allow.add(result.name, result.name_en, result.council, result.council_en,
                       "Управління благоустрою", "Public Works Department", "initial rules")
        return result

    @contextlib.contextmanager
    def place(self, place: SeedPlace):
        """A session and the kernel factories' Place of a seeded community, for module
        factories (a petition in a given state, say)."""
        from app.communities.models import Authority, Community
        from app.rules import service as rules
        from tests.factories import Place

        with self.session() as db:
            yield db, Place(db.get(Community, place.community_id),
                            db.get(Authority, place.council_id),
                            db.get(Authority, place.department_id),
                            rules.current(db, place.community_id))

    def update(self, model, row_id: int, **values) -> None:
        """Change a row as time would (a phase's dates): the server's clock is real."""
        with self.session() as db:
            row = db.get(model, row_id)
            for key, value in values.items():
                setattr(row, key, value)
            db.add(row)

    def person(self, kind: str = "resident", place: SeedPlace | None = None,
               name: str | None = None, authority_id: int | None = None) -> Account:
        from app.communities import service as communities
        from app.communities.models import Authority, Community, StaffRole
        from tests import factories

        self.people += 1
        name = name or f"Мешканка {self.people}"
        email = f"{kind}{self.people}-{secrets.token_hex(2)}@example.org"
        with self.session() as db:
            role = {"observer": factories.GlobalRole.observer,
                    "admin": factories.GlobalRole.admin}.get(kind, factories.GlobalRole.resident)
            user = factories.make_user(db, name=name, email=email, role=role)
            if place is not None:
                community = db.get(Community, place.community_id)
                if kind in ("resident", "official"):
                    communities.set_verified_resident(db, user, community)
                if kind == "official":
                    authority = db.get(Authority, authority_id or place.council_id)
                    communities.grant_staff(db, user, community, StaffRole.official, authority)
                elif kind == "moderator":
                    communities.grant_staff(db, user, community, StaffRole.moderator)
            account = Account(user.id, email, name, role=kind)
        self.allow.add(name, email)
        return account


@pytest.fixture(scope="session")
def allow() -> helpers.AllowList:
    found = helpers.AllowList()
    found.add("ID.GOV.UA")  # the name of the server's identity provider, as configured
    return found


@pytest.fixture(scope="session")
def seed(server, allow):
    """Point this process's settings and engine at the server's database (both are cached)."""
    from app.db import get_engine
    from app.main import load_models, register_modules
    from app.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("HROMADA_DATABASE_URL",)}
    os.environ["HROMADA_DATABASE_URL"] = server.database_url
    get_settings.cache_clear()
    get_engine.cache_clear()
    load_models()
    register_modules()
    yield Seeder(allow)
    get_engine().dispose()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    get_engine.cache_clear()


# -- the browser and the inspector ------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); "
                    "the browser tests need the operating system's Chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


class Inspector:
    """axe-core, the language comparison and the weight of every page people reach."""

    def __init__(self, browser, server: Server, allow: helpers.AllowList):
        self.server = server
        self.allow = allow
        self.axe = AXE.read_text(encoding="utf-8")
        self.audited: set[str] = set()
        self.compared: set[tuple[str, str]] = set()
        self.css: dict[str, int] = {}
        # JavaScript-off pages are audited as served, in a scripting context of their own
        # (axe needs scripts; the page's own scripts stay blocked, as they were for the person).
        self.static_context = browser.new_context(java_script_enabled=True)
        self.static_context.route("**/static/js/**", lambda route: route.abort())
        self.static_page = self.static_context.new_page()
        self.static_page.goto(f"{server.url}/healthz")

    def close(self) -> None:
        self.static_context.close()

    def inspect(self, person: Person) -> list[str]:
        page = person.page
        url = page.url
        html = page.content()
        REPORT["pages"].add(helpers.page_pattern(url))
        problems = []
        # One audit per skeleton and mode of scripting: the two languages of a page share
        # their structure (the lang attribute aside, which is audited on the first).
        key = hashlib.sha1((f"{person.js}" + helpers.skeleton(html)).encode()).hexdigest()
        if key not in self.audited:
            self.audited.add(key)
            REPORT["audits"] += 1
            started = time.perf_counter()
            violations = self._axe(person, html)
            REPORT["seconds"]["axe"] += time.perf_counter() - started
            for v in violations:
                nodes = "; ".join(f"{n['target']} {n['html']!r}" for n in v["nodes"])
                problems.append(f"axe {v['id']} ({v['impact']}) on {url} [{person.label}]: "
                                f"{v['help']}. Elements: {nodes}. {v['nodes'][0]['summary']}")
        compare_key = (person.role, helpers.page_pattern(url))
        if compare_key not in self.compared:
            self.compared.add(compare_key)
            started = time.perf_counter()
            problems += self._languages_and_weight(person, url)
            REPORT["seconds"]["languages"] += time.perf_counter() - started
        return problems

    def _axe(self, person: Person, html: str) -> list[dict]:
        page = person.page
        if not person.site.mode.js:
            page = self.static_page
            page.set_viewport_size(person.viewport)
            page.set_content(html, wait_until="load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe)
        return page.evaluate(RUN_AXE, helpers.AXE_TAGS)

    def _languages_and_weight(self, person: Person, url: str) -> list[str]:
        cookies = {c["name"]: c["value"] for c in person.context.cookies()
                   if c["name"] != "lang"}
        renderings = {}
        for lang in ("uk", "en"):
            status, body = helpers.fetch(helpers.with_lang(url, lang), cookies)
            if status == 405 or b"<html" not in body[:400]:
                return []  # the result of a form that re-rendered: no page of its own to fetch
            renderings[lang] = body
        REPORT["language_checks"] += 1
        problems = []
        glued = helpers.glued_attributes(renderings["uk"].decode())
        if glued:
            problems.append(f"malformed HTML on {helpers.page_pattern(url)} ({url}): "
                            f"attributes run together: {', '.join(glued)}")
        same = helpers.untranslated(renderings["uk"].decode(), renderings["en"].decode(),
                                    self.allow)
        if same:
            problems.append(f"untranslated on {helpers.page_pattern(url)} ({url}) "
                            f"[{person.label}]: the Ukrainian page shows the English " +
                            "; ".join(repr(s) for s in same))
        html = max(renderings.values(), key=len)
        weight = len(html)
        for href in helpers.stylesheets(html.decode()):
            if href not in self.css:
                _, css = helpers.fetch(self.server.url + href, {})
                self.css[href] = len(css)
            weight += self.css[href]
        pattern = helpers.page_pattern(url)
        if weight > REPORT["weights"].get(pattern, (0, ""))[0]:
            REPORT["weights"][pattern] = (weight, url)
        if weight > helpers.WEIGHT_LIMIT:
            problems.append(f"too heavy: {pattern} ({url}) weighs {weight} bytes of HTML and "
                            f"CSS, over {helpers.WEIGHT_LIMIT}")
        return problems


@pytest.fixture(scope="session")
def inspector(browser, server, allow):
    found = Inspector(browser, server, allow)
    yield found
    found.close()


# -- people ----------------------------------------------------------------------------------

def translate(lang: str, msgid: str, **params) -> str:
    from app.web.i18n import translations

    text = msgid if lang == "en" else translations(lang).gettext(msgid)
    return text % params if params else text


class Person:
    """Someone at a browser: finds things by their visible names, in the site's language."""

    def __init__(self, site: Site, label: str, account: Account | None = None,
                 role: str | None = None, locale: str | None = None):
        self.site = site
        self.label = label
        self.account = account
        self.role = role or (account.role if account else "visitor")
        self.js = site.mode.js
        self.viewport = DESKTOP if self.js else PHONE
        self.context = site.browser.new_context(
            java_script_enabled=self.js, viewport=self.viewport, base_url=site.server.url,
            locale=locale or ("uk-UA" if site.mode.lang == "uk" else "en-GB"))
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.responses = {"boosted": 0, "fragment": 0, "document": 0}
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: site.problems.append(
            f"script error on {self.page.url} [{label}]: {error}"))

    def _console(self, message) -> None:
        """Errors the browser reports: scripts, and content the security policy blocked.
        ("Failed to load resource" is the browser echoing an error status: those are checked
        where they happen.)"""
        if message.type == "error" and "Failed to load resource" not in message.text:
            where = message.location or {}
            source = f" (at {where.get('url')}:{where.get('lineNumber')})" if where.get(
                "url") else ""
            self.site.problems.append(f"browser console on {self.page.url} [{self.label}]"
                                      f"{source}: {message.text[:240]}")

    # -- language --
    def t(self, msgid: str, **params) -> str:
        return translate(self.site.mode.lang, msgid, **params)

    def choose_language(self) -> None:
        """Prefer the mode's language once, as a person would (the site remembers it)."""
        self.context.add_cookies([{"name": "lang", "value": self.site.mode.lang,
                                   "url": self.site.server.url}])

    # -- moving around --
    def open(self, path: str, status: int = 200, soft: bool = False) -> None:
        """Go to a page by its address. `soft`: a wrong status is recorded as a problem of
        the scenario (reported at its end) and the person carries on."""
        response = self.page.goto(path)
        code = response.status if response is not None else None
        self.responses["document"] += 1
        if code != status:
            message = self._explain(f"GET {path} answered {code}, expected {status}")
            if not soft:
                raise AssertionError(message)
            self.site.problems.append(message)
        if code is not None and code < 500:
            self.inspect()

    def link(self, name: str, exact: bool = True, within=None) -> None:
        scope = within or self.page
        self._act(scope.get_by_role("link", name=name, exact=exact).first.click)

    def press(self, name: str, *, fragment: str | None = None, status: int | None = None,
              within=None, exact: bool = True, soft: bool = False) -> int:
        """Press a button and wait for its answer. `soft`: an error answer is recorded as a
        problem of the scenario (reported at its end) and the person carries on."""
        scope = within or self.page
        return self._act(scope.get_by_role("button", name=name, exact=exact).first.click,
                         fragment=fragment, status=status, soft=soft)

    def field(self, label: str | re.Pattern, within=None):
        """The control labelled `label` (a required field's label ends with an asterisk)."""
        pattern = label if isinstance(label, re.Pattern) else re.compile(
            rf"^\s*{re.escape(label)}(\s*\*)?\s*$")
        return (within or self.page).get_by_label(pattern)

    def fill(self, label: str, value: str, within=None) -> None:
        self.field(label, within).fill(value)
        self.site.allow.add(value)

    def tick(self, label: str | re.Pattern, within=None, fragment: str | None = None) -> None:
        """Tick a box or a radio button. With scripts on, a box that updates part of the page
        through htmx (`fragment`: the target's id) is waited for."""
        control = self.field(label, within)
        if fragment and self.js:
            self._act(control.check, fragment=fragment)
        else:
            control.check()

    def download(self, name: str) -> tuple[str, bytes]:
        """Follow a link to a file; returns its suggested name and its content."""
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=name, exact=True).first.click()
        download = info.value
        path = download.path()
        return download.suggested_filename, Path(path).read_bytes()

    def select(self, label: str, option: str, within=None) -> None:
        self.field(label, within).select_option(label=option)

    def login(self, account: Account | None = None) -> None:
        account = account or self.account
        self.open("/login")
        self.fill(self.t("E-mail address"), account.email)
        self.fill(self.t("Password"), account.password)
        self.press(self.t("Log in"))

    def see(self, text: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.get_by_text(text, exact=False).first).to_be_visible()

    def text(self) -> str:
        return self.page.inner_text("main")

    def shot(self, name: str, *, english: bool = False, phone: bool = False) -> None:
        """A screenshot for docs/screenshots (and the README): in Ukrainian on a desktop with
        scripts on; `english` adds the English page, `phone` the page on a small phone
        without scripts."""
        lang = self.site.mode.lang
        if self.js and (lang == "uk" or english):
            path, size = SCREENSHOTS / f"{name}-{lang}.png", SHOT
        elif phone and not self.js and lang == "uk":
            path, size = SCREENSHOTS / f"{name}-phone-{lang}.png", PHONE
        else:
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(size)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(self.viewport)

    # -- machinery --
    def _act(self, action, *, fragment: str | None = None, status: int | None = None,
             soft: bool = False) -> int:
        page = self.page
        base = self.site.server.url
        if self.js:
            def final(response) -> bool:
                request = response.request
                if not response.url.startswith(base) or "/static/" in response.url:
                    return False
                if 300 <= response.status < 400:
                    return False
                if request.resource_type == "document":
                    return not fragment
                if request.resource_type not in ("xhr", "fetch"):
                    return False
                # Chromium reports no custom headers on the request that follows a redirect:
                # a boosted form's 303 leads to a request without HX-* headers.
                target = request.headers.get("hx-target")
                return target == fragment if fragment else not target

            with page.expect_response(final) as info:
                action()
            response = info.value
            if response.request.resource_type == "document":
                page.wait_for_load_state("load")
                self.responses["document"] += 1
            else:
                self.responses["fragment" if fragment else "boosted"] += 1
            page.wait_for_function("() => !document.querySelector("
                                   "'.htmx-request, .htmx-swapping, .htmx-settling')")
        else:
            with page.expect_navigation(wait_until="load") as info:
                action()
            response = info.value
            self.responses["document"] += 1
        code = response.status if response is not None else 200
        if soft and status is None and code >= 400:
            self.site.problems.append(self._explain(f"the action answered {code}"))
        elif status is None:
            assert code < 400, self._explain(f"the action answered {code}")
        else:
            assert code == status, self._explain(f"the action answered {code}, not {status}")
        if code < 500:  # a crash is reported as such, not as the crash page's accessibility
            self.inspect()
        return code

    def _explain(self, what: str) -> str:
        try:  # no waiting: an error page may have no <main>
            body = self.page.evaluate("() => (document.querySelector('main') || document.body"
                                      " || {innerText: ''}).innerText")[:600]
        except Exception:  # the page may be gone
            body = "?"
        return f"{self.label} at {self.page.url}: {what}. The page says: {body!r}" + (
            f"\nServer log:\n{self.site.server_errors()}" if re.search(r"answered 5\d\d", what)
            else "")

    def inspect(self) -> None:
        self.site.problems += self.site.inspector.inspect(self)


@dataclass
class Site:
    mode: helpers.Mode
    server: Server
    browser: object
    inspector: Inspector
    seed: Seeder
    allow: helpers.AllowList
    people: list[Person] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def person(self, label: str, account: Account | None = None, *, login: bool = True,
               role: str | None = None, locale: str | None = None) -> Person:
        """Someone with a browser of their own. With `locale`, the browser asks for that
        language and the person has not chosen one on the site yet; otherwise the person
        chose the mode's language earlier (the site remembers it in a cookie)."""
        someone = Person(self, label, account, role, locale)
        self.people.append(someone)
        if locale is None:
            someone.choose_language()
        if account is not None and login:
            someone.login()
        return someone

    def t(self, msgid: str, **params) -> str:
        return translate(self.mode.lang, msgid, **params)

    def server_errors(self) -> str:
        """The last lines of the server's log that belong to our own code."""
        lines = self.server.log.read_text(errors="replace").splitlines()
        mine = [line for line in lines[-200:] if "site-packages" not in line]
        return "\n".join(mine[-25:])

    def mail_link(self, address: str) -> str:
        return helpers.verification_link(self.server.mail_dir, address)

    def assert_clean(self) -> None:
        problems, self.problems = list(dict.fromkeys(self.problems)), []
        if self.mode.js:
            used = sum(p.responses["boosted"] + p.responses["fragment"] for p in self.people)
            if self.people and not used:
                problems.append("with JavaScript on, no request went through htmx")
        assert not problems, f"{len(problems)} problem(s) in mode {self.mode.id}:\n" + \
            "\n".join(f"- {p}" for p in problems)


@pytest.fixture
def site(mode, server, browser, inspector, seed, allow):
    found = Site(mode, server, browser, inspector, seed, allow)
    yield found
    for person in found.people:
        with contextlib.suppress(Exception):
            person.context.close()


def pytest_terminal_summary(terminalreporter):
    weights = REPORT["weights"]
    if not weights:
        return
    pattern, (size, url) = max(weights.items(), key=lambda item: item[1][0])
    write = terminalreporter.write_line
    write("")
    write(f"e2e: {len(REPORT['pages'])} kinds of page, {REPORT['audits']} axe audits, "
          f"{REPORT['language_checks']} uk/en comparisons; "
          f"{REPORT['seconds']['axe']:.1f} s in axe, "
          f"{REPORT['seconds']['languages']:.1f} s comparing languages")
    write(f"e2e: heaviest page {pattern} = {size} bytes of HTML+CSS (limit "
          f"{helpers.WEIGHT_LIMIT}), at {url}")
    for pattern, (size, _url) in sorted(weights.items(), key=lambda i: -i[1][0])[:5]:
        write(f"e2e:   {size:>6}  {pattern}")
