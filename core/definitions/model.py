"""Stage 2 of reading a definition: the immutable typed tree the platform uses.

:func:`build_definition` turns a dict that has passed validation into a
:class:`FormDefinition` of frozen dataclasses. Numbers become ``Decimal`` (money is
never a float); ids stay English, labels stay bilingual. The original dict is kept
as ``.raw`` (for storage, export and the scoring engine) — treat it as read-only.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping

#: ``max_length`` when a definition does not say (docs/definitions.md).
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 4000, "signature": 200, "file": 400}
NUMERIC_TYPES = frozenset({"integer", "decimal", "money", "percent"})
CHOICE_TYPES = frozenset({"choice", "multi_choice", "rating", "matrix"})
#: Field types whose answers count in a satisfaction index (rating, and each row of a matrix).
SCORED_TYPES = frozenset({"rating", "matrix"})
#: The common five-level satisfaction scale (DOMAIN.md §8): a rating or matrix choice
#: whose ``value`` is "5" … "1" scores this unless the choice gives its own ``score``.
DEFAULT_LEVEL_SCORES = {"5": Decimal(100), "4": Decimal(80), "3": Decimal(60),
                        "2": Decimal(30), "1": Decimal(0)}
TEXT_TYPES = frozenset({"text", "textarea"})

#: The columns of a level-3 row when the definition does not list them: the goal
#: form's 三级指标 | 绩效指标描述 | 指标值 | 指标值确定依据.
DEFAULT_COLUMNS: tuple[dict, ...] = (
    {"id": "name", "label": {"zh": "三级指标", "en": "Indicator"}, "required": True},
    {"id": "description", "label": {"zh": "绩效指标描述", "en": "Description"}},
    {"id": "target", "label": {"zh": "指标值", "en": "Target value"}, "required": True},
    {"id": "basis", "label": {"zh": "指标值确定依据", "en": "Basis for the target"}},
)


@dataclass(frozen=True)
class Label:
    """A bilingual text; ``label("en")`` falls back to Chinese when English is missing."""

    zh: str
    en: str | None = None

    def __call__(self, lang: str = "zh") -> str:
        return self.get(lang)

    def get(self, lang: str = "zh") -> str:
        """The text in ``lang`` (``zh``/``en``), else the Chinese text."""
        if lang and lang.lower().startswith("en") and self.en:
            return self.en
        return self.zh

    def __str__(self) -> str:
        return self.zh


@dataclass(frozen=True)
class Choice:
    value: str
    label: Label
    score: Decimal | None = None  # satisfaction score 0–100 (surveys); see ``scored``

    @property
    def scored(self) -> Decimal | None:
        """The choice's score: its own ``score``, else the default five-level scale
        by value ("5" → 100 … "1" → 0), else None (e.g. 不了解: not counted)."""
        return self.score if self.score is not None else DEFAULT_LEVEL_SCORES.get(self.value)


@dataclass(frozen=True)
class MatrixRow:
    """One statement of a matrix field, answered with the field's choices."""

    id: str
    label: Label
    weight: Decimal | None = None
    help: Label | None = None


@dataclass(frozen=True)
class Field:
    """One input field. ``min``/``max`` are Decimals or None."""

    id: str
    type: str
    label: Label
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[Choice, ...] = ()
    visible_if: str | None = None
    required_if: str | None = None
    help: Label | None = None
    placeholder: Label | None = None
    prefill: str | None = None  # e.g. "project.name": the workflow fills it in first
    rows: tuple[MatrixRow, ...] = ()  # matrix: the statements
    weight: Decimal | None = None  # rating/matrix: weight in a satisfaction index

    @property
    def effective_max_length(self) -> int | None:
        """The length limit that applies, including the language's defaults."""
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type)

    @property
    def effective_min(self) -> Decimal | None:
        """Money and percent cannot be negative unless the definition says so."""
        if self.min is None and self.type in ("money", "percent"):
            return Decimal(0)
        return self.min

    @property
    def effective_max(self) -> Decimal | None:
        """Percent is at most 100 unless the definition says otherwise."""
        if self.max is None and self.type == "percent":
            return Decimal(100)
        return self.max

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class Section:
    id: str | None
    label: Label
    fields: tuple[Field, ...]
    help: Label | None = None
    columns: int | None = None


@dataclass(frozen=True)
class Computed:
    id: str
    label: Label
    expression: str
    format: str = "decimal"
    help: Label | None = None


@dataclass(frozen=True)
class Check:
    id: str
    expression: str
    fields: tuple[str, ...]
    message: Label


@dataclass(frozen=True)
class MilestonePoint:
    id: str
    month: int
    label: Label


@dataclass(frozen=True)
class Milestones:
    """The spending plan: cumulative % at month-end points."""

    label: Label
    points: tuple[MilestonePoint, ...]
    complete_by_month: int
    help: Label | None = None

    @property
    def complete_by(self) -> MilestonePoint:
        """The point by which 100% must be reached."""
        return next(p for p in self.points if p.month == self.complete_by_month)


@dataclass(frozen=True)
class Category:
    """A level-1 or level-2 indicator category; level-1 ones have ``children``."""

    id: str
    label: Label
    role: str | None = None
    weight: Decimal | None = None
    children: tuple["Category", ...] = ()
    help: Label | None = None

    def child(self, child_id: str) -> "Category | None":
        return next((c for c in self.children if c.id == child_id), None)


@dataclass(frozen=True)
class Column:
    """A column of the level-3 rows (三级指标, 指标值 …)."""

    id: str
    label: Label
    required: bool = False
    choices: tuple[Choice, ...] = ()
    help: Label | None = None


@dataclass(frozen=True)
class IndicatorTree:
    label: Label
    categories: tuple[Category, ...]
    columns: tuple[Column, ...]
    allow_add_rows: bool = True
    min_rows: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    help: Label | None = None

    def level1(self, level1: str) -> Category | None:
        """The level-1 category with this id."""
        return next((c for c in self.categories if c.id == level1), None)

    def find_level2(self, level2: str) -> tuple[Category, Category] | None:
        """(parent, category) for a level-2 id anywhere in the tree."""
        for parent in self.categories:
            child = parent.child(level2)
            if child is not None:
                return parent, child
        return None


@dataclass(frozen=True)
class FormDefinition:
    """A validated form definition as an immutable typed tree (see docs/definitions.md)."""

    id: str
    version: int
    kind: str
    title: Label
    unit: str | None
    sections: tuple[Section, ...]
    computed: tuple[Computed, ...] = ()
    checks: tuple[Check, ...] = ()
    milestones: Milestones | None = None
    indicator_tree: IndicatorTree | None = None
    scoring: Mapping[str, Any] | None = None
    description: Label | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """Every input field, in form order."""
        return tuple(f for section in self.sections for f in section.fields)

    @cached_property
    def fields_by_id(self) -> Mapping[str, Field]:
        """Input fields keyed by id."""
        return MappingProxyType({f.id: f for f in self.fields})

    @cached_property
    def computed_by_id(self) -> Mapping[str, Computed]:
        return MappingProxyType({c.id: c for c in self.computed})

    def label(self, element_id: str, lang: str = "zh") -> str:
        """The label of a field, computed value, milestone point or category, in ``lang``.

        Unknown ids are returned unchanged, so a message never fails for want of a label.
        """
        element = self.fields_by_id.get(element_id) or self.computed_by_id.get(element_id)
        if element is None and self.milestones:
            element = next((p for p in self.milestones.points if p.id == element_id), None)
        if element is None and self.indicator_tree:
            tree = self.indicator_tree
            element = tree.level1(element_id) or (tree.find_level2(element_id) or (None, None))[1]
        return element.label(lang) if element is not None else element_id

    def category(self, level1: str, level2: str | None = None) -> Category | None:
        """The level-1 category, or its level-2 child when ``level2`` is given."""
        if self.indicator_tree is None:
            return None
        parent = self.indicator_tree.level1(level1)
        if parent is None or level2 is None:
            return parent
        return parent.child(level2)

    def role_of(self, level1: str, level2: str | None = None) -> str | None:
        """What a category means to the rules (``quantity``, ``social``, ``satisfaction``…).

        A level-2 category without a role inherits its parent's.
        """
        parent = self.category(level1)
        if parent is None:
            return None
        child = parent.child(level2) if level2 else None
        if level2 and child is None:
            return None
        return (child.role if child else None) or parent.role


# --- builder ---------------------------------------------------------------------------

def _label(doc: Mapping | None) -> Label | None:
    return Label(doc["zh"], doc.get("en")) if doc else None


def _decimal(value: Any) -> Decimal | None:
    # str() first: Decimal(0.1) would carry the float's binary error into the bound
    return None if value is None else Decimal(str(value))


def _choices(docs: Any) -> tuple[Choice, ...]:
    return tuple(Choice(c["value"], _label(c["label"]), _decimal(c.get("score"))) for c in docs or ())


def _field(doc: Mapping) -> Field:
    return Field(
        id=doc["id"], type=doc["type"], label=_label(doc["label"]),
        required=doc.get("required", False), min=_decimal(doc.get("min")),
        max=_decimal(doc.get("max")), max_length=doc.get("max_length"),
        pattern=doc.get("pattern"), choices=_choices(doc.get("choices")),
        visible_if=doc.get("visible_if"), required_if=doc.get("required_if"),
        help=_label(doc.get("help")), placeholder=_label(doc.get("placeholder")),
        prefill=doc.get("prefill"),
        rows=tuple(MatrixRow(r["id"], _label(r["label"]), _decimal(r.get("weight")), _label(r.get("help")))
                   for r in doc.get("rows", ())),
        weight=_decimal(doc.get("weight")),
    )


def _category(doc: Mapping) -> Category:
    return Category(
        id=doc["id"], label=_label(doc["label"]), role=doc.get("role"),
        weight=_decimal(doc.get("weight")), help=_label(doc.get("help")),
        children=tuple(_category(c) for c in doc.get("children", ())),
    )


def _tree(doc: Mapping | None) -> IndicatorTree | None:
    if not doc:
        return None
    columns = doc.get("columns") or DEFAULT_COLUMNS
    return IndicatorTree(
        label=_label(doc["label"]),
        categories=tuple(_category(c) for c in doc["categories"]),
        columns=tuple(Column(c["id"], _label(c["label"]), c.get("required", False),
                             _choices(c.get("choices")), _label(c.get("help"))) for c in columns),
        allow_add_rows=doc.get("allow_add_rows", True),
        min_rows=MappingProxyType(dict(doc.get("min_rows", {}))),
        help=_label(doc.get("help")),
    )


def _milestones(doc: Mapping | None) -> Milestones | None:
    if not doc:
        return None
    points = tuple(MilestonePoint(p["id"], p["month"], _label(p["label"])) for p in doc["points"])
    # without complete_by_month the plan must be complete at its last point
    return Milestones(_label(doc["label"]), points,
                      doc.get("complete_by_month", points[-1].month), _label(doc.get("help")))


def build_definition(doc: Mapping[str, Any]) -> FormDefinition:
    """Build the typed tree from a definition dict that has passed validation."""
    raw = copy.deepcopy(dict(doc))
    return FormDefinition(
        id=raw["id"], version=raw["version"], kind=raw["kind"], title=_label(raw["title"]),
        unit=raw.get("unit"), description=_label(raw.get("description")),
        sections=tuple(Section(s.get("id"), _label(s["label"]), tuple(_field(f) for f in s["fields"]),
                               _label(s.get("help")), s.get("columns")) for s in raw["sections"]),
        computed=tuple(Computed(c["id"], _label(c["label"]), c["expression"],
                                c.get("format", "decimal"), _label(c.get("help")))
                       for c in raw.get("computed", ())),
        checks=tuple(Check(c["id"], c["expression"], tuple(c["fields"]), _label(c["message"]))
                     for c in raw.get("checks", ())),
        milestones=_milestones(raw.get("milestones")),
        indicator_tree=_tree(raw.get("indicator_tree")),
        scoring=MappingProxyType(raw["scoring"]) if raw.get("scoring") is not None else None,
        raw=raw,
    )
