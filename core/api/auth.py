"""Bearer-token authentication of the REST API.

The API never reads the session cookie: a request is authenticated by its
``Authorization: Bearer <token>`` header alone, so a page on another site cannot
make a logged-in browser act through the API (and CSRF tokens are not needed).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import g, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from core.api.errors import ApiError
from core.extensions import db
from core.models import ApiToken, User
from core.models.api_token import hash_token
from core.models.base import utcnow

#: last_used_at is written at most this often per token (not on every request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def bearer_secret() -> str | None:
    """The secret of the ``Authorization: Bearer …`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def rate_limit_key() -> str:
    """Rate limits count per token (by its hash, never the secret); anonymous calls per address."""
    secret = bearer_secret()
    return "token:" + hash_token(secret) if secret else "ip:" + (get_remote_address() or "")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite drops the offset; values are UTC
        return value.replace(tzinfo=timezone.utc)
    return value


def authenticate() -> User:
    """The user of the request's token; raise :class:`ApiError` 401 otherwise."""
    header = request.headers.get("Authorization")
    if not header:
        raise ApiError(401, "缺少访问令牌：请在请求头中提供 Authorization: Bearer <令牌>"
                            "（在“账户 → API 令牌”页面创建）。", "token_missing")
    secret = bearer_secret()
    if secret is None:
        raise ApiError(401, "Authorization 请求头格式不对，应为：Bearer <令牌>。", "token_malformed")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        raise ApiError(401, "令牌无效：没有这个令牌。", "token_invalid")
    if token.revoked_at is not None:
        raise ApiError(401, "令牌已被吊销，请创建新令牌。", "token_revoked")
    user = token.user
    if user is None or not user.is_active:
        raise ApiError(401, "令牌所属的用户已被停用。", "user_inactive")
    now = utcnow()
    last = _aware(token.last_used_at)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    g.api_user = user
    return user


def api_user() -> User:
    return g.api_user
