"""Writing the append-only audit trail."""
from __future__ import annotations

from flask_login import current_user

from core.extensions import db
from core.models import AuditEvent


def record(action: str, object_type: str, object_id: int | None, *, actor=None, comment: str = "",
           detail: dict | None = None, jurisdiction_id: int | None = None,
           organization_id: int | None = None) -> AuditEvent:
    """Add an audit event to the session (committed with the change it describes)."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action, object_type=object_type, object_id=object_id,
        actor_id=actor.id if actor is not None else None, comment=comment or "",
        detail=detail or {}, jurisdiction_id=jurisdiction_id, organization_id=organization_id,
    )
    db.session.add(event)
    return event


ACTION_LABELS = {
    "login": {"zh": "登录", "en": "Logged in"},
    "project.create": {"zh": "创建项目", "en": "Created the project"},
    "submission.create": {"zh": "创建表单", "en": "Created the form"},
    "submission.save": {"zh": "保存草稿", "en": "Saved the draft"},
    "submission.submit": {"zh": "提交审核", "en": "Submitted"},
    "submission.approve": {"zh": "审核通过", "en": "Approved"},
    "submission.return": {"zh": "退回修改", "en": "Returned"},
    "submission.adjust": {"zh": "申请调整", "en": "Started an adjustment"},
    "definition.publish": {"zh": "发布表单定义", "en": "Published a definition"},
}


def action_label(action: str) -> dict:
    return ACTION_LABELS.get(action, {"zh": action})
