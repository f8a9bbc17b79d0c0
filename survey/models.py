"""Beneficiary satisfaction surveys (服务对象满意度调查): the data model.

A :class:`Survey` belongs to one project and (optionally) to one satisfaction
indicator row of its goal form. Its questionnaire is a *snapshot* of a survey
definition (``form_definitions/<jurisdiction>/surveys/*.json``), so later edits of
the template never change a running survey.

Answers are stored twice, on purpose:

- :class:`SurveyResponse.answers` — the normalised answers as one JSON document
  (what the beneficiary submitted; used for exports);
- :class:`SurveyAnswer` — one row per answered question item, with the item's
  score: the normalised answers in SQL (text answers, per-respondent scores with a
  plugin's weights, and the source :class:`SurveyTally` is rebuilt from).

:class:`SurveyTally` keeps the per-question/per-choice counts the results page
shows, updated in the submission's own transaction, so the results read a few
dozen rows instead of scanning the answers — and a submission writes a few
pages instead of one per answer into a covering index (survey.tally).

Anonymity: no raw IP address, user agent or invitation code is stored. A response
keeps only ``device_hash`` (HMAC of survey id + IP + user agent with the server
secret), which cannot be reversed and does not link one person across surveys;
invitation codes are stored as HMACs and a response is not linked to the code used.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import deferred, relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column

STATUSES = ("draft", "open", "closed")
MODES = ("open", "invitation")


class Survey(db.Model):
    __tablename__ = "survey"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_known"),
        sa.CheckConstraint("mode IN ('open', 'invitation')", name="mode_known"),
        sa.CheckConstraint("min_seconds >= 0", name="min_seconds_not_negative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    # The id of the goal form's indicator row (role ``satisfaction``) this survey measures.
    indicator_row_id = sa.Column(sa.String(64), nullable=True)
    title = sa.Column(sa.String(200), nullable=False)
    # Where the questionnaire came from, e.g. "futian/retirees" (for the record only).
    template = sa.Column(sa.String(200), nullable=False, default="")
    # Deferred: the public page builds the questionnaire once per process (cached),
    # so the JSON is not decoded on every submission.
    definition = deferred(sa.Column(JSONDoc, nullable=False))
    status = sa.Column(sa.String(10), nullable=False, default="draft")
    # The short public link /s/<slug>: 8 characters of base32, 40 random bits.
    slug = sa.Column(sa.String(16), nullable=False, unique=True)
    mode = sa.Column(sa.String(12), nullable=False, default="open")
    # A response completed faster than this is flagged invalid (too_fast).
    min_seconds = sa.Column(sa.Integer, nullable=False, default=20)
    # A matrix with at least this many statements all answered alike is flagged
    # invalid (straight_lining); 0 switches the rule off.
    straight_line_min_rows = sa.Column(sa.Integer, nullable=False, default=5)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=True)
    created_at = created_at_column()
    opened_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    closed_at = sa.Column(sa.DateTime(timezone=True), nullable=True)

    project = relationship("Project")
    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Survey {self.slug} {self.status}>"


class SurveyInvitation(db.Model):
    """A one-time invitation code for a closed list of beneficiaries.

    Only an HMAC of the code is kept (the filer downloads the codes once, as CSV).
    ``used_at`` is stored to the day: precise enough to count, too coarse to match
    a code with a response's submission time.
    """

    __tablename__ = "survey_invitation"
    __table_args__ = (sa.UniqueConstraint("survey_id", "code_hash", name="uq_survey_invitation_code"),)

    id = sa.Column(sa.Integer, primary_key=True)
    survey_id = sa.Column(sa.Integer, sa.ForeignKey("survey.id"), nullable=False, index=True)
    code_hash = sa.Column(sa.String(64), nullable=False)
    used_at = sa.Column(sa.Date, nullable=True)
    created_at = created_at_column()


class SurveyResponse(db.Model):
    __tablename__ = "survey_response"
    __table_args__ = (
        sa.Index("ix_survey_response_survey_excluded", "survey_id", "excluded"),
        sa.Index("ix_survey_response_survey_device", "survey_id", "device_hash"),
        # One response per served questionnaire: a double tap on 提交 sends the same
        # form twice at once, and only the first is stored (survey.store.AlreadyStored).
        sa.Index("uq_survey_response_form_key", "survey_id", "form_key", unique=True),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    survey_id = sa.Column(sa.Integer, sa.ForeignKey("survey.id"), nullable=False)
    answers = sa.Column(JSONDoc, nullable=False, default=dict)
    # From the signed token of the first page; None when the token was missing or forged.
    started_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    submitted_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    device_hash = sa.Column(sa.String(64), nullable=True)
    # The random key of the served questionnaire (in its signed start token); None for
    # responses entered otherwise. Not personal: it names a page load, not a person.
    form_key = sa.Column(sa.String(32), nullable=True)
    # Comma-separated rule codes (survey.validity.REASONS); "" when none fired.
    invalid_reason = sa.Column(sa.String(200), nullable=False, default="")
    # Excluded responses do not count in the index; an owner may reverse it (audited).
    excluded = sa.Column(sa.Boolean, nullable=False, default=False)
    # The respondent's weighted mean score (0–100) with the definition's weights, kept
    # so the interval needs no per-respondent GROUP BY (survey.results); None when
    # no scored question was answered.
    score = sa.Column(sa.Float, nullable=True)

    survey = relationship("Survey")

    @property
    def reasons(self) -> list[str]:
        return [code for code in (self.invalid_reason or "").split(",") if code]

    @property
    def seconds(self) -> int | None:
        if self.started_at is None or self.submitted_at is None:
            return None
        return int((self.submitted_at - self.started_at).total_seconds())


class SurveyAnswer(db.Model):
    """One answered item: a rating, one statement of a matrix, one selected choice or a text.

    ``value`` is the item's satisfaction score (0–100) when the chosen level has
    one, else NULL; ``choice`` is the chosen value; ``text`` a free-text answer.
    """

    __tablename__ = "survey_answer"
    __table_args__ = (
        # A response's answers, and a survey's in submission order (the latest texts).
        # Append-only: a submission adds its entries at the end of its survey's range, one
        # page, where an index led by question or choice took one page per answer.
        sa.Index("ix_survey_answer_survey_response", "survey_id", "response_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    survey_id = sa.Column(sa.Integer, sa.ForeignKey("survey.id"), nullable=False)
    response_id = sa.Column(sa.Integer, sa.ForeignKey("survey_response.id"), nullable=False)
    question_id = sa.Column(sa.String(64), nullable=False)
    item_id = sa.Column(sa.String(64), nullable=False, default="")
    choice = sa.Column(sa.String(64), nullable=True)
    value = sa.Column(sa.Numeric(6, 2, asdecimal=False), nullable=True)
    text = sa.Column(sa.Text, nullable=True)


class SurveyTally(db.Model):
    """How many answers chose ``choice`` of one question item: the results page's counts.

    One row per (survey, shard, question, item, choice), summed over the shards at read
    time. ``choice`` is ``""`` for a multiple-choice question's *respondents* (how many
    answered it at all; an empty choice is never stored as an answer). ``total``
    counts every response, ``valid`` the responses not excluded; ``value`` is the
    choice's score (fixed by the questionnaire snapshot), NULL when unscored.

    Kept by ``survey.tally`` in the same transaction as the answers it counts (a
    submission, an exclusion or re-inclusion), so it never disagrees with a
    ``GROUP BY`` over :class:`SurveyAnswer` (tests check it). Shards: concurrent
    submissions to one survey on PostgreSQL would otherwise queue on the same
    counter rows' locks until each commit; on SQLite writes are serialised anyway
    and one shard is used.
    """

    __tablename__ = "survey_tally"

    survey_id = sa.Column(sa.Integer, sa.ForeignKey("survey.id"), primary_key=True)
    shard = sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False)
    question_id = sa.Column(sa.String(64), primary_key=True)
    item_id = sa.Column(sa.String(64), primary_key=True)
    choice = sa.Column(sa.String(64), primary_key=True)
    valid = sa.Column(sa.Integer, nullable=False, default=0)
    total = sa.Column(sa.Integer, nullable=False, default=0)
    value = sa.Column(sa.Numeric(6, 2, asdecimal=False), nullable=True)
