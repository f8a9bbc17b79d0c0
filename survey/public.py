"""The public questionnaire at ``/s/<slug>``: no account, an old phone, a weak connection.

Pages are plain HTML forms (no JavaScript): each section of the questionnaire is
one page, and the answers of the other pages travel along as hidden inputs, so
nothing is kept on the server until the final submit. The start time travels as a
signed token; the "already answered" mark is a signed cookie.

Duplicates: an invitation code is consumed by one conditional UPDATE (a second
submission is refused politely); in open mode the signed cookie refuses a second
submission from the same browser, and a response from the same device hash
(HMAC of IP + user agent) without that cookie is stored but flagged invalid
(``duplicate_device``) for the owner to judge — two people sharing one phone
must not lose an answer. No raw IP address is stored.

CSRF stays on: the view is exempt from the global check only to run the same
check itself, so an expired token re-shows the page *with the answers kept*
instead of an error page.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from core.definitions.data import validate_data
from core.extensions import csrf, db, limiter
from survey.models import Survey
from survey.service import (SurveyError, definition_of, device_hash, invitation_state, normalise_code,
                            setting, store_response)

bp = Blueprint("survey_public", __name__)

COOKIE = "svd"
MAX_REMEMBERED = 50
DAY = 86400


# --- signed values ----------------------------------------------------------------------------------------------

def _secret() -> str:
    from flask import current_app
    return current_app.config["SECRET_KEY"]


def start_token(survey: Survey) -> str:
    return URLSafeTimedSerializer(_secret(), salt="survey-start").dumps(survey.id)


def started_at(survey: Survey, token: str | None) -> datetime | None:
    """When the first page was served, from its signed token; None if missing, forged or stale."""
    if not token:
        return None
    try:
        survey_id, at = URLSafeTimedSerializer(_secret(), salt="survey-start").loads(
            token, max_age=int(setting("SURVEY_START_MAX_AGE_DAYS")) * DAY, return_timestamp=True)
    except BadSignature:
        return None
    if survey_id != survey.id:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _answered_ids() -> list[int]:
    try:
        value = URLSafeSerializer(_secret(), salt="survey-done").loads(request.cookies.get(COOKIE, ""))
    except BadSignature:
        return []
    return [i for i in value if isinstance(i, int)] if isinstance(value, list) else []


def _remember(response, survey_id: int):
    ids = [i for i in _answered_ids() if i != survey_id][-(MAX_REMEMBERED - 1):] + [survey_id]
    response.set_cookie(COOKIE, URLSafeSerializer(_secret(), salt="survey-done").dumps(ids),
                        max_age=int(setting("SURVEY_COOKIE_DAYS")) * DAY, path="/s/", httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response


# --- pages --------------------------------------------------------------------------------------------------------

def _message(title: str, text: str, status: int = 200, survey: Survey | None = None):
    return render_template("survey/public_message.html", title=title, text=text, survey=survey), status


# Built once: the public page runs this on every request (SQLAlchemy caches the
# compiled SQL, but building the expression itself costs more than the query).
_BY_SLUG = select(Survey).where(Survey.slug == bindparam("slug"))


def _load(slug: str) -> Survey:
    survey = db.session.scalar(_BY_SLUG, {"slug": slug.lower()})
    if survey is None or survey.status == "draft":
        abort(404)
    return survey


def field_name(question_id: str, item_id: str = "") -> str:
    return f"q-{question_id}-{item_id}" if item_id else f"q-{question_id}"


def read_answers(definition, form) -> dict:
    """The answers in a submitted form, keyed like the definition's fields."""
    raw: dict = {}
    for f in definition.fields:
        if f.type == "matrix":
            rows = {row.id: form.get(field_name(f.id, row.id), "") for row in f.rows}
            raw[f.id] = {k: v for k, v in rows.items() if v}
        elif f.type == "multi_choice":
            raw[f.id] = [v for v in form.getlist(field_name(f.id)) if v]
        else:
            raw[f.id] = form.get(field_name(f.id), "")
    return raw


def _hidden(definition, page: int, raw: dict) -> list[tuple[str, str]]:
    """(name, value) of the answers on the other pages, carried as hidden inputs."""
    pairs = []
    for number, section in enumerate(definition.sections):
        if number == page:
            continue
        for f in section.fields:
            value = raw.get(f.id)
            if f.type == "matrix" and isinstance(value, dict):
                pairs += [(field_name(f.id, k), v) for k, v in value.items() if v]
            elif isinstance(value, list):
                pairs += [(field_name(f.id), v) for v in value if v]
            elif value:
                pairs.append((field_name(f.id), str(value)))
    return pairs


def _errors_for(definition, problems, pages: range) -> dict[str, str]:
    ids = {f.id for n in pages for f in definition.sections[n].fields}
    errors = {}
    for problem in problems:
        field_id = problem.path.removeprefix("fields.")
        if field_id in ids and field_id not in errors:
            errors[field_id] = _("这道题还没有回答") if problem.code == "field_required" else problem.message
    return errors


def _page_of(definition, field_ids) -> int:
    for number, section in enumerate(definition.sections):
        if any(f.id in field_ids for f in section.fields):
            return number
    return 0


def _render(survey: Survey, page: int, raw: dict, errors: dict | None = None, code: str = "",
            token: str | None = None, notice: str = ""):
    definition = definition_of(survey)
    page = max(0, min(page, len(definition.sections) - 1))
    return render_template(
        "survey/public_form.html", survey=survey, definition=definition, page=page,
        pages=len(definition.sections), section=definition.sections[page], raw=raw,
        errors=errors or {}, hidden=_hidden(definition, page, raw), code=code,
        token=token or start_token(survey), field_name=field_name, notice=notice)


@bp.route("/s/<slug>", methods=["GET"])
def form(slug: str):
    survey = _load(slug)
    if survey.status == "closed":
        return _message(_("问卷已结束"), _("本次调查已经结束，感谢您的关注！"), 410, survey)
    if survey.mode == "open" and survey.id in _answered_ids():
        return _already(survey)
    code = ""
    if survey.mode == "invitation":
        code = normalise_code(request.args.get("c"))
        if not code:
            return render_template("survey/public_code.html", survey=survey, error="")
        state = invitation_state(survey, code)
        if state == "unknown":
            return render_template("survey/public_code.html", survey=survey,
                                   error=_("邀请码不正确，请核对后重新输入。")), 404
        if state == "used":
            return _message(_("已经提交过了"), _("这个邀请码已经提交过问卷了，感谢您的参与！"), 200, survey)
    return _render(survey, 0, {}, code=code)


def _already(survey: Survey):
    return _message(_("已经提交过了"), _("您已经填写过这份问卷，感谢您的参与！每人只需填写一次。"), 200, survey)


def _is_submit() -> bool:
    return request.form.get("action") == "submit"


@bp.route("/s/<slug>", methods=["POST"])
@csrf.exempt
@limiter.limit(lambda: setting("SURVEY_SUBMIT_RATE_LIMIT"), methods=["POST"], scope="survey-submit",
               exempt_when=lambda: not _is_submit())
@limiter.limit(lambda: setting("SURVEY_PAGE_RATE_LIMIT"), methods=["POST"], scope="survey-page",
               exempt_when=_is_submit)
def submit(slug: str):
    survey = _load(slug)
    if survey.status != "open":
        return _message(_("问卷已结束"), _("本次调查已经结束，您的回答未能提交。感谢您的关注！"), 410, survey)
    definition = definition_of(survey)
    raw = read_answers(definition, request.form)
    code = normalise_code(request.form.get("c"))
    token = request.form.get("t") or None
    try:
        page = int(request.form.get("page", "0"))
    except ValueError:
        page = 0
    page = max(0, min(page, len(definition.sections) - 1))
    action = request.form.get("action", "next")
    try:
        csrf.protect()
    except CSRFError:
        return _render(survey, page, raw, code=code, token=token,
                       notice=_("页面停留时间较长，已为您保留答案，请再点一次下方按钮。")), 400
    if action == "back":
        return _render(survey, page - 1, raw, code=code, token=token)

    normalised, problems = validate_data(definition, {"fields": raw})
    last = len(definition.sections) - 1
    checked = range(0, page + 1) if action != "submit" else range(0, last + 1)
    errors = _errors_for(definition, problems, checked)
    if errors:
        return _render(survey, _page_of(definition, errors), raw, errors, code=code, token=token), 422
    if action != "submit" and page < last:
        return _render(survey, page + 1, raw, code=code, token=token)
    if action != "submit":  # "next" on the last page of an old cached form: show it again
        return _render(survey, last, raw, code=code, token=token)

    if survey.mode == "open" and survey.id in _answered_ids():
        return _already(survey)
    device = device_hash(survey, request.remote_addr, request.user_agent.string) if survey.mode == "open" else None
    survey_id, slug = survey.id, survey.slug  # the commit expires the object: no reload for the redirect
    try:
        store_response(survey, normalised["fields"], started_at=started_at(survey, token), device=device, code=code,
                       commit=True)
    except SurveyError as refused:
        return _message(_("未能提交"), refused.message, 409, survey)
    response = make_response(redirect(url_for("survey_public.thanks", slug=slug), code=303))
    return _remember(response, survey_id)


@bp.route("/s/<slug>/thanks")
def thanks(slug: str):
    survey = _load(slug)
    return _message(_("提交成功"), _("感谢您的参与！您的意见已经收到。"), 200, survey)


@bp.errorhandler(404)
def not_found(error):
    return _message(_("找不到问卷"), _("这个问卷链接不存在，请核对链接或二维码。"), 404)


@bp.errorhandler(429)
def too_many(error):
    return _message(_("请稍后再试"), _("提交太频繁了。请等一分钟，再返回上一页点一次「提交」。"), 429)
