"""Reading and writing the Pabulib ``.pb`` format of participatory-budget elections.

A Pabulib file (https://pabulib.org/format) is a UTF-8 text file with three sections, always
in this order::

    META                      PROJECTS                      VOTES
    key;value                 project_id;cost;votes;...     voter_id;vote;points;...
    budget;100000             3;7200;43;...                 v1;3,9,2;3,2,1
    vote_type;approval        ...                           ...

Each section starts with a line holding only its name, then a header line naming the
columns, then one ``;``-separated CSV row per entry (fields may be quoted with ``"``, a quote
inside a quoted field is doubled). In VOTES, ``vote`` lists the chosen project ids separated
by commas (in order of preference for ordinal ballots) and the optional ``points`` lists the
points given to each of them. In PROJECTS, the optional ``selected`` column records the
official result: ``1`` for a funded project, ``0`` for one that was not; a few files use
``2`` for a project funded outside the voting rule (from another pot of money), which this
parser keeps as it is.

:func:`parse` (and :func:`load` for a path) returns an :class:`Instance` made of plain frozen
dataclasses; :func:`dump` writes one back, so that ``parse(dump(x)) == x``. Every defect of
a file raises :class:`PabulibError` naming the 1-based line where it was found and what is
wrong with it, so that a person can open the file and fix it.

Real files are read as they are. A defect that leaves the file's meaning clear is not an
error but a :class:`PabulibWarning` (with its line) in :attr:`Instance.warnings`: a voter's
line that lists a project twice (it happens in files published by cities) counts the project
once, at its first place and with its first points.

Conventions: fields are stripped of surrounding whitespace; money and points are kept as
:class:`~decimal.Decimal` (exact, and printed back as written); ``,`` is accepted as a decimal
separator in numbers; an empty ``votes``/``score``/``selected`` field means "not given".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

__all__ = [
    "Instance",
    "PabulibError",
    "PabulibWarning",
    "Project",
    "VOTE_TYPES",
    "Vote",
    "dump",
    "load",
    "parse",
]

SECTIONS = ("META", "PROJECTS", "VOTES")
"""The sections of a Pabulib file, in the order they must appear."""

VOTE_TYPES = frozenset({"approval", "choose-1", "cumulative", "ordinal", "scoring"})
"""Values of META ``vote_type`` defined by the Pabulib format."""

CATEGORY_COLUMNS = ("category", "categories")
_PROJECT_FIELDS = frozenset({"project_id", "cost", "name", "votes", "score", "selected"})
_VOTE_FIELDS = frozenset({"voter_id", "vote", "points"})

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_INTEGER = re.compile(r"\d+")
_SECTION_LIKE = re.compile(r"[A-Z][A-Z_]+")


class PabulibError(ValueError):
    """A malformed Pabulib file: ``line`` is the 1-based line number, ``reason`` the defect."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class PabulibWarning:
    """Something odd in a file that was read anyway: ``line`` (1-based) and what was done."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Project:
    """One row of PROJECTS.

    ``votes`` and ``score`` are the counts the file states (the tally recomputes its own from
    the ballots); ``selected`` is the official outcome (1 funded, 0 not, 2 funded outside the
    rule). Columns without a field of their own are kept verbatim in ``extra``.
    """

    project_id: str
    cost: Decimal
    name: str = ""
    categories: tuple[str, ...] = ()
    votes: int | None = None
    score: Decimal | None = None
    selected: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Vote:
    """One row of VOTES: the voter, the chosen project ids in the order written, and the
    points given to each (``None`` when the file has no ``points`` column)."""

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Decimal, ...] | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Instance:
    """A whole Pabulib file: META entries in file order, projects and votes in file order, and
    the column layout of PROJECTS and VOTES (kept so that :func:`dump` writes the same
    columns back), and the warnings of reading it (not part of its value: a file written back
    has none)."""

    meta: Mapping[str, str]
    projects: tuple[Project, ...]
    votes: tuple[Vote, ...]
    project_columns: tuple[str, ...]
    vote_columns: tuple[str, ...]
    warnings: tuple[PabulibWarning, ...] = field(default=(), compare=False)

    @classmethod
    def create(
        cls,
        meta: Mapping[str, str],
        projects: Iterable[Project],
        votes: Iterable[Vote],
    ) -> Instance:
        """Build an instance from data, choosing the columns that the data needs."""
        projects = tuple(projects)
        votes = tuple(votes)
        project_columns = ["project_id", "cost"]
        if any(p.votes is not None for p in projects):
            project_columns.append("votes")
        if any(p.score is not None for p in projects):
            project_columns.append("score")
        if any(p.name for p in projects):
            project_columns.append("name")
        if any(p.categories for p in projects):
            project_columns.append("category")
        if any(p.selected is not None for p in projects):
            project_columns.append("selected")
        project_columns += _extra_columns(p.extra for p in projects)
        vote_columns = ["voter_id", "vote"]
        if any(v.points is not None for v in votes):
            vote_columns.append("points")
        vote_columns += _extra_columns(v.extra for v in votes)
        return cls(dict(meta), projects, votes, tuple(project_columns), tuple(vote_columns))

    @property
    def budget(self) -> Decimal:
        """META ``budget``: the money to spend."""
        return _to_decimal(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        """META ``vote_type`` (``approval`` when absent)."""
        return self.meta.get("vote_type", "approval")

    @property
    def rule(self) -> str | None:
        """META ``rule``: the Pabulib name of the rule that decided the official result."""
        return self.meta.get("rule")

    @property
    def min_project_score_threshold(self) -> Decimal | None:
        """META ``min_project_score_threshold``: the least score a project needs to be funded."""
        value = self.meta.get("min_project_score_threshold")
        return None if value is None else _to_decimal(value)

    @property
    def max_length(self) -> int | None:
        """META ``max_length``: the most projects one ballot may choose."""
        value = self.meta.get("max_length")
        return None if value is None else int(value)

    @property
    def official_winners(self) -> tuple[str, ...]:
        """Ids of the projects the file marks ``selected`` = 1, in file order."""
        return tuple(p.project_id for p in self.projects if p.selected == 1)


def load(path: str | Path) -> Instance:
    """Read and parse the Pabulib file at ``path``."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PabulibError(line, "the file is not valid UTF-8 text") from None
    return parse(text)


def parse(text: str) -> Instance:
    """Parse the text of a Pabulib file; raise :class:`PabulibError` if it is malformed."""
    return _Parser().run(text.removeprefix("\ufeff"))


def dump(instance: Instance) -> str:
    """Write ``instance`` in the Pabulib format (CRLF line ends as in Pabulib files, minimal
    quoting: a field is quoted when it holds ``;``, ``"`` or a line break).

    Raises ``ValueError`` if the instance holds data its columns cannot carry (for example
    points without a ``points`` column), since that data would otherwise be lost silently.
    """
    _check_columns(instance)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows([key, value] for key, value in instance.meta.items())
    writer.writerow(["PROJECTS"])
    writer.writerow(instance.project_columns)
    for project in instance.projects:
        writer.writerow([_project_field(project, c) for c in instance.project_columns])
    writer.writerow(["VOTES"])
    writer.writerow(instance.vote_columns)
    for vote in instance.votes:
        writer.writerow([_vote_field(vote, c) for c in instance.vote_columns])
    return out.getvalue()


# --- parsing ----------------------------------------------------------------------------------


class _Parser:
    """A single pass over the CSV rows with a small state machine over the three sections.

    Votes are checked against the projects as they are read, which the fixed section order
    allows; META is checked once the counts it states can be compared with the data.
    """

    def __init__(self) -> None:
        self.section: str | None = None
        self.header: tuple[str, ...] | None = None
        self.section_lines: dict[str, int] = {}
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: list[Project] = []
        self.project_ids: set[str] = set()
        self.votes: list[Vote] = []
        self.voter_ids: set[str] = set()
        self.warnings: list[PabulibWarning] = []
        self.columns: dict[str, tuple[str, ...]] = {}

    def run(self, text: str) -> Instance:
        last_line = 0
        for line, row in self._rows(text):
            last_line = line
            self._row(line, row)
        end = max(last_line, 1)
        if self.section is None:
            raise PabulibError(end, "the file is empty; expected the META section")
        for name in SECTIONS:
            if name not in self.section_lines:
                raise PabulibError(end, f"the file ends without a {name} section")
        if self.header is None:
            raise PabulibError(end, f"the {self.section} section has no header line")
        self._check_meta()
        return Instance(
            meta=self.meta,
            projects=tuple(self.projects),
            votes=tuple(self.votes),
            project_columns=self.columns["PROJECTS"],
            vote_columns=self.columns["VOTES"],
            warnings=tuple(self.warnings),
        )

    @staticmethod
    def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
        """Yield (first line number, stripped fields) for every non-blank CSV row."""
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
        previous = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a quote opened in this row and never closed
                raise PabulibError(previous + 1, f"unreadable CSV ({exc})") from None
            first, previous = previous + 1, reader.line_num
            fields = [f.strip() for f in row]
            if any(fields):
                yield first, fields

    def _row(self, line: int, row: list[str]) -> None:
        marker = row[0].upper()
        if marker in SECTIONS and (len(row) == 1 or (row[0] == marker and not any(row[1:]))):
            # "META" alone on its line; "META;" with empty fields is accepted too.
            self._start_section(line, marker)
        elif self.section is None:
            raise PabulibError(line, f"expected the META section first, found {row[0]!r}")
        elif self.header is None:
            self._read_header(line, row)
        elif len(row) == 1 and _SECTION_LIKE.fullmatch(row[0]):
            raise PabulibError(
                line, f"unknown section {row[0]!r} (the sections are META, PROJECTS, VOTES)"
            )
        elif len(row) != len(self.header):
            raise PabulibError(
                line,
                f"expected {len(self.header)} fields ({';'.join(self.header)}) in the "
                f"{self.section} section, found {len(row)}",
            )
        else:
            record = dict(zip(self.header, row, strict=True))
            if self.section == "META":
                self._meta_row(line, row)
            elif self.section == "PROJECTS":
                self._project_row(line, record)
            else:
                self._vote_row(line, record)

    def _start_section(self, line: int, name: str) -> None:
        if name in self.section_lines:
            raise PabulibError(
                line, f"second {name} section (the first is at line {self.section_lines[name]})"
            )
        expected = SECTIONS[len(self.section_lines)]
        if name != expected:
            raise PabulibError(line, f"expected the {expected} section here, found {name}")
        if self.section is not None and self.header is None:
            raise PabulibError(line, f"the {self.section} section has no header line")
        self.section = name
        self.section_lines[name] = line
        self.header = None

    def _read_header(self, line: int, row: list[str]) -> None:
        assert self.section is not None
        if "" in row:
            raise PabulibError(line, f"the {self.section} header has an empty column name")
        duplicates = sorted({c for c in row if row.count(c) > 1})
        if duplicates:
            raise PabulibError(
                line, f"the {self.section} header repeats the column {duplicates[0]!r}"
            )
        if self.section == "META":
            if [c.lower() for c in row] != ["key", "value"]:
                raise PabulibError(line, "the META header must be 'key;value'")
        else:
            required = ("project_id", "cost") if self.section == "PROJECTS" else (
                "voter_id", "vote")
            missing = [c for c in required if c not in row]
            if missing:
                raise PabulibError(
                    line, f"the {self.section} header lacks the column {missing[0]!r}"
                )
            if self.section == "PROJECTS" and all(c in row for c in CATEGORY_COLUMNS):
                raise PabulibError(line, "the PROJECTS header has both category and categories")
        self.header = tuple(row)
        self.columns[self.section] = self.header

    def _meta_row(self, line: int, row: list[str]) -> None:
        key, value = row
        if not key:
            raise PabulibError(line, "META entry without a key")
        if key in self.meta:
            raise PabulibError(
                line, f"META key {key!r} given twice (first at line {self.meta_lines[key]})"
            )
        self.meta[key] = value
        self.meta_lines[key] = line

    def _project_row(self, line: int, record: dict[str, str]) -> None:
        project_id = record["project_id"]
        if not project_id:
            raise PabulibError(line, "empty project_id")
        if "," in project_id:
            raise PabulibError(line, f"project_id {project_id!r} contains a comma")
        if project_id in self.project_ids:
            raise PabulibError(line, f"project_id {project_id!r} appears twice")
        cost = _number(line, "cost", record["cost"])
        if cost < 0:
            raise PabulibError(line, f"cost {record['cost']!r} is negative")
        category_column = next((c for c in CATEGORY_COLUMNS if c in record), None)
        categories: tuple[str, ...] = ()
        if category_column is not None:
            categories = _split_list(record[category_column])
        votes = record.get("votes", "")
        score = record.get("score", "")
        selected = record.get("selected", "")
        self.project_ids.add(project_id)
        self.projects.append(
            Project(
                project_id=project_id,
                cost=cost,
                name=record.get("name", ""),
                categories=categories,
                votes=_integer(line, "votes", votes) if votes else None,
                score=_number(line, "score", score) if score else None,
                selected=_integer(line, "selected", selected) if selected else None,
                extra={
                    k: v
                    for k, v in record.items()
                    if k not in _PROJECT_FIELDS and k != category_column
                },
            )
        )

    def _vote_row(self, line: int, record: dict[str, str]) -> None:
        voter_id = record["voter_id"]
        if not voter_id:
            raise PabulibError(line, "empty voter_id")
        if voter_id in self.voter_ids:
            raise PabulibError(line, f"voter_id {voter_id!r} appears twice")
        chosen = tuple(p.strip() for p in record["vote"].split(",")) if record["vote"] else ()
        for project_id in chosen:
            if not project_id:
                raise PabulibError(line, f"empty project id in vote {record['vote']!r}")
            if project_id not in self.project_ids:
                raise PabulibError(line, f"vote for unknown project {project_id!r}")
        points: tuple[Decimal, ...] | None = None
        if "points" in record:
            raw = record["points"]
            points = tuple(
                _number(line, "points", p.strip()) for p in raw.split(",")
            ) if raw else ()
            if len(points) != len(chosen):
                raise PabulibError(
                    line, f"{len(chosen)} projects in vote but {len(points)} values in points"
                )
        first = {project_id: position for position, project_id
                 in reversed(list(enumerate(chosen)))}
        if len(first) != len(chosen):
            twice = sorted({p for p in chosen if chosen.count(p) > 1}, key=first.__getitem__)
            listed = ", ".join(repr(p) for p in twice)
            self.warnings.append(PabulibWarning(
                line, f"voter {voter_id!r} lists project{'s' if len(twice) > 1 else ''} "
                      f"{listed} more than once; counted once"))
            keep = sorted(first.values())
            chosen = tuple(chosen[k] for k in keep)
            if points is not None:
                points = tuple(points[k] for k in keep)
        self.voter_ids.add(voter_id)
        self.votes.append(
            Vote(
                voter_id=voter_id,
                projects=chosen,
                points=points,
                extra={k: v for k, v in record.items() if k not in _VOTE_FIELDS},
            )
        )

    def _check_meta(self) -> None:
        meta, lines = self.meta, self.meta_lines
        if "budget" not in meta:
            raise PabulibError(self.section_lines["META"], "META has no 'budget' entry")
        if _number(lines["budget"], "budget", meta["budget"]) < 0:
            raise PabulibError(lines["budget"], f"budget {meta['budget']!r} is negative")
        if "vote_type" in meta and meta["vote_type"] not in VOTE_TYPES:
            raise PabulibError(
                lines["vote_type"],
                f"unknown vote_type {meta['vote_type']!r} "
                f"(expected one of {', '.join(sorted(VOTE_TYPES))})",
            )
        for key, count, what in (
            ("num_projects", len(self.projects), "projects in PROJECTS"),
            ("num_votes", len(self.votes), "votes in VOTES"),
        ):
            if key in meta:
                stated = _integer(lines[key], key, meta[key])
                if stated != count:
                    raise PabulibError(
                        lines[key], f"{key} is {stated} but there are {count} {what}"
                    )
        if "min_project_score_threshold" in meta:
            key = "min_project_score_threshold"
            _number(lines[key], key, meta[key])
        if "max_length" in meta:
            _integer(lines["max_length"], "max_length", meta["max_length"])


def _number(line: int, what: str, text: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise PabulibError(line, f"{what} {text!r} is not a number")
    return _to_decimal(text)


def _integer(line: int, what: str, text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise PabulibError(line, f"{what} {text!r} is not a whole number")
    return int(text)


def _to_decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _split_list(text: str) -> tuple[str, ...]:
    """A comma-separated list such as a category field ('None' and '' mean no entries)."""
    if text in ("", "None"):
        return ()
    return tuple(part.strip() for part in text.split(","))


# --- writing ----------------------------------------------------------------------------------


def _extra_columns(extras: Iterable[Mapping[str, str]]) -> list[str]:
    columns: dict[str, None] = {}
    for extra in extras:
        columns.update(dict.fromkeys(extra))
    return list(columns)


def _check_columns(instance: Instance) -> None:
    project_columns = set(instance.project_columns)
    vote_columns = set(instance.vote_columns)
    for needed, present, section in (
        (("project_id", "cost"), project_columns, "PROJECTS"),
        (("voter_id", "vote"), vote_columns, "VOTES"),
    ):
        for column in needed:
            if column not in present:
                raise ValueError(f"{section} columns lack {column!r}")
    has_category = bool(project_columns & set(CATEGORY_COLUMNS))
    for p in instance.projects:
        if p.categories and not has_category:
            raise ValueError(f"project {p.project_id!r} has categories but no category column")
        for key, value, column in (
            ("name", p.name, "name"),
            ("votes", p.votes, "votes"),
            ("score", p.score, "score"),
            ("selected", p.selected, "selected"),
        ):
            if value not in (None, "") and column not in project_columns:
                raise ValueError(f"project {p.project_id!r} has {key} but no {column} column")
        if not set(p.extra) <= project_columns:
            raise ValueError(f"project {p.project_id!r} has fields missing from the columns")
    for v in instance.votes:
        if v.points is not None and "points" not in vote_columns:
            raise ValueError(f"vote {v.voter_id!r} has points but no points column")
        if not set(v.extra) <= vote_columns:
            raise ValueError(f"vote {v.voter_id!r} has fields missing from the columns")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # plain notation: never "1E+5", which is not Pabulib
    return str(value)


def _project_field(project: Project, column: str) -> str:
    if column == "project_id":
        return project.project_id
    if column == "cost":
        return _text(project.cost)
    if column == "name":
        return project.name
    if column in CATEGORY_COLUMNS:
        return ",".join(project.categories)
    if column in ("votes", "score", "selected"):
        return _text(getattr(project, column))
    return project.extra.get(column, "")


def _vote_field(vote: Vote, column: str) -> str:
    if column == "voter_id":
        return vote.voter_id
    if column == "vote":
        return ",".join(vote.projects)
    if column == "points":
        return ",".join(_text(p) for p in vote.points or ())
    return vote.extra.get(column, "")
