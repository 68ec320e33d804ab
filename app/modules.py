"""What a participation module hands the kernel when it registers (see app/main.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session

from app.accountability.service import ObligationKind


@dataclass
class NavLink:
    label: str  # a msgid
    path: str


@dataclass
class Module:
    """A bounded module. The kernel calls into it only through these hooks.

    name:            package name, also the template folder (templates/<name>/)
    models:          dotted path of the module's models, imported so Alembic sees them
    router:          HTML routes
    api_router:      JSON routes, mounted under /api/v1
    obligation_kinds: the kinds of obligation the module opens in the ledger
    seed:            demo data, called with (session, demo) where demo is app.seed.Demo
    cli:             a typer app mounted as `hromada <name> ...`
    nav:             links in the site header
    periodic:        functions(session) the worker runs every cycle (close expired items...)
    personal_data:   (session, user) -> dict of everything the module holds about the user,
                     for the personal data download (app.privacy)
    erase:           (session, user) -> None: anonymise the user's data in the module while
                     keeping counts right (app.privacy, on account erasure)
    purge:           (session, now) -> int: anonymise what is past its retention period (e.g.
                     signer identities N months after a petition closed); returns how many
    open_data:       (label msgid, url) of the module's public exports, listed on /open-data
    """

    name: str
    models: str
    router: APIRouter | None = None
    api_router: APIRouter | None = None
    obligation_kinds: list[ObligationKind] = field(default_factory=list)
    seed: Callable[[Session, Any], None] | None = None
    cli: Any = None
    nav: list[NavLink] = field(default_factory=list)
    periodic: list[Callable[[Session], Any]] = field(default_factory=list)
    personal_data: Callable[[Session, Any], dict] | None = None
    erase: Callable[[Session, Any], None] | None = None
    purge: Callable[[Session, datetime], int] | None = None
    open_data: list[tuple[str, str]] = field(default_factory=list)
