"""Who may use each route: the expected outcome of every route × role.

The roles (tests/security/world.py): ``anonymous``; ``filer_a``, a filer of the
organization that owns every object the URLs name; ``filer_b``, a filer of another
organization of the same jurisdiction; ``reviewer`` (finance), ``leader`` and
``admin`` of that jurisdiction; ``admin_other``, an admin of another jurisdiction.

Every (endpoint, method) of the URL map is given one policy below; a route added
without one fails ``test_every_route_is_classified``. A policy is the set of roles
for whom the route works; for everyone else it answers like a missing object
(404) or a refusal (403), or sends an anonymous visitor to the login page.
"""
from __future__ import annotations

from tests.security.world import ROLES

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
#: Those who may see organization A's objects: its filer, and finance, leader and
#: admin of its jurisdiction.
A_SCOPE = frozenset({"filer_a", "reviewer", "leader", "admin"})

POLICIES: dict[str, frozenset[str]] = {
    # Public on purpose: login, language, disclosure, the questionnaire, the API's docs, static files.
    "public": EVERYONE,
    # Pages about the user's own account or filtered to the user's own scope.
    "signed_in": SIGNED_IN,
    # Reading organization A's project and everything under it.
    "project_viewer": A_SCOPE,
    # Filling in organization A's forms: its filer only.
    "project_filer": frozenset({"filer_a"}),
    # Finance of the project's jurisdiction: review, suspend, feedback letters.
    "finance": frozenset({"reviewer"}),
    # Acting on a submission through the API: its filer submits, finance decides.
    "submission_actor": frozenset({"filer_a", "reviewer"}),
    # Filers create projects for their own organization.
    "filers": frozenset({"filer_a", "filer_b"}),
    # Overview pages (monitoring table, dashboards): each sees its own jurisdiction.
    "overseers": frozenset({"reviewer", "leader", "admin", "admin_other"}),
    # The jurisdiction's published definitions: anyone with a role in it.
    "jurisdiction_member": frozenset({"filer_a", "filer_b", "reviewer", "leader", "admin"}),
    # Pages about the jurisdiction as a whole (the work sheet of a town below it):
    # its finance, leader and admin.
    "jurisdiction_staff": frozenset({"reviewer", "leader", "admin"}),
    # Configuring the jurisdiction (packs, people, disclosure): its admin only.
    "jurisdiction_admin": frozenset({"admin"}),
    # Pages every admin has for the jurisdictions they administer.
    "admins": frozenset({"admin", "admin_other"}),
    # One API token: the user who issued it.
    "token_owner": frozenset({"filer_a"}),
    # One export job: the user who started it.
    "job_owner": frozenset({"filer_a"}),
}

ACCESS: dict[tuple[str, str], str] = {
    ("static", "GET"): "public",
    ("auth.login", "GET"): "public",
    ("auth.login", "POST"): "public",
    ("auth.logout", "POST"): "signed_in",
    ("auth.set_language", "POST"): "public",
    ("disclosure.jurisdictions", "GET"): "public",
    ("disclosure.index", "GET"): "public",
    ("disclosure.project", "GET"): "public",
    ("survey_public.form", "GET"): "public",
    ("survey_public.submit", "POST"): "public",
    ("survey_public.thanks", "GET"): "public",
    ("api.docs", "GET"): "public",
    ("api.openapi_document", "GET"): "public",

    ("account.tokens", "GET"): "signed_in",
    ("account.create_token", "POST"): "signed_in",
    ("account.revoke_token", "POST"): "token_owner",
    ("projects.index", "GET"): "signed_in",
    ("rectification.index", "GET"): "signed_in",
    ("assessment.index", "GET"): "signed_in",
    ("api.me", "GET"): "signed_in",
    ("api.definitions", "GET"): "signed_in",
    ("api.projects", "GET"): "signed_in",
    # Anyone signed in exports what they see; the job reads with the starter's scope.
    ("jobs.start", "POST"): "signed_in",
    ("jobs.index", "GET"): "signed_in",
    ("jobs.status", "GET"): "job_owner",
    ("jobs.download", "GET"): "job_owner",
    ("jobs.retry", "POST"): "job_owner",

    ("projects.new_project", "GET"): "filers",
    ("projects.new_project", "POST"): "filers",
    ("api.create_project", "POST"): "filers",

    ("projects.detail", "GET"): "project_viewer",
    ("projects.form_page", "GET"): "project_viewer",
    ("projects.revision", "GET"): "project_viewer",
    ("selfeval.page", "GET"): "project_viewer",
    # Scores what is on the page without saving it: reading, like the page itself.
    ("selfeval.live_score", "POST"): "project_viewer",
    ("reports.form_pdf", "GET"): "project_viewer",
    ("reports.evaluation_report_pdf", "GET"): "project_viewer",
    ("reports.goal_xlsx", "GET"): "project_viewer",
    ("monitoring.project_page", "GET"): "project_viewer",
    ("monitoring.report_page", "GET"): "project_viewer",
    ("monitoring.suspension_page", "GET"): "project_viewer",
    ("rectification.letter", "GET"): "project_viewer",
    ("survey_owner.index", "GET"): "project_viewer",
    ("survey_owner.detail", "GET"): "project_viewer",
    ("survey_owner.results", "GET"): "project_viewer",
    ("survey_owner.export_csv", "GET"): "project_viewer",
    ("survey_owner.export_xlsx", "GET"): "project_viewer",
    ("survey_owner.poster", "GET"): "project_viewer",
    ("survey_owner.qr_png", "GET"): "project_viewer",
    ("survey_owner.qr_svg", "GET"): "project_viewer",
    ("api.project", "GET"): "project_viewer",
    ("api.score", "GET"): "project_viewer",
    ("api.get_submission", "GET"): "project_viewer",
    ("api.survey_result", "GET"): "project_viewer",

    ("projects.form_post", "POST"): "project_filer",
    ("projects.adjust", "POST"): "project_filer",
    ("selfeval.save", "POST"): "project_filer",
    # 采用调查结果: the filer takes a closed survey's result into the form.
    ("selfeval.adopt", "POST"): "project_filer",
    ("reports.goal_import_page", "GET"): "project_filer",
    ("reports.goal_import", "POST"): "project_filer",
    ("monitoring.report_page", "POST"): "project_filer",
    ("monitoring.suspension_report", "POST"): "project_filer",
    ("rectification.answer", "POST"): "project_filer",
    ("survey_owner.create", "POST"): "project_filer",
    ("survey_owner.settings", "POST"): "project_filer",
    ("survey_owner.publish_view", "POST"): "project_filer",
    ("survey_owner.close_view", "POST"): "project_filer",
    ("survey_owner.invitations", "POST"): "project_filer",
    ("survey_owner.toggle", "POST"): "project_filer",
    ("api.start_submission", "POST"): "project_filer",
    ("api.save_submission", "PUT"): "project_filer",
    # Which transition each of them may take is the workflow's rule (tests/workflow).
    ("api.transition", "POST"): "submission_actor",

    ("review.queue", "GET"): "finance",
    ("review.decide", "GET"): "finance",
    ("review.decide", "POST"): "finance",
    ("monitoring.suspend", "POST"): "finance",
    ("monitoring.return_report", "POST"): "finance",
    ("monitoring.suspension_decide", "POST"): "finance",
    ("rectification.new", "GET"): "finance",
    ("rectification.new", "POST"): "finance",
    ("rectification.decide", "POST"): "finance",
    ("assessment.open_", "POST"): "finance",

    # Filers get the rounds of their own organization's projects.
    ("monitoring.index", "GET"): "signed_in",
    ("dashboard.index", "GET"): "overseers",

    ("api.definition", "GET"): "jurisdiction_member",

    ("assessment.sheet", "GET"): "jurisdiction_staff",
    # The town has sent its self scores: Boye's finance enters the assessed scores.
    ("assessment.post", "POST"): "finance",

    ("admin.index", "GET"): "admins",
    ("admin.new_jurisdiction", "GET"): "admins",
    ("admin.new_jurisdiction", "POST"): "admins",
    ("admin.import_pack", "GET"): "admins",
    ("admin.import_pack", "POST"): "admins",
    ("disclosure_admin.overview", "GET"): "admins",
    ("admin.jurisdiction", "GET"): "jurisdiction_admin",
    ("admin.people", "GET"): "jurisdiction_admin",
    ("admin.export", "GET"): "jurisdiction_admin",
    ("admin.settings", "GET"): "jurisdiction_admin",
    ("admin.settings", "POST"): "jurisdiction_admin",
    ("admin.create_organization", "POST"): "jurisdiction_admin",
    ("admin.create_user", "POST"): "jurisdiction_admin",
    ("admin.add_form", "POST"): "jurisdiction_admin",
    ("admin.editor", "GET"): "jurisdiction_admin",
    ("admin.editor_post", "POST"): "jurisdiction_admin",
    ("admin.raw_editor", "GET"): "jurisdiction_admin",
    ("admin.raw_editor", "POST"): "jurisdiction_admin",
    ("admin.preview", "GET"): "jurisdiction_admin",
    ("admin.preview", "POST"): "jurisdiction_admin",
    ("admin.preview_score", "POST"): "jurisdiction_admin",
    ("admin.validate", "POST"): "jurisdiction_admin",
    ("admin.publish", "POST"): "jurisdiction_admin",
    ("admin.discard", "POST"): "jurisdiction_admin",
    ("admin.versions", "GET"): "jurisdiction_admin",
    ("admin.version", "GET"): "jurisdiction_admin",
    ("admin.version_diff", "GET"): "jurisdiction_admin",
    ("disclosure_admin.edit", "GET"): "jurisdiction_admin",
    ("disclosure_admin.edit", "POST"): "jurisdiction_admin",
}

#: Arguments that mean something else on one route.
ARGUMENT_OVERRIDES = {"auth.set_language": {"code": "en"}, "admin.preview_score": {"kind": "self_evaluation"}}
#: Objects a route takes from its query string or form rather than its path.
QUERY_ARGUMENTS = {"rectification.new": ("project_id",)}
FORM_ARGUMENTS = {"assessment.open_": ("assessor_id", "jurisdiction_id", "year")}
#: Routes whose work is to end the session: their answer is the login page.
ENDS_SESSION = frozenset({"auth.logout"})

#: Pages that publish organization A's approved goal to anyone on purpose.
PUBLISHES_A = frozenset({"disclosure.index", "disclosure.project"})


def allowed(endpoint: str, method: str) -> frozenset[str]:
    return POLICIES[ACCESS[(endpoint, method)]]
