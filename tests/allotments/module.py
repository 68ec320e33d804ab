"""Registration of the allotments module (see the package's docstring)."""

from app.modules import Module, Scale, ScaleKind
from tests.allotments.rules import REQUEST, AllotmentRules

MODULE = Module(
    name="allotments",
    label="Allotments",
    rules=AllotmentRules,
    obligation_kinds=[REQUEST],
    scale=Scale(kinds=[ScaleKind(REQUEST, 30, "answer_deadline", "allotment_request",
                                 "Ділянка")],
                rules=[{}, {"threshold": 20}]),
)
