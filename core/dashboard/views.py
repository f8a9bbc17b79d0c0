"""Dashboards for leaders and finance: projects by state, light and grade; score
distributions; execution against plan over the year. Charts are inline SVG."""
from __future__ import annotations


from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.auth import access
from core.dashboard import charts
from core.dashboard.data import build
from core.monitoring.lights import pct
from core.monitoring.service import default_year
from core.monitoring.settings import LIGHT_LABELS
from core.i18n import today as local_today, label
from core.params import int_arg

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

STATE_COLOURS = {"draft": "#9ca3af", "submitted": "#1d4ed8", "returned": "#c62828", "approved": "#15803d",
                 "adjusting": "#f59e0b", None: "#d1d5db"}


@bp.route("/")
@login_required
def index():
    if not access.can_oversee(current_user):
        abort(403)
    year = int_arg("year", None, 2000, 2100) or default_year(current_user)
    if not 2000 <= year <= 2100:
        abort(400)
    board = build(current_user, year)
    svg = {
        "state": charts.bar_chart([(label(l), n, STATE_COLOURS[s]) for s, l, n in board.by_state],
                                  _("绩效目标表状态"), _("个")),
        "light": charts.bar_chart([(label(LIGHT_LABELS[l]), n, l or "grey") for l, n in board.by_light],
                                  _("最近一轮监控的项目灯"), _("个")),
        "grade": charts.bar_chart([(label(g), n, "primary") for g, n in board.by_grade] or [(_("无"), 0, "grey")],
                                  _("自评等级"), _("个")),
        "self_scores": charts.bar_chart([(b, n, "primary") for b, n in board.self_scores], _("自评总分分布"), _("个")),
        "assessment_scores": charts.bar_chart([(b, n, "accent") for b, n in board.assessment_scores],
                                              _("下级单位考核评定分数分布"), _("个")),
        "execution": charts.line_chart(
            [_("%(m)s月", m=m) for m, *_rest in board.execution],
            [(_("计划进度"), "muted", [float(p) if p is not None else None for _m, p, _a, _c in board.execution]),
             (_("实际执行"), "primary", [float(a) if a is not None else None for _m, _p, a, _c in board.execution])],
            _("全年预算执行：计划与实际（累计，按预算加权）")),
    }
    years = list(range(local_today().year, local_today().year - 6, -1))
    if year not in years:
        years.append(year)
    return render_template("dashboard/index.html", board=board, svg=svg, year=year, years=sorted(years, reverse=True),
                           light_labels=LIGHT_LABELS, pct=pct)
