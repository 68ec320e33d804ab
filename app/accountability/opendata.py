"""The obligations ledger as a dataset of the open-data catalogue: the export's columns
(app/accountability/export.py, which serves the CSV) with their Table Schema types."""

from __future__ import annotations

from app import modules
from app.accountability.export import COLUMNS
from app.accountability.models import ObligationStatus
from app.opendata.dataset import Dataset, Field, Format, Frequency
from app.web.i18n import N_

TYPES = {"integer": "integer", "text": "string", "datetime": "datetime", "month": "yearmonth",
         "enum": "string"}
OPTIONAL = {"answered_at", "answer_days", "answer_summary", "subject_title", "threshold_lost_at"}
COUNTS = {"rating_yes", "rating_partly", "rating_no", "answer_days"}


def dataset() -> Dataset:
    """The dataset as the registered modules make it: their kinds and tools are its codes."""
    kinds = tuple(kind.code for m in modules.registered() for kind in m.obligation_kinds)
    tools = (*modules.tools(), "other")
    enums = {"kind": kinds, "tool": tools, "status": tuple(s.value for s in ObligationStatus)}
    params = {"kinds": ", ".join(kinds), "tools": ", ".join(tools)}
    fields = tuple(
        Field(c.name, TYPES[c.type], c.description, required=c.name not in OPTIONAL,
              unique=c.name == "id", enum=enums.get(c.name, ()),
              minimum=0 if c.name in COUNTS else None,
              params={k: v for k, v in params.items() if f"%({k})s" in c.description})
        for c in COLUMNS)
    return Dataset(
        name="obligations",
        title=N_("Obligations and answers"),
        description=N_("Every obligation of an authority to answer, with its deadline, the "
                       "answer's date, its status at the moment of download and how residents "
                       "rated the answer: one row per obligation, from every tool. Every "
                       "figure of the monitoring dashboard can be recomputed from it (see the "
                       "data dictionary)."),
        frequency=Frequency.continuous, fields=fields, primary_key=("id",),
        csv="/api/v1/open-data/obligations.csv",
        formats=(Format("/api/v1/open-data/obligations.json", "application/json", "JSON"),),
        page="/obligations")
