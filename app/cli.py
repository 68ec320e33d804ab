"""The `hromada` command: serve, migrate, seed, work, manage users, inspect rules and audit."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from typing import Annotated

import typer

app = typer.Typer(help="Hromada: e-participation for territorial communities.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
users_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
rules_app = typer.Typer(help="Inspect community rules.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")
app.add_typer(audit_app, name="audit")


def _mount_back_office() -> None:
    from app.backoffice.cli import communities_app, regions_app, staff_app

    app.add_typer(regions_app, name="regions")
    app.add_typer(communities_app, name="communities")
    app.add_typer(staff_app, name="staff")


_mount_back_office()


@app.callback()
def _load() -> None:
    from app.main import load_models

    load_models()


@app.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema up to date."""
    from app.migrate import upgrade

    upgrade(revision=revision)
    typer.echo(f"database migrated to {revision}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create demo communities, people and items (only when the database has none)."""
    from app.db import transaction
    from app.main import register_modules
    from app.seed import DEMO_PASSWORD
    from app.seed import seed_demo as run_seed

    seeds = [m.seed for m in register_modules() if m.seed is not None]
    with transaction() as session:
        demo = run_seed(session, seeds)
    if demo is None:
        typer.echo("demo data already present")
    else:
        typer.echo(f"demo data created; every demo account's password is {DEMO_PASSWORD}")


@app.command()
def serve(host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
          port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
          workers: int = 1, reload: bool = False) -> None:
    """Serve the web application."""
    import uvicorn

    # E-mailed links follow the address served (unless HROMADA_BASE_URL says otherwise).
    os.environ["HOST"], os.environ["PORT"] = host, str(port)

    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, reload=reload,
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS",
                                                                        "127.0.0.1"),
                log_level="info")


@app.command()
def worker(once: bool = False) -> None:
    """Deliver notifications and run periodic tasks (closing expired items, digests)."""
    from app.worker import run_loop, run_once

    if once:
        typer.echo(f"delivered {run_once()} messages")
    else:
        run_loop()


@users_app.command("create")
def users_create(
    email: str, password: str,
    role: Annotated[str, typer.Option(help="resident, official, moderator, observer or admin")]
    = "resident",
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
    name: Annotated[str | None, typer.Option()] = None,
    authority: Annotated[int | None, typer.Option(help="authority id, for officials")] = None,
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    verified: Annotated[bool, typer.Option("--verified", help="mark e-mail and residency "
                                                              "verified")] = False,
) -> None:
    """Create an account, for operators and scripted set-ups."""
    from app.communities import repository as communities_repo
    from app.communities import service as communities
    from app.communities.models import StaffRole
    from app.db import transaction
    from app.exceptions import DomainError
    from app.identity import service as identity
    from app.identity.models import GlobalRole
    from app.web.i18n import gettext

    if role not in ("resident", "official", "moderator", "observer", "admin"):
        typer.echo(f"unknown role {role!r}", err=True)
        raise typer.Exit(2)
    if role in ("official", "moderator") and not community:
        typer.echo("--community is required for officials and moderators", err=True)
        raise typer.Exit(2)
    try:
        with transaction() as session:
            place = communities.get_by_slug(session, community) if community else None
            global_role = GlobalRole(role) if role in ("observer", "admin") else \
                GlobalRole.resident
            user = identity.register(session, identity.Registration(
                email=email, password=password, display_name=name or email.split("@")[0],
                birth_date=date.fromisoformat(birth_date) if birth_date else None),
                role=global_role, verified=verified)
            if place is not None and (verified or role == "resident") and verified:
                communities.set_verified_resident(session, user, place)
            if role == "official":
                authorities = communities_repo.authorities(session, place.id)
                chosen = next((a for a in authorities if a.id == authority), None) if authority \
                    else authorities[0] if authorities else None
                if chosen is None:
                    typer.echo("no such authority in this community", err=True)
                    raise typer.Exit(2)
                communities.grant_staff(session, user, place, StaffRole.official, chosen)
            elif role == "moderator":
                communities.grant_staff(session, user, place, StaffRole.moderator)
    except DomainError as exc:
        detail = "; ".join(f"{k}: {gettext(v)}" for k, v in exc.fields.items())
        typer.echo(f"error: {gettext(exc.message)} {detail}".strip(), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created user {user.id} <{user.email}> as {role}")


@rules_app.command("show")
def rules_show(community: str, history: bool = False) -> None:
    """Print a community's rules in force (or their whole history) as JSON."""
    from app.db import transaction
    from app.exceptions import DomainError
    from app.rules import service as rules

    with transaction(write=False) as session:
        from app.communities import service as communities

        try:
            place = communities.get_by_slug(session, community)
        except DomainError:
            typer.echo(f"no community {community!r}", err=True)
            raise typer.Exit(1) from None
        if history:
            out = [{"version": r.version, "effective_from": r.effective_from.isoformat(),
                    "reason": r.reason, "rules": r.data}
                   for r in rules.history(session, place.id)]
        else:
            v = rules.current(session, place.id)
            out = {"version": v.version, "rules": v.rules.model_dump(mode="json"),
                   "signature_threshold": v.rules.key_rules(place.population).threshold}
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@audit_app.command("verify")
def audit_verify(
    url: Annotated[str | None, typer.Option(
        help="check a deployment's published log from outside, as anyone can "
             "(tools/verify_audit.py)")] = None,
    key: Annotated[str | None, typer.Option(help="with --url: the public key to expect")]
    = None,
    state: Annotated[str | None, typer.Option(
        help="with --url: the file keeping the checkpoints seen")] = None,
    receipt: Annotated[str | None, typer.Option(help="with --url: a receipt to find")] = None,
) -> None:
    """Walk the hash chain; name the first entry that was changed, deleted or inserted. With
    --url, check a deployment's published log instead, without its database."""
    if url is not None:
        raise typer.Exit(_published_verifier().main(
            [url, *(["--key", key] if key else []), *(["--state", state] if state else []),
             *(["--receipt", receipt] if receipt else [])]))
    if key or state or receipt:
        typer.echo("--key, --state and --receipt go with --url", err=True)
        raise typer.Exit(2)
    from app.audit import service as audit
    from app.db import transaction

    with transaction(write=False) as session:
        result = audit.verify(session)
    waiting = (f"; {result.unsealed} committed entries not sealed yet" if result.unsealed
               else "")
    older = (f"; {result.format1} sealed in format 1, before the log was published"
             if result.format1 else "")
    if result.unopened:
        typer.echo(f"warning: the private actor of {result.unopened} entries does not open "
                   "their published commitment (the actor column was changed, or the secret "
                   "key changed since they were written)", err=True)
    if result.ok:
        typer.echo(f"ok: {result.entries} entries, {result.checkpoints} signed checkpoints, "
                   f"head {result.head}{older}{waiting}")
    else:
        typer.echo(f"BROKEN at entry {result.first_bad_seq}: {result.problem}{waiting}",
                   err=True)
        raise typer.Exit(1)


def _published_verifier():
    """tools/verify_audit.py, the standalone checker (it imports nothing of the app)."""
    import importlib.util

    from app.settings import ROOT

    path = ROOT / "tools" / "verify_audit.py"
    if not path.is_file():
        typer.echo(f"the standalone checker is not installed here ({path})", err=True)
        raise typer.Exit(2)
    spec = importlib.util.spec_from_file_location("hromada_verify_audit", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@audit_app.command("seal")
def audit_seal(follow: Annotated[bool, typer.Option(
        help="keep sealing until stopped, as the worker does")] = False) -> None:
    """Chain the committed entries that are not sealed yet and sign a checkpoint."""
    import threading

    from app.audit import sealer

    if follow:
        sealer.run(threading.Event())
        return
    typer.echo(f"sealed {sealer.seal_pending()} entries")


__import__("app.privacy.cli", fromlist=["register"]).register(app)  # privacy, audit check
__import__("app.accountability.cli", fromlist=["register"]).register(app)  # seed-scale, digest


def _mount_module_commands() -> None:
    from app.main import modules

    for module in modules():
        if module.cli is not None:
            app.add_typer(module.cli, name=module.name)


def main() -> None:
    _mount_module_commands()
    app()


if __name__ == "__main__":
    sys.exit(main())


