"""Personal API tokens: a user's key to the REST API (``/api/v1``).

Only the SHA-256 of the secret is stored; the secret itself is shown once, when
the token is created. A token acts with its user's roles and scope, so revoking
the user's memberships (or the user) takes effect on the API immediately.
"""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models.base import created_at_column

TOKEN_PREFIX = "pf_"


def hash_token(secret: str) -> str:
    """The stored form of a token: hex SHA-256 of the secret (random, so no salt is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("user_account.id"), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    # The first characters of the secret, so the owner can tell tokens apart.
    hint = sa.Column(sa.String(12), nullable=False, default="")
    created_at = created_at_column()
    last_used_at = sa.Column(sa.DateTime(timezone=True), nullable=True)
    revoked_at = sa.Column(sa.DateTime(timezone=True), nullable=True)

    user = relationship("User")

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        """A new token for ``user`` and its secret (returned only here, never stored)."""
        secret = new_secret()
        token = cls(user=user, name=name, token_hash=hash_token(secret),
                    hint=secret[:len(TOKEN_PREFIX) + 4])
        return token, secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} of user {self.user_id}>"
