"""Errors of the REST API, always as JSON: ``{"errors": [{"path", "message", "code"}]}``.

``path`` says where (a key of the request body such as ``lock_version``, or a
path in the form data such as ``fields.budget_total`` / ``indicators[2].target``;
empty when the error is about the request as a whole), ``message`` what is wrong
in words a user can act on, ``code`` a stable machine-readable id. An unexpected
exception is a 500 with code ``internal_error`` and a ``reference`` the server log
holds with the traceback (core/errors.py).
"""
from __future__ import annotations

from typing import Iterable

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from core.config import MiB
from core.errors import propagates, report_unexpected, unexpected_message
from core.params import BadParameter
from core.security import NulInInput, nul_message

#: The message for an HTTP status when the code raising it gave none.
DEFAULT_MESSAGES = {
    400: ("bad_request", "请求无效。"),
    401: ("unauthorized", "缺少有效的访问令牌：请在请求头中提供 Authorization: Bearer <令牌>。"),
    403: ("forbidden", "您没有执行此操作的权限。"),
    404: ("not_found", "对象不存在，或您无权查看。"),
    405: ("method_not_allowed", "此地址不支持 {method} 请求。"),
    409: ("conflict", "与对象的当前状态冲突。"),
    413: ("too_large", "请求内容过大（上限 {limit} MB）。"),
    415: ("unsupported_media_type", "请求体须为 JSON（Content-Type: application/json）。"),
    422: ("invalid", "请求内容无效。"),
    429: ("rate_limited", "请求过于频繁（上限 {limit}），请稍后再试。"),
    500: ("internal_error", "系统出错，请稍后重试。"),
}


class ApiError(Exception):
    """Raised by API views; rendered as JSON with ``status``."""

    def __init__(self, status: int, message: str | None = None, code: str | None = None,
                 path: str = "", errors: Iterable[dict] | None = None, headers: dict | None = None):
        default_code, default_message = DEFAULT_MESSAGES.get(status, ("error", "请求失败。"))
        self.status = status
        self.errors = list(errors or []) or [
            {"path": path, "message": message or default_message, "code": code or default_code}]
        self.headers = headers or {}
        super().__init__(self.errors[0]["message"])


def error_item(path: str, message: str, code: str) -> dict:
    return {"path": path, "message": message, "code": code}


def problems_to_errors(problems) -> list[dict]:
    """:class:`core.definitions.errors.Problem` objects (or dicts) as error items."""
    items = []
    for p in problems:
        if isinstance(p, dict):
            items.append(error_item(p.get("path", ""), str(p.get("message", "")), p.get("code", "invalid")))
        else:
            items.append(error_item(p.path, p.message, p.code))
    return items


def error_response(status: int, errors: list[dict], headers: dict | None = None):
    response = jsonify({"errors": errors})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="perfforms"')
    return response


def _http_message(error: HTTPException) -> tuple[str, str]:
    code, message = DEFAULT_MESSAGES.get(error.code or 500, ("error", error.description or "请求失败。"))
    if error.code == 405:
        message = message.format(method=request.method)
    elif error.code == 413:
        message = message.format(limit=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // MiB or "?")
    elif error.code == 429:
        message = message.format(limit=getattr(error, "description", "") or "?")
    return code, message


def http_error_response(error: HTTPException):
    code, message = _http_message(error)
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(error.code or 500, [error_item("", message, code)], headers)


def install_error_handlers(bp: Blueprint, prefix: str) -> None:
    """JSON for every error raised under ``bp``, including unknown paths below ``prefix``."""

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.errors, error.headers)

    @bp.errorhandler(NulInInput)
    def _nul_in_input(error: NulInInput):
        return error_response(400, [error_item(error.where, nul_message(), "nul_character")])

    # Flask prefers an app-wide handler for a status code over a blueprint's generic
    # HTTPException handler, so every code is registered on the blueprint.
    for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429):
        bp.register_error_handler(status, http_error_response)

    @bp.errorhandler(BadParameter)  # a query parameter: not_integer or range
    def _bad_parameter(error: BadParameter):
        return error_response(400, [error_item(error.parameter, error.message, error.error_code)])

    def _internal_error(reference: str):
        item = {**error_item("", unexpected_message(reference), "internal_error"), "reference": reference}
        return error_response(500, [item])

    @bp.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # a status without a handler above
            return http_error_response(error)
        if propagates():
            raise error
        return _internal_error(report_unexpected(error))

    @bp.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError):
        return _internal_error(report_unexpected(error.original_exception or error))

    @bp.before_app_request
    def _unknown_api_path():
        # A path that matches no route has no blueprint, so the HTML error pages
        # would answer; below the API prefix the answer is JSON.
        exc = request.routing_exception
        if exc is not None and (request.path == prefix or request.path.startswith(prefix + "/")):
            if isinstance(exc, HTTPException) and exc.code in (404, 405):
                return http_error_response(exc)
        return None
