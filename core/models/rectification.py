"""Feedback letters (反馈函) and their rectification items (整改), Changzhi §28–30."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import created_at_column


class RectificationLetter(db.Model):
    """Finance's feedback to a department after an evaluation or a monitoring finding.

    ``source`` is ``evaluation`` or ``monitoring`` (then ``report_id`` names the report).
    """

    __tablename__ = "rectification_letter"

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    report_id = sa.Column(sa.Integer, sa.ForeignKey("monitoring_report.id"), nullable=True)
    source = sa.Column(sa.String(20), nullable=False, default="evaluation")
    title = sa.Column(sa.String(300), nullable=False)
    summary = sa.Column(sa.Text, nullable=False, default="")
    issued_by_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=False)
    created_at = created_at_column()

    project = relationship("Project")
    report = relationship("MonitoringReport")
    issued_by = relationship("User")
    items = relationship("RectificationItem", back_populates="letter", order_by="RectificationItem.id",
                         cascade="all, delete-orphan")


class RectificationItem(db.Model):
    """One problem with its deadline; the department answers with its measures.

    States: ``open`` → (department answers) ``answered`` → (finance) ``accepted``, or
    (finance returns the answer) back to ``open``.
    """

    __tablename__ = "rectification_item"

    id = sa.Column(sa.Integer, primary_key=True)
    letter_id = sa.Column(sa.Integer, sa.ForeignKey("rectification_letter.id"), nullable=False, index=True)
    problem = sa.Column(sa.Text, nullable=False)
    deadline = sa.Column(sa.Date, nullable=False)
    state = sa.Column(sa.String(20), nullable=False, default="open", index=True)
    measures = sa.Column(sa.Text, nullable=False, default="")
    answered_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    answered_by_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=True)
    review_comment = sa.Column(sa.Text, nullable=False, default="")
    lock_version = sa.Column(sa.Integer, nullable=False, default=1)

    letter = relationship("RectificationLetter", back_populates="items")
    answered_by = relationship("User")

    __mapper_args__ = {"version_id_col": lock_version}
