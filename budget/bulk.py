"""Bulk updates of implementation: an official uploads a CSV of progress for many winning
projects of a cycle at once. Every row is checked first; if any is refused, nothing is applied
and the report names each refused row and why; otherwise every row is applied as one
progress update (audited, followers told), in the request's one transaction.

The file: UTF-8 (a BOM is fine), commas or semicolons, the header
`project_id,status,percent,text,date`; `status` one of planned, in_progress, delayed,
delivered, cancelled; `percent` 0 to 100; `date` YYYY-MM-DD or DD.MM.YYYY, empty for today.
A project may appear once per file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import ValidationError
from sqlmodel import Session

from app import clock
from app.exceptions import InvalidInput
from app.identity.models import User
from app.web.forms import translate_validation_errors
from app.web.i18n import N_, gettext
from budget import implementation, permissions
from budget import repository as repo
from budget.models import BudgetCycle, ProgressCreate, ProjectStatus

HEADER = ["project_id", "status", "percent", "text", "date"]
MAX_ROWS = 2000  # a cycle has tens of winners; a file of thousands of rows is a mistake


@dataclass
class Row:
    line: int
    project_id: int | None
    title: str = ""
    status: str = ""
    percent: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: list[Row]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    @property
    def applied(self) -> list[Row]:
        return [] if self.refused else self.rows


class Refused(InvalidInput):
    """The file was refused whole; `report` says which rows and why."""

    def __init__(self, message: str, report: Report | None = None, **kw):
        fields: dict = {"file": message}
        for row in report.refused if report else []:  # each refused row, for the API's body
            fields[f"line {row.line}"] = ("{problems}", {"problems": "; ".join(row.problems)})
        super().__init__(message, fields=fields, **kw)
        self.report = report


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _rows(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(N_("The file is not UTF-8 text: save it as CSV UTF-8 and upload it "
                         "again.")) from None
    if "\x00" in text:
        raise Refused(N_("The file is not UTF-8 text: save it as CSV UTF-8 and upload it "
                         "again."))
    first = text.split("\n", 1)[0]
    dialect = "excel" if first.count(",") >= first.count(";") else _Semicolon
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [(n, row) for n, row in enumerate(reader, 1) if any(c.strip() for c in row)]
    if not rows or [c.strip().lower() for c in rows[0][1]] != HEADER:
        raise Refused(N_("The first line must be the header: {header}."),
                      header=",".join(HEADER))
    if len(rows) - 1 > MAX_ROWS:
        raise Refused(N_("The file has more than {limit} rows."), limit=MAX_ROWS)
    if len(rows) == 1:
        raise Refused(N_("The file has no rows after its header."))
    return rows[1:]


class _Semicolon(csv.excel):
    delimiter = ";"


def check_upload(session: Session, user: User | None, cycle: BudgetCycle) -> None:
    """Who may upload: the community's officials (as for one progress update)."""
    from app.communities import permissions as p

    p.logged_in(user)
    if not permissions.is_official(session, user, cycle):
        from app.exceptions import Forbidden

        raise Forbidden(N_("Only the community's officials report on implementation."))


def apply_csv(session: Session, official: User, cycle: BudgetCycle, data: bytes) -> Report:
    """Check every row, then apply all of them or none (Refused with the report)."""
    check_upload(session, official, cycle)
    parsed: list[tuple[Row, object, ProgressCreate | None]] = []
    seen: set[int] = set()
    for line, cells in _rows(data):
        row = Row(line, None)
        if len(cells) != len(HEADER):
            row.problems.append(gettext("This row has {n} cells, not {m}.").format(
                n=len(cells), m=len(HEADER)))
            parsed.append((row, None, None))
            continue
        raw_id, status, percent, text, day = (c.strip() for c in cells)
        project = None
        if not raw_id.isdigit() or len(raw_id) > 9:
            row.problems.append(gettext("Unknown project."))
        else:
            row.project_id = int(raw_id)
            project = repo.project(session, row.project_id)
            if project is None or project.cycle_id != cycle.id:
                row.problems.append(gettext("Unknown project."))
                project = None
            elif project.status != ProjectStatus.selected:
                row.problems.append(gettext("Only projects selected for funding are "
                                            "implemented."))
            elif project.id in seen:
                row.problems.append(gettext("This project is in the file twice."))
            else:
                seen.add(project.id)
                row.title = project.title
        progress = None
        try:
            happened = _day(day)
        except ValueError:
            row.problems.append(gettext("Enter a date (YYYY-MM-DD)."))
            happened = None
        if happened is not None and happened > clock.today():
            row.problems.append(gettext("The date cannot be in the future."))
        try:
            progress = ProgressCreate.model_validate(
                {"status": status, "percent": percent or "0", "text": text,
                 "happened_on": happened}, context={"form": True})
            row.status, row.percent = str(progress.status), progress.percent
        except ValidationError as exc:
            row.problems += [f"{name}: {message}" for name, message in
                             translate_validation_errors(exc.errors()).items()]
        parsed.append((row, project, progress))
    report = Report([r for r, _, _ in parsed])
    if report.refused:
        raise Refused(N_("Nothing was applied: {n} of {total} rows are refused. Correct them "
                         "and upload the whole file again."), report,
                      n=len(report.refused), total=len(report.rows))
    for row, project, progress in parsed:
        try:
            implementation.post_progress(session, official, cycle, project, progress)
        except InvalidInput as exc:  # a future date: checked by the same rule as one update
            row.problems.append(exc.text())
    if report.refused:
        raise Refused(N_("Nothing was applied: {n} of {total} rows are refused. Correct them "
                         "and upload the whole file again."), report,
                      n=len(report.refused), total=len(report.rows))
    return report
