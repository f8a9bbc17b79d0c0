"""The plugin manager: one per application, kept in ``app.extensions``."""
from __future__ import annotations

import importlib
from typing import Iterable

import pluggy
from flask import current_app, has_app_context

from core import hooks
from core.scoring import RULES, DuplicateRuleType, build_registry, default_registry, load_scoring
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


class PluginConflict(RuntimeError):
    """Two plugins register the same id: start-up stops rather than keep one by load order."""


def build_registries(app) -> None:
    """Build every ``register_*`` registry of ``app`` now, as ``core.hooks`` promises.

    Called by ``create_app``: a duplicate rule type, quality rule or jurisdiction code
    stops start-up with an error naming both plugins, instead of a 500 at first use or a
    pack silently dropped. The rule types come first, since loading a pack validates
    its forms against them. A plugin registered later (tests do) rebuilds them on next
    use (:func:`per_plugin_set`).
    """
    with app.app_context():
        scoring_registry()
        quality_registry()
        jurisdiction_packs()


def merge_registry(pm: pluggy.PluginManager, hook_name: str, what: str, key=lambda item: item.id,
                   builtin: dict | None = None, builtin_owner: str = "", error=PluginConflict) -> dict:
    """Merge what every plugin returns from the ``register_*`` hook ``hook_name``, keyed by ``key``.

    :param builtin: entries present before any plugin (owned by ``builtin_owner``).
    :raises error: an id registered twice, naming both plugins.
    """
    registry = dict(builtin or {})
    owners = dict.fromkeys(registry, builtin_owner)
    # get_hookimpls() is in registration order; a hook call runs them last first.
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        for item in impl.function() or ():
            ident = key(item)
            if ident in owners:
                raise error(f"{what} {ident!r} is registered twice: by plugin {owners[ident]!r} and by "
                            f"plugin {impl.plugin_name!r}; uninstall one or rename the {what}")
            registry[ident] = item
            owners[ident] = impl.plugin_name
    return registry


def build_scoring_registry(pm: pluggy.PluginManager):
    """The scoring engine's rule types plus every plugin's ``register_scoring_rules``."""
    merged = merge_registry(pm, "register_scoring_rules", "scoring rule type", builtin=RULES,
                            builtin_owner="core.scoring", error=DuplicateRuleType)
    return build_registry([rule for rule_id, rule in merged.items() if rule_id not in RULES])


def scoring_registry():
    """The current application's scoring rule types (built at start-up)."""
    return per_plugin_set("scoring_rules", lambda: build_scoring_registry(plugin_manager()))


def active_scoring_registry():
    """The rule types a definition may use: the application's inside one, else the built-in ones.

    Every validator of definitions and packs asks this, so a plugin's rule type is
    accepted wherever the plugin is installed; a script without an app gets the engine's.
    """
    if has_app_context() and EXTENSION_KEY in current_app.extensions:
        return scoring_registry()
    return default_registry()


def quality_registry() -> dict:
    """The goal-quality rules of the current application, keyed by id."""
    return per_plugin_set("quality_rules",
                          lambda: merge_registry(plugin_manager(), "register_quality_rules", "quality rule"))


def jurisdiction_packs(pm: pluggy.PluginManager | None = None) -> dict:
    """Every pack the plugins register, keyed by jurisdiction code (a code twice is refused).

    :param pm: a plugin manager; by default the current application's (built once).
    """
    if pm is None or (has_app_context() and pm is current_app.extensions.get(EXTENSION_KEY)):
        return per_plugin_set("jurisdictions", lambda: merge_registry(
            plugin_manager(), "register_jurisdictions", "jurisdiction", key=lambda pack: pack.code))
    return merge_registry(pm, "register_jurisdictions", "jurisdiction", key=lambda pack: pack.code)


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
