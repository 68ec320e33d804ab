"""The API contract, checked: schemathesis over /openapi.json against the ASGI app.

Shared by tests/safety/test_fuzz_api.py (a bounded run inside `make test`, once per role) and
bench/fuzz_api.py (a long run). It runs schemathesis's engine as `st run` does: the examples,
coverage, fuzzing and stateful phases (the last follows the links schemathesis infers between
operations: a created item read back, a deleted one gone), valid (positive) and invalid
(negative) requests, and every check schemathesis has:

    not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance, positive_data_acceptance,
    negative_data_rejection, missing_required_header, unsupported_method,
    allow_header_conformance, ignored_auth, use_after_free, ensure_resource_availability,
    object_level_authorization

and one of ours (`schema_valid_parameters_accepted`, below). A failure of any is a failure of
the run; an empty report is a pass.

One check runs with a wider expectation than schemathesis's default, and why:
positive_data_acceptance also accepts 422 for a valid request. The schema states every rule of
a single value that holds everywhere (types, enumerations, lengths, ranges, patterns); what it
cannot state in JSON Schema the services check and refuse with 422, naming the body field at
fault: the rules of the community's rule set (a petition's title length, a voter's age), an
order across fields (a cycle's dates), facts held by the server (a project of this cycle, a
section of this consultation, a date not in the past), a text holding a NUL character (which
no column can store). A parameter of the query, the path or a
header has no such rule here: `schema_valid_parameters_accepted` fails any valid request
refused for one of them, or refused with 400, so an enumeration the schema leaves a free string
is still caught.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis

AREAS = ("kernel", "petitions", "budget", "consultations")
# The roles whose tokens the contract is checked with (tests/safety/conftest.py build_world).
ROLES = ("resident", "official", "moderator", "admin")


def area_of(path: str) -> str:
    rest = path.removeprefix("/api/v1/")
    for name in AREAS[1:]:
        if rest.startswith(name) or rest.startswith(name.rstrip("s")):
            return name
    return "kernel"


@dataclass
class Report:
    operations: int = 0
    calls: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    # Errors of the run itself (not of the API): a check that could not run, a bad schema.
    errors: list[str] = field(default_factory=list)
    # How many responses each check judged.
    checks: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, problem: str) -> None:
        problems = self.failures.setdefault(label, [])
        if len(problems) < 3 and problem not in problems:
            problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors


# -- our check ---------------------------------------------------------------------------

@schemathesis.check
def schema_valid_parameters_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """A valid request is never refused with 400, nor with 422 for a parameter of its query,
    path or headers, nor with 422 naming no field (see the module's docstring)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        fields = list((response.json() or {}).get("fields", {}))
    except ValueError:
        fields = []
    parameters = {p.name for p in case.operation.iter_parameters()
                  if str(p.location.value) in ("query", "path", "header")}
    at_fault = [name for name in fields if name in parameters or name == "request"]
    if response.status_code == 400 or at_fault or not fields:
        raise AssertionError(
            f"Schema-valid request refused with {response.status_code}, at fault: "
            f"{', '.join(at_fault or fields) or 'the request'}. A rule of a single parameter "
            f"belongs in the schema (an enum, a pattern, a range).")
    return None


# -- a run -------------------------------------------------------------------------------

PHASES = ("examples", "coverage", "fuzzing", "stateful")


def config(*, headers: dict[str, str] | None, max_examples: int, seed: int | None,
           phases: tuple[str, ...], uncovered: list[str] = ()) -> Any:
    """The run's configuration; `uncovered` names operations left out of the coverage phase
    (another run covers them)."""
    from schemathesis.config import SchemathesisConfig

    settings: dict[str, Any] = {
        "generation": {"mode": "all", "max-examples": max_examples},
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        # Every check (schemathesis's and ours); only the expectation below is widened.
        "checks": {
            "enabled": True,
            "positive_data_acceptance": {"expected-statuses": [
                "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]},
        },
        # Hypothesis's health checks judge the generator (slow or filtered data), not the API.
        "suppress-health-check": ["all"],
        "workers": 1,
    }
    if uncovered:
        settings["operations"] = [{"include-name": list(uncovered),
                                   "phases": {"coverage": {"enabled": False}}}]
    if headers:
        settings["headers"] = headers
    if seed is not None:
        settings["seed"] = seed
        settings["generation"]["deterministic"] = True
    return SchemathesisConfig.from_dict(settings)


def load_schema(app, **kwargs):
    return schemathesis.openapi.from_asgi("/openapi.json", app, **kwargs)


def fuzz(app, *, headers: dict[str, str] | None = None, max_examples: int = 10,
         select: Callable[[str], bool] = lambda path: True, seed: int | None = 0,
         phases: tuple[str, ...] = PHASES,
         share: tuple[int, int] = (0, 1)) -> Report:
    """Run every selected operation through the phases with every check; return what failed.

    The coverage phase runs for a share of the operations: with `share` (i, n), for every
    n-th operation from the i-th (in the order of their labels); n runs of i = 0 to n - 1
    cover each operation once."""
    from schemathesis.engine import events, from_schema

    labels = sorted(result.ok().label for result in load_schema(app).get_all_operations())
    index, runs = share
    covered = set(labels[index::runs])
    schema = load_schema(app, config=config(
        headers=headers, max_examples=max_examples, seed=seed, phases=phases,
        uncovered=[label for label in labels if label not in covered]))
    schema = schema.include(func=lambda ctx: select(ctx.operation.path))
    report = Report()
    started = time.perf_counter()
    ran: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            ran.add(recorder.label)
            report.calls += len(recorder.interactions)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    report.checks[check.name] += 1
                    if check.failure_info is not None:
                        node = recorder.cases.get(case_id)
                        report.add(recorder.label, _summary(check.name,
                                                            check.failure_info.failure,
                                                            node.value if node else None))
        elif isinstance(event, events.NonFatalError):
            report.add(event.label, f"error: {_one_line(event.info.title)}: "
                                    f"{_one_line(str(event.value))}")
        elif isinstance(event, events.FatalError):
            report.errors.append(_one_line(repr(event.exception)))
    report.operations = len(ran)
    report.seconds = time.perf_counter() - started
    return report


def _one_line(text: str, limit: int = 600) -> str:
    return " ".join(str(text).split())[:limit]


def _summary(check: str, failure: Any, case: Any) -> str:
    request = ""
    if case is not None:
        body = getattr(case, "body", None)
        body = "" if type(body).__name__ == "NotSet" else f" body={_one_line(repr(body), 200)}"
        query = f" query={_one_line(repr(case.query), 200)}" if case.query else ""
        request = f" <- {case.method} {case.formatted_path}{query}{body}"
    title = getattr(failure, "title", type(failure).__name__)
    return f"[{check}] {title}: {_one_line(getattr(failure, 'message', ''), 400)}{request}"


def describe(report: Report) -> str:
    lines = [f"{report.operations} operations, {report.calls} requests, "
             f"{report.seconds:.0f} s; checks: "
             + ", ".join(f"{name} {count}" for name, count in sorted(report.checks.items()))]
    lines.extend(f"! {error}" for error in report.errors)
    for label, problems in sorted(report.failures.items()):
        lines.append(f"- {label}")
        lines.extend(f"    {p}" for p in problems)
    return "\n".join(lines)
