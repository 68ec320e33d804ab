"""The registry: what a participation module hands the kernel, and the modules registered.

The kernel knows no module by name. app/main.py (the composition root) lists the modules and
registers them when it builds the application; everything else asks `registered()`. A module
declares everything the kernel shows or counts of it in its module.py: its rules schema (a
section of every community's rule set), its tool label, its obligation kinds, its demo seed
and its part of the synthetic region the dashboard benchmark loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session

from app.accountability.service import KINDS, ObligationKind
from app.opendata.dataset import Dataset
from app.rules.schema import ModuleRules


@dataclass
class NavLink:
    label: str  # a msgid
    path: str


@dataclass(frozen=True)
class ReceiptAct:
    """An act that gives the person who did it a receipt of its audit entry (app.audit): its
    name on the person's receipts page and the page of what it was done to."""

    label: str  # a msgid
    path: str  # the subject's page, with {id} for its id


@dataclass(frozen=True)
class ScaleKind:
    """One kind of obligation in the synthetic region (app/accountability/seed_scale.py)."""

    kind: ObligationKind
    weight: int  # its share of the region's obligations, relative to the others' weights
    deadline: str  # the field of the module's rules that gives its period
    subject_type: str
    title: str  # the synthetic items' titles begin with this
    rated: bool = True  # whether residents rate its answers


@dataclass(frozen=True)
class Scale:
    """A module's part of the synthetic region: its kinds of obligation, and its section of
    the rules of the region's communities (community i takes rules[i % len(rules)]; an empty
    dict takes the defaults)."""

    kinds: list[ScaleKind]
    rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CommentTarget:
    """An item people may comment on, as its module sees it for the person asking: its
    community, the rule-set version it keeps (who may comment, how long a comment may be), its
    title and page, and, when comments are closed on it now, why (a msgid). A module with its
    own rule of who takes part (instead of the rules' level and the community's officials)
    sets `takes_part` for the person, and `refused` (a msgid) to say why not;
    `sees_unpublished`: the person reads the comments their authors did not publish (the
    item's authority, say)."""

    community_id: int
    ruleset_id: int
    title: str
    path: str
    closed: str | None = None
    authority_id: int | None = None  # the authority that owes the answer, if any
    author_id: int | None = None  # the item's author (told of comments)
    takes_part: bool | None = None  # None: the rules' level decides
    refused: str | None = None
    sees_unpublished: bool = False


@dataclass(frozen=True)
class CommentSpace:
    """Where a module takes comments (app.deliberation): the subject type of its items and
    `target(session, user, subject_id)`, the item as the person may see it (NotFound when they
    may not), with its phase's verdict on commenting.

    The rest is optional; left out, an item is one discussion of named comments:

    anchors:      (session, subject_id) -> {anchor id: label}: the places within the item a
                  comment is about (a consultation's sections). A first comment names one; a
                  reply is on its thread's; the discussion may be filtered by anchor.
    publications: how an author may be shown (app.deliberation.models.Publication values:
                  named, anonymous, unpublished), the first the default. An unpublished
                  comment is read only by its author, the moderators and whoever the target
                  says `sees_unpublished`.
    voices:       (session, user, subject_id) -> {voice id: label}: the parties the person may
                  write for on the item (organisations they act for). A comment with a voice
                  is signed with its label and always named.
    voice_names:  (session, voice ids) -> {voice id: public label}, to sign comments.
    count:        (session, comment, delta): the comment became visible (+1) or stopped being
                  visible (-1): the module keeps its counters of visible comments exact.
    """

    subject_type: str
    target: Callable[[Session, Any, int], CommentTarget]
    label: str = ""  # a msgid naming the kind of item in the moderators' queue
    # (session, subject_id, hidden): the item is hidden after reports (or by a moderator's
    # decision) or shown again; the module keeps that on its own row and withholds the text.
    hide: Callable[[Session, int, bool], None] | None = None
    anchors: Callable[[Session, int], dict[int, str]] | None = None
    publications: tuple[str, ...] = ("named",)
    voices: Callable[[Session, Any, int], dict[int, str]] | None = None
    voice_names: Callable[[Session, list[int]], dict[int, str]] | None = None
    count: Callable[[Session, Any, int], None] | None = None


@dataclass
class Module:
    """A bounded module. The kernel calls into it only through these hooks.

    name:            package name, also the template folder (templates/<name>/), the CLI group,
                     the tool code of its obligations and its section of the rule set
    label:           the tool's name (a msgid) on the dashboard, the tracker, the open data
    models:          dotted path of the module's models, imported so Alembic sees them
    rules:           the module's rules schema (a ModuleRules, with defaults and validation):
                     every community's rule set has it as `rules.<name>`
    router:          HTML routes
    api_router:      JSON routes, mounted under /api/v1
    obligation_kinds: the kinds of obligation the module opens in the ledger (tool = name)
    seed:            demo data, called with (session, demo) where demo is app.seed.Demo
    demo_rules:      its section of each demo community's rules, by the community's slug
    scale:           its part of the synthetic region of the dashboard benchmark
    cli:             a typer app mounted as `hromada <name> ...`
    nav:             links in the site header
    periodic:        functions(session) the worker runs every cycle (close expired items...)
    personal_data:   (session, user) -> dict of everything the module holds about the user,
                     for the personal data download (app.privacy)
    erase:           (session, user) -> None: anonymise the user's data in the module while
                     keeping counts right (app.privacy, on account erasure)
    purge:           (session, now) -> int: anonymise what is past its retention period (e.g.
                     signer identities N months after an item closed); returns how many
    open_data:       its datasets (app.opendata.dataset.Dataset: schema, CSV, frequency), in
                     the catalogue on /open-data, the data package and the DCAT description
    comments:        where the module takes comments (CommentSpace), each item's phase
                     deciding whether they are open
    receipts:        the audit actions (e.g. petition.signed) that give the person a receipt,
                     each with its ReceiptAct
    queues:          the module's work queues linked from the back office (pre-moderation...)
    """

    name: str
    models: str | None = None
    label: str | None = None
    rules: type[ModuleRules] | None = None
    router: APIRouter | None = None
    api_router: APIRouter | None = None
    obligation_kinds: list[ObligationKind] = field(default_factory=list)
    seed: Callable[[Session, Any], None] | None = None
    demo_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    scale: Scale | None = None
    cli: Any = None
    nav: list[NavLink] = field(default_factory=list)
    periodic: list[Callable[[Session], Any]] = field(default_factory=list)
    personal_data: Callable[[Session, Any], dict] | None = None
    erase: Callable[[Session, Any], None] | None = None
    purge: Callable[[Session, datetime], int] | None = None
    open_data: list[Dataset] = field(default_factory=list)
    receipts: dict[str, ReceiptAct] = field(default_factory=dict)
    queues: list[NavLink] = field(default_factory=list)
    comments: list[CommentSpace] = field(default_factory=list)

    @property
    def is_tool(self) -> bool:
        """A tool of participation: it has a label or obligations to count."""
        return bool(self.label or self.obligation_kinds)


_registered: list[Module] | None = None
_sections: tuple[tuple[str, type[ModuleRules]], ...] = ()


def register(modules: Iterable[Module]) -> list[Module]:
    """Make these the process's modules, in this order (the order of every listing)."""
    global _registered, _sections
    modules = list(modules)
    names = [m.name for m in modules]
    if len(set(names)) != len(names):
        raise ValueError(f"a module is registered twice: {names}")
    kinds = [kind for m in modules for kind in m.obligation_kinds]
    datasets = [dataset.name for m in modules for dataset in m.open_data]
    if len(set(datasets)) != len(datasets):
        raise ValueError(f"two datasets have one name: {datasets}")
    for module in modules:
        for kind in module.obligation_kinds:
            if kind.tool != module.name:
                raise ValueError(f"obligation kind {kind.code!r} of {module.name!r} names "
                                 f"the tool {kind.tool!r}")
    # KINDS is read by requests while the worker registers again: a registered kind never
    # disappears from it, not even for an instant.
    for kind in kinds:
        KINDS[kind.code] = kind
    for code in [code for code in KINDS if code not in {k.code for k in kinds}]:
        KINDS.pop(code, None)
    from app.deliberation.rules import SECTION, DeliberationRules

    _sections = (*((m.name, m.rules) for m in modules if m.rules is not None),
                 (SECTION, DeliberationRules))  # the kernel's own section, last
    _registered = modules
    return modules


def registered() -> list[Module]:
    """The registered modules. Before any registration, the composition root's (so a script,
    the worker or a test that builds no app sees the modules the app would)."""
    if _registered is None:
        from app.main import register_modules

        register_modules()
    assert _registered is not None
    return _registered


def rule_sections() -> tuple[tuple[str, type[ModuleRules]], ...]:
    """(name, rules schema) of every registered module that has rules, in order."""
    if _registered is None:
        registered()
    return _sections


def tools() -> dict[str, str]:
    """Tool code -> label msgid of every registered tool, in order."""
    return {m.name: m.label or m.name for m in registered() if m.is_tool}


def comment_space(subject_type: str) -> CommentSpace | None:
    """The registered space that takes comments on items of this subject type."""
    for module in registered():
        for space in module.comments:
            if space.subject_type == subject_type:
                return space
    return None
