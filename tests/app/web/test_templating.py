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
