"""A form's versions, one version's JSON, and the differences between two versions."""
from __future__ import annotations

import json

from flask import abort, render_template
from flask_login import login_required
from sqlalchemy import func, select

from core.admin import bp, service
from core.admin.blank import KIND_LABELS
from core.admin.common import jurisdiction_or_404, kind_or_404
from core.admin.diff import diff
from core.extensions import db
from core.models import Submission
from core.params import int_arg


@bp.route("/jurisdictions/<code>/forms/<kind>/versions")
@login_required
def versions(code: str, kind: str):
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    rows = service.versions(j, kind)
    if not rows:
        abort(404)
    counts = dict(db.session.execute(select(Submission.definition_id, func.count()).where(
        Submission.definition_id.in_([r.id for r in rows])).group_by(Submission.definition_id)).all())
    return render_template("admin/versions.html", j=j, kind=kind, kind_label=KIND_LABELS.get(kind, {"zh": kind}),
                           rows=list(reversed(rows)), counts=counts)


@bp.route("/jurisdictions/<code>/forms/<kind>/versions/<int:version>")
@login_required
def version(code: str, kind: str, version: int):
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    row = next((r for r in service.versions(j, kind) if r.version == version), None) or abort(404)
    return render_template("admin/version.html", j=j, kind=kind, kind_label=KIND_LABELS.get(kind, {"zh": kind}),
                           row=row, text=json.dumps(row.body, ensure_ascii=False, indent=2))


@bp.route("/jurisdictions/<code>/forms/<kind>/diff")
@login_required
def version_diff(code: str, kind: str):
    """``?a=1&b=2``: what changed from version a to version b (default: the newest two)."""
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    rows = service.versions(j, kind)
    if not rows:
        abort(404)
    by_version = {r.version: r for r in rows}
    b = int_arg("b") or rows[-1].version
    a = int_arg("a") or max((v for v in by_version if v < b), default=b)
    if a not in by_version or b not in by_version:
        abort(404)
    changes = diff(by_version[a].body, by_version[b].body, ignore=("version",))
    return render_template("admin/diff.html", j=j, kind=kind, kind_label=KIND_LABELS.get(kind, {"zh": kind}),
                           rows=rows, a=by_version[a], b=by_version[b], changes=changes)
