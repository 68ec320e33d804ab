"""HTML pages of consultations: parse, authorise (in the service), render.

Every form posts and redirects (303) or re-renders with its errors (422) without JavaScript.
htmx enhances two things through the same routes: an answer is saved per question (the route
answers with that question's block), and a comment is posted in place (the route answers with
the section's thread).
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from fastapi.responses import Response as HttpResponse
from starlette.datastructures import FormData

from app import clock
from app.accountability import service as accountability
from app.communities import permissions as cp
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.exceptions import DomainError, Forbidden, InvalidInput, NotFound
from app.settings import get_settings
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router
from app.web.forms import parse
from app.web.i18n import N_, gettext
from app.web.ratelimit import limit
from app.web.templating import is_htmx, render
from consultations import charts, permissions, uploads
from consultations import service as svc
from consultations.models import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    PHASE_LABELS,
    PUBLICATION_LABELS,
    QUESTION_KIND_LABELS,
    RATING_LABELS,
    AnswerIn,
    Category,
    CommentIn,
    Consultation,
    ConsultationCreate,
    ConsultationUpdate,
    OrganisationIn,
    Outcome,
    Phase,
    Publication,
    QuestionCreate,
    QuestionKind,
    Rating,
    ReportIn,
    ReportItemIn,
    ResponseEdit,
    ResponseIn,
)

router = make_router()

LABELS = {
    "phases": PHASE_LABELS, "categories": CATEGORY_LABELS, "publications": PUBLICATION_LABELS,
    "kinds": QUESTION_KIND_LABELS, "outcomes": OUTCOME_LABELS, "ratings": RATING_LABELS,
}


async def form_data(request: Request) -> FormData:
    """The whole submitted form, for forms whose fields depend on the questionnaire."""
    return await request.form()


Form_ = Annotated[FormData, Depends(form_data)]


def _errors(exc: DomainError) -> dict[str, str]:
    """Per-field messages, and the main message under "form" (shown at the top)."""
    errors = exc.field_texts()
    message = gettext(exc.message)
    if exc.params:
        with contextlib.suppress(KeyError, IndexError):
            message = message.format(**exc.params)
    errors["form"] = message
    return errors


def _base(session, user, c: Consultation) -> dict[str, Any]:
    return {
        "c": c,
        "phase": svc.phase(c),
        "community": communities.get(session, c.community_id),
        "authority": communities.get_authority(session, c.authority_id),
        "is_staff": permissions.is_staff_of(session, user, c),
        "L": LABELS,
    }


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


# -- list and creation --------------------------------------------------------------------

@router.get("/consultations")
def listing(request: Request, session: DbSession, user: OptionalUser,
            community: str = Query("", max_length=64), phase: str = Query("", max_length=16),
            page: int = Query(1, ge=1, le=10_000)):
    place = communities.get_by_slug(session, community) if community else None
    phase_filter = phase if phase in tuple(Phase) else None
    items, total = svc.listing(session, user, community_id=place.id if place else None,
                               phase_filter=phase_filter, page=page)
    per_page = get_settings().page_size
    names = {c.id: c for c in communities_repo.communities(session)}
    can_create = bool(user and cp.memberships(session, user).official_of)
    return render(request, "consultations/list.html", {
        "items": [(c, svc.phase(c), names.get(c.community_id)) for c in items],
        "total": total, "page": page, "pages": max(1, -(-total // per_page)),
        "community": place, "communities": list(names.values()), "phase_filter": phase_filter,
        "can_create": can_create, "L": LABELS,
        "query": f"?community={quote(community)}&phase={quote(phase_filter or '')}&",
    })


def _authority_choices(session, user) -> list[tuple[int, str]]:
    out = []
    for authority_id in sorted(cp.memberships(session, user).official_of):
        authority = communities.get_authority(session, authority_id)
        community = communities.get(session, authority.community_id)
        out.append((authority.id, f"{community.name} — {authority.name}"))
    return out


def _form_page(request, session, user, c, form, errors, status_code=200, flash=None):
    ctx = {"form": form, "errors": errors, "authorities": _authority_choices(session, user),
           "L": LABELS, "flash": flash}
    if c is not None:
        rules = svc.rules_of(session, c)
        ctx.update(_base(session, user, c))
        ctx.update({"questions": svc.questions(session, c), "sections": svc.sections(session, c),
                    "attachments": svc.attachments(session, c), "rules": rules,
                    "allowed_types": uploads.ALLOWED_LABEL,
                    "max_mb": uploads.MAX_BYTES // (1024 * 1024)})
        return render(request, "consultations/edit.html", ctx, status_code=status_code)
    return render(request, "consultations/new.html", ctx, status_code=status_code)


@router.get("/consultations/new")
def new_form(request: Request, session: DbSession, user: CurrentUser):
    if not cp.memberships(session, user).official_of:
        raise Forbidden(N_("Only an official of an authority can open a consultation."))
    return _form_page(request, session, user, None, {}, {})


@router.post("/consultations/new")
def create(request: Request, session: DbSession, user: CurrentUser,
           authority_id: Annotated[str, Form(max_length=20)] = "",
           title: Annotated[str, Form(max_length=400)] = "",
           summary: Annotated[str, Form(max_length=4000)] = "",
           body: Annotated[str, Form(max_length=200_000)] = "",
           stakeholders: Annotated[str, Form(max_length=4000)] = "",
           start_date: Annotated[str, Form(max_length=20)] = "",
           end_date: Annotated[str, Form(max_length=20)] = ""):
    form = {"authority_id": authority_id, "title": title, "summary": summary, "body": body,
            "stakeholders": stakeholders, "start_date": start_date, "end_date": end_date}
    try:
        authority = None
        if authority_id.isdigit():
            authority = communities.get_authority(session, int(authority_id))
        data = parse(ConsultationCreate, {
            "community_id": authority.community_id if authority else 0,
            "authority_id": authority.id if authority else 0,
            "title": title, "summary": summary, "body": body,
            "stakeholders": _lines(stakeholders),
            "start_date": start_date or None, "end_date": end_date or None})
        c = svc.create(session, user, data)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _form_page(request, session, user, None, form, _errors(exc), 422)
    return RedirectResponse(f"/consultations/{c.id}/edit", status_code=303)


# -- organisations (before /consultations/{id}) -------------------------------------------

def _organisations_page(request, session, user, form, errors, status_code=200, flash=None):
    mine = svc.organisations_of(session, user)
    names = {c.id: c for c in communities_repo.communities(session)}
    return render(request, "consultations/organisations.html", {
        "organisations": [(o, names.get(o.community_id)) for o in mine],
        "communities": list(names.values()), "form": form, "errors": errors,
        "categories": [(c.value, gettext(CATEGORY_LABELS[c])) for c in Category
                       if c != Category.resident],
        "can_review": bool(cp.memberships(session, user).official_in) or cp.is_admin(user),
        "flash": flash, "L": LABELS}, status_code=status_code)


@router.get("/consultations/organisations")
def organisations(request: Request, session: DbSession, user: CurrentUser,
                  registered: int = 0):
    flash = gettext("The organisation is registered. An official of the community will "
                    "verify it.") if registered else None
    return _organisations_page(request, session, user, {}, {}, flash=flash)


@router.post("/consultations/organisations")
def register_organisation(request: Request, session: DbSession, user: CurrentUser,
                          community_id: Annotated[str, Form(max_length=20)] = "",
                          name: Annotated[str, Form(max_length=400)] = "",
                          category: Annotated[str, Form(max_length=20)] = "",
                          code: Annotated[str, Form(max_length=40)] = ""):
    form = {"community_id": community_id, "name": name, "category": category, "code": code}
    try:
        data = parse(OrganisationIn, {"community_id": community_id or None, "name": name,
                                      "category": category or None, "code": code})
        svc.register_organisation(session, user, data)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _organisations_page(request, session, user, form, _errors(exc), 422)
    return RedirectResponse("/consultations/organisations?registered=1", status_code=303)


@router.get("/consultations/organisations/review")
def organisations_review(request: Request, session: DbSession, user: CurrentUser):
    if not (cp.memberships(session, user).official_in or cp.is_admin(user)):
        raise Forbidden(N_("Only an official of the organisation's community can verify it."))
    pending = svc.organisations_to_verify(session, user)
    names = {c.id: c for c in communities_repo.communities(session)}
    return render(request, "consultations/organisations_review.html", {
        "pending": [(o, names.get(o.community_id)) for o in pending], "L": LABELS})


@router.post("/consultations/organisations/{organisation_id}/verify")
def verify_organisation(session: DbSession, user: CurrentUser, organisation_id: int):
    svc.verify_organisation(session, user, organisation_id)
    return RedirectResponse("/consultations/organisations/review", status_code=303)


# -- the consultation page ----------------------------------------------------------------

def _detail_context(session, user, c: Consultation, errors: dict | None = None,
                    form: dict | None = None) -> dict[str, Any]:
    ctx = _base(session, user, c)
    phase = ctx["phase"]
    orgs = svc.organisations_of(session, user)
    ctx.update({
        "sections": svc.sections(session, c),
        "threads": svc.comment_threads(session, user, c),
        "attachments": svc.attachments(session, c),
        "question_count": len(svc.questions(session, c)),
        "my_responses": svc.responses_of(session, user, c),
        "may_take_part": permissions.may_take_part(session, user, c, orgs),
        "can_comment": permissions.can_comment(session, user, c, phase, orgs),
        "can_moderate": permissions.can_moderate(session, user, c, phase),
        "can_edit": permissions.can_edit(session, user, c, phase),
        "report_due": svc.last_day(svc.report_due(session, c)),
        "errors": errors or {}, "form": form or {},
        "publications": [(p.value, gettext(PUBLICATION_LABELS[p])) for p in Publication],
    })
    return ctx


@router.get("/consultations/{consultation_id}")
def detail(request: Request, session: DbSession, user: OptionalUser, consultation_id: int):
    c = svc.get_visible(session, user, consultation_id)
    return render(request, "consultations/detail.html", _detail_context(session, user, c))


@router.get("/consultations/{consultation_id}/attachments/{attachment_id}")
def download(session: DbSession, user: OptionalUser, consultation_id: int, attachment_id: int):
    attachment = svc.attachment_for_download(session, user, consultation_id, attachment_id)
    try:
        path = uploads.path_of(attachment.stored_name)
        data = path.read_bytes()
    except (OSError, ValueError):
        raise NotFound(N_("The file is missing.")) from None
    ascii_name = attachment.filename.encode("ascii", "ignore").decode() or "file"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    disposition = (f'attachment; filename="{ascii_name}"; '
                   f"filename*=UTF-8''{quote(attachment.filename)}")
    return HttpResponse(data, media_type=attachment.content_type, headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=300"})


# -- drafting -----------------------------------------------------------------------------

def _edit_form(c: Consultation) -> dict[str, Any]:
    return {"title": c.title, "summary": c.summary, "body": c.body,
            "stakeholders": "\n".join(c.stakeholders or []),
            "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat()}


@router.get("/consultations/{consultation_id}/edit")
def edit_form(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
              saved: int = 0):
    c = svc.get_editable(session, user, consultation_id)
    return _form_page(request, session, user, c, _edit_form(c), {},
                      flash=gettext("Saved.") if saved else None)


@router.post("/consultations/{consultation_id}/edit")
def edit(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
         title: Annotated[str, Form(max_length=400)] = "",
         summary: Annotated[str, Form(max_length=4000)] = "",
         body: Annotated[str, Form(max_length=200_000)] = "",
         stakeholders: Annotated[str, Form(max_length=4000)] = "",
         start_date: Annotated[str, Form(max_length=20)] = "",
         end_date: Annotated[str, Form(max_length=20)] = ""):
    c = svc.get_editable(session, user, consultation_id)
    form = {"title": title, "summary": summary, "body": body, "stakeholders": stakeholders,
            "start_date": start_date, "end_date": end_date}
    try:
        data = parse(ConsultationUpdate, {
            "title": title, "summary": summary, "body": body,
            "stakeholders": _lines(stakeholders), "start_date": start_date or None,
            "end_date": end_date or None})
        svc.update(session, user, c, data)
    except InvalidInput as exc:
        session.refresh(c)  # the request rolls back; show the stored draft around the form
        return _form_page(request, session, user, c, form, _errors(exc), 422)
    return RedirectResponse(f"/consultations/{c.id}/edit?saved=1", status_code=303)


@router.post("/consultations/{consultation_id}/questions")
def add_question(request: Request, session: DbSession, user: CurrentUser,
                 consultation_id: int,
                 kind: Annotated[str, Form(max_length=16)] = "",
                 prompt: Annotated[str, Form(max_length=1000)] = "",
                 required: Annotated[str, Form(max_length=5)] = "",
                 options: Annotated[str, Form(max_length=8000)] = ""):
    c = svc.get_editable(session, user, consultation_id)
    try:
        data = parse(QuestionCreate, {"kind": kind or None, "prompt": prompt,
                                      "required": bool(required), "options": _lines(options)})
        svc.add_question(session, user, c, data)
    except InvalidInput as exc:
        errors = {f"question_{k}": v for k, v in _errors(exc).items()}
        form = _edit_form(c) | {"question_kind": kind, "question_prompt": prompt,
                                "question_options": options, "question_required": required}
        return _form_page(request, session, user, c, form, errors, 422)
    return RedirectResponse(f"/consultations/{c.id}/edit#questions", status_code=303)


@router.post("/consultations/{consultation_id}/questions/{question_id}/delete")
def delete_question(session: DbSession, user: CurrentUser, consultation_id: int,
                    question_id: int):
    c = svc.get_editable(session, user, consultation_id)
    svc.delete_question(session, user, c, question_id)
    return RedirectResponse(f"/consultations/{c.id}/edit#questions", status_code=303)


@router.post("/consultations/{consultation_id}/attachments")
def upload(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
           file: Annotated[UploadFile | None, File()] = None):
    c = svc.get_editable(session, user, consultation_id)
    try:
        if file is None or not file.filename:
            raise svc._invalid(N_("Choose a file to attach."), "file")
        data = file.file.read(uploads.MAX_BYTES + 1)
        svc.add_attachment(session, user, c, file.filename, data)
    except InvalidInput as exc:
        return _form_page(request, session, user, c, _edit_form(c), _errors(exc), 422)
    return RedirectResponse(f"/consultations/{c.id}/edit#attachments", status_code=303)


@router.post("/consultations/{consultation_id}/attachments/{attachment_id}/delete")
def delete_attachment(session: DbSession, user: CurrentUser, consultation_id: int,
                      attachment_id: int):
    c = svc.get_editable(session, user, consultation_id)
    svc.delete_attachment(session, user, c, attachment_id)
    return RedirectResponse(f"/consultations/{c.id}/edit#attachments", status_code=303)


@router.post("/consultations/{consultation_id}/publish")
def publish(request: Request, session: DbSession, user: CurrentUser, consultation_id: int):
    c = svc.get_editable(session, user, consultation_id)
    try:
        svc.publish(session, user, c)
    except InvalidInput as exc:
        return _form_page(request, session, user, c, _edit_form(c), _errors(exc), 422)
    return RedirectResponse(f"/consultations/{c.id}", status_code=303)


# -- responding ---------------------------------------------------------------------------

def _answers_from_form(views: list[svc.QuestionView], form: FormData,
                       only: int | None = None) -> list[AnswerIn]:
    out = []
    for view in views:
        q = view.question
        if only is not None and q.id != only:
            continue
        values = [v for v in form.getlist(f"q{q.id}") if isinstance(v, str)]
        if q.kind == QuestionKind.text:
            out.append(AnswerIn(question_id=q.id, text=(values[0] if values else "")[:5000]))
        else:
            ids = [int(v) if v.isdigit() and len(v) < 12 else -1 for v in values if v]
            out.append(AnswerIn(question_id=q.id, option_ids=ids[:30]))
    return out


def _respond_context(session, user, c: Consultation, as_org: int | None,
                     errors: dict | None = None, submitted: dict | None = None,
                     saved: int | None = None) -> dict[str, Any]:
    ctx = _base(session, user, c)
    phase = ctx["phase"]
    orgs = [o for o in svc.organisations_of(session, user)
            if permissions.owns_verified_organisation(user, o, c.community_id)]
    resident = permissions.is_resident(session, user, c.community_id)
    respondents = ([(None, user.display_name)] if resident else []) + [
        (o.id, o.name) for o in orgs]
    if as_org is None and not resident and orgs:
        as_org = orgs[0].id
    selected_org = next((o for o in orgs if o.id == as_org), None)
    key = f"o:{selected_org.id}" if selected_org else f"u:{user.id}"
    existing = next((r for r in svc.responses_of(session, user, c) if r.respondent_key == key),
                    None)
    ctx.update({
        "questions": svc.questions(session, c),
        "respondents": respondents, "as_org": selected_org.id if selected_org else None,
        "eligible": resident or bool(orgs),
        "can_answer": phase == Phase.open and (bool(selected_org) or resident),
        "response": existing,
        "answers": svc.answers_by_question(session, existing) if existing else {},
        "submitted": submitted or {}, "errors": errors or {}, "saved": saved,
        "publications": [(p.value, gettext(PUBLICATION_LABELS[p])) for p in Publication],
    })
    return ctx


def _submitted(form: FormData) -> dict[str, list[str]]:
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


@router.get("/consultations/{consultation_id}/respond")
def respond_page(request: Request, session: DbSession, user: CurrentUser,
                 consultation_id: int, as_org: Annotated[int | None, Query(alias="as")] = None,
                 saved: int | None = None):
    c = svc.get_visible(session, user, consultation_id)
    return render(request, "consultations/respond.html",
                  _respond_context(session, user, c, as_org, saved=saved))


@router.post("/consultations/{consultation_id}/respond")
def respond(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
            form: Form_):
    c = svc.get_visible(session, user, consultation_id)
    limit(request, "vote")
    org_raw = form.get("organisation_id") or ""
    as_org = int(org_raw) if isinstance(org_raw, str) and org_raw.isdigit() else None
    publication = form.get("publication") or Publication.named
    try:
        if publication not in tuple(Publication):
            raise svc._invalid(N_("Choose how your contribution is published."), "publication")
        views = svc.questions(session, c)
        data = ResponseIn(organisation_id=as_org, publication=publication,
                          answers=_answers_from_form(views, form))
        svc.respond(session, user, c, data)
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        ctx = _respond_context(session, user, c, as_org, errors=_errors(exc),
                               submitted=_submitted(form))
        return render(request, "consultations/respond.html", ctx, status_code=exc.status_code)
    suffix = f"&as={as_org}" if as_org else ""
    return RedirectResponse(f"/consultations/{c.id}/respond?saved=0{suffix}", status_code=303)


@router.post("/consultations/{consultation_id}/responses/{response_id}/questions/{question_id}")
def save_answer(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
                response_id: int, question_id: int, form: Form_):
    c = svc.get_visible(session, user, consultation_id)
    response = svc.own_response(session, user, c, response_id)
    views = svc.questions(session, c)
    view = next((v for v in views if v.question.id == question_id), None)
    if view is None:
        raise NotFound(N_("No such question."))
    as_org = response.organisation_id
    try:
        svc.edit_response(session, user, c, response.id, ResponseEdit(
            answers=_answers_from_form(views, form, only=question_id)))
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        errors = _errors(exc)
        if is_htmx(request):
            return render(request, "consultations/_question.html", {
                "c": c, "view": view, "response": response, "errors": errors,
                "answer": svc.CleanAnswer(), "submitted": _submitted(form), "saved": None,
                "phase": svc.phase(c), "L": LABELS}, status_code=exc.status_code)
        ctx = _respond_context(session, user, c, as_org, errors=errors,
                               submitted=_submitted(form))
        return render(request, "consultations/respond.html", ctx, status_code=exc.status_code)
    if is_htmx(request):
        answers = svc.answers_by_question(session, response)
        return render(request, "consultations/_question.html", {
            "c": c, "view": view, "response": response, "errors": {},
            "answer": answers.get(question_id, svc.CleanAnswer()), "submitted": {},
            "saved": question_id, "phase": svc.phase(c), "L": LABELS})
    suffix = f"&as={as_org}" if as_org else ""
    return RedirectResponse(
        f"/consultations/{c.id}/respond?saved={question_id}{suffix}#question-{question_id}",
        status_code=303)


@router.post("/consultations/{consultation_id}/responses/{response_id}/publication")
def change_publication(request: Request, session: DbSession, user: CurrentUser,
                       consultation_id: int, response_id: int,
                       publication: Annotated[str, Form(max_length=16)] = ""):
    c = svc.get_visible(session, user, consultation_id)
    response = svc.own_response(session, user, c, response_id)
    if publication not in tuple(Publication):
        raise svc._invalid(N_("Choose how your contribution is published."), "publication")
    svc.edit_response(session, user, c, response.id, ResponseEdit(publication=publication))
    suffix = f"&as={response.organisation_id}" if response.organisation_id else ""
    return RedirectResponse(f"/consultations/{c.id}/respond?saved=0{suffix}", status_code=303)


# -- comments -----------------------------------------------------------------------------

@router.post("/consultations/{consultation_id}/sections/{section_id}/comments")
def comment(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
            section_id: int, body: Annotated[str, Form(max_length=8000)] = "",
            parent_id: Annotated[str, Form(max_length=20)] = "",
            publication: Annotated[str, Form(max_length=16)] = "named"):
    c = svc.get_visible(session, user, consultation_id)
    limit(request, "create")
    form = {"body": body, "parent_id": parent_id, "publication": publication,
            "section_id": section_id}
    try:
        if publication not in tuple(Publication):
            raise svc._invalid(N_("Choose how your contribution is published."), "publication")
        created = svc.add_comment(session, user, c, CommentIn.model_construct(
            section_id=section_id, parent_id=int(parent_id) if parent_id.isdigit() else None,
            body=body, publication=Publication(publication)))
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        ctx = _detail_context(session, user, c, errors=_errors(exc), form=form)
        section = next((s for s in ctx["sections"] if s.id == section_id), None)
        if is_htmx(request) and section is not None:
            return render(request, "consultations/_comments.html",
                          ctx | {"section": section}, status_code=exc.status_code)
        return render(request, "consultations/detail.html", ctx, status_code=exc.status_code)
    if is_htmx(request):
        ctx = _detail_context(session, user, c)
        section = next(s for s in ctx["sections"] if s.id == section_id)
        return render(request, "consultations/_comments.html",
                      ctx | {"section": section, "posted": created.id})
    return RedirectResponse(f"/consultations/{c.id}#comment-{created.id}", status_code=303)


@router.post("/consultations/{consultation_id}/comments/{comment_id}/hide")
def hide_comment(request: Request, session: DbSession, user: CurrentUser,
                 consultation_id: int, comment_id: int,
                 reason: Annotated[str, Form(max_length=1000)] = ""):
    c = svc.get_visible(session, user, consultation_id)
    try:
        svc.hide_comment(session, user, c, comment_id, reason)
    except InvalidInput as exc:
        ctx = _detail_context(session, user, c, errors=_errors(exc),
                              form={"hide": comment_id, "reason": reason})
        return render(request, "consultations/detail.html", ctx, status_code=422)
    return RedirectResponse(f"/consultations/{c.id}#comment-{comment_id}", status_code=303)


# -- results ------------------------------------------------------------------------------

@router.get("/consultations/{consultation_id}/results")
def results(request: Request, session: DbSession, user: OptionalUser, consultation_id: int):
    c = svc.get_visible(session, user, consultation_id)
    data = svc.results(session, c)
    charts_by_question = {}
    for q in data.questions:
        if q.kind != QuestionKind.text:
            charts_by_question[q.question_id] = charts.bar_chart(
                f"chart-q{q.question_id}", q.prompt,
                [charts.Bar(o.label, o.count, o.percent) for o in q.options])
    category_chart = charts.bar_chart(
        "chart-categories", gettext("Respondents by category"),
        [charts.Bar(gettext(CATEGORY_LABELS[cc.category]), cc.count,
                    round(100 * cc.count / data.response_count, 1) if data.response_count
                    else 0.0) for cc in data.categories])
    sections = {s.id: s for s in svc.sections(session, c)}
    return render(request, "consultations/results.html", _base(session, user, c) | {
        "results": data, "charts": charts_by_question, "category_chart": category_chart,
        "sections": sections})


@router.get("/consultations/{consultation_id}/results.csv")
def results_csv(session: DbSession, user: OptionalUser, consultation_id: int):
    c = svc.get_visible(session, user, consultation_id)
    body = svc.contributions_csv(session, c)
    return HttpResponse("\ufeff" + body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="consultation-{c.id}-contributions.csv"'})


# -- report and rating --------------------------------------------------------------------

def _report_context(session, user, c: Consultation, errors=None, form=None) -> dict[str, Any]:
    ctx = _base(session, user, c)
    phase = ctx["phase"]
    obligation = svc.report_obligation(session, c)
    participant = svc.is_participant(session, user, c)
    rated = svc.rating_of(session, user, c)
    ctx.update({
        "report": svc.report_of(session, c),
        "sections": svc.sections(session, c),
        "questions": svc.questions(session, c),
        "obligation": obligation,
        "obligation_status": accountability.status_of(obligation) if obligation else None,
        "report_due": svc.last_day(svc.report_due(session, c)),
        "can_report": permissions.can_report(session, user, c, phase),
        "can_rate": permissions.can_rate(phase, participant, rated is not None),
        "my_rating": rated, "ratings": svc.rating_summary(c),
        "errors": errors or {}, "form": form or {},
        "outcomes": [(o.value, gettext(OUTCOME_LABELS[o])) for o in Outcome],
        "now": clock.now(),
    })
    return ctx


@router.get("/consultations/{consultation_id}/report")
def report_page(request: Request, session: DbSession, user: OptionalUser,
                consultation_id: int):
    c = svc.get_visible(session, user, consultation_id)
    return render(request, "consultations/report.html", _report_context(session, user, c))


@router.post("/consultations/{consultation_id}/report")
def publish_report(request: Request, session: DbSession, user: CurrentUser,
                   consultation_id: int, form: Form_):
    c = svc.get_visible(session, user, consultation_id)
    items = []
    for section in svc.sections(session, c):
        outcome = form.get(f"s{section.id}_outcome")
        if outcome in tuple(Outcome):
            items.append(ReportItemIn.model_construct(
                section_id=section.id, question_id=None, outcome=Outcome(outcome),
                explanation=str(form.get(f"s{section.id}_explanation") or "")[:3000]))
    for view in svc.questions(session, c):
        qid = view.question.id
        outcome = form.get(f"r{qid}_outcome")
        if outcome in tuple(Outcome):
            items.append(ReportItemIn.model_construct(
                section_id=None, question_id=qid, outcome=Outcome(outcome),
                explanation=str(form.get(f"r{qid}_explanation") or "")[:3000]))
    data = ReportIn.model_construct(summary=str(form.get("summary") or "")[:5000],
                                    decision_url=str(form.get("decision_url") or "")[:500],
                                    items=items)
    try:
        svc.publish_report(session, user, c, data)
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        ctx = _report_context(session, user, c, errors=_errors(exc),
                              form={k: v for k, v in form.items() if isinstance(v, str)})
        return render(request, "consultations/report.html", ctx, status_code=exc.status_code)
    return RedirectResponse(f"/consultations/{c.id}/report", status_code=303)


@router.post("/consultations/{consultation_id}/rating")
def rate(request: Request, session: DbSession, user: CurrentUser, consultation_id: int,
         value: Annotated[str, Form(max_length=10)] = ""):
    c = svc.get_visible(session, user, consultation_id)
    try:
        if value not in tuple(Rating):
            raise svc._invalid(N_("Choose yes, partly or no."), "value")
        svc.rate(session, user, c, Rating(value))
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        ctx = _report_context(session, user, c, errors=_errors(exc))
        return render(request, "consultations/report.html", ctx, status_code=exc.status_code)
    return RedirectResponse(f"/consultations/{c.id}/report#rating", status_code=303)
