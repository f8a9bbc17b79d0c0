"""Every extension point of the platform, in one module.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names
are the hooks below. The built-in jurisdictions in ``plugins/`` and the default
behaviour in ``core/default_rules.py`` are plugins of exactly this kind; third-party
plugins are found through the ``perfforms`` setuptools entry point group.

Conventions (after pytest and Datasette):

- ``register_*`` hooks return a list; every plugin contributes, and a duplicate id
  is refused at start-up.
- hooks marked ``firstresult`` pick one answer: the first non-``None`` result wins,
  and returning ``None`` means "no opinion, ask the next plugin". Defaults are
  ``trylast`` so a jurisdiction plugin overrides them.
- hooks ending in ``_after`` are notifications; their return value is ignored.

Arguments are passed by keyword; a hook implementation may accept any subset.
"""
from __future__ import annotations

import pluggy

PROJECT_NAME = "perfforms"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------- setup ----------

@hookspec
def register_jurisdictions():
    """Return the jurisdiction packs this plugin provides.

    Called when the app starts and by ``flask init-db``/``packs sync``, which store
    each pack's settings and forms in the database (a changed form becomes a new
    published version; published versions are never modified).

    :return: a list of :class:`core.definitions.pack.Pack`, usually one, loaded
        with ``load_pack(directory)`` from ``form_definitions/<code>/``.
    """


@hookspec
def register_quality_rules():
    """Return goal-quality rules to add to the review run on every goal form.

    Called once when the app starts; the rules form a registry keyed by id, and a
    duplicate id stops start-up with an error. A jurisdiction's pack sets each
    rule to ``off``, ``warning`` or ``error`` in ``quality_rules``.

    :return: a list of :class:`core.quality.rules.QualityRule`.
    """


@hookspec
def register_scoring_rules():
    """Return scoring rule types to add to the scoring engine.

    Called once when the app starts. A definition names a rule type by id in a
    leaf's ``rule.type``; a duplicate id stops start-up with an error.

    :return: a list of :class:`core.scoring.rules.RuleType`.
    """


# ----------------------------------------------------------- submission ----------

@hookspec
def validate_submission(definition, data, project, jurisdiction):
    """Return extra problems with a filled-in form before it is saved or submitted.

    Called after the definition's own validation (types, checks, milestones,
    indicator tree) passed or failed, so a plugin can add rules the definition
    language cannot express.

    :param definition: the :class:`core.definitions.loader.FormDefinition` in use.
    :param data: the normalised data (``{"fields":…, "milestones":…, "indicators":…}``).
    :param project: the :class:`core.models.Project`.
    :param jurisdiction: the :class:`core.models.Jurisdiction` whose pack is used.
    :return: a list of :class:`core.definitions.errors.Problem` (empty or ``None``
        for none). Problems block submission.
    """


@hookspec
def submission_transition_after(submission, transition, actor, comment):
    """Notification that a submission moved through a workflow transition.

    Called after the transition and its audit event were written, inside the same
    request, before the commit. Use it to notify people or to start follow-up work;
    raising an exception aborts the transition. The return value is ignored.

    :param submission: the :class:`core.models.Submission`, already in its new state.
    :param transition: the transition's name (``submit``, ``approve``, ``return``,
        ``adjust``).
    :param actor: the :class:`core.models.User` who acted.
    :param comment: the comment given with the transition ("" when none).
    """


# -------------------------------------------------------------- scoring ----------

@hookspec(firstresult=True)
def score_indicator(leaf, inputs, suggested, jurisdiction):
    """Override the suggested score of one scoring leaf.

    Called for every leaf after its rule computed a suggestion. Stops at the first
    non-``None`` result.

    :param leaf: the scoring leaf (id, label, weight, rule).
    :param inputs: the leaf's inputs from the filled form (actual, checked, tier…).
    :param suggested: the rule's suggestion (``Decimal`` or ``None``).
    :param jurisdiction: the :class:`core.models.Jurisdiction` (or ``None`` outside
        the web app).
    :return: a ``Decimal`` within ``[0, leaf weight]``, or ``None`` to keep it.
    """


@hookspec(firstresult=True)
def adjust_total(result, jurisdiction):
    """Adjust the total of a scored form (jurisdiction-specific bonus, deduction, cap).

    Called once per scoring after the base total, the bonus group and the deduction
    group have been computed with their caps. Stops at the first non-``None`` result.

    :param result: the :class:`core.scoring.engine.ScoreResult` so far.
    :param jurisdiction: the :class:`core.models.Jurisdiction` or ``None``.
    :return: the new total as ``Decimal``, or ``None`` to keep it.
    """


@hookspec(firstresult=True)
def grade(total, bands, jurisdiction):
    """Name the grade (等级) of a total score.

    Called after the total is final. The default implementation picks the first
    band whose ``min`` the total reaches (bands from the definition or the pack,
    90/80/60 优良中差 by default). Stops at the first non-``None`` result.

    :param total: the total score, ``Decimal``.
    :param bands: the band list ``[{"min": 90, "label": {"zh": "优", …}}, …]``.
    :param jurisdiction: the :class:`core.models.Jurisdiction` or ``None``.
    :return: a label dict ``{"zh": …, "en": …}``, or ``None`` for no opinion.
    """


# -------------------------------------------------------------- surveys ----------

@hookspec(firstresult=True)
def indicator_evidence(project, row):
    """Supply the measured actual value of a goal indicator from another module.

    Called when a project's self-evaluation is opened for editing, once for each
    approved goal indicator row (the survey module answers for satisfaction rows
    whose survey has closed): empty values are filled, a value the filer typed is
    kept, and a newer source than the one recorded is offered (「采用调查结果」).
    Stops at the first non-``None`` result.

    :param project: the :class:`core.models.Project`.
    :param row: the goal indicator row dict (``id``, ``level1``, ``level2``, ``name``,
        ``target``…) from the approved goal revision.
    :return: ``{"actual": "95.39%", "note": "…", "url": "/projects/…"}`` — the value
        to fill in, a sentence saying where it comes from, and a link to the
        evidence — or ``None`` when there is none. Optional keys: ``fields``, form
        field id → value to fill when the self-evaluation has that field (Futian's
        ``satisfaction_rate``, which its scored leaf reads), and ``source``, a
        JSON-ready description of the evidence (``survey_id``, ``title``, ``valid``,
        ``ci_low``, ``ci_high``…) recorded with the value; a different ``source``
        than the recorded one is what makes a newer value offered.
    """


@hookspec(firstresult=True)
def satisfaction_index(survey, definition, answers_summary):
    """Compute a survey's satisfaction index (服务对象满意度) from its item scores.

    Called whenever a survey's results are computed (results page, exports, the
    self-evaluation's satisfaction actual), after the valid responses have been
    aggregated in SQL. The default implementation (``core.default_rules``,
    ``trylast``) takes each item's weight from the definition (a matrix row's
    ``weight``, else its question's ``weight``, else 1) and returns the weighted
    mean of the item scores. A jurisdiction overrides it to weigh items its own
    way, e.g. "the overall question counts half". Stops at the first non-``None``
    result. The 95% interval is then computed with the weights returned here.

    :param survey: the :class:`survey.models.Survey` (``survey.project`` gives the
        project and its jurisdiction).
    :param definition: the survey's questionnaire as a
        :class:`core.definitions.model.FormDefinition`.
    :param answers_summary: a :class:`survey.index.AnswersSummary`: ``valid`` (the
        number of valid responses) and ``items``, one :class:`survey.index.ItemSummary`
        per scored item with ``key`` (``"overall"`` or ``"payment.timely"``),
        ``question_id``, ``item_id``, ``weight`` (the definition's), ``count`` and
        ``mean`` (0–100, ``Decimal``). Its ``weighted_index(weights)`` computes
        ``Σ w·mean / Σ w`` over answered items.
    :return: ``{"index": Decimal or None, "weights": {item key: Decimal}}`` — the
        index on 0–100 and the weights used (items missing from ``weights`` weigh
        0) — or ``None`` for no opinion.
    """


# ----------------------------------------------------------- monitoring ----------

@hookspec
def monitoring_alerts(project, round, lights):
    """Return extra alert messages for one project at one monitoring round (双监控).

    Called every time a monitoring report is saved or submitted, after its lights
    were computed (``core.monitoring.lights.evaluate``); the messages are stored with
    the report. Every plugin contributes: the messages of all plugins are shown
    together on the report and listed in finance's monitoring table. The default plugin
    (``core.default_rules``) adds the key-project alert of the definition's
    ``monitoring.key_projects`` (a large project executing below the rate) and one
    alert per blue (over-performing) indicator. A jurisdiction adds its own rules,
    e.g. "satisfaction below 90% at any round".

    :param project: the :class:`core.models.Project` (``project.jurisdiction`` gives
        its jurisdiction; ``project.multi_year``/``end_year`` for multi-year projects).
    :param round: the :class:`core.monitoring.settings.Round`: ``id``, ``month`` (the
        round covers January to the end of that month), ``label``, ``year`` and
        ``settings`` (the definition's :class:`~core.monitoring.settings.MonitoringSettings`:
        bands, ``key_projects``…).
    :param lights: the :class:`core.monitoring.lights.ProjectLights`: ``light`` (the
        project's worst light, ``None`` while incomplete), ``budget`` (``execution_rate``,
        ``planned_rate``, ``value``, ``light``) and ``indicators`` (one
        :class:`~core.monitoring.lights.IndicatorLight` per goal row: ``name``,
        ``target``, ``actual``, ``value``, ``light``).
    :return: a list of messages, each a string or a label dict ``{"zh": …, "en": …}``
        (empty or ``None`` for none). Alerts inform; they never block a submission.
    """
