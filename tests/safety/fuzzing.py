"""Hostile input for the JSON API: schemathesis over /openapi.json against the ASGI app.

Shared by tests/safety/test_fuzz_api.py (a bounded run inside `make test`) and
bench/fuzz_api.py (a long run). Every operation gets valid (positive) and invalid (negative)
generated requests; a response must never be a 5xx, and every response the schema documents
must match it (status, content type, body).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import hypothesis
from hypothesis import HealthCheck, Phase

AREAS = ("kernel", "petitions", "budget", "consultations")


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
    seconds: dict[str, float] = field(default_factory=dict)
    # Operation and mode pairs nothing could be generated for (e.g. invalid input for an
    # operation without parameters).
    unsatisfiable: list[str] = field(default_factory=list)

    def add(self, label: str, problem: str) -> None:
        problems = self.failures.setdefault(label, [])
        if len(problems) < 3 and problem not in problems:
            problems.append(problem)


def load_schema(app):
    import schemathesis

    return schemathesis.openapi.from_asgi("/openapi.json", app)


def fuzz(app, *, max_examples: int = 25, headers: dict[str, str] | None = None,
         select: Callable[[str], bool] = lambda path: True, shrink: bool = False,
         seed: int | None = 0, after_each: Callable[[], None] | None = None,
         strict_status: bool = False) -> Report:
    """Run every selected operation; return what failed (an empty report is a pass)."""
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = load_schema(app)
    report = Report()
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    settings = hypothesis.settings(max_examples=max_examples, deadline=None, database=None,
                                   derandomize=seed is not None, phases=phases,
                                   suppress_health_check=list(HealthCheck), print_blob=False,
                                   verbosity=hypothesis.Verbosity.quiet)
    # Undocumented statuses (401, 403, 404, 409, 429 are not declared by the routes yet) are
    # reported only with strict_status; bodies of documented ones are always checked.
    positive = [not_a_server_error, response_schema_conformance, content_type_conformance]
    if strict_status:
        positive.append(status_code_conformance)
    modes = {GenerationMode.POSITIVE: positive,
             GenerationMode.NEGATIVE: [not_a_server_error, response_schema_conformance]}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not select(operation.path):
            continue
        report.operations += 1
        for mode, checks in modes.items():
            label = f"{operation.label} [{mode.value}]"
            run = _runner(operation, mode, checks, report, headers, after_each, settings)
            started = time.perf_counter()
            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                report.unsatisfiable.append(label)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # schemathesis raises exception groups
                report.add(label, _summary(exc))
            finally:
                report.seconds[label] = time.perf_counter() - started
    return report


def _runner(operation, mode, checks, report: Report, headers, after_each, settings):
    """One hypothesis test of one operation in one generation mode."""

    @settings
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        report.calls += 1
        try:
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks)
        finally:
            if after_each is not None:
                after_each()

    return run


def _summary(exc: BaseException) -> str:
    """The failure's own words: schemathesis puts the details in its message."""
    text = str(exc)
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        text = "; ".join(str(e) for e in exc.exceptions[:3]) + f" ({exc})"
    return f"{type(exc).__name__}: {' '.join(text.split())}"[:1500]


def describe(report: Report) -> str:
    lines = [f"{report.operations} operations, {report.calls} requests"
             + (f" (nothing to generate for {len(report.unsatisfiable)} operation modes)"
                if report.unsatisfiable else "")]
    for label, problems in sorted(report.failures.items()):
        lines.append(f"- {label}")
        lines.extend(f"    {p}" for p in problems)
    return "\n".join(lines)
