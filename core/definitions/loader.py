"""Read a form definition: JSON text → checked dict → immutable :class:`FormDefinition`.

The stages (STYLE.md lesson 6):

1. JSON syntax — a broken file is reported with its line and column;
2. structure — the marshmallow schema (:mod:`core.definitions.schema`);
3. meaning — the checks in :mod:`core.definitions.semantics`;
4. the typed tree — :func:`core.definitions.model.build_definition`.

Stages 2 and 3 both run, so an author sees every problem in one pass.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from .errors import DefinitionInvalid, Problem
from .messages import problem
from .model import FormDefinition, build_definition
from .schema import DefinitionSchema, check_structure
from .semantics import semantic_problems


def validate_definition(doc: Any, lang: str = "zh") -> list[Problem]:
    """Every problem in a definition dict, each with its JSON path; empty when valid.

    :param doc: the definition as parsed JSON.
    :param lang: language of the messages (``zh`` default, ``en``).
    """
    problems = check_structure(doc, DefinitionSchema(), lang)
    if isinstance(doc, Mapping):
        problems += semantic_problems(doc, lang)
    return problems


def parse_json(text: str, lang: str = "zh", source: str = "") -> tuple[Any, list[Problem]]:
    """Parse JSON text; a syntax error becomes a Problem naming line and column.

    :param source: what to put in the Problem's path (a file name), if anything.
    :return: (the parsed value or None, problems).
    """
    try:
        return json.loads(text), []
    except json.JSONDecodeError as error:
        return None, [problem(source, "json_syntax", lang, line=error.lineno,
                              column=error.colno, detail=error.msg)]


def read_json(path: Path, lang: str = "zh", source: str = "") -> tuple[Any, list[Problem]]:
    """Read and parse a JSON file (UTF-8, a BOM tolerated, as Windows editors write one).

    :param source: the path given to a read or syntax Problem (e.g. the file name).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return None, [problem(source, "file_unreadable", lang, detail=str(error))]
    return parse_json(text, lang, source)


def _source_doc(source: str | Path | Mapping, lang: str) -> tuple[Any, list[Problem]]:
    if isinstance(source, Mapping):
        return source, []
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return parse_json(source, lang)
    return read_json(Path(source), lang)


def load_definition(source: str | Path | Mapping, lang: str = "zh") -> FormDefinition:
    """Load, validate and build a definition.

    :param source: a dict, a :class:`~pathlib.Path`, or a string — JSON text when it
        starts with ``{`` (after blanks), otherwise a file path.
    :raises DefinitionInvalid: with every problem. Paths are JSON paths inside the
        definition; a JSON syntax error has an empty path and names line and column
        in its message. The caller, who knows the file, prefixes it when printing.
    """
    doc, problems = _source_doc(source, lang)
    if not problems:
        problems = validate_definition(doc, lang)
    if problems:
        raise DefinitionInvalid(problems)
    return build_definition(doc)


def prefixed(item: Problem, prefix: str) -> Problem:
    """The problem with ``prefix: `` before its path (``goal.json: sections[0].id``)."""
    if not prefix or item.path == prefix or item.path.startswith(prefix + ": "):
        return item
    return Problem(f"{prefix}: {item.path}" if item.path else prefix, item.message, item.code)
