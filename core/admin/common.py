"""What every admin view needs: who may, which jurisdiction, and the registries."""
from __future__ import annotations

import hashlib
import json

from flask import abort, render_template
from flask_login import current_user

from core.admin import service
from core.definitions.schema import KINDS
from core.models import Jurisdiction


def require_admin() -> set[int]:
    """The ids the current user administers; 404 for anyone who administers nothing."""
    ids = service.administered_ids(current_user)
    if not ids:
        abort(404)
    return ids


def jurisdiction_or_404(code: str) -> Jurisdiction:
    """The jurisdiction ``code`` if the current user administers it; else 404 (ids leak nothing)."""
    jurisdiction = service.by_code(code)
    if jurisdiction is None or not service.may_administer(current_user, jurisdiction):
        abort(404)
    return jurisdiction


def kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


def quality_rules() -> dict:
    """The goal-quality rules of this installation (``core.workflow.checks.quality_registry``)."""
    from core.workflow.checks import quality_registry

    return quality_registry()


def rule_types():
    """The scoring rule types: the engine's and every plugin's (``core.selfeval.scoring.registry``)."""
    from core.selfeval.scoring import registry

    return registry()


def digest(row) -> str:
    """A fingerprint of a stored definition, so a page edits the version it was rendered from."""
    text = json.dumps(row.body, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{row.id}:{row.version}:{text}".encode("utf-8")).hexdigest()[:32]


def refused_page(template: str, status: int = 422, **context):
    return render_template(template, **context), status
