"""Downloads and uploads of a project's forms: PDF, XLSX export, XLSX import.

Anyone who may view a project's form may download it (``access.project_or_404``;
out of scope is 404). Importing is the filer's, on an editable form, and goes
through ``service.save_draft`` like typing would: optimistic locking, the audit
trail and the checks all apply.
"""
from __future__ import annotations

import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from core.auth import access
from core.extensions import db
from core.i18n import current_lang, label, localtime, zone_label
from core.models.base import utcnow
from core.models import Project, Submission
from core.params import int_arg
from core.reports import pdf, xlsx
from core.reports.evaluation import build_report
from core.reports.paper import UNITS, build_paper, value_cell
from core.reports.scoring_table import build_score_table
from core.workflow import service
from core.workflow.transitions import EDITABLE_STATES, STATE_LABELS, TransitionRefused

bp = Blueprint("reports", __name__)

PDF_KINDS = ("goal", "self_evaluation")
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.errorhandler(pdf.PdfTooTall)
def _pdf_too_tall(error):
    """Content too long for a printed page: say so, instead of a server error."""
    return render_template("errors/error.html", code=422, message=_(
        "内容过长，无法排成 PDF：表中有一格内容或同一类别下的一组指标超过一页纸的高度。"
        "请缩短过长的内容或拆分指标，也可以下载 Excel 版本。")), 422


def _filename(*parts: str) -> str:
    """A download name without path separators or control characters (its ASCII
    fallback for old clients keeps the leading project number)."""
    name = "-".join(p for p in parts if p)
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name)[:150]


def _download(body: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _submission(project: Project, kind: str) -> Submission:
    submission = project.submission(kind)
    if submission is None:
        abort(404)
    return submission


def _printed_at() -> str:
    """Now, in the installation's time zone and labelled so (a printout leaves the building)."""
    return f"{localtime(utcnow())}（{zone_label()}）"


def _goal_source(submission: Submission):
    """(definition body, data, label) to print: a revision when ``?revision=`` names one."""
    revision_id = int_arg("revision")
    if revision_id is None:
        return submission.definition.body, submission.data, ""
    revision = next((r for r in submission.revisions if r.id == revision_id), None) or abort(404)
    return revision.definition.body, revision.data, f"修订 {revision.adjustment_no} · {revision.event}"


# ------------------------------------------------------------------- PDF ---------

@bp.route("/projects/<int:project_id>/forms/<kind>.pdf")
@login_required
def form_pdf(project_id: int, kind: str):
    project = access.project_or_404(current_user, project_id)
    if kind not in PDF_KINDS:
        abort(404)
    submission = _submission(project, kind)
    if kind == "goal":
        body = goal_pdf(project, submission, *_goal_source(submission))
    else:
        body = pdf.html_to_pdf(_self_evaluation_html(project, submission))
    return _download(body, PDF_MIME, pdf_name(project, submission))


def pdf_name(project: Project, submission: Submission) -> str:
    return _filename(f"P{project.id}", project.name, label(submission.definition.body.get("title"))) + ".pdf"


def goal_pdf(project: Project, submission: Submission, raw: dict, data: dict, revision_label: str = "") -> bytes:
    """The goal form as printed on paper (used by the download and the ZIP export job)."""
    html = render_template(
        "pdf/goal.html", project=project, fonts=pdf.font_urls(), units=UNITS,
        paper=build_paper(raw, data, organization=project.organization.name, year=project.year,
                          lang=current_lang(), max_span=pdf.MAX_ROWSPAN).move_to_annex(),
        state_label=label(STATE_LABELS[submission.state]), revision_label=revision_label,
        printed_at=_printed_at())
    return pdf.html_to_pdf(html)


def _scored(submission: Submission):
    """(tree, result) of a self-evaluation, or (None, None) if it cannot be scored yet."""
    from core.definitions.errors import DefinitionInvalid
    from core.selfeval.scoring import load_tree, score_submission
    try:
        tree = load_tree(submission)
    except DefinitionInvalid:
        return None, None
    return tree, score_submission(submission, tree=tree)


def _self_evaluation_html(project: Project, submission: Submission) -> str:
    raw = submission.definition.body
    tree, result = _scored(submission)
    if tree is None:
        abort(404)
    lang = current_lang()
    values = submission.data.get("fields") or {}
    fields, texts = [], []
    for section in raw.get("sections", []):
        for spec in section.get("fields", []):
            if spec.get("type") == "textarea":
                texts.append((label(spec.get("label")), values.get(spec["id"]) or "未填报"))
            elif spec.get("type") != "signature":
                cell = value_cell(spec, values.get(spec["id"]), "", lang)
                fields.append((label(spec.get("label")), cell.text, cell.numeric))
    return render_template(
        "pdf/self_evaluation.html", project=project, fonts=pdf.font_urls(), title=label(raw.get("title")),
        organization=project.organization.name, unit=raw.get("unit"), fields=fields, texts=texts,
        table=build_score_table(tree, result, submission.data.get("scores"), lang),
        state_label=label(STATE_LABELS[submission.state]), printed_at=_printed_at())


@bp.route("/projects/<int:project_id>/reports/evaluation.pdf")
@login_required
def evaluation_report_pdf(project_id: int):
    project = access.project_or_404(current_user, project_id)
    html = render_template("pdf/report.html", project=project, fonts=pdf.font_urls(),
                           report=evaluation_report(project), printed_at=_printed_at())
    return _download(pdf.html_to_pdf(html), PDF_MIME, _filename(f"P{project.id}", project.name, "绩效评价报告") + ".pdf")


def evaluation_report(project: Project):
    """The report model from the project's goal form and self-evaluation, whatever exists."""
    goal = project.submission("goal")
    evaluation = project.submission("self_evaluation")
    goal_source = None
    if evaluation is not None and evaluation.data.get("goal_revision_id"):
        revision = next((r for r in (goal.revisions if goal else [])
                         if r.id == evaluation.data["goal_revision_id"]), None)
        if revision is not None:
            goal_source = (revision.definition.body, revision.data)
    if goal_source is None and goal is not None:
        approved = goal.approved_revision
        goal_source = (approved.definition.body, approved.data) if approved else (goal.definition.body, goal.data)
    table = None
    evaluation_source = None
    if evaluation is not None:
        evaluation_source = (evaluation.definition.body, evaluation.data)
        tree, result = _scored(evaluation)
        if tree is not None:
            table = build_score_table(tree, result, evaluation.data.get("scores"), current_lang())
    info = {"name": project.name, "code": project.code, "year": project.year,
            "organization": project.organization.name, "budget": f"{project.budget:.2f}"}
    return build_report(info, goal_source, evaluation_source, table, current_lang())


# ------------------------------------------------------------------ XLSX ---------

@bp.route("/projects/<int:project_id>/forms/goal.xlsx")
@login_required
def goal_xlsx(project_id: int):
    project = access.project_or_404(current_user, project_id)
    submission = _submission(project, "goal")
    raw, data, _revision = _goal_source(submission)
    body = xlsx.export_goal(raw, data, project_id=project.id, organization=project.organization.name,
                            year=project.year, lang=current_lang())
    return _download(body, XLSX_MIME, _filename(f"P{project.id}", project.name, label(raw.get("title"))) + ".xlsx")


def _importable(project_id: int) -> tuple[Project, Submission]:
    project = access.project_or_404(current_user, project_id)
    if not access.can_file_for(current_user, project.organization_id):
        abort(403)
    return project, _submission(project, "goal")


@bp.route("/projects/<int:project_id>/forms/goal/import", methods=["GET"])
@login_required
def goal_import_page(project_id: int):
    project, submission = _importable(project_id)
    return render_template("reports/import.html", project=project, submission=submission,
                           editable=submission.state in EDITABLE_STATES, errors=[],
                           state_label=STATE_LABELS[submission.state])


@bp.route("/projects/<int:project_id>/forms/goal/import", methods=["POST"])
@login_required
def goal_import(project_id: int):
    project, submission = _importable(project_id)

    def refuse(errors: list[str], status: int = 422):
        return render_template("reports/import.html", project=project, submission=submission,
                               editable=submission.state in EDITABLE_STATES, errors=errors,
                               state_label=STATE_LABELS[submission.state]), status

    if submission.state not in EDITABLE_STATES:
        return refuse([_("此表状态为「%(state)s」，不能导入。已批复的目标须先申请调整。",
                         state=label(STATE_LABELS[submission.state]))], 409)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return refuse([_("请选择要导入的 Excel 文件（.xlsx）。")])
    result = xlsx.import_goal(upload.read(), submission.definition.body)
    if result.errors:
        return refuse(result.errors)
    lock_version = request.form.get("lock_version") or None
    try:
        service.save_draft(submission, result.data, current_user, lock_version)
        db.session.commit()
    except TransitionRefused as refused:
        db.session.rollback()
        return refuse([refused.message], 409 if isinstance(refused, service.StaleEdit) else 422)
    except StaleDataError:
        db.session.rollback()
        return refuse([_("此表刚被他人修改，导入未保存。请刷新页面后重试。")], 409)
    flash(_("已从 Excel 导入 %(n)s 条绩效指标，草稿已保存。请检查后再提交。",
            n=len(result.data.get("indicators") or [])), "success")
    return redirect(url_for("projects.form_page", project_id=project.id, kind="goal"))
