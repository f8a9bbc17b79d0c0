"""Survey templates: the questionnaires a jurisdiction offers its filers.

Templates are discovered from the folder, not listed in ``pack.json``:
``form_definitions/<code>/surveys/<name>.json`` for the project's jurisdiction and
each of its ancestors, then ``form_definitions/_default/surveys/``. A template of a
nearer jurisdiction hides one with the same ``<name>`` further up. Each file is a
definition of ``kind: "survey"`` in the ordinary definition language
(docs/definitions.md; docs/surveys.md).

Why the folder and not pack.json: surveys are copied into each survey when it is
created (a snapshot), they are never versioned as the pack's forms are, and a
jurisdiction adds one by dropping a file — no pack change, no ``packs sync``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.definitions.errors import DefinitionInvalid, Problem
from core.definitions.loader import load_definition
from core.definitions.locations import FORM_DEFINITIONS_DIR
from core.definitions.model import FormDefinition

SURVEYS_DIR = "surveys"
DEFAULT_CODE = "_default"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SurveyTemplate:
    key: str            # "<code>/<name>", e.g. "futian/retirees"
    code: str
    name: str
    definition: FormDefinition


@lru_cache(maxsize=256)
def _load(path: str, mtime: float) -> FormDefinition:
    definition = load_definition(Path(path))
    if definition.kind != "survey":
        raise DefinitionInvalid([Problem("kind", f"kind is {definition.kind!r}, not 'survey'", "kind")])
    return definition


def templates_in(code: str, root: Path = FORM_DEFINITIONS_DIR) -> list[SurveyTemplate]:
    """The valid survey templates in ``<root>/<code>/surveys/`` (invalid files are logged and skipped)."""
    folder = root / code / SURVEYS_DIR
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            definition = _load(str(path), path.stat().st_mtime)
        except DefinitionInvalid as error:
            log.error("survey template %s is invalid: %s", path, error)
            continue
        found.append(SurveyTemplate(f"{code}/{path.stem}", code, path.stem, definition))
    return found


def templates_for(jurisdiction, root: Path = FORM_DEFINITIONS_DIR) -> list[SurveyTemplate]:
    """Templates for a jurisdiction: its own, its ancestors', then the defaults."""
    codes = [j.code for j in jurisdiction.ancestors_and_self()] + [DEFAULT_CODE]
    seen, result = set(), []
    for code in codes:
        for template in templates_in(code, root):
            if template.name not in seen:
                seen.add(template.name)
                result.append(template)
    return result


def find_template(jurisdiction, key: str) -> SurveyTemplate | None:
    return next((t for t in templates_for(jurisdiction) if t.key == key), None)
