"""Jurisdictions: the admin's list, creating one (blank or cloned), its overview and settings."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.admin import bp, service
from core.admin.blank import KIND_LABELS
from core.admin.common import jurisdiction_or_404, quality_rules, require_admin
from core.admin.service import AdminRefused, JurisdictionSpec
from core.admin.structured import parse_months, to_number
from core.definitions.schema import SEVERITIES, UNITS
from core.extensions import db
from core.models import AuditEvent, Jurisdiction

BAND_ROWS = 6
SEVERITY_LABELS = {"off": _l("关闭"), "warning": _l("提示"), "error": _l("错误（阻止提交）")}


def spec_from_form(form, rules: dict, base: JurisdictionSpec | None = None) -> tuple[JurisdictionSpec, list]:
    """The create/settings page's inputs as a :class:`JurisdictionSpec`, and input problems."""
    spec = base or JurisdictionSpec()
    text = lambda name: (form.get(name) or "").strip()[:200]  # noqa: E731
    if base is None:
        spec.code = text("code")
        spec.clone_from = text("clone_from")
    spec.name_zh, spec.name_en = text("name_zh"), text("name_en")
    spec.parent = text("parent")
    spec.money_unit = text("money_unit")
    spec.months, problems = parse_months(text("months"))
    deadline = text("complete_by")
    spec.complete_by = int(deadline) if deadline.isdigit() and 1 <= int(deadline) <= 12 else 12
    bands = []
    for i in range(BAND_ROWS):
        minimum, zh, en = text(f"band{i}_min"), text(f"band{i}_zh"), text(f"band{i}_en")
        if not minimum and not zh:
            continue
        band = {"min": to_number(minimum) if minimum else "", "label": {"zh": zh}}
        if en:
            band["label"]["en"] = en
        bands.append(band)
    spec.grade_bands = bands
    spec.quality_rules = {rule_id: form.get(f"q_{rule_id}") for rule_id in rules
                          if form.get(f"q_{rule_id}") in SEVERITIES}
    return spec, problems


def _form_context(spec: JurisdictionSpec, problems=(), creating: bool = True):
    administered = require_admin()
    parents = db.session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(list(administered)))
                                 .order_by(Jurisdiction.code)).all()
    builtins = db.session.scalars(select(Jurisdiction).where(Jurisdiction.builtin.is_(True))
                                  .order_by(Jurisdiction.code)).all()
    rules = quality_rules()
    bands = list(spec.grade_bands) + [{"min": "", "label": {"zh": "", "en": ""}}] * (BAND_ROWS - len(spec.grade_bands))
    return dict(spec=spec, problems=list(problems), parents=parents, builtins=builtins, rules=rules,
                severities=SEVERITY_LABELS, units=UNITS, bands=bands[:BAND_ROWS], creating=creating,
                months_text=",".join(str(m) for m in spec.months))


@bp.route("/")
@login_required
def index():
    ids = require_admin()
    jurisdictions = db.session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(list(ids)))
                                       .order_by(Jurisdiction.builtin, Jurisdiction.code)).all()
    return render_template("admin/index.html", jurisdictions=jurisdictions)


@bp.route("/jurisdictions/new", methods=["GET", "POST"])
@login_required
def new_jurisdiction():
    require_admin()
    rules = quality_rules()
    if request.method == "GET":
        spec = JurisdictionSpec(quality_rules={rule_id: rule.default_severity for rule_id, rule in rules.items()})
        source = service.by_code(request.args.get("clone", ""))
        if source is not None and source.builtin:
            copied = service.spec_of(source)
            spec.clone_from, spec.money_unit = source.code, copied.money_unit
            spec.grade_bands, spec.quality_rules = copied.grade_bands, {**spec.quality_rules, **copied.quality_rules}
            spec.months, spec.complete_by = copied.months or spec.months, copied.complete_by
        return render_template("admin/jurisdiction_form.html", **_form_context(spec))
    spec, problems = spec_from_form(request.form, rules)
    try:
        jurisdiction = service.create_jurisdiction(spec, current_user, rules, problems)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        return render_template("admin/jurisdiction_form.html", problems_title=refused.message,
                               **_form_context(spec, refused.problems)), 422
    flash(_("已创建辖区「%(name)s」：表单为第 1 版草稿，检查后请逐一发布", name=jurisdiction.name_zh), "success")
    return redirect(url_for("admin.jurisdiction", code=jurisdiction.code))


@bp.route("/jurisdictions/<code>")
@login_required
def jurisdiction(code: str):
    j = jurisdiction_or_404(code)
    forms = []
    for kind in service.kinds(j):
        forms.append({"kind": kind, "published": service.latest_published(j, kind), "draft": service.draft_of(j, kind),
                      "label": KIND_LABELS.get(kind, {"zh": kind})})
    missing = [k for k in KIND_LABELS if k not in {f["kind"] for f in forms}]
    history = db.session.scalars(select(AuditEvent).where(AuditEvent.jurisdiction_id == j.id)
                                 .order_by(AuditEvent.id.desc()).limit(30)).all()
    return render_template("admin/jurisdiction.html", j=j, forms=forms, missing=missing, kind_labels=KIND_LABELS,
                           spec=service.spec_of(j), rules=quality_rules(), severities=SEVERITY_LABELS,
                           history=history)


@bp.route("/jurisdictions/<code>/settings", methods=["GET", "POST"])
@login_required
def settings(code: str):
    j = jurisdiction_or_404(code)
    rules = quality_rules()
    if request.method == "GET":
        spec = service.spec_of(j)
        spec.quality_rules = {**{rule_id: rule.default_severity for rule_id, rule in rules.items()},
                              **spec.quality_rules}
        return render_template("admin/jurisdiction_form.html", j=j, **_form_context(spec, creating=False))
    spec, problems = spec_from_form(request.form, rules, base=service.spec_of(j))
    try:
        changed = service.update_settings(j, spec, current_user, rules, problems)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        return render_template("admin/jurisdiction_form.html", j=j, problems_title=refused.message,
                               **_form_context(spec, refused.problems, creating=False)), 422
    flash(_("设置已保存"), "success")
    if changed:
        flash(_("金额单位或资金支出计划已写入这些表单的草稿，请检查后发布：%(kinds)s", kinds="、".join(changed)), "warning")
    return redirect(url_for("admin.jurisdiction", code=j.code))
