"""HTML pages of deliberation and moderation: the discussion of an item (also included in
the item's own page), posting, supporting and reporting, the community's moderation queue,
a case (its decision and the author's appeal), and the community's blocks.

Every form posts and is answered with a 303 (or the page again with its errors and a 4xx);
htmx asks for the `comments` block of the discussion page and gets it in place.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse

from app.communities import service as communities
from app.deliberation import digests, service
from app.deliberation import repository as repo
from app.deliberation.models import (
    COMMENT,
    DECISION_LABELS,
    DIGEST_LABELS,
    PUBLICATION_LABELS,
    REASON_LABELS,
    CaseState,
    CommentCreate,
    CommentOrder,
    Publication,
)
from app.exceptions import DomainError, InvalidInput
from app.modules import CommentTarget
from app.web import pagecache
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router
from app.web.forms import rerender
from app.web.i18n import N_, current_language, gettext
from app.web.ratelimit import limit
from app.web.templating import block_for, render

router = make_router(include_in_schema=False)

DISCUSSION = "deliberation/discussion.html"
PAGE_SIZE = 20
FLASH = {
    "posted": N_("Your comment is posted."),
    "supported": N_("You support this comment."),
    "reported": N_("Thank you: a moderator will look at your report."),
    "decided": N_("The decision is recorded and the author is told."),
    "appealed": N_("Your appeal is sent to the moderators."),
    "blocked": N_("The account is blocked."),
    "lifted": N_("The block is lifted."),
}


def discussion_context(session, user, subject_type: str, subject_id: int, *,
                       order: str = "newest", page: int = 1,
                       target: CommentTarget | None = None,
                       anchor: int | None = None,
                       request: Request | None = None) -> dict[str, Any]:
    """What deliberation/_comments.html needs: a module's page adds it to its context (with
    the item's `target` when the page has loaded and authorised the item already, and the
    `anchor` its threads are filtered by). With the `request` of a shared page
    (app.web.pagecache), the first page of comments is kept with what every visitor sees."""
    def shared(load):
        return pagecache.shared_data(
            request, "comments", (subject_type, subject_id), load,
            lambda found: 2000 + sum(len(row[0].body or "") + 200 for row in found[0]))

    chosen = CommentOrder(order) if order in CommentOrder.__members__ else CommentOrder.newest
    return {
        "discussion": service.discussion(session, user, subject_type, subject_id, order=chosen,
                                         offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                         lang=current_language.get(), target=target,
                                         anchor_id=anchor,
                                         shared=shared if request is not None else None),
        "report_reasons": REASON_LABELS, "publication_labels": PUBLICATION_LABELS,
        "comment_form": {}, "comment_errors": {}, "moderate_form": {},
    }


def _number(value: str) -> int | None:
    """A form's optional id: None when empty; ValueError when it is not one."""
    if not value.strip():
        return None
    number = int(value)
    if not 1 <= number <= 2**31 - 1:
        raise ValueError
    return number


def _flash(done: str | None) -> str | None:
    return gettext(FLASH[done]) if done in FLASH else None


@router.get("/discussions/{subject_type}/{subject_id:int}")
def discussion_page(request: Request, session: DbSession, user: OptionalUser,
                    subject_type: str, subject_id: int,
                    order: str = Query("newest", max_length=20),
                    page: int = Query(1, ge=1, le=10_000),
                    anchor: int | None = Query(None, ge=1, le=2**31 - 1),
                    done: str = Query("", max_length=20)):
    ctx = discussion_context(session, user, subject_type[:40], subject_id, order=order,
                             page=page, anchor=anchor) | {"flash": _flash(done)}
    return render(request, DISCUSSION, ctx, block=block_for(request, "comments"))


@router.post("/discussions/{subject_type}/{subject_id:int}")
def post_comment(request: Request, session: DbSession, user: CurrentUser, subject_type: str,
                 subject_id: int, body: Annotated[str, Form(max_length=200_000)] = "",
                 parent_id: Annotated[str, Form(max_length=20)] = "",
                 anchor_id: Annotated[str, Form(max_length=20)] = "",
                 voice_id: Annotated[str, Form(max_length=20)] = "",
                 publication: Annotated[str, Form(max_length=16)] = ""):
    limit(request, "comment")
    subject_type = subject_type[:40]
    block = block_for(request, "comments")
    form = {"body": body, "parent_id": parent_id, "anchor_id": anchor_id,
            "voice_id": voice_id, "publication": publication}
    exc: DomainError | None = None
    numbers: dict[str, int | None] = {}
    for name, value, message in (
            ("parent_id", parent_id, N_("The comment you reply to is not in this discussion.")),
            ("anchor_id", anchor_id, N_("Choose the part of the text your comment is about.")),
            ("voice_id", voice_id, N_("You can write only for an organisation you act for."))):
        try:
            numbers[name] = _number(value)
        except ValueError:
            exc = InvalidInput(message, fields={name: message})
            break
    if exc is None and publication and publication not in tuple(Publication):
        message = N_("Choose how your comment is published.")
        exc = InvalidInput(message, fields={"publication": message})
    if exc is None:
        try:
            created = service.add_comment(session, user, subject_type, subject_id,
                                          CommentCreate.model_construct(
                                              body=body, publication=publication or None,
                                              **numbers))
        except InvalidInput as refused:
            exc = refused
    if exc is not None:
        ctx = discussion_context(session, user, subject_type, subject_id,
                                 anchor=numbers.get("anchor_id"))
        ctx.update(comment_form=form, comment_errors=exc.field_texts(),
                   comment_error=exc.text())
        return rerender(request, DISCUSSION, ctx, exc, block=block)
    if block:
        ctx = discussion_context(session, user, subject_type, subject_id,
                                 anchor=numbers.get("anchor_id"))
        return render(request, DISCUSSION, ctx | {"comment_flash": _flash("posted")},
                      block=block)
    target = ctx_target(session, user, subject_type, subject_id)
    return RedirectResponse(f"{target}#comment-{created.id}", status_code=303)


def ctx_target(session, user, subject_type: str, subject_id: int) -> str:
    return service.target_of(session, user, subject_type, subject_id).path


@router.post("/comments/{comment_id:int}/support")
def support(request: Request, session: DbSession, user: CurrentUser, comment_id: int):
    limit(request, "comment")
    comment = service.support(session, user, comment_id)
    block = block_for(request, "comments")
    if block:
        ctx = discussion_context(session, user, comment.subject_type, comment.subject_id)
        return render(request, DISCUSSION, ctx | {"comment_flash": _flash("supported")},
                      block=block)
    path = ctx_target(session, user, comment.subject_type, comment.subject_id)
    return RedirectResponse(f"{path}#comment-{comment.id}", status_code=303)


@router.post("/comments/{comment_id:int}/report")
def report_comment(request: Request, session: DbSession, user: CurrentUser, comment_id: int,
                   reason: Annotated[str, Form(max_length=20)] = "",
                   note: Annotated[str, Form(max_length=500)] = ""):
    limit(request, "report")
    service.report(session, user, COMMENT, comment_id, reason, note)
    comment = repo.comment(session, comment_id)
    return RedirectResponse(
        f"/discussions/{comment.subject_type}/{comment.subject_id}?done=reported#comments",
        status_code=303)


@router.post("/comments/{comment_id:int}/moderation")
def moderate_comment(request: Request, session: DbSession, user: CurrentUser, comment_id: int,
                     decision: Annotated[str, Form(max_length=12)] = "",
                     reason: Annotated[str, Form(max_length=1000)] = ""):
    """A moderator's decision on a comment from its discussion (hide, with a public reason),
    reported or not."""
    try:
        service.moderate_comment(session, user, comment_id, decision, reason)
    except InvalidInput as exc:
        comment = repo.comment(session, comment_id)
        ctx = discussion_context(session, user, comment.subject_type, comment.subject_id)
        ctx.update(moderate_form={"comment": comment_id, "reason": reason},
                   moderate_error=exc.text())
        return rerender(request, DISCUSSION, ctx, exc)
    comment = repo.comment(session, comment_id)
    path = ctx_target(session, user, comment.subject_type, comment.subject_id)
    return RedirectResponse(f"{path}#comment-{comment_id}", status_code=303)


@router.post("/reports/{subject_type}/{subject_id:int}")
def report_item(request: Request, session: DbSession, user: CurrentUser, subject_type: str,
                subject_id: int, reason: Annotated[str, Form(max_length=20)] = "",
                note: Annotated[str, Form(max_length=500)] = ""):
    limit(request, "report")
    service.report(session, user, subject_type[:40], subject_id, reason, note)
    return RedirectResponse(f"/discussions/{subject_type[:40]}/{subject_id}?done=reported",
                            status_code=303)


# -- moderation -----------------------------------------------------------------------------

def _queue_context(session, user, slug: str) -> dict[str, Any]:
    community = communities.get_by_slug(session, slug)
    return {"community": community, "items": service.queue(session, user, community.id),
            "reasons": REASON_LABELS, "decisions": DECISION_LABELS, "form": {}, "errors": {}}


@router.get("/communities/{slug}/moderation")
def moderation_queue(request: Request, session: DbSession, user: CurrentUser,
                     slug: str, done: str = Query("", max_length=20)):
    return render(request, "deliberation/moderation.html",
                  _queue_context(session, user, slug[:64]) | {"flash": _flash(done)})


@router.post("/moderation/cases/{case_id:int}")
def decide(request: Request, session: DbSession, user: CurrentUser, case_id: int,
           decision: Annotated[str, Form(max_length=12)] = "",
           reason: Annotated[str, Form(max_length=500)] = ""):
    case = service.case_for(session, user, case_id)
    try:
        service.decide(session, user, case_id, decision, reason)
    except InvalidInput as exc:
        community = communities.get(session, case.community_id)
        ctx = _queue_context(session, user, community.slug)
        ctx.update(form={"case": case_id, "decision": decision, "reason": reason},
                   errors=exc.field_texts())
        return rerender(request, "deliberation/moderation.html", ctx, exc)
    community = communities.get(session, case.community_id)
    return RedirectResponse(f"/communities/{community.slug}/moderation?done=decided",
                            status_code=303)


def _case_context(session, user, case_id: int) -> dict[str, Any]:
    case = service.case_for(session, user, case_id)
    return {"case": case, "decisions": DECISION_LABELS, "form": {}, "errors": {},
            "can_appeal": case.author_id == (user.id if user else None)
            and case.state == CaseState.decided and case.decision != "keep"
            and case.appealed_at is None}


@router.get("/moderation/cases/{case_id:int}")
def case_page(request: Request, session: DbSession, user: CurrentUser, case_id: int,
              done: str = Query("", max_length=20)):
    return render(request, "deliberation/case.html",
                  _case_context(session, user, case_id) | {"flash": _flash(done)})


@router.post("/moderation/cases/{case_id:int}/appeal")
def appeal(request: Request, session: DbSession, user: CurrentUser, case_id: int,
           text: Annotated[str, Form(max_length=8000)] = ""):
    limit(request, "report")
    try:
        service.appeal(session, user, case_id, text)
    except InvalidInput as exc:
        ctx = _case_context(session, user, case_id)
        ctx.update(form={"text": text}, errors=exc.field_texts())
        return rerender(request, "deliberation/case.html", ctx, exc)
    return RedirectResponse(f"/moderation/cases/{case_id}?done=appealed", status_code=303)


# -- blocks ---------------------------------------------------------------------------------

def _blocks_context(session, user, slug: str, form: dict | None = None) -> dict[str, Any]:
    community = communities.get_by_slug(session, slug)
    return {"community": community, "blocks": service.blocks(session, user, community.id),
            "form": form or {}, "errors": {}}


@router.get("/communities/{slug}/blocks")
def blocks_page(request: Request, session: DbSession, user: CurrentUser, slug: str,
                user_id: str = Query("", max_length=12),
                done: str = Query("", max_length=20)):
    return render(request, "deliberation/blocks.html",
                  _blocks_context(session, user, slug[:64], {"user_id": user_id})
                  | {"flash": _flash(done)})


@router.post("/communities/{slug}/blocks")
def block(request: Request, session: DbSession, user: CurrentUser, slug: str,
          user_id: Annotated[str, Form(max_length=12)] = "",
          reason: Annotated[str, Form(max_length=500)] = "",
          days: Annotated[str, Form(max_length=5)] = ""):
    community = communities.get_by_slug(session, slug[:64])
    form = {"user_id": user_id, "reason": reason, "days": days}
    try:
        if not user_id.strip().isdigit() or not 1 <= int(user_id) <= 2**31 - 1:
            raise InvalidInput(fields={"user_id": N_("No such account.")})
        if days.strip() and not days.strip().isdigit():
            raise InvalidInput(fields={"days": N_("Block for 1 to 3,650 days, or for good.")})
        service.block(session, user, community.id, int(user_id), reason,
                      int(days) if days.strip() else None)
    except InvalidInput as exc:
        ctx = _blocks_context(session, user, community.slug, form)
        ctx["errors"] = exc.field_texts()
        return rerender(request, "deliberation/blocks.html", ctx, exc)
    return RedirectResponse(f"/communities/{quote(community.slug)}/blocks?done=blocked",
                            status_code=303)


@router.post("/blocks/{block_id:int}/lift")
def lift(request: Request, session: DbSession, user: CurrentUser, block_id: int):
    found = service.lift_block(session, user, block_id)
    community = communities.get(session, found.community_id)
    return RedirectResponse(f"/communities/{quote(community.slug)}/blocks?done=lifted",
                            status_code=303)


# -- residents' digests -----------------------------------------------------------------------

@router.get("/account/digest")
def digest_page(request: Request, session: DbSession, user: CurrentUser,
                done: str = Query("", max_length=20)):
    return render(request, "deliberation/digest.html", {
        "chosen": digests.frequency_of(session, user).value, "choices": DIGEST_LABELS,
        "flash": gettext(N_("Your choice is saved.")) if done == "saved" else None})


@router.post("/account/digest")
def choose_digest(request: Request, session: DbSession, user: CurrentUser,
                  frequency: Annotated[str, Form(max_length=8)] = ""):
    try:
        digests.choose(session, user, frequency)
    except InvalidInput as exc:
        return rerender(request, "deliberation/digest.html", {
            "chosen": frequency, "choices": DIGEST_LABELS}, exc)
    return RedirectResponse("/account/digest?done=saved", status_code=303)
