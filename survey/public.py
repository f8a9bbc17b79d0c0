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

import secrets
from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from core.definitions.data import validate_data
from core.extensions import csrf, limiter
from survey.models import Survey, SurveyResponse
from survey.service import (SurveyError, definition_of, device_hash_of, invitation_state, normalise_code,
                            setting, store_response)
from survey.store import AlreadyStored, fetch_one, public_connection, release_public_connection

bp = Blueprint("survey_public", __name__)
# The public pages read and write on a connection of their own, not the ORM session (survey.store).
bp.teardown_request(release_public_connection)


@bp.after_request
def _never_cached(response):
    """A served questionnaire carries its own form key (start_token): a copy restored
    from a cache would share it, and its answers would be thanked but not stored."""
    response.headers["Cache-Control"] = "no-store"
    return response

COOKIE = "svd"
MAX_REMEMBERED = 50
DAY = 86400


# --- signed values ----------------------------------------------------------------------------------------------

def _secret() -> str:
    return current_app.config["SECRET_KEY"]


_SERIALIZERS: dict[tuple, URLSafeSerializer] = {}


def _serializer(kind: type, salt: str) -> URLSafeSerializer:
    """One serializer per (kind, secret, salt): building one costs more than using it."""
    key = (kind, _secret(), salt)
    serializer = _SERIALIZERS.get(key)
    if serializer is None:
        if len(_SERIALIZERS) > 64:
            _SERIALIZERS.clear()
        serializer = _SERIALIZERS[key] = kind(key[1], salt=salt)
    return serializer


def start_token(survey) -> str:
    """The signed token of a served questionnaire: the survey, a random key naming this
    page load (``form_key``: a double tap stores it once) and, signed in, the time."""
    return _serializer(URLSafeTimedSerializer, "survey-start").dumps([survey.id, secrets.token_urlsafe(12)])


def read_start_token(survey, token: str | None) -> tuple[datetime | None, str | None]:
    """(when the first page was served, the form key) from its signed token; (None, None)
    if missing, forged or stale."""
    if not token:
        return None, None
    try:
        value, at = _serializer(URLSafeTimedSerializer, "survey-start").loads(
            token, max_age=int(setting("SURVEY_START_MAX_AGE_DAYS")) * DAY, return_timestamp=True)
    except BadSignature:
        return None, None
    # A page served before form keys existed carries the survey id alone.
    survey_id, key = (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (value, None)
    if survey_id != survey.id or not (key is None or isinstance(key, str) and len(key) <= 32):
        return None, None
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)), key


def _answered_ids() -> list[int]:
    cookie = request.cookies.get(COOKIE)
    if not cookie:  # a first survey on this phone: nothing to verify (no exception to raise)
        return []
    try:
        value = _serializer(URLSafeSerializer, "survey-done").loads(cookie)
    except BadSignature:
        return []
    return [i for i in value if isinstance(i, int)] if isinstance(value, list) else []


#: (secret, ids) → signed cookie value. The signature has no timestamp, so the value
#: is the same for every phone with the same list — above all ``[survey_id]``, a
#: phone's first survey: signed once per process, not once per submission.
_SIGNED_IDS: dict[tuple, str] = {}


def _signed_ids(ids: list[int]) -> str:
    key = (_secret(), tuple(ids))
    value = _SIGNED_IDS.get(key)
    if value is None:
        if len(_SIGNED_IDS) > 4096:
            _SIGNED_IDS.clear()
        value = _SIGNED_IDS[key] = _serializer(URLSafeSerializer, "survey-done").dumps(ids)
    return value


def _remember(response, survey_id: int, answered: list[int] | None = None):
    answered = _answered_ids() if answered is None else answered
    ids = [i for i in answered if i != survey_id][-(MAX_REMEMBERED - 1):] + [survey_id]
    response.set_cookie(COOKIE, _signed_ids(ids),
                        max_age=int(setting("SURVEY_COOKIE_DAYS")) * DAY, path="/s/", httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response


# --- pages --------------------------------------------------------------------------------------------------------

def _message(title: str, text: str, status: int = 200, survey=None):
    return render_template("survey/public_message.html", title=title, text=text, survey=survey), status


class PublicSurvey:
    """What the public pages need of a survey, read as one plain row (no ORM object).

    ``survey.service`` accepts it wherever it takes a :class:`Survey` on the
    submission path (``store_response``, ``definition_of``, the hashes); templates
    read ``title`` and ``slug``. ``same_device``: whether a response from the device
    hash passed to :func:`_load` exists (None when it was not asked).
    """

    __slots__ = ("id", "slug", "title", "status", "mode", "min_seconds", "straight_line_min_rows", "same_device",
                 "device")

    def __init__(self, row, same_device: bool | None, device: str | None = None):
        (self.id, self.slug, self.title, self.status, self.mode, self.min_seconds,
         self.straight_line_min_rows) = row[:7]
        self.same_device = same_device
        self.device = device  # the device hash ``same_device`` was asked for

    def __repr__(self) -> str:
        return f"<PublicSurvey {self.slug} {self.status}>"


# Built once: the public page runs this on every request (SQLAlchemy caches the
# compiled SQL, but building the expression itself costs more than the query).
# Core columns, not the entity: no identity map, no instance to build and expire.
# The final submit asks in the same query whether the device already answered
# (ix_survey_response_survey_device), so a submission reads the database once.
_survey, _response = Survey.__table__, SurveyResponse.__table__
_BY_SLUG = select(
    _survey.c.id, _survey.c.slug, _survey.c.title, _survey.c.status, _survey.c.mode, _survey.c.min_seconds,
    _survey.c.straight_line_min_rows,
    select(_response.c.id).where(_response.c.survey_id == _survey.c.id,
                                 _response.c.device_hash == bindparam("device"))
    .limit(1).scalar_subquery().label("same_device"),
).where(_survey.c.slug == bindparam("slug"))

#: slug → (id, mode) of published surveys: neither changes after publishing, and the
#: device hash (which needs the id) can then go into the one query. Checked against
#: the row read, so a stale entry (another database in tests) costs a query, not a
#: wrong answer.
_PUBLISHED: dict[str, tuple[int, str]] = {}


def _load(slug: str, device_of=None) -> PublicSurvey:
    """The survey at ``slug`` (404 unless published); ``device_of(survey_id)`` → the
    device hash to check for an earlier response in the same query (open mode)."""
    slug = slug.lower()
    known = _PUBLISHED.get(slug)
    device = device_of(known[0]) if device_of is not None and known and known[1] == "open" else None
    # An open-mode final submit commits its one statement by itself (survey.store).
    row = fetch_one(public_connection(autocommit=device is not None), _BY_SLUG, {"slug": slug, "device": device})
    if row is None or row[3] == "draft":  # status
        abort(404)
    survey_id, mode = row[0], row[4]
    if device is not None and mode != "open":  # the cache was stale: an invitation needs its transaction
        public_connection(autocommit=False)
    if known is None or known != (survey_id, mode):
        if len(_PUBLISHED) > 4096:
            _PUBLISHED.clear()
        _PUBLISHED[slug] = (survey_id, mode)
        device = None  # asked with a wrong id, or not at all: store_response will ask
    return PublicSurvey(row, None if device is None else row[7] is not None, device)


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


def _render(survey, page: int, raw: dict, errors: dict | None = None, code: str = "",
            token: str | None = None, notice: str = ""):
    definition = definition_of(survey, public_connection())
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
        state = invitation_state(survey, code, public_connection())
        if state == "unknown":
            return render_template("survey/public_code.html", survey=survey,
                                   error=_("邀请码不正确，请核对后重新输入。")), 404
        if state == "used":
            return _message(_("已经提交过了"), _("这个邀请码已经提交过问卷了，感谢您的参与！"), 200, survey)
    return _render(survey, 0, {}, code=code)


def _already(survey):
    return _message(_("已经提交过了"), _("您已经填写过这份问卷，感谢您的参与！每人只需填写一次。"), 200, survey)


def _is_submit() -> bool:
    return request.form.get("action") == "submit"


# Per client address, on the blueprint (as core/disclosure does): Flask-Limiter checks
# them in its own before_request hook, which it installs only when rate limiting is
# on; a decorator would run its check on every call, on or off, and with limits on
# a second time after the hook. The final submit and page-to-page navigation have
# separate budgets; the GET pages are not limited.
limiter.limit(lambda: setting("SURVEY_SUBMIT_RATE_LIMIT"), methods=["POST"], scope="survey-submit",
              exempt_when=lambda: not _is_submit())(bp)
limiter.limit(lambda: setting("SURVEY_PAGE_RATE_LIMIT"), methods=["POST"], scope="survey-page",
              exempt_when=_is_submit)(bp)


@bp.route("/s/<slug>", methods=["POST"])
@csrf.exempt
def submit(slug: str):
    final = _is_submit()
    ip, agent = request.remote_addr, request.headers.get("User-Agent", "")
    survey = _load(slug, (lambda survey_id: device_hash_of(survey_id, ip, agent)) if final else None)
    if survey.status != "open":
        return _message(_("问卷已结束"), _("本次调查已经结束，您的回答未能提交。感谢您的关注！"), 410, survey)
    connection = public_connection()
    definition = definition_of(survey, connection)
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

    answered = _answered_ids()
    if survey.mode == "open" and survey.id in answered:
        return _already(survey)
    device = (survey.device or device_hash_of(survey.id, ip, agent)) if survey.mode == "open" else None
    started, form_key = read_start_token(survey, token)
    try:
        store_response(survey, normalised["fields"], started_at=started, device=device, code=code,
                       connection=connection, duplicate=survey.same_device, form_key=form_key)
    except AlreadyStored:
        pass  # the same questionnaire sent twice (a double tap): stored once, thanked twice
    except SurveyError as refused:
        return _message(_("未能提交"), refused.message, 409, survey)
    # A bare 303 (no "Redirecting…" page to render): phones follow the Location.
    response = current_app.response_class(status=303)
    response.headers["Location"] = _thanks_url(survey.slug)
    return _remember(response, survey.id, answered)


_THANKS: dict[tuple, str] = {}


def _thanks_url(slug: str) -> str:
    """``url_for`` the thank-you page, built once per (mount point, survey)."""
    key = (request.script_root, slug)
    url = _THANKS.get(key)
    if url is None:
        if len(_THANKS) > 4096:
            _THANKS.clear()
        url = _THANKS[key] = url_for("survey_public.thanks", slug=slug)
    return url


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
