"""Compiled scoring trees kept for reuse: a bounded LRU keyed by what determines a tree.

Building a :class:`~core.scoring.tree.ScoringTree` validates the JSON, looks every
rule type up and compiles every expression: about 0.8 ms for Futian's 17 leaves,
several times the cost of scoring an evaluation with it. A tree is immutable (frozen
dataclasses, tuples, read-only mappings), so one object can serve every request and
every thread; this module keeps them.

A key names what the tree is built from, not where it is used:

* ``definition_key(definition, grades)`` — a published definition's own ``scoring``
  section, which never changes once published (plus the grade bands applied to it);
* ``json_key(scoring)`` — anything else (a section instantiated from a project's goal
  and stored with its submission, a draft being previewed): a digest of its canonical
  JSON, so equal sections share a tree and a changed one never meets an old tree.

The rule-type registry in use is part of every key (a plugin registered at run time
builds a new registry, whose trees are built afresh). Pure: the web app keeps one
:class:`TreeCache` per application (:func:`core.plugins.compiled_scoring`).
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

from core.scoring.registry import Registry
from core.scoring.tree import ScoringTree

#: Trees kept per application: a Futian tree (17 leaves) takes about 60 KB, a national
#: default one instantiated from a goal (9 leaves) about 35 KB, so at most 35–60 MB.
DEFAULT_SIZE = 1024


def digest(value: Any) -> str | None:
    """A stable digest of ``value`` as canonical JSON (sorted keys, no spaces).

    ``None`` when ``value`` is not plain JSON (a ``Decimal``, a set, a NaN…): such a
    section is built every time rather than risk two different ones sharing a key.
    """
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def json_key(scoring: Any) -> tuple | None:
    """The key of a ``scoring`` section by its content, or ``None`` if it is not plain JSON."""
    found = digest(scoring)
    return None if found is None else ("json", found)


def definition_key(definition: Any, grades: Any = None) -> tuple | None:
    """The key of a published definition's own ``scoring`` section with ``grades`` applied.

    ``grades`` is the section's ``grades`` as scored (the definition's, or the
    jurisdiction's bands filled in). ``None`` for a draft, whose body may still change.
    The version and publication time are part of the key, so a database swapped under a
    running process (a restore) cannot hand an old tree to a new definition with the same id.
    """
    if getattr(definition, "published_at", None) is None:
        return None
    bands = digest(grades)
    if bands is None:
        return None
    return ("definition", definition.id, definition.version, definition.published_at, bands)


class TreeCache:
    """A thread-safe LRU of compiled scoring trees.

    :param maxsize: the most trees kept; the least recently used goes first.

    A tree is built outside the lock, so a slow build never blocks lookups of other
    trees; two threads missing the same key at once may both build, and both get the
    tree stored first. A build that raises (``DefinitionInvalid``) stores nothing.
    """

    def __init__(self, maxsize: int = DEFAULT_SIZE):
        if maxsize < 1:
            raise ValueError("a tree cache keeps at least one tree")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple, tuple[Registry, ScoringTree]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, registry: Registry, build: Callable[[], ScoringTree]) -> ScoringTree:
        """The tree stored under ``key`` for ``registry``, built by ``build()`` the first time."""
        # The entry holds the registry, so its id() cannot be reused while the entry lives.
        full = (id(registry), key)
        with self._lock:
            entry = self._entries.get(full)
            if entry is not None and entry[0] is registry:
                self._entries.move_to_end(full)
                self.hits += 1
                return entry[1]
            self.misses += 1
        tree = build()
        with self._lock:
            entry = self._entries.get(full)
            if entry is None or entry[0] is not registry:
                entry = self._entries[full] = (registry, tree)
            self._entries.move_to_end(full)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
            return entry[1]

    def clear(self) -> None:
        """Forget every tree (and the counters)."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"TreeCache({len(self)}/{self.maxsize} trees, {self.hits} hits, {self.misses} misses)"
