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
    "login.failed": {"zh": "登录失败", "en": "Failed login"},
    "user.password": {"zh": "修改密码", "en": "Changed the password"},
    "project.create": {"zh": "创建项目", "en": "Created the project"},
    "submission.create": {"zh": "创建表单", "en": "Created the form"},
    "submission.save": {"zh": "保存草稿", "en": "Saved the draft"},
    "submission.submit": {"zh": "提交审核", "en": "Submitted"},
    "submission.approve": {"zh": "审核通过", "en": "Approved"},
    "submission.return": {"zh": "退回修改", "en": "Returned"},
    "submission.adjust": {"zh": "申请调整", "en": "Started an adjustment"},
    "submission.evidence": {"zh": "由调查结果填入实际值", "en": "Actual values filled from evidence"},
    "definition.publish": {"zh": "发布表单定义", "en": "Published a definition"},
    # monitoring (双监控), suspension of funds, rectification, assessment of subordinate bodies
    "monitoring.create": {"zh": "创建监控表", "en": "Created the monitoring report"},
    "monitoring.save": {"zh": "保存监控表", "en": "Saved the monitoring report"},
    "monitoring.submit": {"zh": "报送监控表", "en": "Submitted the monitoring report"},
    "monitoring.return": {"zh": "退回监控表", "en": "Returned the monitoring report"},
    "suspension.suspend": {"zh": "暂缓拨款", "en": "Suspended the funds"},
    "suspension.report": {"zh": "提交整改报告", "en": "Submitted the rectification report"},
    "suspension.return": {"zh": "退回整改报告", "en": "Returned the rectification report"},
    "suspension.lift": {"zh": "批准整改报告，恢复拨款", "en": "Approved the report, funding resumed"},
    "rectification.issue": {"zh": "下发反馈函", "en": "Issued a feedback letter"},
    "rectification.answer": {"zh": "反馈整改措施", "en": "Answered with measures"},
    "rectification.accept": {"zh": "确认整改完成", "en": "Confirmed the rectification"},
    "rectification.return": {"zh": "退回整改措施", "en": "Returned the measures"},
    "assessment.open": {"zh": "发起工作考核", "en": "Opened the work assessment"},
    "assessment.save_self": {"zh": "保存自评分数", "en": "Saved the self scores"},
    "assessment.submit_self": {"zh": "提交自评", "en": "Submitted the self scores"},
    "assessment.return_self": {"zh": "退回自评", "en": "Returned the self scores"},
    "assessment.save_assessed": {"zh": "保存评定分数", "en": "Saved the assessed scores"},
    "assessment.finalise": {"zh": "确认评定", "en": "Finalised the assessment"},
    "api_token.create": {"zh": "创建 API 令牌", "en": "Created an API token"},
    "api_token.revoke": {"zh": "吊销 API 令牌", "en": "Revoked an API token"},
    "jurisdiction.disclosure": {"zh": "修改信息公开年度", "en": "Changed the published years"},
    # beneficiary satisfaction surveys (survey/)
    "survey.create": {"zh": "创建满意度问卷", "en": "Created the survey"},
    "survey.update": {"zh": "修改问卷设置", "en": "Changed the survey settings"},
    "survey.publish": {"zh": "发布问卷", "en": "Published the survey"},
    "survey.close": {"zh": "结束问卷", "en": "Closed the survey"},
    "survey.invitations": {"zh": "生成邀请码", "en": "Generated invitation codes"},
    "survey.response_exclude": {"zh": "排除答卷", "en": "Excluded a response"},
    "survey.response_include": {"zh": "重新计入答卷", "en": "Counted a response again"},
    # low-code administration (core/admin)
    "jurisdiction.create": {"zh": "创建辖区", "en": "Created the jurisdiction"},
    "jurisdiction.settings": {"zh": "修改辖区设置", "en": "Changed the jurisdiction's settings"},
    "definition.draft": {"zh": "保存表单定义草稿", "en": "Saved a definition draft"},
    "definition.discard": {"zh": "放弃表单定义草稿", "en": "Discarded a definition draft"},
    "pack.import": {"zh": "导入辖区包", "en": "Imported a jurisdiction pack"},
    "organization.create": {"zh": "添加单位", "en": "Added an organization"},
    "user.create": {"zh": "创建用户", "en": "Created a user"},
    "membership.create": {"zh": "授予角色", "en": "Granted a role"},
}


def action_label(action: str) -> dict:
    return ACTION_LABELS.get(action, {"zh": action})
