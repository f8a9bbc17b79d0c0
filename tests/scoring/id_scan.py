"""No scoring message shows an internal id (issue 14, item 6).

Every problem and warning of every evaluation scored while a test runs is scanned: inside
「…」 — where messages quote what the user reads (an indicator, a field, an input, a
value) — there must be no snake_case token (``carryover_executed``, ``deviation_reason``)
and none of the engine's generic input names or the leaves' own ids (``actual``,
``executed``). Labels only. The fixture is used by the scoring, self-evaluation and API
tests (their conftest files), so each of their scenarios is checked as it runs.
"""
from __future__ import annotations

import re

import pytest

from core.scoring import engine
from core.scoring.messages import COMPUTED_LABELS, INPUT_LABELS

QUOTED = re.compile(r"「([^「」]*)」")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+\Z")
#: generic names a message could leak (inputs, computed results, the default forms' money fields)
GENERIC = frozenset(INPUT_LABELS) | frozenset(COMPUTED_LABELS) | {"executed", "budget", "arrived"}


def internal_ids(message: str, ids: frozenset[str] = frozenset()) -> list[str]:
    """The ids quoted in ``message``: snake_case tokens, generic input names, ``ids``."""
    found = []
    for quoted in QUOTED.findall(message):
        for token in TOKEN.findall(quoted):
            if SNAKE.match(token) or token in GENERIC or token in ids:
                found.append(token)
    return found


def offending(result) -> list[tuple[str, list[str]]]:
    """(message, ids) for every problem and warning of a ScoreResult that quotes an id."""
    ids = frozenset(leaf.id for leaf in result.leaves)
    found = []
    for item in (*result.problems, *result.warnings):
        leaked = internal_ids(item.message, ids)
        if leaked:
            found.append((item.message, leaked))
    return found


@pytest.fixture(autouse=True)
def scan_scoring_messages(monkeypatch):
    """Score as usual, and fail the test if any scoring message it produced quotes an id."""
    seen: list[tuple[str, list[str]]] = []
    original = engine._score

    def scanned(*args, **kwargs):
        result = original(*args, **kwargs)
        seen.extend(offending(result))
        return result

    monkeypatch.setattr(engine, "_score", scanned)
    yield seen
    assert not seen, f"scoring messages quote internal ids: {seen}"
