"""The application factory."""
from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask, has_request_context, session

from core import cli
from core.config import default_config
from core.errors import register_error_handlers
from core.extensions import babel, csrf, db, limiter, login_manager, migrate
from core.params import IdConverter
from core.plugins import EXTENSION_KEY, build_registries, make_plugin_manager
from core.security import install_input_guard, install_security_headers

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the application.

    :param test_config: settings that override the environment (tests pass a
        temporary database here). ``PLUGINS`` lists extra plugin modules;
        ``LOAD_ENTRY_POINT_PLUGINS=False`` skips installed plugins.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(default_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)

    # Before any route exists: every <int:…> of every blueprint matches only ids the
    # database can hold (1..2^31-1); a larger one is a 404, never a query (core/params.py).
    app.url_map.converters["int"] = IdConverter
    _init_extensions(app)
    app.extensions[EXTENSION_KEY] = make_plugin_manager(
        extra=app.config.get("PLUGINS", ()),
        entry_points=app.config.get("LOAD_ENTRY_POINT_PLUGINS", True),
    )
    # The hook contract: registries are built and checked now, so a plugin conflict
    # stops start-up with a message rather than failing a request later.
    build_registries(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    install_security_headers(app)
    install_input_guard(app)
    register_error_handlers(app)
    cli.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from core import database  # noqa: F401  (installs the SQLite pragmas listener)
    from core import models  # noqa: F401  (models must be imported before migrate)
    from survey import models as survey_models  # noqa: F401  (survey tables, same metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=os.path.join(PROJECT_ROOT, "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(models.User, int(user_id))


def _select_locale() -> str:
    """Chinese unless the user chose English (stored in the session).

    Outside a request (CLI commands, background work, tests in an app context) there is
    no session: Chinese, so services can call ``gettext`` anywhere.
    """
    if not has_request_context():
        return "zh"
    lang = session.get("lang")
    return lang if lang in ("zh", "en") else "zh"


def _register_blueprints(app: Flask) -> None:
    from core.auth.views import bp as auth_bp
    from core.projects.views import bp as projects_bp
    from core.review.views import bp as review_bp
    from core.selfeval.views import bp as selfeval_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(selfeval_bp)

    from core.reports.views import bp as reports_bp  # PDF / XLSX downloads and the XLSX import

    app.register_blueprint(reports_bp)

    from core.api import account_bp, bp as api_bp  # the JSON API (CSRF-exempt: bearer tokens)
    from core.disclosure import admin_bp as disclosure_admin_bp, bp as disclosure_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(disclosure_bp)
    app.register_blueprint(disclosure_admin_bp)

    from survey.owner import bp as survey_owner_bp  # satisfaction surveys: the owner's pages
    from survey.public import bp as survey_public_bp  # the public questionnaire at /s/<slug>

    app.register_blueprint(survey_owner_bp)
    app.register_blueprint(survey_public_bp)

    # 双监控 and suspension of funds, rectification, assessment of subordinate bodies, dashboards
    from core.assessment.views import bp as assessment_bp
    from core.dashboard.views import bp as dashboard_bp
    from core.monitoring.views import bp as monitoring_bp
    from core.rectification.views import bp as rectification_bp

    for blueprint in (monitoring_bp, rectification_bp, assessment_bp, dashboard_bp):
        app.register_blueprint(blueprint)

    from core.jobs.views import bp as jobs_bp  # exports and PDF ZIPs, on RQ when REDIS_URL is set

    app.register_blueprint(jobs_bp)

    from core.admin import bp as admin_bp  # low-code administration: jurisdictions, forms, packs, people

    app.register_blueprint(admin_bp)


def _register_template_helpers(app: Flask) -> None:
    from core.audit import action_label
    from core.i18n import current_lang, label, localtime
    from core.webforms.builder import row_columns

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals.update(label=label, current_lang=current_lang, action_label=action_label,
                                 row_columns=row_columns)
    app.jinja_env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
