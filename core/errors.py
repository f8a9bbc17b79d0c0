"""Error pages that say what happened, in the user's language.

An unexpected exception is never Werkzeug's bare 500: it is logged at ERROR with its
traceback and a short reference (``参考编号 1a2b3c4d``), the transaction is rolled
back, and the user gets the branded page (the API its JSON, core/api/errors.py)
with that reference to give the administrator, who finds it with ``grep 1a2b3c4d``
in the log (one ERROR line with the traceback). Under ``TESTING`` or ``DEBUG`` (or
with ``PROPAGATE_EXCEPTIONS``) the exception is raised instead, as Flask does.
"""
from __future__ import annotations

import secrets

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from core.config import MiB
from core.extensions import db
from core.params import BadParameter
from core.security import NulInInput, nul_message


def propagates() -> bool:
    """Flask's own rule for letting an exception through to the test client or debugger."""
    propagate = current_app.config.get("PROPAGATE_EXCEPTIONS")
    return bool(current_app.testing or current_app.debug) if propagate is None else bool(propagate)


def report_unexpected(error: BaseException | None) -> str:
    """Roll the session back and log ``error`` with its traceback; return its reference.

    The reference is 8 hex characters, in the log line and on the page the user sees.
    """
    reference = secrets.token_hex(4)
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be what failed: still answer the user
        current_app.logger.warning("reference %s: rolling the session back failed", reference, exc_info=True)
    exc_info = (type(error), error, error.__traceback__) if error is not None else None
    current_app.logger.error("reference %s: unhandled exception on %s %s", reference, request.method,
                             request.full_path.rstrip("?"), exc_info=exc_info)
    return reference


def unexpected_message(reference: str) -> str:
    return _("系统出错，请稍后重试。如问题持续，请把参考编号 %(ref)s 告知管理员。", ref=reference)


def register_error_handlers(app: Flask) -> None:
    def page(code: int, message: str):
        return render_template("errors/error.html", code=code, message=message), code

    def server_error_page(reference: str):
        message = unexpected_message(reference)
        try:
            return render_template("errors/error.html", code=500, message=message), 500
        except Exception:  # the layout needs the database (the signed-in user): plain HTML then
            current_app.logger.error("reference %s: the error page failed too", reference, exc_info=True)
            return (f'<!doctype html><html><meta charset="utf-8"><title>500</title>'
                    f"<h1>500</h1><p>{escape(message)}</p></html>"), 500

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):  # abort(…) and routing: their own handlers or Werkzeug's page
            return error
        if propagates():
            raise error
        return server_error_page(report_unexpected(error))

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        # abort(500), or an exception Flask handled itself (it has logged it already).
        return server_error_page(report_unexpected(error.original_exception or error))

    @app.errorhandler(BadParameter)
    def bad_parameter(error: BadParameter):
        return page(400, error.message)

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

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, _("此地址不支持 %(method)s 请求。", method=request.method))

    @app.errorhandler(413)
    def too_large(error):
        limit = app.config["MAX_CONTENT_LENGTH"] // MiB
        return page(413, _("上传的内容过大（上限 %(n)s MB）。", n=limit))

    @app.errorhandler(429)
    def too_many(error):
        return page(429, _("操作过于频繁，请稍后再试。"))
