"""The REST API (``/api/v1``) and the page where users manage their API tokens.

``bp`` is the JSON API (bearer tokens, CSRF-exempt); ``account_bp`` is the
``/account/tokens`` page (session login, CSRF-protected forms).
"""
from core.api.tokens import bp as account_bp
from core.api.views import bp

__all__ = ["account_bp", "bp"]
