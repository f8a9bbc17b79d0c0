"""Pages of background jobs: start one from a list, watch it, download its file, retry it."""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.auth import access
from core.extensions import db
from core.jobs import queue
from core.jobs.kinds import KINDS
from core.listing import int_arg, paginate
from core.models import Job, Organization, Project


bp = Blueprint("jobs", __name__, url_prefix="/jobs")

MAX_QUERY = 2000


def _own_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


def _params(kind: str) -> dict:
    """The job's request, checked now with the same parsing its page uses (a bad filter
    is a 400 here, not a failed job later)."""
    if kind == "goal_pdfs_zip":
        organization_id = int_arg("organization_id", None, args=request.form) or abort(400)
        year = int_arg("year", None, 2000, 2100, args=request.form) or abort(400)
        visible = access.visible_projects(current_user).with_only_columns(Project.id)
        seen = db.session.scalar(select(Project.id).where(Project.id.in_(visible),
                                                          Project.organization_id == organization_id).limit(1))
        if seen is None or db.session.get(Organization, organization_id) is None:
            abort(404)
        return {"organization_id": organization_id, "year": year}
    args = MultiDict(parse_qsl((request.form.get("query") or "")[:MAX_QUERY]))
    params = {k: v for k, v in args.items() if k not in ("page", "per_page")}
    if kind == "monitoring_xlsx":
        from core.monitoring.table import build_table

        access.require(access.can_oversee(current_user))
        build_table(current_user, params)
    else:
        from core.projects.queries import project_filters

        project_filters(params)
    return params


@bp.route("/", methods=["POST"])
@login_required
def start():
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        abort(400)
    job = queue.submit(kind, _params(kind), current_user)
    return redirect(url_for("jobs.status", job_id=job.id))


@bp.route("/")
@login_required
def index():
    page = paginate(select(Job).where(Job.user_id == current_user.id).order_by(Job.id.desc()))
    for job in page.items:
        queue.refresh(job)
    return render_template("jobs/index.html", page=page, kinds=KINDS)


@bp.route("/<int:job_id>")
@login_required
def status(job_id: int):
    job = queue.refresh(_own_or_404(job_id))
    return render_template("jobs/status.html", job=job, kind=KINDS[job.kind])


@bp.route("/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = _own_or_404(job_id)
    if job.state != "done" or not job.result_path:
        abort(404)
    path = queue.export_dir() / job.result_path
    if not path.is_file():
        flash(_("文件已被清理，请重新导出。"), "error")
        return redirect(url_for("jobs.status", job_id=job.id))
    response = send_file(path, as_attachment=True, download_name=job.result_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id: int):
    job = queue.refresh(_own_or_404(job_id))
    if job.state != "failed":
        abort(409)
    return redirect(url_for("jobs.status", job_id=queue.retry(job, current_user).id))
