"""A whole pack as one JSON file: export a jurisdiction, import one (validated first,
all or nothing). The command line does the same (``flask packs export/import``)."""
from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.admin import bp, service
from core.admin.common import jurisdiction_or_404, require_admin
from core.admin.service import MAX_PACK_BYTES, AdminRefused
from core.config import MiB
from core.extensions import db

MAX_TEXT = MAX_PACK_BYTES


def pack_json(jurisdiction) -> str:
    return json.dumps(service.export_doc(jurisdiction), ensure_ascii=False, indent=2) + "\n"


@bp.route("/jurisdictions/<code>/export")
@login_required
def export(code: str):
    j = jurisdiction_or_404(code)
    return Response(pack_json(j), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{j.code}-pack.json"'})


def _posted_bytes() -> tuple[bytes | None, str]:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.stream.read(MAX_PACK_BYTES + 1), upload.filename
    text = request.form.get("text", "")
    if text.strip():
        return text.encode("utf-8"), _("粘贴的内容")
    return None, ""


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_pack():
    require_admin()
    if request.method == "GET":
        return render_template("admin/import.html", problems=[], source="")
    data, source = _posted_bytes()
    if data is None:
        flash(_("请选择辖区包文件，或粘贴其内容"), "error")
        return render_template("admin/import.html", problems=[], source=""), 422
    doc, problems = service.read_pack_bytes(data, source)
    if problems:
        return render_template("admin/import.html", problems=problems, source=source,
                               problems_title=_("无法读取「%(s)s」，未导入任何内容", s=source)), 422
    dry_run = request.form.get("action") == "check"
    try:
        if dry_run:
            _pack, problems = service.check_import(doc, current_user)
            if problems:
                raise AdminRefused(_("辖区包有 %(n)s 处问题", n=len(problems)), problems)
            flash(_("检查通过：可以导入辖区「%(code)s」", code=_pack.code), "success")
            return render_template("admin/import.html", problems=[], source=source)
        jurisdiction, published, created = service.import_pack(doc, current_user)
        db.session.commit()
    except AdminRefused as refused:
        db.session.rollback()
        return render_template("admin/import.html", problems=refused.problems, source=source,
                               problems_title=f"「{source}」：{refused.message}"), 422
    lines = "、".join(f"{row.kind} v{row.version}" for row in published) or _("（表单均无变化）")
    flash((_("已创建辖区「%(name)s」，发布：%(lines)s", name=jurisdiction.name_zh, lines=lines) if created
           else _("已导入辖区「%(name)s」，发布：%(lines)s", name=jurisdiction.name_zh, lines=lines)), "success")
    return redirect(url_for("admin.jurisdiction", code=jurisdiction.code))


@bp.errorhandler(413)
def too_large(error):
    """An upload over the request limit: say what the limit is and how to get under it."""
    from flask import current_app

    limit = current_app.config["MAX_CONTENT_LENGTH"] // MiB
    return render_template("admin/too_large.html", limit=limit), 413
