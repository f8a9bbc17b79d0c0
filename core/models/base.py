"""Shared column helpers for the models."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def created_at_column():
    return sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


# JSON documents (definitions, filled forms). JSON works on SQLite and PostgreSQL;
# we never query inside it, so JSONB's indexing buys nothing yet.
JSONDoc = sa.JSON
