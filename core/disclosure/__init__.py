"""Public disclosure (信息公开): approved goals and evaluation results, open to everyone.

``bp`` serves the public pages (``/public/…``), ``admin_bp`` the admin's override
of the published years (``/admin/disclosure/…``).
"""
from core.disclosure.admin import bp as admin_bp
from core.disclosure.views import bp

__all__ = ["admin_bp", "bp"]
