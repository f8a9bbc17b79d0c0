"""Background jobs (exports, ZIPs of PDFs): what was asked, by whom, how far it got."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import JSONDoc, created_at_column


class Job(db.Model):
    """One piece of long work a user started (core/jobs/).

    ``state``: ``queued`` → ``running`` → ``done`` | ``failed``. A running job writes
    ``heartbeat_at`` as it progresses; one whose heartbeat stops (its worker was
    restarted) is shown as failed and can be retried. ``result_path`` is relative to
    the export folder and is set only once the file is complete.
    """

    __tablename__ = "job"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(40), nullable=False)
    params = sa.Column(JSONDoc, nullable=False, default=dict)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=False, index=True)
    state = sa.Column(sa.String(10), nullable=False, default="queued")
    done = sa.Column(sa.Integer, nullable=False, default=0)
    total = sa.Column(sa.Integer, nullable=False, default=0)
    error = sa.Column(sa.Text, nullable=False, default="")
    result_path = sa.Column(sa.String(200), nullable=True)
    result_name = sa.Column(sa.String(200), nullable=True)
    created_at = created_at_column()
    started_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    heartbeat_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    finished_at = sa.Column(sa.DateTime(timezone=True), nullable=True)

    user = relationship("User")

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
