"""The kernel's JSON API under /api/v1; modules add their routers to `api_router`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from app import clock
from app.accountability import service as accountability
from app.accountability.models import ObligationPublic, ObligationStatus
from app.audit import service as audit
from app.communities import permissions
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.dependencies import CommunityFilter
from app.communities.models import AuthorityPublic, CommunityPublic
from app.exceptions import InvalidInput
from app.identity import second_factor
from app.identity import service as identity
from app.identity.models import GlobalRole
from app.models import Input, one_of
from app.rules import service as rules
from app.web.auth import ApiUser
from app.web.contract import make_api_router
from app.web.deps import DbSession, keep_on_error
from app.web.i18n import N_
from app.web.paging import CountedPage, window
from app.web.ratelimit import rate_limited

api_router = make_api_router()
Paging = window(default=100, maximum=500)
ObligationPaging = window(default=50, maximum=500)


class TokenRequest(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1000)
    name: str = Field("API", max_length=80)
    code: str | None = Field(None, max_length=40,
                             description="The second factor's code, when the account has one.")


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    role: GlobalRole
    email_verified: bool
    verified_resident_of: list[int]
    official_of_authorities: list[int]
    moderator_of: list[int]


class CommunityDetail(CommunityPublic):
    authorities: list[AuthorityPublic]


class RulesPublic(BaseModel):
    community_id: int
    community_slug: str
    version: int
    rules: dict[str, Any]
    signature_threshold: int
    threshold_per_1000: float


class RuleHistoryItem(BaseModel):
    version: int
    effective_from: datetime
    reason: str
    rules: dict[str, Any]


class AuditHead(BaseModel):
    entries: int
    head: str


@api_router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["identity"],
                 responses={401: {"description": "Wrong e-mail address or password."},
                            429: {"description": "Too many attempts from here, or too many "
                                                 "failed logins: the account is locked for a "
                                                 "while."}})
@rate_limited("login")
def create_token(request: Request, body: TokenRequest, session: DbSession):
    """Exchange an e-mail and password for a personal API token (shown once)."""
    keep_on_error(request)  # failed attempts count towards the lockout
    user = identity.authenticate(session, body.email, body.password)
    if second_factor.enabled(user):
        second_factor.verify(session, user, body.code or "")
    token, raw = identity.create_token(session, user, body.name)
    return TokenCreated(id=token.id, name=token.name, token=raw)


@api_router.get("/me", response_model=Me, tags=["identity"])
def me(user: ApiUser, session: DbSession):
    m = permissions.memberships(session, user)
    return Me(id=user.id, email=user.email, display_name=user.display_name, role=user.role,
              email_verified=user.email_verified, verified_resident_of=sorted(m.verified_in),
              official_of_authorities=sorted(m.official_of), moderator_of=sorted(m.moderator_in))


@api_router.get("/communities", response_model=CountedPage[CommunityPublic],
                tags=["communities"])
def list_communities(request: Request, response: Response, session: DbSession,
                     paging: Paging):
    """Every community, by name."""
    return paging.cut(request, response, communities_repo.communities(session))


@api_router.get("/communities/{slug}", response_model=CommunityDetail, tags=["communities"])
def get_community(slug: str, session: DbSession):
    community = communities.get_by_slug(session, slug)
    return CommunityDetail(**community.model_dump(),
                           authorities=communities_repo.authorities(session, community.id))


def _rules_public(community, version) -> RulesPublic:
    key = version.rules.key_rules(community.population)
    return RulesPublic(community_id=community.id, community_slug=community.slug,
                       version=version.version, rules=version.rules.model_dump(mode="json"),
                       signature_threshold=key.threshold, threshold_per_1000=key.per_1000)


@api_router.get("/communities/{slug}/rules", response_model=RulesPublic, tags=["rules"])
def community_rules(slug: str, session: DbSession):
    community = communities.get_by_slug(session, slug)
    return _rules_public(community, rules.current(session, community.id))


@api_router.get("/communities/{slug}/rules/history",
                response_model=CountedPage[RuleHistoryItem], tags=["rules"])
def community_rules_history(request: Request, response: Response, slug: str,
                            session: DbSession, paging: Paging):
    """Every version of the community's rules, oldest first."""
    community = communities.get_by_slug(session, slug)
    return paging.cut(request, response, [
        RuleHistoryItem(version=r.version, effective_from=r.effective_from, reason=r.reason,
                        rules=r.data) for r in rules.history(session, community.id)])


@api_router.get("/rules", response_model=CountedPage[RulesPublic], tags=["rules"])
def all_rules(request: Request, response: Response, session: DbSession,
              paging: Paging):
    """The current rules of every community, by the community's name."""
    current = rules.all_current(session)
    return paging.cut(request, response, [
        _rules_public(c, current[c.id]) for c in communities_repo.communities(session)
        if c.id in current])


@api_router.get("/obligations", response_model=CountedPage[ObligationPublic],
                tags=["accountability"])
def obligations(request: Request, response: Response, session: DbSession,
                place: CommunityFilter, paging: ObligationPaging,
                kind: str | None = Query(None, max_length=40,
                                         json_schema_extra=one_of(accountability.kind_codes)),
                status: ObligationStatus | None = None,
                q: str | None = Query(None, max_length=200)):
    """The obligations of the authorities, newest first; `q` searches their titles."""
    if kind is not None and kind not in accountability.KINDS:
        raise InvalidInput(fields={"kind": N_("Choose one of the offered options.")})
    rows, total = accountability.search(session, community_id=place.id if place else None,
                                        kind=kind, status=status, q=q, offset=paging.offset,
                                        limit=paging.limit)
    now = clock.now()
    return paging.page(request, response, [
        ObligationPublic(**o.model_dump(), status=accountability.status_of(o, now))
        for o in rows], total=total)


@api_router.get("/audit/head", response_model=AuditHead, tags=["audit"])
def audit_head(session: DbSession):
    seq, head = audit.head_hash(session)
    return AuditHead(entries=seq, head=head)
