"""The plugin manager: one per application, kept in ``app.extensions``."""
from __future__ import annotations

import importlib
from typing import Iterable

import pluggy
from flask import current_app

from core import hooks
from core.scoring import build_registry

# Built-in behaviour, registered exactly like any other plugin so it can be
# replaced or overridden (defaults use ``trylast``).
DEFAULT_PLUGINS: tuple[str, ...] = ("core.default_rules",)

EXTENSION_KEY = "perfforms.plugins"


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
