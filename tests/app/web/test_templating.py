"""Templates are compiled at start-up, so no request compiles one (and no burst of requests
compiles the same one in every thread)."""

import jinja2

from app.web import templating


def test_every_template_is_compiled_at_start_up(monkeypatch):
    env = templating.environment()
    names = [n for n in env.list_templates() if n.endswith((".html", ".xml", ".txt", ".svg"))]
    assert "petitions/detail.html" in names and "base.html" in names
    assert templating.compile_templates() == len(names)
    compiled: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    for name in names:
        env.get_template(name)
    assert compiled == []  # every one came from the cache


def test_the_site_navigation_and_footer_are_rendered_once_per_language(client, app, monkeypatch):
    from jinja2 import Template

    renders: list[str] = []
    original = Template.render

    def counting(self, *args, **kwargs):
        renders.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Template, "render", counting)
    monkeypatch.setattr(app.state, "site_parts", {}, raising=False)
    pages = {lang: [client.get(path, headers={"Cookie": f"lang={lang}"}).text
                    for path in ("/", "/rules", "/")] for lang in ("uk", "en")}
    assert sorted(n for n in renders if n.startswith("_site_")) == [
        "_site_footer.html", "_site_footer.html", "_site_nav.html", "_site_nav.html"]
    for body in pages["uk"] + pages["en"]:
        assert 'href="/dashboard"' in body and 'href="/open-data"' in body
    assert "Моніторинг" in pages["uk"][0] and "Monitoring" not in pages["uk"][0]
    assert "Monitoring" in pages["en"][1]


def test_templates_translate_as_jinja_newstyle_gettext_does():
    """`_` in templates is the project's own (one call, constant messages kept): it gives
    what jinja's newstyle `gettext` gives, escaping and "%%" included, in both languages,
    in templates that escape and in those that do not (the e-mails)."""
    from app.web.i18n import current_language

    env = templating.environment()
    calls = ['"Sign the petition"', '"Days left: %(n)s", n="<b>7</b>"', '"100%% of %(n)s", n=3',
             '"Log in to sign"', '"Fully (100%%)"']
    for lang in ("uk", "en"):
        token = current_language.set(lang)
        try:
            for autoescape in (True, False):
                for call in calls:
                    ours = env.from_string(
                        f"{{% autoescape {str(autoescape).lower()} %}}{{{{ _({call}) }}}}"
                        "{% endautoescape %}").render()
                    theirs = env.from_string(
                        f"{{% autoescape {str(autoescape).lower()} %}}{{{{ gettext({call}) }}}}"
                        "{% endautoescape %}").render()
                    assert ours == theirs, (lang, autoescape, call)
            assert "&lt;b&gt;" in env.from_string(
                '{% autoescape true %}{{ _("Days left: %(n)s", n="<b>") }}{% endautoescape %}'
            ).render()
        finally:
            current_language.reset(token)
    token = current_language.set("uk")
    try:
        uk = env.from_string('{% autoescape true %}{{ _("Sign the petition") }}'
                             '{% endautoescape %}').render()
    finally:
        current_language.reset(token)
    assert uk != "Sign the petition"  # translated (and not the English kept from before)
