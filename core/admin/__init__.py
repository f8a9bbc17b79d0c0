"""Low-code administration (``/admin``): a jurisdiction that is not a built-in plugin,
configured in the browser — its settings, its forms (structured and raw JSON
editors, live preview, test scoring), versions and their differences, pack
export/import, and its organizations and users.

Only users with the ``admin`` role scoped to a jurisdiction (or one above it) may
administer it; anything else is 404. Every change is an audit event.

Modules: :mod:`.service` (the database side), :mod:`.structured` (the structured
editor's inputs ⇄ JSON), :mod:`.diff` (differences between versions), :mod:`.blank`
(minimal forms); views in :mod:`.jurisdictions`, :mod:`.forms`, :mod:`.versions`,
:mod:`.packs` and :mod:`.people`.
"""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from core.admin import forms, jurisdictions, packs, people, versions  # noqa: E402,F401  (routes)
