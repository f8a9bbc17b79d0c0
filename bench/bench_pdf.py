"""Benchmark: warm PDF renders of a goal form and an evaluation report, against xhtml2pdf's floor.

    python bench/bench_pdf.py [runs]

The demo is loaded into a temporary SQLite database (the seeds' real projects: Boye
project 4 「劳务派遣人员工资及保险」 from demo/boye_2023.json, and Futian's 区退休职工管理
with its self-evaluation). Each document is rendered the way the download views do
it: the HTML from ``templates/pdf`` and ``core.reports.pdf.html_to_pdf``. The floor is
the *same HTML with its tables removed* — same fonts, page frames, header and footer,
headings and paragraphs — rendered in the same process right after, so the ratio says
what the tables (merged cells, CJK wrapping) cost on top of xhtml2pdf itself. One
warm-up render each (the first call per process parses the font); then the median
of ``runs``.
"""
from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import render_template  # noqa: E402
from sqlalchemy import select  # noqa: E402

from core.app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from core.jurisdictions import sync_builtin_packs  # noqa: E402
from core.models import Project  # noqa: E402
from core.plugins import plugin_manager  # noqa: E402
from core.reports import pdf  # noqa: E402
from core.reports.paper import UNITS, build_paper  # noqa: E402
from core.reports.views import evaluation_report  # noqa: E402
from demo import seed_demo  # noqa: E402

TABLE = re.compile(r'<table class="grid[^"]*"[^>]*>.*?</table>', re.S)


def without_tables(html: str) -> str:
    stripped, n = TABLE.subn("", html)
    assert n > 0, "no table found to strip"
    return stripped


def timed(fn, runs: int) -> tuple[float, bytes]:
    body = fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), body


def pages(body: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", body))


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    workdir = tempfile.mkdtemp(prefix="bench-pdf-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite", "TESTING": True,
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        sync_builtin_packs(plugin_manager())
        db.session.commit()
        seed_demo()
        boye = db.session.scalar(select(Project).where(Project.code == "13063723P00428710007U"))
        futian = db.session.scalar(select(Project).where(Project.name == "区退休职工管理"))
        with app.test_request_context():
            goal = boye.submission("goal")

            def goal_html() -> str:
                paper = build_paper(goal.definition.body, goal.data, organization=boye.organization.name,
                                    year=boye.year)
                return render_template("pdf/goal.html", project=boye, fonts=pdf.font_urls(), units=UNITS,
                                       paper=paper, state_label="已提交待审核", revision_label="",
                                       printed_at="")

            def report_html() -> str:
                return render_template("pdf/report.html", project=futian, fonts=pdf.font_urls(),
                                       report=evaluation_report(futian), printed_at="")

            cases = [("goal form, Boye project 4", goal_html), ("evaluation report, Futian", report_html)]
            print(f"xhtml2pdf warm renders, median of {runs} (one warm-up each); floor = same HTML without tables")
            print(f"{'document':30} {'pages':>5} {'full s':>8} {'pdf s':>8} {'floor s':>8} {'pdf/floor':>9}")
            for name, make_html in cases:
                html = make_html()
                full, body = timed(lambda: pdf.html_to_pdf(make_html()), runs)
                render, _ = timed(lambda: pdf.html_to_pdf(html), runs)
                floor, _ = timed(lambda: pdf.html_to_pdf(without_tables(html)), runs)
                print(f"{name:30} {pages(body):>5} {full:8.3f} {render:8.3f} {floor:8.3f} {render / floor:9.2f}")
            print("full = model + template + PDF; pdf = the same HTML to PDF only.")


if __name__ == "__main__":
    main()
