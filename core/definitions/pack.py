"""Jurisdiction packs: ``form_definitions/<code>/pack.json`` and the forms it names.

A pack is what makes Boye Boye: its name, money unit, form definitions,
goal-quality rule levels, grade bands and workflow settings. On disk it is a
folder; for export and import it is one JSON document — ``pack.json`` with each
form's file name replaced by the form itself.

Problems are reported per file (``pack.json: grade_bands[1].min``,
``goal.json: sections[0].fields[3].type``) so an admin knows which file to open.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .errors import DefinitionInvalid, Problem
from .loader import prefixed, read_json, validate_definition
from .messages import problem
from .model import FormDefinition, Label, build_definition
from .schema import PackSchema, check_structure

PACK_FILE = "pack.json"


@dataclass(frozen=True)
class GradeBand:
    """Scores from ``min`` (inclusive) up to the next band's min are graded ``label``."""

    min: Decimal
    label: Label


@dataclass(frozen=True)
class Pack:
    """A validated jurisdiction pack. ``raw`` is pack.json as read (read-only)."""

    code: str
    name: Label
    parent: str | None
    money_unit: str
    forms: Mapping[str, FormDefinition]
    quality_rules: Mapping[str, str]
    grade_bands: tuple[GradeBand, ...]
    workflow: Mapping[str, Any]
    body: Label | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Public disclosure (信息公开): the years published, ``()`` when nothing is.
    disclosure_years: tuple[int, ...] = ()

    def grade(self, score: Decimal | int | float) -> GradeBand | None:
        """The band a total score falls in (bands are ordered high to low)."""
        value = Decimal(str(score))
        return next((band for band in self.grade_bands if value >= band.min), None)


# --- validation -----------------------------------------------------------------------------------

def _band_order(doc: Mapping, lang: str) -> list[Problem]:
    bands = doc.get("grade_bands")
    if not isinstance(bands, list):
        return []
    mins = [(i, b.get("min")) for i, b in enumerate(bands)
            if isinstance(b, Mapping) and isinstance(b.get("min"), (int, float)) and not isinstance(b.get("min"), bool)]
    problems = [problem(f"grade_bands[{i}].min", "bands_order", lang, min=low, previous=previous)
                for (_, previous), (i, low) in zip(mins, mins[1:]) if low >= previous]
    if mins and len(mins) == len(bands) and mins[-1][1] != 0:
        problems.append(problem(f"grade_bands[{mins[-1][0]}].min", "bands_floor", lang))
    return problems


def _form_matches(key: str, name: str, form: Any, doc: Mapping, lang: str) -> list[Problem]:
    if not isinstance(form, Mapping):
        return []
    problems = []
    if isinstance(form.get("kind"), str) and form["kind"] != key:
        problems.append(problem(f"{name}: kind", "kind_mismatch", lang, kind=form["kind"], key=key))
    unit, money_unit = form.get("unit"), doc.get("money_unit")
    if isinstance(unit, str) and isinstance(money_unit, str) and unit != money_unit:
        problems.append(problem(f"{name}: unit", "unit_mismatch", lang, unit=unit, money_unit=money_unit))
    return problems


def validate_pack(doc: Any, forms: Mapping[str, Any], lang: str = "zh") -> list[Problem]:
    """Every problem of a pack and its forms.

    :param doc: pack.json as parsed JSON.
    :param forms: each form file named in ``doc["forms"]`` (``"goal.json"``) → its
        parsed JSON; a name missing from this mapping is reported as a missing file.
    """
    problems = [prefixed(p, PACK_FILE) for p in check_structure(doc, PackSchema(), lang)]
    if not isinstance(doc, Mapping):
        return problems
    problems += [prefixed(p, PACK_FILE) for p in _band_order(doc, lang)]
    listed = doc.get("forms") if isinstance(doc.get("forms"), Mapping) else {}
    for key, name in listed.items():
        if not isinstance(name, str):
            continue
        if name not in forms:
            problems.append(problem(f"{PACK_FILE}: forms.{key}", "form_missing", lang, file=name))
            continue
        problems += [prefixed(p, name) for p in validate_definition(forms[name], lang)]
        problems += _form_matches(key, name, forms[name], doc, lang)
    return problems


# --- building ---------------------------------------------------------------------------------------

def _label(doc: Mapping | None) -> Label | None:
    return Label(doc["zh"], doc.get("en")) if doc else None


def _build(doc: Mapping, forms: Mapping[str, Any]) -> Pack:
    raw = copy.deepcopy(dict(doc))
    return Pack(
        code=raw["code"], name=_label(raw["name"]), parent=raw.get("parent"),
        money_unit=raw["money_unit"], body=_label(raw.get("body")),
        forms=MappingProxyType({kind: build_definition(forms[name]) for kind, name in raw["forms"].items()}),
        quality_rules=MappingProxyType(dict(raw.get("quality_rules", {}))),
        grade_bands=tuple(GradeBand(Decimal(str(b["min"])), _label(b["label"]))
                          for b in raw.get("grade_bands", ())),
        workflow=MappingProxyType(dict(raw.get("workflow", {}))),
        raw=raw,
        disclosure_years=tuple(sorted(set((raw.get("disclosure") or {}).get("years", ())))),
    )


def load_pack(directory: Path | str, lang: str = "zh") -> Pack:
    """Load ``directory/pack.json`` and the forms it names.

    :raises DefinitionInvalid: with every problem in every file.
    """
    directory = Path(directory)
    doc, problems = read_json(directory / PACK_FILE, lang, PACK_FILE)
    if problems:
        raise DefinitionInvalid(problems)
    forms: dict[str, Any] = {}
    listed = doc.get("forms") if isinstance(doc, Mapping) and isinstance(doc.get("forms"), Mapping) else {}
    for name in listed.values():
        if isinstance(name, str) and (directory / name).is_file():
            forms[name], read_problems = read_json(directory / name, lang, name)
            problems += read_problems
    if problems:  # a form that is not JSON cannot be checked any further
        raise DefinitionInvalid(problems)
    problems = validate_pack(doc, forms, lang)
    if problems:
        raise DefinitionInvalid(problems)
    return _build(doc, forms)


def pack_to_json(pack: Pack) -> dict:
    """One JSON document for export: pack.json with each form embedded by kind."""
    doc = copy.deepcopy(dict(pack.raw))
    doc["forms"] = {kind: copy.deepcopy(dict(form.raw)) for kind, form in pack.forms.items()}
    return doc


def pack_from_json(doc: Any, lang: str = "zh") -> Pack:
    """Import a document made by :func:`pack_to_json`, validating everything first.

    Embedded forms are reported as ``<kind>.json`` (``goal.json: sections[0]…``),
    the file they become when the pack is saved as a folder.

    :raises DefinitionInvalid: with every problem.
    """
    if not isinstance(doc, Mapping):
        raise DefinitionInvalid(check_structure(doc, PackSchema(), lang))
    embedded = doc.get("forms") if isinstance(doc.get("forms"), Mapping) else {}
    forms = {f"{kind}.json": form for kind, form in embedded.items()}
    pack_doc = dict(doc)
    if isinstance(doc.get("forms"), Mapping):
        pack_doc["forms"] = {kind: f"{kind}.json" for kind in embedded}
    problems = validate_pack(pack_doc, forms, lang)
    if problems:
        raise DefinitionInvalid(problems)
    return _build(pack_doc, forms)
