"""Filled-in forms, their revisions and reviews."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column, utcnow


class Submission(db.Model):
    """One form of one project (e.g. the goal form), through its whole life.

    ``lock_version`` is SQLAlchemy's optimistic-lock counter: a save computed from
    a stale copy fails instead of silently overwriting someone else's edit.
    """

    __tablename__ = "submission"
    __table_args__ = (sa.UniqueConstraint("project_id", "kind", name="uq_submission_project_kind"),
                      sa.Index("ix_submission_kind_state", "kind", "state"))

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    kind = sa.Column(sa.String(32), nullable=False)
    definition_id = sa.Column(sa.Integer, sa.ForeignKey("form_definition.id"), nullable=False)
    state = sa.Column(sa.String(20), nullable=False, default="draft", index=True)
    data = sa.Column(JSONDoc, nullable=False, default=dict)
    findings = sa.Column(JSONDoc, nullable=False, default=list)
    # How many approved versions exist; an adjustment (调整) works on number + 1.
    adjustment_no = sa.Column(sa.Integer, nullable=False, default=0)
    lock_version = sa.Column(sa.Integer, nullable=False, default=1)
    # A scored form's result at its last save, written only by
    # core.workflow.service (from the same check that guards submission), so
    # lists, the dashboard and disclosure read it instead of rescoring per view.
    score_total = sa.Column(sa.Numeric(12, 2), nullable=True)
    grade = sa.Column(JSONDoc, nullable=True)           # the band's label {"zh", "en"}
    grade_key = sa.Column(sa.String(40), nullable=True)  # its Chinese label, to group by in SQL
    created_at = created_at_column()
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    project = relationship("Project", back_populates="submissions")
    definition = relationship("FormDefinition")
    revisions = relationship("SubmissionRevision", back_populates="submission",
                             order_by="SubmissionRevision.id", cascade="all, delete-orphan")
    reviews = relationship("Review", back_populates="submission", order_by="Review.id",
                           cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def last_review(self):
        return self.reviews[-1] if self.reviews else None

    @property
    def approved_revision(self):
        return next((r for r in reversed(self.revisions) if r.event == "approved"), None)


class SubmissionRevision(db.Model):
    """A frozen copy of the data at a workflow step (submitted, approved)."""

    __tablename__ = "submission_revision"
    # "The latest approved revision of each goal form" is asked for whole lists at once.
    __table_args__ = (sa.Index("ix_submission_revision_event", "submission_id", "event"),)

    id = sa.Column(sa.Integer, primary_key=True)
    submission_id = sa.Column(sa.Integer, sa.ForeignKey("submission.id"), nullable=False, index=True)
    adjustment_no = sa.Column(sa.Integer, nullable=False, default=0)
    event = sa.Column(sa.String(20), nullable=False)
    definition_id = sa.Column(sa.Integer, sa.ForeignKey("form_definition.id"), nullable=False)
    data = sa.Column(JSONDoc, nullable=False)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=True)
    created_at = created_at_column()

    submission = relationship("Submission", back_populates="revisions")
    definition = relationship("FormDefinition")
    author = relationship("User")


class Review(db.Model):
    """A reviewer's decision with its comments; ``field_comments`` maps data paths to text."""

    __tablename__ = "review"

    id = sa.Column(sa.Integer, primary_key=True)
    submission_id = sa.Column(sa.Integer, sa.ForeignKey("submission.id"), nullable=False, index=True)
    reviewer_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=False)
    decision = sa.Column(sa.String(20), nullable=False)
    comment = sa.Column(sa.Text, nullable=False, default="")
    field_comments = sa.Column(JSONDoc, nullable=False, default=dict)
    created_at = created_at_column()

    submission = relationship("Submission", back_populates="reviews")
    reviewer = relationship("User")
