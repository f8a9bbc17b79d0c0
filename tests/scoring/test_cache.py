"""The tree cache: keys, LRU bound, threads, and trees nobody can change."""
from __future__ import annotations

import copy
import threading
from dataclasses import FrozenInstanceError, fields, is_dataclass
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType, SimpleNamespace

import pytest

from core.definitions.expressions import Expression
from core.scoring import RuleType, build_registry, default_registry, instantiate_from_goal, load_scoring
from core.scoring.cache import TreeCache, definition_key, digest, json_key

from .helpers import definition
from .test_from_goal import FUTIAN_GOAL, GOAL_DEFINITION

FUTIAN = definition("form_definitions/futian/self_evaluation.json")["scoring"]
REPOSITORY_SCORINGS = ("futian/self_evaluation", "shijiazhuang/self_evaluation", "shijiazhuang/assessment")


def built(scoring, registry=None):
    return lambda: load_scoring(scoring, registry)


def test_equal_sections_share_a_key_whatever_their_key_order():
    shuffled = {key: FUTIAN[key] for key in reversed(list(FUTIAN))}
    assert json_key(shuffled) == json_key(copy.deepcopy(FUTIAN))


def test_any_change_gives_another_key():
    changed = copy.deepcopy(FUTIAN)
    changed["nodes"][0]["children"][0]["children"][0]["label"]["zh"] += "。"
    assert json_key(changed) != json_key(FUTIAN)
    # Numbers keep their JSON type: 20 and 20.0 are different sections (their trees print differently).
    assert digest({"weight": 20}) != digest({"weight": 20.0}) != digest({"weight": "20"})
    assert digest({"required": True}) != digest({"required": 1})


def test_a_section_that_is_not_plain_json_has_no_key():
    assert json_key({"max": Decimal(100)}) is None
    assert json_key({"max": float("nan")}) is None
    assert json_key({"ids": {"a"}}) is None


def test_a_definition_key_needs_a_published_version_and_names_the_bands():
    published = SimpleNamespace(id=7, version=2, published_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert definition_key(SimpleNamespace(id=7, version=3, published_at=None)) is None
    assert definition_key(published, None) == definition_key(published, None)
    assert definition_key(published, [{"min": 90}]) != definition_key(published, [{"min": 92}])
    assert definition_key(published) != json_key(FUTIAN)


def test_the_same_key_returns_the_same_tree_and_builds_once():
    cache, registry, calls = TreeCache(), default_registry(), []

    def build():
        calls.append(1)
        return load_scoring(FUTIAN, registry)

    first = cache.get(json_key(FUTIAN), registry, build)
    assert cache.get(json_key(copy.deepcopy(FUTIAN)), registry, build) is first
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)


def test_another_registry_gets_its_own_tree():
    cache, key = TreeCache(), json_key(FUTIAN)
    ours = cache.get(key, default_registry(), built(FUTIAN))
    other = build_registry([[RuleType("double", lambda leaf, inputs: None)]])
    theirs = cache.get(key, other, built(FUTIAN, other))
    assert theirs is not ours and cache.get(key, other, built(FUTIAN, other)) is theirs


def test_the_least_recently_used_tree_goes_first():
    cache, registry = TreeCache(maxsize=2), default_registry()
    sections = []
    for weight in (10, 20, 30):
        sections.append({"max": weight, "nodes": [{"id": "x", "label": {"zh": "甲"}, "weight": weight,
                                                   "rule": {"type": "manual"}}]})
    a = cache.get(json_key(sections[0]), registry, built(sections[0]))
    cache.get(json_key(sections[1]), registry, built(sections[1]))
    assert cache.get(json_key(sections[0]), registry, built(sections[0])) is a  # a is now the most recent
    cache.get(json_key(sections[2]), registry, built(sections[2]))            # evicts sections[1]
    assert len(cache) == 2
    assert cache.get(json_key(sections[0]), registry, built(sections[0])) is a
    misses = cache.misses
    cache.get(json_key(sections[1]), registry, built(sections[1]))
    assert cache.misses == misses + 1


def test_a_failed_build_is_not_kept():
    cache, registry = TreeCache(), default_registry()
    broken = {"max": 10, "nodes": []}

    def build():
        return load_scoring(broken, registry)

    for _ in range(2):
        with pytest.raises(Exception, match="scoring.nodes"):
            cache.get(json_key(broken), registry, build)
    assert len(cache) == 0 and cache.misses == 2


def test_threads_missing_together_all_get_the_stored_tree():
    cache, registry = TreeCache(), default_registry()
    barrier, found = threading.Barrier(8), []

    def build():
        return load_scoring(FUTIAN, registry)

    def worker():
        barrier.wait()
        found.append(cache.get(json_key(FUTIAN), registry, build))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and all(tree is found[0] for tree in found)
    assert len(cache) == 1


def _mutable_parts(value, path="tree", seen=None):
    """Every mutable container reachable from ``value`` (rule types' code excepted)."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, (str, bytes, int, float, bool, Decimal, type(None), RuleType,
                                                Expression)):
        return []
    seen.add(id(value))
    if isinstance(value, (dict, list, set, bytearray)):
        return [path]
    if isinstance(value, MappingProxyType):
        return [p for k, v in value.items() for p in _mutable_parts(v, f"{path}[{k!r}]", seen)]
    if isinstance(value, (tuple, frozenset)):
        return [p for i, v in enumerate(value) for p in _mutable_parts(v, f"{path}[{i}]", seen)]
    if is_dataclass(value):
        assert value.__dataclass_params__.frozen, f"{path}: {type(value).__name__} is not frozen"
        return [p for f in fields(value) for p in _mutable_parts(getattr(value, f.name), f"{path}.{f.name}", seen)]
    raise AssertionError(f"{path}: unexpected {type(value).__name__}")


@pytest.mark.parametrize("name", REPOSITORY_SCORINGS)
def test_a_tree_is_immutable_all_the_way_down(name):
    scoring = definition(f"form_definitions/{name}.json")["scoring"]
    tree = load_scoring(scoring)
    assert _mutable_parts(tree) == []
    with pytest.raises(FrozenInstanceError):
        tree.leaves[0].weight = Decimal(0)
    with pytest.raises(TypeError):
        tree.leaves[0].rule.params["x"] = 1


def test_an_instantiated_national_default_tree_is_immutable_too():
    scoring = definition("form_definitions/_default/self_evaluation.json")["scoring"]
    tree = load_scoring(instantiate_from_goal(scoring, GOAL_DEFINITION, FUTIAN_GOAL))
    assert len(tree.leaves) > 8
    assert _mutable_parts(tree) == []
