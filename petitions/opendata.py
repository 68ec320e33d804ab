"""The petitions dataset of the open-data catalogue: the export the API already serves
(/api/v1/petitions/export.csv, one row per listed petition, `ExportRow`), described field by
field. Its columns are ExportRow's, in their order (tests/petitions/test_opendata.py)."""

from __future__ import annotations

from app.opendata.dataset import Dataset, Field, Format, Frequency
from app.web.i18n import N_
from petitions.models import LISTED_STATUSES, Category, Decision, RejectionReason

FIELDS = (
    Field("id", "integer", N_("Identifier of the petition; its page is /petitions/{id}."),
          required=True, unique=True, minimum=1),
    Field("community", "string", N_("Address name of the community (as in its web address)."),
          required=True),
    Field("authority", "string", N_("The authority the petition is addressed to."),
          required=True),
    Field("title", "string", N_("Title of the petition; empty when withheld for offensive "
                                "content.")),
    Field("category", "string", N_("Subject area of the petition."), required=True,
          enum=tuple(c.value for c in Category)),
    Field("status", "string", N_("Status at the moment of download."), required=True,
          enum=tuple(s.value for s in LISTED_STATUSES)),
    Field("signature_count", "integer", N_("Signatures collected, online and on paper."),
          required=True, minimum=0),
    Field("threshold", "integer", N_("Signatures needed for the authority to owe an answer, "
                                     "by the community's rules when the petition opened."),
          minimum=0),
    Field("published_at", "datetime", N_("When the petition was published for signing (UTC, "
                                         "ISO 8601).")),
    Field("collection_ends_at", "datetime", N_("When the collection of signatures ends or "
                                               "ended (UTC).")),
    Field("threshold_reached_at", "datetime", N_("When the threshold was reached (UTC); "
                                                 "empty if it was not.")),
    Field("answer_due_at", "datetime", N_("The authority's deadline to answer (UTC); empty "
                                          "while no answer is owed.")),
    Field("answered_at", "datetime", N_("When the authority answered (UTC); empty while "
                                        "unanswered.")),
    Field("decision", "string", N_("The authority's decision; empty while unanswered."),
          enum=tuple(d.value for d in Decision)),
    Field("answered_on_time", "boolean", N_("Whether the answer came by the deadline; empty "
                                            "while unanswered.")),
    Field("rating_yes", "integer", N_("Residents who rated the answer as addressing the "
                                      "substance; empty while unanswered."), minimum=0),
    Field("rating_partly", "integer", N_("Residents who rated the answer as partly addressing "
                                         "the substance; empty while unanswered."), minimum=0),
    Field("rating_no", "integer", N_("Residents who rated the answer as not addressing the "
                                     "substance; empty while unanswered."), minimum=0),
    Field("rejection_reason", "string", N_("Why the moderator rejected the petition, if they "
                                           "did (a rejection for offensive content shows no "
                                           "reason)."),
          enum=tuple(r.value for r in RejectionReason if r != RejectionReason.offensive)),
)

DATASETS = [Dataset(
    name="petitions",
    title=N_("Petitions"),
    description=N_("Every published petition, with its signatures, threshold, deadlines, the "
                   "authority's decision and how residents rated the answer: one row per "
                   "petition. Signers and authors are not in it, only the counts."),
    frequency=Frequency.continuous, fields=FIELDS, primary_key=("id",),
    csv="/api/v1/petitions/export.csv",
    formats=(Format("/api/v1/petitions/export.json", "application/json", "JSON"),),
    page="/petitions")]
