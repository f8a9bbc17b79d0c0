"""The plugin manager: one per application, kept in ``app.extensions``."""
from __future__ import annotations

import importlib
from typing import Iterable

import pluggy
from flask import current_app, has_app_context

from core import hooks
from core.scoring import build_registry, load_scoring
from core.scoring.cache import DEFAULT_SIZE, TreeCache, json_key
from core.scoring.tree import ScoringTree

# Built-in behaviour, registered exactly like any other plugin so it can be
# replaced or overridden (defaults use ``trylast``).
DEFAULT_PLUGINS: tuple[str, ...] = ("core.default_rules", "core.selfeval.goal_check")

EXTENSION_KEY = "perfforms.plugins"
TREES_KEY = "perfforms.scoring_trees"


def make_plugin_manager(extra: Iterable[str] = (), entry_points: bool = True) -> pluggy.PluginManager:
    """Create a plugin manager with the default plugins, entry points and ``extra``.

    :param extra: import paths of further plugin modules (config ``PLUGINS``).
    :param entry_points: load plugins from the ``perfforms`` entry point group —
        this is how the built-in jurisdictions in ``plugins/`` are found.
    """
    pm = pluggy.PluginManager(hooks.PROJECT_NAME)
    pm.add_hookspecs(hooks)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if entry_points:
        pm.load_setuptools_entrypoints(hooks.PROJECT_NAME)
    for name in extra:
        if pm.get_plugin(name) is None:
            pm.register(importlib.import_module(name), name=name)
    # A misspelled hook name in a plugin fails here, at start-up, not silently.
    pm.check_pending()
    return pm


def plugin_manager() -> pluggy.PluginManager:
    """The current application's plugin manager."""
    return current_app.extensions[EXTENSION_KEY]


def hook():
    """Shortcut for ``plugin_manager().hook``."""
    return plugin_manager().hook


def per_plugin_set(name: str, build):
    """``build()``, computed once for the plugins registered now and reused until one
    is registered or unregistered (tests do that at run time).

    Registries merged from ``register_*`` hooks are the same for every request; the
    key holds the plugin objects themselves, so a new plugin can never reuse a key.
    """
    plugins = frozenset(plugin_manager().get_plugins())
    cache = current_app.extensions.setdefault("perfforms.per_plugin_set", {})
    found = cache.get(name)
    if found is None or found[0] != plugins:
        found = cache[name] = (plugins, build())
    return found[1]


def scoring_registry():
    """The scoring engine's rule types plus every plugin's ``register_scoring_rules``."""
    return per_plugin_set("scoring_rules", lambda: build_registry(hook().register_scoring_rules()))


def scoring_trees() -> TreeCache:
    """The application's compiled scoring trees (``SCORING_TREE_CACHE_SIZE`` of them at most)."""
    cache = current_app.extensions.get(TREES_KEY)
    if cache is None:
        size = current_app.config.get("SCORING_TREE_CACHE_SIZE", DEFAULT_SIZE)
        cache = current_app.extensions.setdefault(TREES_KEY, TreeCache(size))
    return cache


def compiled_scoring(scoring, key=None, registry=None) -> ScoringTree:
    """``load_scoring(scoring, registry)``, built once per application and reused.

    :param scoring: a ``scoring`` section, exactly as it will be scored (grade bands applied).
    :param key: what determines ``scoring`` when something cheaper than its content does
        (:func:`core.scoring.cache.definition_key`); by default a digest of its JSON.
    :param registry: the rule types; by default the application's :func:`scoring_registry`.
    :raises DefinitionInvalid: as ``load_scoring`` (nothing is cached then).

    The tree is shared: never change it (it is immutable anyway). Outside an application
    context, or for a section that is not plain JSON, it is built every time.
    """
    if not has_app_context():
        return load_scoring(scoring, registry)
    registry = registry if registry is not None else scoring_registry()
    key = key if key is not None else json_key(scoring)
    if key is None:
        return load_scoring(scoring, registry)
    return scoring_trees().get(key, registry, lambda: load_scoring(scoring, registry))


def collect_registry(results: Iterable[Iterable], what: str) -> dict:
    """Merge the lists returned by a ``register_*`` hook into a dict keyed by ``id``.

    A duplicate id is a configuration error: two plugins claim the same name, and
    silently keeping one would make behaviour depend on load order.
    """
    registry: dict = {}
    for items in results:
        for item in items or ():
            if item.id in registry:
                raise RuntimeError(f"duplicate {what} id {item.id!r} registered by two plugins")
            registry[item.id] = item
    return registry
