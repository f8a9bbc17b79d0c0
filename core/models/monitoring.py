"""Monitoring (双监控): one report per project, year and round; funding suspensions."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column, utcnow


class MonitoringReport(db.Model):
    """What the filer reports at one monitoring round, and the lights computed from it.

    ``data`` is ``{"fields": {...}, "indicators": {row_id: {"actual", "tier",
    "deviation_reason"}}}``; ``lights`` is :meth:`ProjectLights.as_dict` at the last
    save, ``project_light`` its worst light (for filtering and dashboards).
    ``goal_revision_id`` is the approved goal form the report was compared with.
    """

    __tablename__ = "monitoring_report"
    __table_args__ = (sa.UniqueConstraint("project_id", "year", "round_id", name="uq_monitoring_report_round"),
                      sa.Index("ix_monitoring_report_year_round", "year", "round_id", "state"))

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    year = sa.Column(sa.Integer, nullable=False)
    round_id = sa.Column(sa.String(32), nullable=False)
    month = sa.Column(sa.Integer, nullable=False)
    definition_id = sa.Column(sa.Integer, sa.ForeignKey("form_definition.id"), nullable=False)
    goal_revision_id = sa.Column(sa.Integer, sa.ForeignKey("submission_revision.id"), nullable=True)
    state = sa.Column(sa.String(20), nullable=False, default="draft", index=True)
    data = sa.Column(JSONDoc, nullable=False, default=dict)
    lights = sa.Column(JSONDoc, nullable=False, default=dict)
    project_light = sa.Column(sa.String(10), nullable=True, index=True)
    alerts = sa.Column(JSONDoc, nullable=False, default=list)
    # Written with ``lights`` by the one writer (core.monitoring.service._store) so the
    # finance table and the dashboard filter, sort and add up in SQL.
    budget_light = sa.Column(sa.String(10), nullable=True)
    execution_rate = sa.Column(sa.Numeric(12, 2), nullable=True)
    planned_rate = sa.Column(sa.Numeric(12, 2), nullable=True)
    progress = sa.Column(sa.Numeric(12, 2), nullable=True)
    alert_count = sa.Column(sa.Integer, nullable=False, default=0)
    # Money of the round in 元 whatever unit the jurisdiction files in, for sums across jurisdictions.
    budget_yuan = sa.Column(sa.Numeric(20, 2), nullable=True)
    executed_yuan = sa.Column(sa.Numeric(20, 2), nullable=True)
    review_comment = sa.Column(sa.Text, nullable=False, default="")
    submitted_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    lock_version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = created_at_column()
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    project = relationship("Project")
    definition = relationship("FormDefinition")
    goal_revision = relationship("SubmissionRevision")

    __mapper_args__ = {"version_id_col": lock_version}


class FundingSuspension(db.Model):
    """Funds of a project suspended by finance until a rectification report is approved
    (Shijiazhuang §20, Changzhi §22).

    States: ``suspended`` → (filer reports) ``reported`` → (finance approves) ``lifted``,
    or (finance returns the report) back to ``suspended``.
    """

    __tablename__ = "funding_suspension"

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    report_id = sa.Column(sa.Integer, sa.ForeignKey("monitoring_report.id"), nullable=True)
    state = sa.Column(sa.String(20), nullable=False, default="suspended", index=True)
    reason = sa.Column(sa.Text, nullable=False)
    rectification_report = sa.Column(sa.Text, nullable=False, default="")
    decision_comment = sa.Column(sa.Text, nullable=False, default="")
    suspended_by_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=False)
    reported_by_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=True)
    decided_by_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=True)
    reported_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    lifted_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    lock_version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = created_at_column()

    project = relationship("Project")
    report = relationship("MonitoringReport")
    suspended_by = relationship("User", foreign_keys=[suspended_by_id])
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def active(self) -> bool:
        return self.state != "lifted"


class PlannedExecution(db.Model):
    """A project's planned cumulative execution at the end of each month, in % (from the
    spending plan of its latest approved goal form), and its budget in 元.

    Written when a goal form is approved (core.monitoring.plan_store.store_plan), so the
    dashboard adds the plans of a whole province up in one statement.
    """

    __tablename__ = "planned_execution"

    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), primary_key=True)
    month = sa.Column(sa.Integer, primary_key=True)
    rate = sa.Column(sa.Numeric(12, 2), nullable=False)
    budget_yuan = sa.Column(sa.Numeric(20, 2), nullable=False)
