"""The shape of a community's rules, validated with pydantic.

Every threshold, period, deadline, age limit and voting method in Hromada is read from a rule
set. The kernel knows no module's rules: each module declares its section as a pydantic model
(a `ModuleRules`, in its rules.py) and registers it (app.modules.Module.rules); the rule set is
built from the registered sections (`rule_set_model()`), one attribute per module named after
it (`rules.petitions`, `rules.budget`, ...). A stored version without a section (a module
registered after it was written) reads that section's defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import NoneType, UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from app.web.i18n import N_, gettext


class DayUnit(StrEnum):
    working = "working"
    calendar = "calendar"


UNITS = [(DayUnit.working.value, N_("working days")),
         (DayUnit.calendar.value, N_("calendar days"))]


class AssuranceLevel(StrEnum):
    """How sure the community must be of who acts (a rule of each act: who may sign, vote...).

    email: the e-mail address is confirmed; resident: a verified resident of the community (by
    an official or by its register of residents); register: a resident matched to the
    community's register; provider: a verified resident whose identity comes from an identity
    provider (the state's integrated system). Every level includes a confirmed e-mail address.
    """

    email = "email"
    resident = "resident"
    register = "register"
    provider = "provider"


LEVELS = [(AssuranceLevel.email.value, N_("Anyone with a confirmed e-mail address")),
          (AssuranceLevel.resident.value, N_("A verified resident")),
          (AssuranceLevel.register.value, N_("A resident matched to the register of residents")),
          (AssuranceLevel.provider.value,
           N_("A verified resident identified through an identity provider"))]


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: int = Field(ge=1, le=365)
    unit: DayUnit = DayUnit.working


def rule(default: Any = ..., label: str | None = None, *, unit: str | None = None,
         choices: list[tuple[str, str]] | None = None, **constraints: Any) -> Any:
    """A field of a module's rules schema: pydantic's Field (default, constraints) with what
    the rules page and its form show. `label` is a msgid; a field without one is not shown.
    A Period shows two rows: `label` for its days, `unit` for its unit; a choice among values
    lists `choices` as (value, label msgid)."""
    shown = {"label": label, "unit": unit, "choices": choices}
    extra = {key: value for key, value in shown.items() if value is not None}
    return Field(default, json_schema_extra={"shown": extra} if extra else None, **constraints)


def level_rule(default: AssuranceLevel, label: str) -> Any:
    """A rule naming the level of assurance an act needs (checked by
    app.communities.permissions.check_level)."""
    return rule(default, label, choices=LEVELS)


@dataclass(frozen=True)
class Compared:
    """A column a module adds to the comparison of communities (/rules): its heading (a msgid)
    and its value in a community's rules, given the community's population. A value is shown
    by its type: an int as a number, a float as it is, a Period as days and unit, text as it
    is (translate it in `value`)."""

    label: str
    value: Callable[[Any, int], Any]
    numeric: bool = True


@dataclass(frozen=True)
class KeyRules:
    """What the kernel shows beside a community's figures (the dashboard, the API): the
    supporters an item needs before the authority must answer, that number per 1,000
    residents, and the time the authority has to answer."""

    threshold: int
    per_1000: float
    answer_deadline: Period


class ModuleRules(BaseModel):
    """Base of a module's rules schema: frozen; fields declared with `rule()` are shown."""

    model_config = ConfigDict(frozen=True)

    # The field (of this section) and the message shown there when the section's own checks
    # (its model validators) refuse it, so that the form highlights something.
    section_error: ClassVar[tuple[str, str] | None] = None
    # Columns of the comparison of communities.
    compared: ClassVar[tuple[Compared, ...]] = ()

    def key_rules(self, population: int) -> KeyRules | None:
        """The community's key rules, if this module is the one that gives them."""
        return None

    def choice_label(self, name: str) -> str:
        """The translated label of the value chosen for the field `name`."""
        value = getattr(self, name)
        for key, label in shown(type(self), name).get("choices", ()):
            if key == value:
                return gettext(label)
        return str(value)


def shown(schema: type[BaseModel], name: str) -> dict[str, Any]:
    """What the rules page shows of a field: {"label", "unit", "choices"} (empty: nothing)."""
    extra = schema.model_fields[name].json_schema_extra
    return extra.get("shown", {}) if isinstance(extra, dict) else {}


@dataclass(frozen=True)
class RuleField:
    """A row of the rules page and its form: the form name ("petitions.answer_deadline.days"),
    its label (a msgid), and its kind: "int", "float" (with "?" when it may be left empty),
    "unit", or "choice:<form name>" for a choice among the field's own values."""

    name: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()


def rule_fields(section: str, schema: type[BaseModel]) -> list[RuleField]:
    """The shown fields of one section, in the schema's order."""
    out = []
    for name, info in schema.model_fields.items():
        spec = shown(schema, name)
        if "label" not in spec:
            continue
        form_name = f"{section}.{name}"
        types = get_args(info.annotation) if get_origin(info.annotation) in (Union, UnionType) \
            else (info.annotation,)
        if Period in types:
            out.append(RuleField(f"{form_name}.days", spec["label"], "int"))
            out.append(RuleField(f"{form_name}.unit", spec["unit"], "unit", tuple(UNITS)))
        elif "choices" in spec:
            out.append(RuleField(form_name, spec["label"], f"choice:{form_name}",
                                 tuple(spec["choices"])))
        else:
            number = "int" if int in types else "float" if float in types else "text"
            out.append(RuleField(form_name, spec["label"],
                                 number + ("?" if NoneType in types else "")))
    return out


class RuleSet(BaseModel):
    """Base of the rule set: one field per registered module (see rule_set_model)."""

    model_config = ConfigDict(frozen=True)

    def sections(self) -> Iterator[tuple[str, ModuleRules]]:
        for name in type(self).model_fields:
            yield name, getattr(self, name)

    def key_rules(self, population: int) -> KeyRules | None:
        """The key rules of the first registered module that gives them."""
        for _name, section in self.sections():
            found = section.key_rules(population)
            if found is not None:
                return found
        return None


def rule_set_model() -> type[RuleSet]:
    """The rule set of the registered modules (built once per set of sections)."""
    from app.modules import rule_sections

    return _model_for(rule_sections())


@lru_cache(maxsize=16)
def _model_for(sections: tuple[tuple[str, type[ModuleRules]], ...]) -> type[RuleSet]:
    fields: dict[str, Any] = {}
    for name, schema in sections:
        try:
            default: Any = schema()
        except ValidationError:  # a section without a default for every field is required
            default = ...
        fields[name] = (schema, default)
    return create_model("RuleSet", __base__=RuleSet, **fields)


class RuleVersion(BaseModel):
    """A stored rule set together with its identity; what items keep when they open."""

    model_config = ConfigDict(frozen=True)

    id: int
    community_id: int
    version: int
    rules: RuleSet

