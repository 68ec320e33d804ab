"""The consultations' datasets of the open-data catalogue: every published consultation with its
counts of respondents by category, and the results of those that have ended, option by option.
Both come from the counters (no contribution is read); the kernel writes them at
/api/v1/open-data/<name>.csv.

The contributions are a third table, once each consultation has closed: one row per answer of
every published contribution, organisations by name and people never (the catalogue names
nobody; a person who chose to be named is, on the consultation's own file,
/consultations/{id}/results.csv), free text as the moderator left it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session

from app import clock
from app.opendata.dataset import Dataset, Field, Frequency
from app.web.i18n import N_
from consultations import repository as repo
from consultations.models import Category, Phase, QuestionKind
from consultations.service.reading import phase

COMMUNITY = Field("community", "string", N_("Address name of the community (as in its web "
                                            "address)."), required=True)
CONSULTATION = Field("consultation_id", "integer", N_("Identifier of the consultation; its "
                                                      "page is /consultations/{id}."),
                     required=True, minimum=1)


def _count(name: str, description: str) -> Field:
    return Field(name, "integer", description, required=True, minimum=0)


CONSULTATION_FIELDS = (
    Field("id", "integer", N_("Identifier of the consultation; its page is "
                              "/consultations/{id}."), required=True, unique=True, minimum=1),
    COMMUNITY,
    Field("authority", "string", N_("The authority that holds the consultation."),
          required=True),
    Field("title", "string", N_("Title of the consultation."), required=True),
    Field("phase", "string", N_("Phase at the moment of download: scheduled, open, closed "
                                "(ended, awaiting the outcome report) or reported."),
          required=True, enum=tuple(p.value for p in Phase if p != Phase.draft)),
    Field("start_date", "date", N_("First day of the consultation (local date)."),
          required=True),
    Field("end_date", "date", N_("Last day of the consultation (local date)."), required=True),
    Field("published_at", "datetime", N_("When the consultation was published (UTC, "
                                         "ISO 8601).")),
    Field("reported_at", "datetime", N_("When the authority published its outcome report "
                                        "(UTC); empty until then.")),
    _count("response_count", N_("Responses to the questionnaire.")),
    _count("comment_count", N_("Visible comments on the draft text.")),
    _count("resident_count", N_("Responses from residents.")),
    _count("ngo_count", N_("Responses on behalf of civic organisations.")),
    _count("business_count", N_("Responses on behalf of businesses.")),
    _count("academic_count", N_("Responses on behalf of academic institutions.")),
    _count("public_body_count", N_("Responses on behalf of public bodies.")),
    _count("union_count", N_("Responses on behalf of trade unions.")),
    _count("other_count", N_("Responses on behalf of other organisations.")),
    _count("rating_yes", N_("Residents who rated the outcome report as addressing their "
                            "proposals.")),
    _count("rating_partly", N_("Residents who rated the outcome report as partly addressing "
                               "their proposals.")),
    _count("rating_no", N_("Residents who rated the outcome report as not addressing their "
                           "proposals.")),
)

RESULT_FIELDS = (
    CONSULTATION, COMMUNITY,
    Field("consultation_title", "string", N_("Title of the consultation."), required=True),
    Field("question_id", "integer", N_("Identifier of the question."), required=True,
          minimum=1),
    Field("question_position", "integer", N_("Place of the question in the questionnaire."),
          required=True, minimum=0),
    Field("question_kind", "string", N_("Kind of question: single choice, multiple choice, "
                                        "a scale from 1 to 5, a ranking (the count is of "
                                        "responses that ranked the option) or a matrix (of "
                                        "responses that rated the row)."), required=True,
          enum=tuple(k.value for k in QuestionKind
                     if k not in (QuestionKind.text, QuestionKind.number, QuestionKind.date))),
    Field("question", "string", N_("The question as it was asked."), required=True),
    _count("answer_count", N_("Responses that answered the question.")),
    Field("option_id", "integer", N_("Identifier of the option."), required=True,
          minimum=1),
    Field("option_position", "integer", N_("Place of the option among the question's "
                                           "options."), required=True, minimum=0),
    Field("option", "string", N_("The option as it was offered (for a scale, its value)."),
          required=True),
    _count("count", N_("Responses that chose the option.")),
)


CONTRIBUTION_FIELDS = (
    CONSULTATION, COMMUNITY,
    Field("contribution_id", "integer", N_("Identifier of the contribution (a response)."),
          required=True, minimum=1),
    Field("category", "string", N_("Who contributed: a resident, or the category of the "
                                   "organisation."), required=True,
          enum=tuple(c.value for c in Category)),
    Field("organisation", "string", N_("The organisation's name; empty for a resident (the "
                                       "catalogue names no person).")),
    Field("invited", "boolean", N_("Whether the organisation was invited to the consultation."),
          required=True),
    Field("question_id", "integer", N_("Identifier of the question."), required=True,
          minimum=1),
    Field("question", "string", N_("The question as it was asked."), required=True),
    Field("answer", "string", N_("The answer as text: the chosen options, a ranking in order, "
                                 "a matrix's values, a number, a date, a position paper's file "
                                 "name, or free text once a moderator has removed personal "
                                 "data from it.")),
)


def contribution_rows(session: Session) -> Iterator[tuple]:
    from consultations.service import contributions, reading

    for c, slug, _authority in repo.published_with_places(session):
        if not contributions.published(c):
            continue
        views = reading.questions(session, c)
        for item in contributions.contributions(session, c):
            for view in views:
                if (view.question.kind == QuestionKind.text
                        and item.response.moderated_at is None):
                    continue  # free text joins the catalogue once a moderator checked it
                text = reading.cell_for(view, item.answers.get(view.question.id))
                if text:
                    yield (c.id, slug, item.response.id, item.response.category,
                           item.organisation if item.response.organisation_id else None,
                           item.response.invited, view.question.id, view.question.prompt,
                           text)


def consultation_rows(session: Session) -> Iterator[tuple]:
    now = clock.now()
    for c, slug, authority in repo.published_with_places(session):
        yield (c.id, slug, authority, c.title, phase(c, now), c.start_date, c.end_date,
               c.published_at, c.reported_at, c.response_count, c.comment_count,
               *(c.category_count(category) for category in Category),
               c.rating_yes, c.rating_partly, c.rating_no)


def result_rows(session: Session) -> Iterator[tuple]:
    yield from repo.ended_option_counts(session, clock.now())


DATASETS = [
    Dataset(
        name="consultations",
        title=N_("Public consultations"),
        description=N_("Every published consultation: its authority, dates, phase, how many "
                       "responded (residents and organisations by category), comments and how "
                       "residents rated the outcome report. One row per consultation."),
        frequency=Frequency.continuous, fields=CONSULTATION_FIELDS, primary_key=("id",),
        rows=consultation_rows, page="/consultations"),
    Dataset(
        name="consultation-results",
        title=N_("Consultation results"),
        description=N_("The results of every consultation that has ended: for each question "
                       "with options, how many responses chose each option. Answers in free "
                       "text are not in this table; each consultation's page offers them as "
                       "their authors chose to publish them."),
        frequency=Frequency.irregular, fields=RESULT_FIELDS,
        primary_key=("consultation_id", "question_id", "option_id"), rows=result_rows,
        page="/consultations"),
    Dataset(
        name="consultation-contributions",
        title=N_("Consultation contributions"),
        description=N_("Every published contribution to every consultation that has closed, "
                       "one row per answer: organisations by name, residents without a name, "
                       "free text once a moderator has checked it for personal data."),
        frequency=Frequency.irregular, fields=CONTRIBUTION_FIELDS,
        primary_key=("contribution_id", "question_id"), rows=contribution_rows,
        page="/consultations"),
]
