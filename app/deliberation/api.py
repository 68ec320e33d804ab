"""The JSON API of deliberation and moderation under /api/v1.

A module adds the comments of its items to its own router with `comment_routes` (its path,
the subject type, and a dependency giving the item's id from the path; the names its clients
know its anchors and voices by, e.g. `section_id` and `organisation_id`):

    GET  /api/v1/{item}/comments             a page of threads (newest or most supported
                                             first), of one anchor with ?{anchor}=
    POST /api/v1/{item}/comments             comment or reply (one level deep)

and the kernel answers for every comment, report, case and block:

    POST /api/v1/comments/{id}/supports      support a comment once
    POST /api/v1/comments/{id}/reports       report a comment once
    POST /api/v1/comments/{id}/moderation    a moderator's decision (keep, hide, redact)
    POST /api/v1/moderation/cases/{id}/appeal  the author's one appeal
    POST /api/v1/communities/{slug}/blocks   a moderator blocks an account
"""

# No `from __future__ import annotations` here: FastAPI reads the signatures of the routes
# `comment_routes` makes, whose annotations name the closure's `Subject`.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field as PField
from pydantic import create_model

from app.api import api_router
from app.communities import service as communities
from app.deliberation import service
from app.deliberation.models import (
    COMMENT,
    AppealCreate,
    BlockCreate,
    BlockPublic,
    CasePublic,
    CommentCreate,
    CommentOrder,
    CommentPublic,
    ModerationCreate,
    OrderParam,
    ReportCreate,
    ReportResult,
)
from app.models import MAX_ID, Id
from app.web.auth import ApiUser, OptionalApiUser
from app.web.contract import make_api_router
from app.web.deps import DbSession
from app.web.i18n import current_language
from app.web.paging import Page, window
from app.web.paging import page as make_page
from app.web.ratelimit import rate_limited

router = make_api_router(tags=["deliberation"])
Paging = window(default=20, maximum=100)


def _case(case) -> CasePublic:
    return CasePublic(id=case.id, subject_type=case.subject_type, subject_id=case.subject_id,
                      state=case.state, report_count=case.report_count, hidden=case.hidden,
                      decision=case.decision, public_reason=case.public_reason)


def _public(session, comment) -> dict:
    return service.public_comment(service.comment_view(session, comment,
                                                       current_language.get()))


def _one(session, comment) -> CommentPublic:
    return CommentPublic.model_validate(_public(session, comment))


def _named(subject_type: str, anchor: str | None, voice: str | None):
    """The shapes of a module's comments, with its own names of the anchor and the voice
    beside the kernel's."""
    if not anchor and not voice:
        return CommentCreate, CommentPublic
    prefix = "".join(part.title() for part in subject_type.split("_"))
    fields_in, fields_out = {}, {}
    if anchor:
        fields_in[anchor] = (Id | None, PField(None, description="Where in the item."))
        fields_out[anchor] = (int | None, None)
    if voice:
        fields_in[voice] = (Id | None, PField(None, description="The party written for."))
        fields_out[voice] = (int | None, None)
    return (create_model(f"{prefix}CommentCreate", __base__=CommentCreate, **fields_in),
            create_model(f"{prefix}CommentPublic", __base__=CommentPublic, **fields_out))


def comment_routes(target: APIRouter, path: str, subject_type: str,
                   subject: Callable[..., int], tag: str, *, anchor: str | None = None,
                   voice: str | None = None) -> None:
    """Add GET and POST `{path}/comments` to a module's router: `subject` is a dependency
    that reads the item's id from the path (and may check it); `anchor` and `voice` name
    the comment's anchor_id and voice_id in the module's API (both names are answered)."""
    Subject = Annotated[int, Depends(subject)]
    In, Out = _named(subject_type, anchor, voice)
    renames = {"anchor_id": anchor, "voice_id": voice}

    def shown(item: dict) -> dict:
        for kernel_name, name in renames.items():
            if name:
                item[name] = item[kernel_name]
        return item

    def list_comments(request: Request, response: Response, session: DbSession,
                      user: OptionalApiUser, subject_id: Subject, paging: Paging,
                      order: OrderParam = "newest",
                      anchor_id: int | None = Query(None, alias=anchor or "anchor_id", ge=1,
                                                    le=MAX_ID)):
        """Top-level comments with their replies (replies oldest first), of one anchor when
        asked; hidden comments keep their place without their text."""
        page = service.discussion(session, user, subject_type, subject_id,
                                  order=CommentOrder(order), offset=paging.offset,
                                  limit=paging.limit, lang=current_language.get(),
                                  anchor_id=anchor_id)
        items = [shown(service.public_comment(v)) for v in page.threads]
        following = ({"offset": paging.offset + paging.limit, "limit": paging.limit}
                     if page.has_more else None)
        return make_page(request, response, items, following=following)

    @rate_limited("comment")
    def post_comment(request: Request, body: In, session: DbSession,
                     user: ApiUser, subject_id: Subject):
        """Comment (or reply to a top-level comment), as the item's rules allow."""
        given = body.model_dump(exclude_unset=True)
        data = CommentCreate.model_construct(
            body=body.body, parent_id=body.parent_id, publication=body.publication,
            anchor_id=given.get(anchor or "anchor_id", body.anchor_id),
            voice_id=given.get(voice or "voice_id", body.voice_id))
        created = service.add_comment(session, user, subject_type, subject_id, data)
        return Out.model_validate(shown(_public(session, created)))

    list_comments.__name__ = f"list_{subject_type}_comments"
    post_comment.__name__ = f"post_{subject_type}_comment"
    target.add_api_route(f"{path}/comments", list_comments, methods=["GET"],
                         response_model=Page[Out], tags=[tag])
    target.add_api_route(f"{path}/comments", post_comment, methods=["POST"],
                         response_model=Out, status_code=201, tags=[tag])


@router.post("/comments/{comment_id:id}/supports", response_model=CommentPublic,
             status_code=201)
@rate_limited("comment")
def support(request: Request, comment_id: int, session: DbSession, user: ApiUser):
    """Support a comment (once; not one's own)."""
    return _one(session, service.support(session, user, comment_id))


@router.post("/comments/{comment_id:id}/reports", response_model=ReportResult,
             status_code=201)
@rate_limited("report")
def report(request: Request, comment_id: int, body: ReportCreate, session: DbSession,
           user: ApiUser):
    """Report a comment (once; not one's own). At the rules' number of reports it is hidden
    until a moderator decides."""
    case = service.report(session, user, COMMENT, comment_id, body.reason, body.note)
    return ReportResult(case_id=case.id, report_count=case.report_count, hidden=case.hidden)


@router.post("/comments/{comment_id:id}/moderation", response_model=CasePublic)
def moderate(comment_id: int, body: ModerationCreate, session: DbSession, user: ApiUser):
    """A moderator of the community keeps, hides (with a public reason) or redacts a comment;
    the author is told and may appeal once."""
    return _case(service.moderate_comment(session, user, comment_id, body.decision,
                                          body.reason))


@router.post("/moderation/cases/{case_id:id}/appeal", response_model=CasePublic)
@rate_limited("report")
def appeal(request: Request, case_id: int, body: AppealCreate, session: DbSession,
           user: ApiUser):
    """The author appeals once against a decision that hid or redacted their text."""
    return _case(service.appeal(session, user, case_id, body.text))


@router.post("/communities/{slug}/blocks", response_model=BlockPublic, status_code=201)
def block(slug: str, body: BlockCreate, session: DbSession, user: ApiUser):
    """A moderator blocks an account in the community, for `days` or for good."""
    community = communities.get_by_slug(session, slug[:64])
    found = service.block(session, user, community.id, body.user_id, body.reason, body.days)
    return BlockPublic.model_validate(found, from_attributes=True)


api_router.include_router(router)
