"""HTML pages of the petitions module: parse, authorise (in the service), render.

Every action is a plain form POST answered with a 303 redirect (or the page re-rendered with
its errors and a 4xx). htmx enhances the same routes: an HX-Request aimed at #signing gets only
the signing block of the petition page, one aimed at #results only the list's results, and the
draft form asks /petitions/similar while the author types.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app import clock
from app.communities import repository as communities_repo
from app.exceptions import DomainError, InvalidInput, NotAuthenticated, NotFound
from app.web import pagecache
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router, writes
from app.web.i18n import N_, gettext
from app.web.ratelimit import limit
from app.web.templating import render, targets
from petitions import permissions as perm
from petitions import service
from petitions.models import (
    CATEGORY_LABELS,
    DECISION_LABELS,
    LISTED_STATUSES,
    RATING_LABELS,
    REJECTION_LABELS,
    STATUS_LABELS,
    UPDATE_LABELS,
    AnswerCreate,
    Category,
    Decision,
    PetitionCreate,
    PublicStatus,
    UpdateCreate,
    UpdateStatus,
)

router = make_router(include_in_schema=False)

SORTS = {"newest": N_("Newest"), "signatures": N_("Most signatures"),
         "deadline": N_("Nearest deadline")}
FLASH = {
    "created": N_("The draft is saved. Submit it when it is ready."),
    "submitted": N_("The petition is submitted."),
    "edited": N_("The draft is saved."),
    "sponsored": N_("Thank you: you sponsor this petition."),
    "published": N_("The petition is published."),
    "rejected": N_("The petition is rejected."),
    "signed": N_("Thank you: your signature is counted."),
    "withdrawn": N_("Your signature is withdrawn."),
    "answered": N_("The answer is published."),
    "rated": N_("Thank you: your rating is counted."),
    "update": N_("The update is published."),
    "followed": N_("You follow this petition."),
    "unfollowed": N_("You no longer follow this petition."),
}


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "category_labels": CATEGORY_LABELS,
            "decision_labels": DECISION_LABELS, "rejection_labels": REJECTION_LABELS,
            "rating_labels": RATING_LABELS, "update_labels": UPDATE_LABELS,
            "last_day": service.last_day}


def _local_name(obj, lang: str) -> str:
    return obj.name_en if lang == "en" and getattr(obj, "name_en", None) else obj.name


def _date(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(fields={field: (N_("Enter a date (YYYY-MM-DD)."), {})}) from None


def _see(petition_id: int, done: str | None = None, anchor: str = "") -> RedirectResponse:
    query = f"?done={done}" if done else ""
    return RedirectResponse(f"/petitions/{petition_id}{query}{anchor}", status_code=303)


# -- list -----------------------------------------------------------------------------------

@router.get("/petitions")
@pagecache.shared_page
def list_petitions(request: Request, session: DbSession, user: OptionalUser,
                   community: str = Query("", max_length=64),
                   status: str = Query("", max_length=20),
                   category: str = Query("", max_length=32),
                   q: str = Query("", max_length=200),
                   sort: str = Query("newest", max_length=20),
                   page: int = Query(1, ge=1, le=100_000)):
    if status and status not in LISTED_STATUSES:
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"status": N_("Choose one of the offered options.")})
    category = category if category in Category.__members__ else ""
    sort = sort if sort in SORTS else "newest"
    result = service.listing(session, community=community or None,
                             status=PublicStatus(status) if status else None,
                             category=category or None, q=q or None, sort=sort, page=page)
    filters = {"community": community, "status": status, "category": category, "q": q,
               "sort": sort}
    context = {
        "listing": result, "filters": filters, "sorts": SORTS,
        "communities": communities_repo.communities(session),
        "statuses": LISTED_STATUSES, "categories": list(Category),
        "page_url": "?" + urlencode({k: v for k, v in filters.items() if v}) + "&",
        **_labels(),
    }
    block = "results" if targets(request, "results") else None
    return render(request, "petitions/list.html", context, block=block)


@router.get("/petitions/similar")
def similar(request: Request, session: DbSession, q: str = Query("", max_length=2000),
            title: str = Query("", max_length=2000), community_id: int | None = Query(None),
            exclude: int | None = Query(None)):
    """Published petitions like the one being typed (an htmx fragment of the draft form,
    which sends the title field as `title`)."""
    q = q or title
    rows = service.similar(session, q, community_id, exclude_id=exclude)
    return render(request, "petitions/form.html", {"similar": rows, "query": q, **_labels()},
                  block="similar")


# -- drafting -------------------------------------------------------------------------------

def _form_page(request: Request, session, user, *, community, form: dict, errors: dict,
               petition=None, status_code: int = 200):
    rules = None
    authorities = []
    if community is not None:
        from app.rules import service as rules_service

        rules = rules_service.current(session, community.id).rules.petitions
        authorities = service.authorities_of(session, community.id)
    similar_rows = service.similar(session, form.get("title", ""), community and community.id,
                                   exclude_id=petition and petition.id)
    return render(request, "petitions/form.html", {
        "community": community, "communities": service.drafting_communities(session, user),
        "authorities": authorities, "rules": rules, "form": form, "errors": errors,
        "petition": petition, "similar": similar_rows, "query": form.get("title", ""),
        "categories": list(Category), "min_title": service.TITLE_MIN,
        "min_text": service.TEXT_MIN, **_labels(),
    }, status_code=status_code)


@router.get("/petitions/new")
def new_petition(request: Request, session: DbSession, user: CurrentUser,
                 community: str = Query("", max_length=64)):
    allowed = service.drafting_communities(session, user)
    chosen = next((c for c in allowed if c.slug == community), None)
    if chosen is None and len(allowed) == 1:
        chosen = allowed[0]
    return _form_page(request, session, user, community=chosen, form={}, errors={})


@router.post("/petitions")
def create_petition(request: Request, session: DbSession, user: CurrentUser,
                    community_id: Annotated[int, Form()],
                    authority_id: Annotated[int | None, Form()] = None,
                    title: Annotated[str, Form(max_length=2000)] = "",
                    text: Annotated[str, Form(max_length=200_000)] = "",
                    category: Annotated[str, Form(max_length=32)] = "",
                    action: Annotated[str, Form(max_length=10)] = "draft"):
    limit(request, "create")
    form = {"title": title, "text": text, "category": category, "authority_id": authority_id}
    try:
        data = PetitionCreate.model_construct(
            community_id=community_id, authority_id=authority_id or 0, title=title, text=text,
            category=category, submit=action == "submit")
        petition = service.create(session, user, data)
    except InvalidInput as exc:
        community = next((c for c in service.drafting_communities(session, user)
                          if c.id == community_id), None)
        if community is None:
            raise
        return _form_page(request, session, user, community=community, form=form,
                          errors=exc.field_texts(), status_code=422)
    return _see(petition.id, "submitted" if action == "submit" else "created")


@router.get("/petitions/mine")
def my_petitions(request: Request, session: DbSession, user: CurrentUser):
    return render(request, "petitions/mine.html", {
        "petitions": service.authored(session, user), "now": clock.now(),
        "public_status": service.public_status, **_labels()})


@router.get("/petitions/moderation")
def moderation_queue(request: Request, session: DbSession, user: CurrentUser):
    return render(request, "petitions/moderation.html", {
        "petitions": service.moderation_queue(session, user), **_labels()})


@router.get("/petitions/{petition_id:int}/edit")
def edit_form(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    petition = service.get_visible(session, petition_id, user)
    perm.check_edit(session, user, petition, clock.now())
    community = communities_repo.community(session, petition.community_id)
    form = {"title": petition.title, "text": petition.text, "category": petition.category,
            "authority_id": petition.authority_id}
    return _form_page(request, session, user, community=community, form=form, errors={},
                      petition=petition)


@router.post("/petitions/{petition_id:int}/edit")
def edit(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
         authority_id: Annotated[int | None, Form()] = None,
         title: Annotated[str, Form(max_length=2000)] = "",
         text: Annotated[str, Form(max_length=200_000)] = "",
         category: Annotated[str, Form(max_length=32)] = "",
         action: Annotated[str, Form(max_length=10)] = "draft"):
    form = {"title": title, "text": text, "category": category, "authority_id": authority_id}
    try:
        petition = service.edit(session, petition_id, user, title=title, text=text,
                                category=category, authority_id=authority_id or 0)
        if action == "submit":
            service.submit(session, petition_id, user)
    except InvalidInput as exc:
        petition = service.get_visible(session, petition_id, user)
        community = communities_repo.community(session, petition.community_id)
        return _form_page(request, session, user, community=community, form=form,
                          errors=exc.field_texts(), petition=petition, status_code=422)
    return _see(petition.id, "submitted" if action == "submit" else "edited")


# -- the petition page and its actions ------------------------------------------------------

def _page(request: Request, session, user, petition_id: int, *, errors: dict | None = None,
          form: dict | None = None, error: str | None = None, status_code: int = 200,
          block: str | None = None, flash: str | None = None):
    view = service.detail(session, petition_id, user)
    lang = request.state.lang
    return render(request, "petitions/detail.html", {
        "view": view, "p": view.petition, "errors": errors or {}, "form": form or {},
        "error": error, "flash": flash, "block_error": error if block else None,
        "block_flash": flash if block else None,
        "community_name": _local_name(view.community, lang),
        "authority_name": _local_name(view.authority, lang),
        "reasons": list(REJECTION_LABELS), "decisions": list(Decision),
        "update_statuses": list(UpdateStatus), "today": clock.today(),
        "share_url": service.link_of(view.petition.id), **_labels(),
    }, status_code=status_code, block=block)


@router.get("/petitions/{petition_id:int}")
@pagecache.shared_page
def petition_page(request: Request, session: DbSession, user: OptionalUser, petition_id: int,
                  done: str = Query("", max_length=20)):
    flash = gettext(FLASH[done]) if done in FLASH else None
    block = "signing" if targets(request, "signing") else None
    return _page(request, session, user, petition_id, flash=flash, block=block)


def _act(request: Request, session, user, petition_id: int, action, done: str, *,
         form: dict | None = None, anchor: str = "", block_target: str | None = None
         ) -> Response:
    """Run an action of the petition page; on a domain error show the page with it."""
    htmx_block = block_target if block_target and targets(request, block_target) else None
    try:
        action()
    except (NotAuthenticated, NotFound):
        raise
    except DomainError as exc:
        message = gettext(exc.message)
        if exc.params:
            message = message.format(**exc.params)
        errors = exc.field_texts()
        return _page(request, session, user, petition_id, errors=errors, form=form,
                     error=message, status_code=exc.status_code, block=htmx_block)
    if htmx_block:
        return _page(request, session, user, petition_id, block=htmx_block,
                     flash=gettext(FLASH[done]))
    return _see(petition_id, done, anchor)


@router.post("/petitions/{petition_id:int}/submit")
def submit(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: service.submit(session, petition_id, user), "submitted")


@router.post("/petitions/{petition_id:int}/sponsor")
def sponsor(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: service.sponsor(session, petition_id, user), "sponsored")


@router.post("/petitions/{petition_id:int}/publish")
def publish(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: service.publish(session, petition_id, user), "published")


@router.post("/petitions/{petition_id:int}/reject")
def reject(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
           reason: Annotated[str, Form(max_length=32)] = "",
           explanation: Annotated[str, Form(max_length=5000)] = ""):
    return _act(request, session, user, petition_id,
                lambda: service.reject(session, petition_id, user, reason, explanation),
                "rejected", form={"reason": reason, "explanation": explanation})


@router.post("/petitions/{petition_id:int}/sign")
@writes(False)  # the signature itself goes through the group commit
def sign(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
         public_name: Annotated[bool, Form()] = False):
    limit(request, "sign")
    return _act(request, session, user, petition_id,
                lambda: service.sign(session, petition_id, user, public_name), "signed",
                anchor="#signing", block_target="signing")


@router.post("/petitions/{petition_id:int}/withdraw")
@pagecache.keeps_pages
def withdraw(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: service.withdraw(session, petition_id, user), "withdrawn",
                anchor="#signing", block_target="signing")


@router.post("/petitions/{petition_id:int}/answer")
def answer(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
           decision: Annotated[str, Form(max_length=20)] = "",
           text: Annotated[str, Form(max_length=200_000)] = "",
           planned_steps: Annotated[str, Form(max_length=20_000)] = "",
           planned_by: Annotated[str, Form(max_length=10)] = "",
           forwarded_to: Annotated[str, Form(max_length=300)] = ""):
    form = {"decision": decision, "text": text, "planned_steps": planned_steps,
            "planned_by": planned_by, "forwarded_to": forwarded_to}

    def run():
        if decision not in Decision.__members__:
            raise InvalidInput(fields={"decision": (N_("Choose one of the offered options."), {})})
        service.answer(session, petition_id, user, AnswerCreate(
            decision=Decision(decision), text=text, planned_steps=planned_steps or None,
            planned_by=_date(planned_by, "planned_by"), forwarded_to=forwarded_to or None))

    return _act(request, session, user, petition_id, run, "answered", form=form,
                anchor="#answer")


@router.post("/petitions/{petition_id:int}/rate")
def rate(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
         value: Annotated[str, Form(max_length=10)] = ""):
    return _act(request, session, user, petition_id,
                lambda: service.rate(session, petition_id, user, value), "rated",
                anchor="#answer")


@router.post("/petitions/{petition_id:int}/updates")
def post_update(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
                status: Annotated[str, Form(max_length=20)] = "",
                text: Annotated[str, Form(max_length=20_000)] = "",
                happened_on: Annotated[str, Form(max_length=10)] = ""):
    form = {"status": status, "update_text": text, "happened_on": happened_on}

    def run():
        if status not in UpdateStatus.__members__:
            raise InvalidInput(fields={"status": (N_("Choose one of the offered options."), {})})
        service.post_update(session, petition_id, user, UpdateCreate(
            status=UpdateStatus(status), text=text,
            happened_on=_date(happened_on, "happened_on")))

    return _act(request, session, user, petition_id, run, "update", form=form,
                anchor="#updates")


@router.post("/petitions/{petition_id:int}/follow")
@pagecache.keeps_pages
def follow(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: service.follow(session, petition_id, user), "followed")


@router.post("/petitions/{petition_id:int}/unfollow")
@pagecache.keeps_pages
def unfollow(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: service.unfollow(session, petition_id, user), "unfollowed")


@router.get("/petitions/{petition_id:int}/signers")
def signers(request: Request, session: DbSession, user: OptionalUser, petition_id: int,
            page: int = Query(1, ge=1, le=1_000_000)):
    petition, names, pages = service.signers_page(session, petition_id, user, page)
    return render(request, "petitions/signers.html", {
        "p": petition, "names": names, "page": min(page, pages), "pages": pages,
        "withheld": perm.withheld_title(petition), **_labels()})


# -- paper signatures -----------------------------------------------------------------------

def _paper_page(request, session, user, petition_id: int, *, form: dict, errors: dict,
                error: str | None = None, flash: str | None = None, status_code: int = 200):
    petition = service.get_visible(session, petition_id, user)
    perm.check_record_paper(session, user, petition, clock.now())
    return render(request, "petitions/paper.html", {
        "p": petition, "form": form, "errors": errors, "error": error, "flash": flash,
        **_labels()}, status_code=status_code)


@router.get("/petitions/{petition_id:int}/paper")
def paper_form(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
               recorded: int = Query(0, ge=0, le=1)):
    flash = gettext(N_("The paper signature is counted.")) if recorded else None
    return _paper_page(request, session, user, petition_id, form={}, errors={}, flash=flash)


@router.post("/petitions/{petition_id:int}/paper")
def record_paper(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
                 full_name: Annotated[str, Form(max_length=300)] = "",
                 birth_date: Annotated[str, Form(max_length=10)] = "",
                 address: Annotated[str, Form(max_length=500)] = "",
                 email: Annotated[str, Form(max_length=254)] = ""):
    form = {"full_name": full_name, "birth_date": birth_date, "address": address,
            "email": email}
    try:
        service.record_paper(session, petition_id, user, service.PaperSigner(
            full_name=full_name, birth_date=_date(birth_date, "birth_date"), address=address,
            email=email))
    except (NotAuthenticated, NotFound):
        raise
    except DomainError as exc:
        message = gettext(exc.message)
        if exc.params:
            message = message.format(**exc.params)
        errors = exc.field_texts()
        if exc.status_code == 403:
            raise
        return _paper_page(request, session, user, petition_id, form=form, errors=errors,
                           error=message, status_code=exc.status_code)
    return RedirectResponse(f"/petitions/{petition_id}/paper?recorded=1", status_code=303)
