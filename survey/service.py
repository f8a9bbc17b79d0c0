"""Surveys: create, publish, close, invitation codes and storing responses.

Views call these functions and commit; nothing here reads the request, so the
same code serves the web pages, the benchmarks and the tests.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Mapping

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None

from flask import current_app, has_request_context, request
from flask_babel import gettext
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from core.audit import record
from core.definitions.model import FormDefinition, build_definition
from core.extensions import db
from core.models import Project, User
from core.models.base import utcnow
from survey.catalog import SurveyTemplate
from survey import tally
from survey.models import Survey, SurveyInvitation, SurveyResponse
from survey.index import item_key, respondent_score, scored_items
from survey.store import fetch_one, insert_submission
from survey.validity import assess

SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32, lower case: easy to type
#: Invitation codes: no 0/O, 1/I/L, so they survive being read aloud or typed by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_INVITATIONS = 5000  # per request; a closed list of beneficiaries, not a census

#: Settings read from the app config, with these defaults (docs/surveys.md).
DEFAULTS = {
    "SURVEY_SUBMIT_RATE_LIMIT": "30 per minute",
    "SURVEY_PAGE_RATE_LIMIT": "120 per minute",
    "SURVEY_PUBLIC_BASE_URL": "",
    "SURVEY_COOKIE_DAYS": 365,
    "SURVEY_START_MAX_AGE_DAYS": 14,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


class SurveyError(ValueError):
    """A refused survey action; ``message`` is Chinese text for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the questionnaire ---------------------------------------------------------------------------------

_DEFINITIONS: dict[tuple[int, str], FormDefinition] = {}


def definition_of(survey, connection: Connection | None = None) -> FormDefinition:
    """The survey's questionnaire as a typed tree.

    Cached per (id, slug): a survey's snapshot never changes, and the random slug
    tells a new survey from an old one that had the same id in another database.
    ``survey`` may also be the public pages' plain row (``survey.public.PublicSurvey``),
    which has no ``definition``: it is then read by id, once per process, on
    ``connection`` (the public pages') or the session.
    """
    if survey.id is None:
        return build_definition(survey.definition)
    key = (survey.id, survey.slug)
    definition = _DEFINITIONS.get(key)
    if definition is None:
        raw = survey.definition if isinstance(survey, Survey) else (connection or db.session).scalar(
            select(Survey.definition).where(Survey.id == survey.id))
        if len(_DEFINITIONS) > 512:
            _DEFINITIONS.clear()
        definition = _DEFINITIONS[key] = build_definition(raw)
    return definition


def new_slug() -> str:
    """8 characters of base32: 40 random bits, unguessable at our rate limits."""
    while True:
        slug = base64.b32encode(secrets.token_bytes(5)).decode().lower()
        if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is None:
            return slug


def public_url(survey: Survey) -> str:
    """The short public link, absolute when a base URL or a request is known."""
    base = (setting("SURVEY_PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return f"{base}/s/{survey.slug}"


# --- the project's satisfaction indicators ---------------------------------------------------------------

def satisfaction_rows(project: Project) -> list[dict]:
    """The goal form's indicator rows whose category role is ``satisfaction``."""
    goal = project.submission("goal")
    if goal is None:
        return []
    definition = build_definition(goal.definition.body)
    return [row for row in (goal.data or {}).get("indicators", [])
            if definition.role_of(row.get("level1", ""), row.get("level2") or None) == "satisfaction"]


def indicator_row(project: Project, row_id: str | None) -> dict | None:
    if not row_id:
        return None
    return next((r for r in satisfaction_rows(project) if r.get("id") == row_id), None)


# --- lifecycle ---------------------------------------------------------------------------------------------

def create_survey(project: Project, template: SurveyTemplate, actor: User, *, title: str = "",
                  indicator_row_id: str | None = None, mode: str = "open",
                  min_seconds: int = 20) -> Survey:
    if indicator_row_id and indicator_row(project, indicator_row_id) is None:
        raise SurveyError(gettext("所选指标不是本项目绩效目标表中的满意度指标"))
    survey = Survey(project=project, template=template.key, definition=dict(template.definition.raw),
                    title=(title or template.definition.title.zh).strip()[:200], status="draft",
                    slug=new_slug(), mode=mode, min_seconds=min_seconds,
                    indicator_row_id=indicator_row_id or None, created_by_id=actor.id)
    db.session.add(survey)
    db.session.flush()
    _audit(survey, "survey.create", actor, {"template": template.key, "mode": mode})
    return survey


def update_survey(survey: Survey, actor: User, *, title: str, indicator_row_id: str | None,
                  min_seconds: int, straight_line_min_rows: int, mode: str | None = None) -> None:
    title = (title or "").strip()
    if not title:
        raise SurveyError(gettext("请填写问卷标题"))
    if indicator_row_id and indicator_row(survey.project, indicator_row_id) is None:
        raise SurveyError(gettext("所选指标不是本项目绩效目标表中的满意度指标"))
    if mode and mode != survey.mode and survey.status != "draft":
        raise SurveyError(gettext("问卷发布后不能再更改填答方式"))
    before = {"title": survey.title, "indicator_row_id": survey.indicator_row_id,
              "min_seconds": survey.min_seconds, "straight_line_min_rows": survey.straight_line_min_rows,
              "mode": survey.mode}
    survey.title = title[:200]
    survey.indicator_row_id = indicator_row_id or None
    survey.min_seconds = max(0, int(min_seconds))
    survey.straight_line_min_rows = max(0, int(straight_line_min_rows))
    if mode:
        survey.mode = mode
    after = {k: getattr(survey, k) for k in before}
    changes = [{"path": k, "old": before[k], "new": after[k]} for k in before if before[k] != after[k]]
    if changes:
        _audit(survey, "survey.update", actor, {"changes": changes})


def publish(survey: Survey, actor: User) -> None:
    if survey.status != "draft":
        raise SurveyError(gettext("只有草稿状态的问卷可以发布"))
    survey.status = "open"
    survey.opened_at = utcnow()
    _audit(survey, "survey.publish", actor)


def close(survey: Survey, actor: User) -> None:
    if survey.status != "open":
        raise SurveyError(gettext("只有正在收集的问卷可以结束"))
    survey.status = "closed"
    survey.closed_at = utcnow()
    _audit(survey, "survey.close", actor)


def set_excluded(survey: Survey, response: SurveyResponse, excluded: bool, actor: User, comment: str = "") -> None:
    """Exclude a response from the index, or count a flagged one again (audited)."""
    if response.survey_id != survey.id:
        raise SurveyError(gettext("答卷不属于此问卷"))
    # Flip the flag only if nobody flipped it meanwhile (two clicks at once): the
    # conditional UPDATE lets exactly one request through, so the counters move once.
    flipped = db.session.execute(
        update(SurveyResponse).where(SurveyResponse.id == response.id, SurveyResponse.excluded.is_(not excluded))
        .values(excluded=excluded).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(response, ["excluded"])
    if flipped != 1:
        return
    # The results' counters follow in the same transaction (survey.tally).
    rows = tally.response_answer_rows(survey.id, response.id)
    tally.apply(survey.id, tally.deltas(definition_of(survey), rows, valid=-1 if excluded else 1, total=0))
    if excluded and "manual" not in response.reasons:
        response.invalid_reason = ",".join(response.reasons + ["manual"])
    _audit(survey, "survey.response_exclude" if excluded else "survey.response_include", actor,
           {"response_id": response.id, "reasons": response.reasons}, comment=comment)


def _audit(survey: Survey, action: str, actor: User | None, detail: dict | None = None, comment: str = ""):
    organization = survey.project.organization
    record(action, "survey", survey.id, actor=actor, comment=comment, detail=detail or {},
           jurisdiction_id=organization.jurisdiction_id, organization_id=organization.id)


# --- hashing: devices and invitation codes (no raw IP, UA or code is stored) ------------------------------

def _hmac(message: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def device_hash(survey: Survey, ip: str | None, user_agent: str | None) -> str:
    """HMAC of survey + IP + user agent: the same device in this survey, nothing more."""
    return device_hash_of(survey.id, ip, user_agent)


def device_hash_of(survey_id: int, ip: str | None, user_agent: str | None) -> str:
    """:func:`device_hash` by survey id (the public page hashes before it has read the survey)."""
    return _hmac(f"device|{survey_id}|{ip or ''}|{user_agent or ''}")


def normalise_code(text: str | None) -> str:
    """``abcd-2345`` / ``ABCD 2345`` → ``ABCD2345``."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:32]


def code_hash(survey: Survey, code: str) -> str:
    return _hmac(f"invitation|{survey.id}|{normalise_code(code)}")


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def create_invitations(survey: Survey, count: int, actor: User) -> list[str]:
    """Make ``count`` one-time codes; return them (only now: the database keeps hashes)."""
    if survey.mode != "invitation":
        raise SurveyError(gettext("只有「凭邀请码填答」的问卷可以生成邀请码"))
    if survey.status == "closed":
        raise SurveyError(gettext("问卷已结束，不能再生成邀请码"))
    if not 1 <= count <= MAX_INVITATIONS:
        raise SurveyError(gettext("每次可生成 1–%(max)s 个邀请码", max=MAX_INVITATIONS))
    existing = set(db.session.scalars(select(SurveyInvitation.code_hash).where(
        SurveyInvitation.survey_id == survey.id)))
    codes: list[str] = []
    hashes: list[str] = []
    while len(codes) < count:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        digest = code_hash(survey, code)
        if digest in existing:
            continue
        existing.add(digest)
        codes.append(code)
        hashes.append(digest)
    db.session.execute(insert(SurveyInvitation), [
        {"survey_id": survey.id, "code_hash": h, "created_at": utcnow()} for h in hashes])
    _audit(survey, "survey.invitations", actor, {"count": count})
    return codes


def invitation_counts(survey: Survey) -> tuple[int, int]:
    """(issued, used)."""
    issued, used = db.session.execute(
        select(func.count(SurveyInvitation.id), func.count(SurveyInvitation.used_at))
        .where(SurveyInvitation.survey_id == survey.id)).one()
    return int(issued or 0), int(used or 0)


def invitation_state(survey: Survey, code: str, connection: Connection | None = None) -> str:
    """``ok``, ``used`` or ``unknown`` — for the code page, before the questions.
    ``connection``: the public pages' (``survey.store.public_connection``); None: the session."""
    used_at = (connection or db.session).execute(select(SurveyInvitation.used_at).where(
        SurveyInvitation.survey_id == survey.id,
        SurveyInvitation.code_hash == code_hash(survey, code))).first()
    if used_at is None:
        return "unknown"
    return "used" if used_at[0] is not None else "ok"


def _use_invitation(survey: Survey, code: str, now: datetime, connection: Connection | None) -> None:
    # One conditional UPDATE: of two simultaneous submissions with one code, one wins.
    result = (connection or db.session).execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.code_hash == code_hash(survey, code),
               SurveyInvitation.used_at.is_(None))
        .values(used_at=now.date()))
    if result.rowcount != 1:
        state = invitation_state(survey, code, connection)
        raise SurveyError(gettext("这个邀请码已经提交过问卷了，每个邀请码只能提交一次。") if state == "used"
                          else gettext("邀请码不正确，请核对后重新输入。"))


# --- responses -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    response_id: int
    reasons: list[str]


def answer_rows(definition: FormDefinition, fields: Mapping) -> list[dict]:
    """The normalised answer rows (question, item, choice, score, text) of one response."""
    rows = []
    for f in definition.fields:
        value = fields.get(f.id)
        if value in (None, "", [], {}):
            continue
        if f.type == "matrix":
            scores = {c.value: c.scored for c in f.choices}
            rows += [{"question_id": f.id, "item_id": row_id, "choice": choice,
                      "value": _float(scores.get(choice)), "text": None} for row_id, choice in value.items()]
        elif f.type == "rating":
            score = next((c.scored for c in f.choices if c.value == value), None)
            rows.append({"question_id": f.id, "item_id": "", "choice": value, "value": _float(score), "text": None})
        elif f.type == "multi_choice":
            rows += [{"question_id": f.id, "item_id": "", "choice": v, "value": None, "text": None} for v in value]
        elif f.type in ("choice", "yes_no"):
            rows.append({"question_id": f.id, "item_id": "", "choice": str(value), "value": None, "text": None})
        else:
            rows.append({"question_id": f.id, "item_id": "", "choice": None, "value": None, "text": str(value)})
    return rows


def _float(score: Decimal | None) -> float | None:
    return float(score) if score is not None else None


_WEIGHTS: dict[int, tuple[FormDefinition, dict]] = {}


def _weights(definition: FormDefinition) -> dict:
    """The definition's item weights, computed once per (immutable) definition."""
    cached = _WEIGHTS.get(id(definition))
    if cached is None or cached[0] is not definition:
        if len(_WEIGHTS) > 512:
            _WEIGHTS.clear()
        cached = _WEIGHTS[id(definition)] = (definition, {item.key: item.weight
                                                          for item in scored_items(definition)})
    return cached[1]


def respondent_score_of(definition: FormDefinition, rows: list[dict]) -> float | None:
    """The respondent's weighted mean score with the definition's weights (survey.index)."""
    weights = _weights(definition)
    answers = {item_key(r["question_id"], r["item_id"]): Decimal(str(r["value"]))
               for r in rows if r["value"] is not None}
    score = respondent_score(answers, weights)
    return float(score) if score is not None else None


# Statements built once (the submission path runs them on every request).
_SAME_DEVICE = (select(SurveyResponse.id).where(SurveyResponse.survey_id == bindparam("survey_id"),
                                                SurveyResponse.device_hash == bindparam("device")).limit(1))


def store_response(survey: Survey, fields: Mapping, *, started_at: datetime | None,
                   device: str | None, code: str | None = None, now: datetime | None = None,
                   connection: Connection | None = None, duplicate: bool | None = None,
                   form_key: str | None = None) -> Stored:
    """Check the invitation or the device, apply the validity rules and store one response.

    Everything is computed first; the writes (invitation, response, answers, the
    results' counters) come last and together (``survey.store``: one statement on
    PostgreSQL) so the database's write lock is held for microseconds, not for the
    whole request.

    :param fields: the normalised answers (``core.definitions.data.validate_data``).
    :param device: the device hash (open mode), or None.
    :param connection: the public pages' connection (``survey.store.public_connection``):
        the writes are committed here, inside :func:`serialised_writes`, or rolled back
        when refused. None: the ORM session's transaction, which the caller commits (or
        rolls back after an exception).
    :param duplicate: whether a response with ``device`` already exists, when the
        caller asked already (the public view does, in its survey query); None: ask.
    :param form_key: the served questionnaire's random key (``survey.public``), unique
        per survey: the same questionnaire is stored once, however often it is sent.
    :raises SurveyError: the survey is not open, or the invitation code is unknown or used.
    :raises survey.store.AlreadyStored: a response with ``form_key`` exists.
    """
    now = now or datetime.now(timezone.utc)
    if survey.status != "open":
        raise SurveyError(gettext("本问卷目前不接受填答。"))
    own = connection is not None
    writer = connection if own else db.session.connection()
    survey_id, invitation = survey.id, survey.mode == "invitation"
    if invitation:
        device, duplicate = None, False  # the code is the identity; no device trace needed
    elif not device:
        duplicate = False
    elif duplicate is None:
        duplicate = fetch_one(writer, _SAME_DEVICE, {"survey_id": survey_id, "device": device}) is not None
    definition = definition_of(survey, connection)
    reasons = assess(definition, fields, started_at=started_at, submitted_at=now,
                     min_seconds=survey.min_seconds, straight_line_min_rows=survey.straight_line_min_rows,
                     duplicate_device=duplicate)
    rows = answer_rows(definition, fields)
    response = {"survey_id": survey_id, "answers": dict(fields), "started_at": started_at, "submitted_at": now,
                "device_hash": device, "form_key": form_key, "invalid_reason": ",".join(reasons),
                "excluded": bool(reasons),
                "score": respondent_score_of(definition, rows)}
    changes = tally.deltas(definition, rows, valid=0 if reasons else 1, total=1)
    # Our own transaction (committed, or rolled back by the exception that refuses), in
    # the lock: a failed write must not keep SQLite's lock either. A read on the
    # connection may have begun it already (SQLAlchemy autobegins).
    with serialised_writes() if own else nullcontext(), \
            (writer.get_transaction() or writer.begin()) if own else nullcontext():
        # The response first: the same questionnaire sent twice meets its form key
        # (AlreadyStored, thanked) before its code, which the first copy used.
        response_id = insert_submission(writer, response, rows, changes)
        if invitation:
            _use_invitation(survey, code or "", now, connection)
    return Stored(response_id, reasons)


# --- SQLite: one writer at a time, waiting in the kernel ------------------------------------------------

_WRITE_THREAD_LOCK = threading.Lock()
_LOCK_FILES: dict[str, int] = {}


@contextmanager
def serialised_writes():
    """Serialise survey writes to a SQLite file across threads and worker processes.

    SQLite lets one writer in at a time; the others wait in its busy handler, which
    *sleeps* 1, 2, 5, 10… ms between retries. Under a burst of submissions those
    sleeps, not the work, set the throughput. A blocking ``flock`` on a file next to
    the database wakes the next writer the moment the previous one commits.
    Other databases (PostgreSQL) and platforms without ``fcntl`` need nothing.
    """
    engine = db.engine
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    path = os.path.abspath(database) + ".write-lock"
    with _WRITE_THREAD_LOCK:  # flock is per open file: threads of one process need their own lock
        descriptor = _LOCK_FILES.get(path)
        if descriptor is None:
            descriptor = _LOCK_FILES[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
