"""The kernel knows no module: it reads the registry (app.modules), and only the composition
root (app/main.py) names the modules.

A fourth module defined in the tests (tests/allotments) is registered into an app built for
the test: it gets its rules on /rules, its obligations on the tracker and its figures on the
dashboard, with no line of app/ written for it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from app import modules as registry
from app.accountability import service as accountability
from app.rules import service as rules
from app.rules.models import RuleSetRow
from app.rules.schema import ModuleRules, rule_set_model
from app.rules.views import _flatten, editable
from app.settings import ROOT
from tests.allotments.module import MODULE as ALLOTMENTS
from tests.factories import DEFAULT_RULES, make_admin, make_community

# -- no module named in the kernel ------------------------------------------------------------

MODULE_WORDS = re.compile(r"petition|budget|consultation", re.IGNORECASE)
COMPOSITION_ROOT = ROOT / "app" / "main.py"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                found.add(id(first.value))
    return found


def words_in(source: str) -> Iterator[tuple[int, str]]:
    """(line, word) of every identifier, imported name and code-like string of a file.

    Comments and docstrings are prose; so is a string with a space in it (a message, a msgid).
    A string without one is a code: a kind, a tool, a path, a key.
    """
    tree = ast.parse(source)
    prose = _docstrings(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name
        elif isinstance(node, ast.arg | ast.keyword) and node.arg:
            yield line, node.arg
        elif isinstance(node, ast.alias):
            yield line, f"{node.name} {node.asname or ''}"
        elif isinstance(node, ast.ImportFrom):
            yield line, node.module or ""
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in prose and not any(c.isspace() for c in node.value)):
            yield line, node.value


def test_the_words_a_module_name_hides_in_are_found():
    source = '''
"""A docstring may say petition."""
import petitions.module  # a comment may say budget
from budget import service as cycles
x = rules.consultations
y = {"kind": "petition_answer", "path": f"/budget/{id}"}
z = N_("Every petition is answered.")
def sign_petition(petition_id): ...
'''
    found = {word for _, word in words_in(source) if MODULE_WORDS.search(word)}
    assert found == {"petitions.module ", "budget", "consultations", "petition_answer",
                     "/budget/", "sign_petition", "petition_id"}


def test_the_kernel_names_no_module():
    """No identifier, import, kind, tool or path of app/ names a module, outside app/main.py
    (translations, comments and docstrings are prose and may)."""
    named = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        if path == COMPOSITION_ROOT:
            continue
        for line, word in words_in(path.read_text(encoding="utf-8")):
            if MODULE_WORDS.search(word):
                named.append(f"{path.relative_to(ROOT)}:{line}: {word.strip()}")
    assert not named, "the kernel names a module:\n" + "\n".join(named)


def test_the_composition_root_is_where_the_modules_are_named():
    text = COMPOSITION_ROOT.read_text(encoding="utf-8")
    for name in ("petitions", "budget", "consultations"):
        assert f"from {name}.module import MODULE" in text


# -- what every module declares ---------------------------------------------------------------

def test_every_module_declares_what_the_kernel_shows_of_it(app):
    modules = registry.registered()
    assert [m.name for m in modules] == [m.name for m in app.state.modules]
    for module in modules:
        assert module.label, module.name
        assert issubclass(module.rules, ModuleRules), module.name
        assert module.obligation_kinds, module.name
        assert {kind.tool for kind in module.obligation_kinds} == {module.name}
        assert module.scale is not None and module.scale.kinds, module.name
        assert {s.kind for s in module.scale.kinds} <= set(module.obligation_kinds)
        for mix in module.scale.kinds:  # each scale kind's deadline is a period of the rules
            assert mix.deadline in module.rules.model_fields, (module.name, mix.deadline)
        assert set(module.demo_rules) <= {"lviv", "slavske", "bila-tserkva"}
        for section in (*module.demo_rules.values(), *module.scale.rules):
            module.rules.model_validate(section)
    # The rule set has a section per module, in the order of the registry, then the kernel's
    # own (deliberation: who may comment, reports, fraud views).
    assert list(rule_set_model().model_fields) == [m.name for m in modules] + ["deliberation"]
    # The ledger knows exactly the registered kinds (their order is the order in which this
    # process first registered them: a test that registered other modules may have changed it).
    assert set(accountability.KINDS) == {k.code for m in modules for k in m.obligation_kinds}


def test_a_module_cannot_count_its_obligations_under_another_tool():
    from dataclasses import replace

    wrong = replace(ALLOTMENTS, obligation_kinds=[
        accountability.ObligationKind("allotment_answer", "Answer", "elsewhere")])
    with pytest.raises(ValueError, match="names the tool"):
        registry.register([wrong])
    with pytest.raises(ValueError, match="registered twice"):
        registry.register([ALLOTMENTS, ALLOTMENTS])


# -- a fourth module --------------------------------------------------------------------------

@pytest.fixture
def fourth(app, client):
    """A browser on an app built with the application's modules and the allotments module.

    Built afterwards, so that the shared app stays as it was; the registry is the
    application's again after the test."""
    from app.main import create_app, modules, register_modules
    from tests.browser import Browser

    built = create_app(check_migrations=False, modules=[*modules(), ALLOTMENTS])
    built.dependency_overrides.update(app.dependency_overrides)  # the test's transaction
    try:
        with Browser(built, client.db) as browser:
            yield browser
    finally:
        register_modules()


def test_a_fourth_module_is_registered_without_touching_the_kernel(fourth, app):
    assert [m.name for m in fourth.app.state.modules] == [
        *(m.name for m in app.state.modules), "allotments"]
    assert registry.registered()[-1] is ALLOTMENTS
    assert accountability.KINDS["allotment_answer"].tool == "allotments"
    assert "allotments" in rule_set_model().model_fields


def test_the_registry_is_the_applications_again_after_the_test(app):
    assert [m.name for m in registry.registered()] == [m.name for m in app.state.modules]
    assert "allotment_answer" not in accountability.KINDS
    assert "allotments" not in rule_set_model().model_fields


def test_a_fourth_module_gets_its_rules_on_the_rules_pages(fourth, db):
    place = make_community(db, population=20_000)
    slug = place.community.slug
    assert place.rules.rules.allotments.threshold == 12  # its defaults

    page = fourth.get(f"/communities/{slug}/rules?lang=en").text
    assert re.search(r"Neighbours needed to ask for a plot</th><td>\s*12\s*</td>", page)
    assert re.search(r"Days to answer an allotment request</th><td>\s*7\s*</td>", page)
    assert "Days to collect signatures" in page  # beside the other modules' rules
    compared = fourth.get("/rules?lang=en").text
    assert '<th scope="col" class="num">Neighbours needed for a plot</th>' in compared
    assert "<th scope=\"col\">Allotment answer due</th>" in compared
    assert re.search(r'<td class="num">12</td>\s*<td>7 working days</td>\s*'
                     r'<td class="num">1</td>\s*</tr>', compared)

    # An administrator changes it through the same form, validated by its schema.
    fourth.login(make_admin(db))
    form = fourth.get(f"/communities/{slug}/rules/edit?lang=en").text
    assert 'name="allotments.threshold" type="text" value="12"' in form
    assert '<select id="f-allotments.answer_deadline.unit"' in form
    flat = _flatten(rules.current(db, place.community.id).rules.model_dump(mode="json"))
    values = {name: "" if flat[name] is None else str(flat[name]) for name, _, _ in editable()}
    refused = fourth.submit(f"/communities/{slug}/rules/edit", {
        **values, "allotments.threshold": "0", "reason": "Нове положення про ділянки"})
    assert refused.status_code == 422
    assert 'id="e-allotments.threshold"' in refused.text
    changed = fourth.submit(f"/communities/{slug}/rules/edit", {
        **values, "allotments.threshold": "30", "reason": "Нове положення про ділянки"})
    assert changed.status_code == 303
    db.info.clear()
    current = rules.current(db, place.community.id)
    assert current.version == 2 and current.rules.allotments.threshold == 30
    assert current.rules.petitions.threshold == DEFAULT_RULES["petitions"]["threshold"]


def test_rule_sets_stored_before_a_module_was_registered_read_its_defaults(fourth, db, clock):
    place = make_community(db)
    db.add(RuleSetRow(community_id=place.community.id, version=2, effective_from=clock(),
                      reason="Written before the allotments module", data=DEFAULT_RULES))
    db.flush()
    db.info.clear()
    current = rules.current(db, place.community.id)
    assert current.version == 2
    assert current.rules.allotments.threshold == 12
    assert current.rules.allotments.answer_deadline.days == 7


def test_a_fourth_module_gets_its_obligations_on_the_tracker_and_figures_on_the_dashboard(
        fourth, db, clock):
    place = make_community(db)
    period = place.rules.rules.allotments.answer_deadline
    for n in (1, 2):
        accountability.open_obligation(
            db, kind="allotment_answer", community_id=place.community.id,
            authority_id=place.council.id, subject_type="allotment_request", subject_id=n,
            subject_title=f"Ділянка №{n}", subject_path=f"/allotments/{n}", period=period,
            ruleset_id=place.rules.id)
    accountability.answer(db, "allotment_answer", "allotment_request", 1, "Ділянку надано")
    clock.advance(days=30)

    tracker = fourth.get("/obligations?lang=en&kind=allotment_answer").text
    assert "Ділянка №1" in tracker and "Ділянка №2" in tracker
    assert "<td>Answer to an allotment request</td>" in tracker
    assert '<option value="allotment_answer" selected>' in tracker

    board = fourth.get("/dashboard?lang=en").text
    assert re.search(r'<th scope="row">Allotments</th>', board)
    assert '<option value="allotments"' in board
    assert fourth.get("/dashboard?tool=allotments").status_code == 200
    figures = fourth.get("/api/v1/dashboard?tool=allotments").json()
    assert list(figures["by_tool"]) == ["allotments"]
    by_kind = figures["by_kind"]["allotment_answer"]
    assert (by_kind["opened"], by_kind["answered_on_time"], by_kind["overdue"]) == (2, 1, 1)
    assert figures["overall"]["response_rate"] == 0.5
    rows = fourth.get("/api/v1/open-data/obligations.json?tool=allotments").json()
    assert [row["tool"] for row in rows["obligations"]] == ["allotments", "allotments"]

    dictionary = fourth.get("/open-data/dictionary?lang=en").text
    assert "consultation_report or allotment_answer." in dictionary
    assert "consultations or allotments." in dictionary
    assert "<code>allotment_answer</code>" in dictionary


def test_a_fourth_module_has_its_part_of_the_synthetic_region(fourth, db):
    from sqlmodel import func, select

    from app.accountability.models import Obligation
    from app.accountability.seed_scale import seed_region

    seed_region(db, communities=2, per_community=60, months=3, seed=3, prefix="fourth")
    kinds = dict(db.exec(select(Obligation.kind, func.count()).group_by(Obligation.kind)).all())
    assert kinds.get("allotment_answer", 0) > 0
    assert set(kinds) == set(accountability.KINDS)
    versions = db.exec(select(RuleSetRow.data).where(
        RuleSetRow.reason == "Синтетичний регіон для вимірювань")).all()
    assert {data["allotments"]["threshold"] for data in versions} == {12, 20}


def test_the_rule_set_is_a_pydantic_model_of_the_registered_schemas():
    model = rule_set_model()
    assert issubclass(model, BaseModel)
    assert model is rule_set_model()  # built once per set of modules
    rule_set = model.model_validate(DEFAULT_RULES)
    for name, section in rule_set.sections():
        assert section is getattr(rule_set, name)
    key = rule_set.key_rules(10_000)  # the first module that gives key rules gives them
    assert (key.threshold, key.per_1000, key.answer_deadline.days) == (3, 0.3, 10)


def test_the_documentation_describes_every_declaration_of_a_module():
    """Module's docstring and docs/architecture.md name everything a module declares."""
    from dataclasses import fields

    from app.modules import Module

    guide = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for declared in fields(Module):
        assert re.search(rf"^    {declared.name}:", Module.__doc__, re.M), declared.name
        assert re.search(rf"\b{declared.name}\b", guide), declared.name
