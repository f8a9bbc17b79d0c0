"""Editing a jurisdiction's forms: the structured editor, the raw JSON editor, the
validate endpoint, the live preview with test scoring, publishing and discarding."""
from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import UndefinedError

from core.admin import bp, service, structured
from core.admin.blank import KIND_LABELS, SCORING_KINDS
from core.admin.common import digest, jurisdiction_or_404, kind_or_404, rule_types
from core.admin.service import AdminRefused
from core.definitions.errors import DefinitionInvalid, Problem
from core.extensions import db
from core.params import int_arg

MAX_JSON_TEXT = 2 * 1024 * 1024  # one form; a pack file may be larger


def _working_copy_or_404(code: str, kind: str):
    """(jurisdiction, kind, its working copy) named by the URL, or 404."""
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    return j, kind, _row_or_404(j, kind)


def _row_or_404(j, kind: str, version: int | None = None):
    if version is not None:
        row = next((r for r in service.versions(j, kind) if r.version == version), None)
    else:
        row = service.working_copy(j, kind)
    if row is None:
        abort(404)
    return row


def _goal_categories(j) -> list[dict]:
    goal = service.working_copy(j, "goal")
    tree = goal.body.get("indicator_tree") if goal is not None else None
    categories = tree.get("categories") if isinstance(tree, dict) else None
    return [c for c in categories if isinstance(c, dict)] if isinstance(categories, list) else []


def _editor_context(j, kind: str, row, body: dict, problems, warnings, anchor: str = "") -> dict:
    registry = rule_types()
    return dict(
        j=j, kind=kind, kind_label=KIND_LABELS.get(kind, {"zh": kind}), row=row, body=body,
        is_draft=not row.is_published, base=digest(row), problems=list(problems), warnings=list(warnings),
        registry=registry, rule_ids=sorted(registry), categories=_goal_categories(j), choices=structured.EDITOR_CHOICES,
        scoring_kind=kind in SCORING_KINDS, anchor=anchor,
        next_version=row.version if not row.is_published else max(r.version for r in service.versions(j, kind)) + 1,
        problems_under=structured.problems_under, param_specs=structured.param_specs,
        param_text=structured.param_text, choices_text=structured.choices_text, node_kind=structured.node_kind,
        json_path=structured.json_path, param_labels=structured.PARAM_LABELS)


#: Problems that mean the document's shape is not what the structured editor can show
#: (a label that is a string, sections that are not a list…): the JSON editor fixes them.
SHAPE_CODES = frozenset({"not_object", "not_list"})


def _render_editor(j, kind: str, row, body: dict, problems, warnings, anchor: str = "", status: int = 200):
    context = _editor_context(j, kind, row, body, problems, warnings, anchor)
    if any(p.code in SHAPE_CODES for p in problems) or not isinstance(body, dict):
        return render_template("admin/editor_unavailable.html", **context), status
    try:
        return render_template("admin/editor.html", **context), status
    except (TypeError, AttributeError, UndefinedError):  # a shape the checks above did not foresee
        return render_template("admin/editor_unavailable.html", **context), status


def _stale(j, kind: str, row):
    flash(_("此表单刚被他人修改（或在另一个窗口中保存过），您的修改未保存。下面是最新的内容。"), "error")
    problems, warnings = service.form_problems(j, kind, row.body)
    return _render_editor(j, kind, row, row.body, problems, warnings, status=409)


@bp.route("/jurisdictions/<code>/forms/<kind>", methods=["GET"])
@login_required
def editor(code: str, kind: str):
    j, kind, row = _working_copy_or_404(code, kind)
    problems, warnings = service.form_problems(j, kind, row.body)
    return _render_editor(j, kind, row, row.body, problems, warnings)


@bp.route("/jurisdictions/<code>/forms/<kind>", methods=["POST"])
@login_required
def editor_post(code: str, kind: str):
    j, kind, row = _working_copy_or_404(code, kind)
    if request.form.get("base") != digest(row):
        return _stale(j, kind, row)
    body, read_problems = structured.parse(request.form, row.body, rule_types())
    action = request.form.get("action", "save")
    anchor = ""
    if action not in ("save", "check"):
        body, anchor = structured.apply_action(body, action)
    problems, warnings = service.form_problems(j, kind, body)
    problems = read_problems + problems
    if action == "check":
        flash(_("检查完毕：没有问题，可以保存并发布") if not problems
              else _("检查发现 %(n)s 处问题（未保存）", n=len(problems)), "success" if not problems else "error")
        return _render_editor(j, kind, row, body, problems, warnings, status=200 if not problems else 422)
    draft = service.save_draft(j, kind, body, current_user, how="structured")
    db.session.commit()
    if read_problems:
        flash(_("草稿已保存，但有些输入无法读取："), "error")
        return _render_editor(j, kind, draft, draft.body, problems, warnings, anchor, status=422)
    if action == "save":
        flash(_("草稿 v%(v)s 已保存", v=draft.version) if not problems
              else _("草稿 v%(v)s 已保存，但有 %(n)s 处问题，修改后才能发布", v=draft.version, n=len(problems)),
              "success" if not problems else "warning")
    return redirect(url_for("admin.editor", code=j.code, kind=kind) + (f"#{anchor}" if anchor else ""))


# ------------------------------------------------------------------ raw JSON ----

def _json_text(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, indent=2)


def _raw_context(j, kind: str, row, text: str, problems, warnings) -> dict:
    return dict(j=j, kind=kind, kind_label=KIND_LABELS.get(kind, {"zh": kind}), row=row, text=text,
                base=digest(row), problems=list(problems), warnings=list(warnings), is_draft=not row.is_published)


def _read_posted_json(j, kind: str) -> tuple[Any, str, list[Problem], list[Problem]]:
    text = request.form.get("body", "")
    if len(text) > MAX_JSON_TEXT:
        return None, text[:1000], [Problem("", f"内容过长（上限 {MAX_JSON_TEXT // 1024 // 1024} MB）", "too_large")], []
    doc, problems = service.parse_json_text(text)
    if problems:
        return None, text, problems, []
    problems, warnings = service.form_problems(j, kind, doc)
    return doc, text, problems, warnings


@bp.route("/jurisdictions/<code>/forms/<kind>/json", methods=["GET", "POST"])
@login_required
def raw_editor(code: str, kind: str):
    j, kind, row = _working_copy_or_404(code, kind)
    if request.method == "GET":
        problems, warnings = service.form_problems(j, kind, row.body)
        return render_template("admin/raw.html", **_raw_context(j, kind, row, _json_text(row.body), problems, warnings))
    if request.form.get("base") != digest(row):
        flash(_("此表单刚被他人修改（或在另一个窗口中保存过），您的修改未保存。下面是您提交的内容，请与最新版本核对。"), "error")
        problems, warnings = service.form_problems(j, kind, row.body)
        context = _raw_context(j, kind, row, request.form.get("body", "")[:MAX_JSON_TEXT], problems, warnings)
        return render_template("admin/raw.html", **context), 409
    doc, text, problems, warnings = _read_posted_json(j, kind)
    action = request.form.get("action", "save")
    if action == "check" or not isinstance(doc, dict):
        if action == "check" and not problems:
            flash(_("检查完毕：没有问题"), "success")
        elif doc is not None and not isinstance(doc, dict):
            flash(_("定义必须是一个 JSON 对象（{…}），未保存"), "error")
        else:
            flash(_("有 %(n)s 处问题", n=len(problems)) + ("" if action == "check" else _("，未保存")), "error")
        return render_template("admin/raw.html", **_raw_context(j, kind, row, text, problems, warnings)), \
            (200 if not problems and isinstance(doc, dict) else 422)
    draft = service.save_draft(j, kind, doc, current_user, how="json")
    db.session.commit()
    flash(_("草稿 v%(v)s 已保存", v=draft.version) if not problems
          else _("草稿 v%(v)s 已保存，但有 %(n)s 处问题，修改后才能发布", v=draft.version, n=len(problems)),
          "success" if not problems else "warning")
    return redirect(url_for("admin.raw_editor", code=j.code, kind=kind))


@bp.route("/jurisdictions/<code>/forms/<kind>/validate", methods=["POST"])
@login_required
def validate(code: str, kind: str):
    """Validate JSON text (``body``) or the structured editor's inputs without saving; JSON out."""
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    if "body" in request.form:
        doc, _text, problems, warnings = _read_posted_json(j, kind)
    else:
        row = _row_or_404(j, kind)
        doc, problems = structured.parse(request.form, row.body, rule_types())
        more, warnings = service.form_problems(j, kind, doc)
        problems = problems + more
    return jsonify({"ok": not problems,
                    "problems": [{"path": p.path, "message": p.message, "code": p.code} for p in problems],
                    "warnings": [{"path": p.path, "message": p.message, "code": p.code} for p in warnings]})


# --------------------------------------------------------------- publishing ----

@bp.route("/jurisdictions/<code>/forms/<kind>/publish", methods=["POST"])
@login_required
def publish(code: str, kind: str):
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    try:
        row = service.publish(j, kind, current_user)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        flash(refused.message + "：" + "；".join(str(p) for p in refused.problems[:5])
              + ("……" if len(refused.problems) > 5 else ""), "error")
        return redirect(url_for("admin.editor", code=j.code, kind=kind))
    flash(_("已发布 v%(v)s：新填报的表单使用此版本，已填报的表单仍使用原版本", v=row.version), "success")
    return redirect(url_for("admin.jurisdiction", code=j.code))


@bp.route("/jurisdictions/<code>/forms/<kind>/discard", methods=["POST"])
@login_required
def discard(code: str, kind: str):
    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    try:
        service.discard_draft(j, kind, current_user)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("admin.editor", code=j.code, kind=kind))
    flash(_("草稿已放弃"), "success")
    return redirect(url_for("admin.jurisdiction", code=j.code))


@bp.route("/jurisdictions/<code>/forms", methods=["POST"])
@login_required
def add_form(code: str):
    j = jurisdiction_or_404(code)
    kind = request.form.get("kind", "")
    try:
        service.add_form(j, kind, current_user)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("admin.jurisdiction", code=j.code))
    return redirect(url_for("admin.editor", code=j.code, kind=kind))


# ------------------------------------------------------------------ preview ----

def _version_arg() -> int | None:
    return int_arg("version")


def _preview_row(j, kind: str):
    return _row_or_404(j, kind, _version_arg())


@bp.route("/jurisdictions/<code>/forms/<kind>/preview", methods=["GET", "POST"])
@login_required
def preview(code: str, kind: str):
    """The form as a department will see it; scoring forms score sample inputs (test-scoring panel)."""
    from core.admin import preview as previewing

    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    row = _preview_row(j, kind)
    problems, _warnings = service.form_problems(j, kind, row.body)
    context = dict(j=j, kind=kind, kind_label=KIND_LABELS.get(kind, {"zh": kind}), row=row, problems=problems,
                   versions=service.versions(j, kind))
    if problems:
        return render_template("admin/preview.html", **context), 200
    posted = request.form if request.method == "POST" else None
    try:
        if isinstance(row.body.get("scoring"), dict):
            context.update(previewing.scoring_preview(j, row.body, posted))
            template = "admin/preview_scoring.html"
        else:
            context.update(previewing.paper_preview(row.body, posted))
            template = "admin/preview.html"
    except DefinitionInvalid as invalid:
        context["problems"] = invalid.problems
        return render_template("admin/preview.html", **context), 200
    return render_template(template, **context)


@bp.route("/jurisdictions/<code>/forms/<kind>/preview/score", methods=["POST"])
@login_required
def preview_score(code: str, kind: str):
    """Scores of sample inputs as JSON (the preview page calls this as the admin types)."""
    from core.admin import preview as previewing

    j = jurisdiction_or_404(code)
    kind = kind_or_404(kind)
    row = _preview_row(j, kind)
    if not isinstance(row.body.get("scoring"), dict):
        abort(404)
    try:
        result = previewing.scoring_preview(j, row.body, request.form)["result"]
    except DefinitionInvalid as invalid:
        return jsonify({"problems": [{"path": p.path, "message": p.message} for p in invalid.problems]}), 422
    return jsonify(result.as_dict())
