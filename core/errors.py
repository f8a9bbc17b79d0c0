"""Error pages that say what happened, in the user's language."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from core.config import MiB
from core.security import NulInInput, nul_message


def register_error_handlers(app: Flask) -> None:
    def page(code: int, message: str):
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, _("页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试。"))

    @app.errorhandler(NulInInput)
    def nul_in_input(error):
        return page(400, nul_message())

    @app.errorhandler(400)
    def bad_request(error):
        return page(400, _("请求无效。"))

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, _("您没有执行此操作的权限。"))

    @app.errorhandler(404)
    def not_found(error):
        return page(404, _("页面不存在，或您无权查看。"))

    @app.errorhandler(413)
    def too_large(error):
        limit = app.config["MAX_CONTENT_LENGTH"] // MiB
        return page(413, _("上传的内容过大（上限 %(n)s MB）。", n=limit))

    @app.errorhandler(429)
    def too_many(error):
        return page(429, _("操作过于频繁，请稍后再试。"))
