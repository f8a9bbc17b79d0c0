"""The data model, one module per aggregate. Import from here."""
from core.models.api_token import ApiToken
from core.models.audit import AuditEvent, AuditImmutable
from core.models.definition import DefinitionImmutable, FormDefinition
from core.models.jurisdiction import Jurisdiction, Organization
from core.models.project import Project
from core.models.submission import Review, Submission, SubmissionRevision
from core.models.user import Membership, Role, User
from core.models.assessment import Assessment
from core.models.monitoring import FundingSuspension, MonitoringReport, PlannedExecution
from core.models.rectification import RectificationItem, RectificationLetter
from core.models.job import Job

__all__ = [
    "ApiToken",
    "AuditEvent", "AuditImmutable", "DefinitionImmutable", "FormDefinition", "Jurisdiction",
    "Membership", "Organization", "Project", "Review", "Role", "Submission",
    "SubmissionRevision", "User",
]
__all__ += ["Job", "Assessment", "FundingSuspension", "MonitoringReport", "PlannedExecution", "RectificationItem", "RectificationLetter"]
