"""The back office on the command line, for operators who script:

    hromada regions create --slug volynska --name "Волинська" --by operator@example.org
    hromada regions appoint --region volynska --email officer@example.org --reason "…" --by …
    hromada communities create --region volynska --slug shatsk --name "Шацька громада" \\
        --population 16000 --by officer@example.org
    hromada staff grant --community shatsk --email olena@example.org --role official \\
        --authority 12 --reason "Розпорядження № 4" --by admin@example.org
    hromada staff revoke --community shatsk --staff-id 7 --reason "…" --by admin@example.org

`--by` names the account that acts: its roles decide what it may do (the operator may do
everything), and the audit log records the act under it, with the reason.
"""

from __future__ import annotations

from typing import Annotated

import typer

regions_app = typer.Typer(help="Regions hosting communities.", no_args_is_help=True)
communities_app = typer.Typer(help="Communities of a region.", no_args_is_help=True)
staff_app = typer.Typer(help="Roles in a community: grant and revoke.", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="e-mail address of the account that acts")]
Reason = Annotated[str, typer.Option(help="why (5 to 500 characters): audited")]


def _run(act) -> None:
    """Run `act(session, actor_lookup)` in one transaction; a refused act prints why and exits
    with 1, writing nothing."""
    from app.communities import roles
    from app.db import transaction
    from app.exceptions import DomainError
    from app.web.i18n import gettext

    try:
        with transaction() as session:
            message = act(session, lambda email: roles.person_by_email(session, email))
    except DomainError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.field_texts().items())
        typer.echo(f"error: {gettext(exc.message)} {detail}".strip(), err=True)
        raise typer.Exit(1) from None
    typer.echo(message)


@regions_app.command("create")
def create_region(slug: Annotated[str, typer.Option()], name: Annotated[str, typer.Option()],
                  by: By, name_en: Annotated[str | None, typer.Option()] = None) -> None:
    """Create a region (the operator)."""
    from app.communities import service

    def act(session, person):
        region = service.create_region(session, person(by), slug=slug, name=name,
                                       name_en=name_en)
        return f"created region {region.slug} (id {region.id})"

    _run(act)


@regions_app.command("appoint")
def appoint(region: Annotated[str, typer.Option(help="region slug")],
            email: Annotated[str, typer.Option()], reason: Reason, by: By) -> None:
    """Appoint an administrator of a region (the operator)."""
    from app.communities import roles, service

    def act(session, person):
        found = service.get_region(session, region)
        row = roles.grant_region_admin(session, person(by), found, email=email, reason=reason)
        return f"appointed {email} administrator of region {found.slug} (id {row.id})"

    _run(act)


@communities_app.command("create")
def create_community(region: Annotated[str, typer.Option(help="region slug")],
                     slug: Annotated[str, typer.Option()], name: Annotated[str, typer.Option()],
                     population: Annotated[int, typer.Option()], by: By,
                     name_en: Annotated[str | None, typer.Option()] = None,
                     language: Annotated[str, typer.Option(help="uk or en")] = "uk") -> None:
    """Connect a community to a region (an administrator of the region, or the operator)."""
    from app.communities import service

    def act(session, person):
        found = service.get_region(session, region)
        community = service.connect_community(
            session, person(by), found, slug=slug, name=name, name_en=name_en,
            population=population, default_language=language)
        return f"created community {community.slug} (id {community.id}) in {found.slug}"

    _run(act)


@staff_app.command("grant")
def grant(community: Annotated[str, typer.Option(help="community slug")],
          email: Annotated[str, typer.Option()],
          role: Annotated[str, typer.Option(help="administrator, official or moderator")],
          reason: Reason, by: By,
          authority: Annotated[int | None, typer.Option(help="authority id, for an official")]
          = None) -> None:
    """Grant a registered person a role in a community."""
    from app.communities import roles, service

    def act(session, person):
        found = service.get_by_slug(session, community)
        staff = roles.grant(session, person(by), found, email=email, role=role,
                            reason=reason, authority_id=authority)
        return f"granted {role} in {found.slug} to {email} (staff id {staff.id})"

    _run(act)


@staff_app.command("revoke")
def revoke(community: Annotated[str, typer.Option(help="community slug")],
           staff_id: Annotated[int, typer.Option(help="the role's id (staff id)")],
           reason: Reason, by: By) -> None:
    """Take a role away."""
    from app.communities import roles, service

    def act(session, person):
        found = service.get_by_slug(session, community)
        staff = roles.revoke(session, person(by), found, staff_id, reason)
        return f"revoked {staff.role} (staff id {staff.id}) in {found.slug}"

    _run(act)
