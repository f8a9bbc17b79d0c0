"""The hostile corpus (tests/security/hostile.py) typed into every text field that reaches
an output, through HTTP like a user (test client, CSRF tokens), then every output that
shows it checked:

- HTML: below 500; no raw markup of the corpus, no event-handler attribute, inline
  script or javascript: URL anywhere; the text present, escaped;
- PDF: the export succeeds and its text (``pdftotext``) holds the printable characters;
- XLSX/CSV: no formula cell, no cell text a spreadsheet would run (OWASP CSV injection),
  no crash on characters XLSX cannot hold;
- very long strings: a validation error naming the field, or stored and shown; never a 500;
- hostile definitions and packs: an error naming the path, nothing written, nothing run;
- uploads over ``MAX_CONTENT_LENGTH``: a 413 page in Chinese, nothing written.

Each test collects its findings as ``field × payload × output: problem`` and fails with
all of them, so one run shows every gap.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.extensions import db
from core.models import Project, Submission
from core.reports.cells import printable
from core.reports.pdf import MAX_ROWSPAN
from tests.conftest import csrf_token, login
from tests.security.hostile import (CORPUS, EXPRESSIONS, FORMULA_TRIGGERS, LONG, NEVER_IN_HTML, NUL_MESSAGE, REFUSED,
                                   SHORT, Payload)

BOYE_ORG = "711001 博野县总工会本级"
ROOT = Path(__file__).resolve().parents[2]
PDF_TOO_TALL = "内容过长，无法排成 PDF"


# --------------------------------------------------------------------- helpers ----

class Findings:
    """Problems found, each naming the field, the payload and the output."""

    def __init__(self):
        self.lines: list[str] = []

    def add(self, field: str, payload: Payload | str, output: str, problem: str) -> None:
        self.lines.append(f"{field} × {payload} × {output}: {problem}")

    def check(self, ok: bool, field, payload, output, problem) -> None:
        if not ok:
            self.add(field, payload, output, problem)

    def assert_none(self) -> None:
        assert not self.lines, f"{len(self.lines)} problem(s):\n" + "\n".join(self.lines[:80])


def stored(payload: Payload) -> str:
    """What a form field keeps of the payload (values are stripped)."""
    return payload.text.strip()


def probe(payload: Payload, limit: int = 20) -> str:
    """A piece of the payload every page showing it must contain (escaped)."""
    first = stored(payload).splitlines()[0] if stored(payload) else ""
    return first[:limit]


class _ActiveContent(HTMLParser):
    """What a browser would run: event-handler attributes, inline scripts, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")


def html_findings(findings: Findings, html: str, status: int, where: str,
                  shown: dict[str, Payload]) -> None:
    """``shown``: field → payload the page must show (escaped)."""
    findings.check(status < 500, "page", "-", where, f"status {status}")
    for bad in NEVER_IN_HTML:
        findings.check(bad not in html, "page", bad, where, "raw markup in the page")
    parser = _ActiveContent()
    parser.feed(html)
    for found in parser.found:
        findings.add("page", found, where, "active content a browser would run")
    for field, payload in shown.items():
        text = probe(payload)
        if text:
            findings.check(str(escape(text)) in html, field, payload, where, f"escaped text {str(escape(text))!r} missing")


def xlsx_findings(findings: Findings, body: bytes, where: str) -> list[str]:
    """Formula cells and formula-like text in every sheet; returns all cell texts."""
    wb = load_workbook(io.BytesIO(body), read_only=True)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if getattr(cell, "value", None) is None:
                    continue
                findings.check(cell.data_type != "f", cell.coordinate, repr(cell.value)[:40], where, "formula cell")
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    findings.check(not cell.value.startswith(FORMULA_TRIGGERS), f"{ws.title}!{cell.coordinate}",
                                   repr(cell.value)[:40], where, "text a spreadsheet would run")
    return texts


def csv_findings(findings: Findings, text: str, where: str) -> list[str]:
    values = [v for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for v in row]
    for value in values:
        findings.check(not value.startswith(FORMULA_TRIGGERS), "cell", repr(value)[:40], where,
                       "text a spreadsheet would run")
    return values


def pdf_text(body: bytes, tmp_path) -> str:
    """The PDF's text by ``pdftotext`` (poppler-utils), else by pypdf."""
    if shutil.which("pdftotext") is None:
        from tests.reports.conftest import pdf_text as pypdf_text
        return pypdf_text(body)
    path = tmp_path / "doc.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def pdf_findings(findings: Findings, body: bytes, status: int, where: str, tmp_path,
                 shown: dict[str, Payload]) -> None:
    findings.check(status == 200 and body.startswith(b"%PDF"), "export", "-", where, f"status {status}")
    if status != 200:
        return
    # PDF text extraction wraps lines and drops spaces: compare without whitespace.
    text = re.sub(r"\s+", "", pdf_text(body, tmp_path))
    for field, payload in shown.items():
        wanted = re.sub(r"\s+", "", payload.printed)
        if wanted:
            findings.check(wanted in text, field, payload, where, f"{payload.printed!r} not in the PDF text")


def refused_findings(findings: Findings, response, field: str, payload: Payload, where: str) -> None:
    """A NUL payload: a 400 page (or JSON error) saying why."""
    findings.check(response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True),
                   field, payload, where, f"not refused with the NUL message ({response.status_code})")


def token_of(client, path: str) -> str:
    return csrf_token(client, path)


# -------------------------------------------------------------------- fixtures ----

@pytest.fixture
def boye(app, people):
    org = people.organization("boye", BOYE_ORG)
    people.user("filer", "filer", organization=org)
    people.user("reviewer", "reviewer", jurisdiction="boye")
    people.user("admin", "admin", jurisdiction="boye")
    return org.id


def create_project(client, org_id: int, name: str, code: str = "13063723P00428710060R"):
    return client.post("/projects/new", data={
        "csrf_token": token_of(client, "/projects/new"), "organization_id": org_id, "name": name, "code": code,
        "year": "2023", "budget": "8.83", "serves_public": "y"})


def project_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/projects/(\d+)", response.headers["Location"]).group(1))


# ------------------------------------------------------------- project names -------

def test_project_names(app, client, boye):
    """Every short payload as a project name: listed, shown, escaped; long names refused by name."""
    login(client, "filer")
    findings = Findings()
    for payload in SHORT:
        response = create_project(client, boye, payload.text)
        findings.check(response.status_code == 302, "project.name", payload, "POST /projects/new",
                       f"status {response.status_code}")
    for payload in LONG:
        response = create_project(client, boye, payload.text)
        page = response.get_data(as_text=True)
        findings.check(response.status_code == 200 and "项目名称" in page and "300" in page,
                       "project.name", payload, "POST /projects/new", f"no clear length error ({response.status_code})")
    for payload in REFUSED:
        refused_findings(findings, create_project(client, boye, payload.text), "project.name", payload,
                         "POST /projects/new")
    with app.app_context():
        findings.check(db.session.scalar(select(func.count()).select_from(Project)) == len(SHORT),
                       "project.name", "long", "database", "a long name was stored")
        ids = {p.name: p.id for p in db.session.scalars(select(Project))}
    index = client.get("/")
    html_findings(findings, index.get_data(as_text=True), index.status_code, "GET /",
                  {f"project.name[{p.name}]": p for p in SHORT})
    for payload in SHORT:
        project_id = ids.get(stored(payload))
        if project_id is None:
            continue
        page = client.get(f"/projects/{project_id}")
        html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET /projects/{project_id}",
                      {"project.name": payload})
    findings.assert_none()


# ------------------------------------------------------------------ goal form -------

GOAL_TEXT_FIELDS = ("unit_name", "project_name", "purpose", "performance_goals")
ROW_COLUMNS = ("name", "description", "target", "basis")


def goal_post(client, url: str, fields: dict, rows: list[dict], action: str = "save"):
    """The goal form posted as the page would send it, with ``rows`` as its indicator rows."""
    html = client.get(url).get_data(as_text=True)
    lock = re.search(r'name="lock_version"[^>]*value="(\d*)"', html) or \
        re.search(r'id="lock_version"[^>]*value="(\d*)"', html)
    data = {"csrf_token": token_of(client, url), "lock_version": lock.group(1), "action": action,
            "f_budget_total": "8.83", "f_source_fiscal": "8.83", "f_project_code": "13063723P00428710060R",
            "m_m03": "25", "m_m06": "50", "m_m10": "75", "m_m12": "100"}
    data.update({f"f_{k}": v for k, v in fields.items()})
    for index, row in enumerate(rows):
        data.update({f"rows-{index}-{k}": v for k, v in row.items()})
    return client.post(url, data=data)


def categories(code: str = "boye") -> list[tuple[str, str]]:
    """Every (一级, 二级指标) pair of a jurisdiction's goal form."""
    raw = json.loads((ROOT / "form_definitions" / code / "goal.json").read_text(encoding="utf-8"))
    return [(c["id"], child["id"]) for c in raw["indicator_tree"]["categories"] for child in c["children"]]


def hostile_rows(payloads) -> list[dict]:
    """One row per payload, the payload in every column (name, description, target,
    basis), spread over the categories: a few dozen rows under one 一级指标 are more
    than a printed page can hold (see test_goal_pdf_too_tall_is_a_clear_page)."""
    pairs = categories()
    return [{"id": "", "level1": pairs[i % len(pairs)][0], "level2": pairs[i % len(pairs)][1],
             **{c: p.text for c in ROW_COLUMNS}} for i, p in enumerate(payloads)]


@pytest.fixture
def goal_project(app, client, boye):
    login(client, "filer")
    project_id = project_id_of(create_project(client, boye, "恶意输入测试 <script>alert(1)</script>"))
    client.get(f"/projects/{project_id}/forms/goal")  # creates the draft
    return project_id


def test_goal_fields_html_and_xlsx(app, client, goal_project):
    """Each payload in the goal form's text fields: saved (or refused clearly); the edit
    page shows it escaped; the Excel export has no formula and does not crash."""
    url = f"/projects/{goal_project}/forms/goal"
    findings = Findings()
    for payload in CORPUS:
        response = goal_post(client, url, {field: payload.text for field in GOAL_TEXT_FIELDS}, [])
        if payload.refused:
            refused_findings(findings, response, "goal fields", payload, "POST goal")
            continue
        findings.check(response.status_code == 302, "goal fields", payload, "POST goal",
                       f"status {response.status_code}")
        page = client.get(url)
        html = page.get_data(as_text=True)
        html_findings(findings, html, page.status_code, "GET goal (edit)", {"goal fields": payload})
        if payload.is_long:  # 单位名称 allows 100 characters: the problem is shown at the field
            findings.check("不能超过 100 个字" in html or "最多 100" in html, "unit_name", payload,
                           "GET goal (edit)", "no length problem shown")
        export = client.get(f"/projects/{goal_project}/forms/goal.xlsx")
        findings.check(export.status_code == 200, "goal fields", payload, "goal.xlsx", f"status {export.status_code}")
        if export.status_code == 200:
            texts = xlsx_findings(findings, export.data, f"goal.xlsx[{payload}]")
            wanted = printable(probe(payload))
            findings.check(any(wanted in t for t in texts), "goal fields", payload, "goal.xlsx",
                           f"{wanted!r} not in any cell")
    findings.assert_none()


def test_goal_rows_html_xlsx_and_pdf(app, client, goal_project, tmp_path):
    """One indicator row per short payload, the payload in every column, and the
    fields full of payloads, saved as a draft: the edit page, Excel and the PDF."""
    url = f"/projects/{goal_project}/forms/goal"
    findings = Findings()
    fields = {"unit_name": "@SUM(1)", "project_name": "=cmd|' /C calc'!A0",
              "purpose": "\n".join(p.text for p in SHORT), "performance_goals": "-2+3 <script>alert(1)</script>"}
    response = goal_post(client, url, fields, hostile_rows(SHORT))
    findings.check(response.status_code == 302, "rows", "all", "POST goal", f"status {response.status_code}")
    with app.app_context():
        rows = db.session.scalar(select(Submission).where(Submission.project_id == goal_project)).data["indicators"]
    findings.check(len(rows) == len(SHORT), "rows", "all", "database", f"{len(rows)} rows stored")
    shown = {f"row[{p}]": p for p in SHORT}
    page = client.get(url)
    html_findings(findings, page.get_data(as_text=True), page.status_code, "GET goal (edit)", shown)
    export = client.get(f"/projects/{goal_project}/forms/goal.xlsx")
    findings.check(export.status_code == 200, "rows", "all", "goal.xlsx", f"status {export.status_code}")
    if export.status_code == 200:
        texts = xlsx_findings(findings, export.data, "goal.xlsx")
        for payload in SHORT:
            wanted = printable(probe(payload))
            findings.check(any(wanted in t for t in texts), "rows", payload, "goal.xlsx", f"{wanted!r} not in any cell")
    pdf = client.get(f"/projects/{goal_project}/forms/goal.pdf")
    pdf_findings(findings, pdf.data, pdf.status_code, "goal.pdf", tmp_path, shown)
    findings.assert_none()


@pytest.mark.parametrize("payload", LONG, ids=str)
def test_goal_long_text_is_stored_shown_and_printed_or_refused_clearly(app, client, goal_project, payload):
    """A very long text in a row and in 资金用途: the draft keeps it with a length problem
    at the field; the page and Excel show it; the PDF prints or says why it cannot."""
    url = f"/projects/{goal_project}/forms/goal"
    findings = Findings()
    response = goal_post(client, url, {"purpose": payload.text}, hostile_rows([payload]))
    findings.check(response.status_code == 302, "row+purpose", payload, "POST goal", f"status {response.status_code}")
    page = client.get(url)
    html = page.get_data(as_text=True)
    html_findings(findings, html, page.status_code, "GET goal (edit)", {"row+purpose": payload})
    findings.check("过长" in html or "不能超过" in html or "最多" in html, "row+purpose", payload, "GET goal (edit)",
                   "no length problem shown")
    export = client.get(f"/projects/{goal_project}/forms/goal.xlsx")
    findings.check(export.status_code == 200, "row+purpose", payload, "goal.xlsx", f"status {export.status_code}")
    if export.status_code == 200:
        xlsx_findings(findings, export.data, "goal.xlsx")
    pdf = client.get(f"/projects/{goal_project}/forms/goal.pdf")
    findings.check(pdf.status_code == 200 or (pdf.status_code == 422 and PDF_TOO_TALL in pdf.get_data(as_text=True)),
                   "row+purpose", payload, "goal.pdf", f"status {pdf.status_code}")
    findings.assert_none()


def test_goal_pdf_of_forty_rows_under_one_category(app, client, goal_project, tmp_path):
    """Forty rows under one 一级指标 print over several pages: the category cell repeats
    every ``MAX_ROWSPAN`` rows, since no page break may cross a rowspan."""
    url = f"/projects/{goal_project}/forms/goal"
    rows = [{"id": "", "level1": "output", "level2": "quantity", "name": f"指标{i}", "description": "描述" * 10,
             "target": "≥100 人", "basis": "文件要求"} for i in range(40)]
    assert goal_post(client, url, {}, rows).status_code == 302
    pdf = client.get(f"/projects/{goal_project}/forms/goal.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = re.sub(r"\s+", "", pdf_text(pdf.data, tmp_path))
    assert all(f"指标{i}描述" in text for i in range(40))
    assert text.count("产出指标") >= 40 // MAX_ROWSPAN


def test_goal_pdf_prints_text_taller_than_a_page_as_an_annex(app, client, goal_project, tmp_path):
    """A table row is never cut across pages, so a 4,400-character 资金用途 and a long
    indicator description are printed after the table as 附页, the cells pointing there."""
    url = f"/projects/{goal_project}/forms/goal"
    rows = [{"id": "", "level1": "output", "level2": "quantity", "name": "慰问人数", "description": "说明。" * 400,
             "target": "≥100 人", "basis": "文件要求"}]
    purpose = "资金用于职工慰问。" * 440 + "（完）"
    assert goal_post(client, url, {"purpose": purpose}, rows).status_code == 302
    pdf = client.get(f"/projects/{goal_project}/forms/goal.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = re.sub(r"\s+", "", pdf_text(pdf.data, tmp_path))
    assert "（见附页1）" in text and "（见附页2）" in text
    assert "附页1：资金用途" in text and "附页2：慰问人数·绩效指标描述" in text
    # The whole text is printed (page headers may interrupt it where a page breaks).
    assert text.count("资金用于职工慰问") == 440 and "（完）" in text and text.count("说明") == 400


# -------------------------------------------------------------- review comments ----

def submitted_goal(app, project_id: int, **field_texts) -> tuple[int, list[str]]:
    """The project's goal form filled with Boye project 3 (as printed, corrected) plus
    ``field_texts``, and submitted; returns (submission id, row ids)."""
    from core.models import User
    from core.workflow import service
    from tests.api.helpers import goal_data

    with app.app_context():
        project = db.session.get(Project, project_id)
        filer = db.session.scalar(select(User).where(User.username == "filer"))
        submission = service.start_submission(project, "goal", filer)
        data = goal_data()
        data["fields"].update(field_texts)
        service.save_draft(submission, data, filer, None)
        service.apply_transition(submission, "submit", filer)
        db.session.commit()
        return submission.id, [r["id"] for r in data["indicators"]]


def test_review_comments_and_field_comments(app, client, goal_project):
    """The reviewer returns the form with a comment and comments on fields and rows, each
    a payload: the filer's form, the project history and the reviewer's pages show them
    escaped; comments beyond 4000 characters are cut, not a crash."""
    submission_id, row_ids = submitted_goal(app, goal_project, purpose="<script>alert(1)</script>",
                                            performance_goals="=cmd|' /C calc'!A0")
    paths = [f"indicators.{r}" for r in row_ids] + ["fields.purpose", "fields.performance_goals", "fields.unit_name"]
    findings = Findings()
    batches = [SHORT[i:i + len(paths)] for i in range(0, len(SHORT), len(paths))] + [LONG]
    for batch in batches:
        login(client, "reviewer")
        with app.app_context():
            lock = db.session.get(Submission, submission_id).lock_version
        data = {"csrf_token": token_of(client, f"/review/{submission_id}"), "decision": "return",
                "comment": "\n".join(p.text for p in batch)[:4000], "lock_version": lock}
        data.update({f"fc:{path}": p.text for path, p in zip(paths, batch)})
        response = client.post(f"/review/{submission_id}", data=data)
        findings.check(response.status_code == 302, "review", batch[0], "POST return", f"status {response.status_code}")
        shown = {f"comment[{p}]": p for p in batch}
        for url in (f"/review/{submission_id}", "/review/?state=returned"):
            page = client.get(url)
            html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {url}", {})
        login(client, "filer")
        for url in (f"/projects/{goal_project}/forms/goal", f"/projects/{goal_project}"):
            page = client.get(url)
            html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {url}",
                          shown if url.endswith("goal") else {})
        with app.app_context():  # resubmit for the next round
            from core.models import User
            from core.workflow import service
            submission = db.session.get(Submission, submission_id)
            service.apply_transition(submission, "submit",
                                     db.session.scalar(select(User).where(User.username == "filer")))
            db.session.commit()
    # a NUL in a comment is refused like everywhere
    login(client, "reviewer")
    refused_findings(findings, client.post(f"/review/{submission_id}", data={
        "csrf_token": token_of(client, f"/review/{submission_id}"), "decision": "return", "comment": "前\x00后"}),
        "review.comment", REFUSED[0], "POST return")
    findings.assert_none()


# ------------------------------------------------------------- self-evaluation ----

@pytest.fixture
def approved_project(app, people, boye):
    """Boye project 3 with its goal form approved (tests/monitoring/helpers.py)."""
    from core.models import User
    from tests.monitoring.helpers import boye_project

    filer = db.session.scalar(select(User).where(User.username == "filer"))
    reviewer = db.session.scalar(select(User).where(User.username == "reviewer"))
    return boye_project(people, filer, reviewer, name="自评 <img src=x onerror=alert(1)> =1+1").id


def test_self_evaluation_text_html_and_pdfs(app, client, approved_project, tmp_path):
    """Deviation reasons, score reasons and the self-evaluation's texts: the page, the
    self-evaluation PDF and the evaluation report PDF."""
    login(client, "filer")
    url = f"/projects/{approved_project}/forms/self_evaluation"
    html = client.get(url).get_data(as_text=True)
    leaves = re.findall(r'name="s:([a-z0-9_]+):deviation_reason"', html)
    assert leaves, "no deviation reasons on the self-evaluation page"
    findings = Findings()
    slots = [(leaf, key) for leaf in leaves for key in ("deviation_reason", "reason")]
    everything = "\n".join(p.text for p in SHORT)
    for start in range(0, len(SHORT), len(slots)):
        batch = SHORT[start:start + len(slots)]
        page = client.get(url).get_data(as_text=True)
        data = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page))
        data.update({"csrf_token": token_of(client, url), "action": "save", "f_goal_completion": everything,
                     "f_deviations": everything, "f_department": batch[0].text, "f_implementing_unit": batch[-1].text})
        data.update({f"s:{leaf}:{key}": p.text for (leaf, key), p in zip(slots, batch)})
        response = client.post(url, data=data)
        findings.check(response.status_code == 302, "self-evaluation", batch[0], "POST", f"status {response.status_code}")
        page = client.get(url)
        html_findings(findings, page.get_data(as_text=True), page.status_code, "GET self-evaluation",
                      {f"reason[{p}]": p for p in batch})
    refused = client.post(url, data={**data, "f_deviations": REFUSED[0].text})
    refused_findings(findings, refused, "f_deviations", REFUSED[0], "POST self-evaluation")
    shown = {f"goal_completion[{p}]": p for p in SHORT}
    for where in (f"{url}.pdf", f"/projects/{approved_project}/reports/evaluation.pdf"):
        pdf = client.get(where)
        pdf_findings(findings, pdf.data, pdf.status_code, where, tmp_path, shown)
    findings.assert_none()


# ---------------------------------------------------- monitoring and rectification ----

def test_monitoring_deviation_reasons_and_rectification(app, client, approved_project):
    """The filer's monitoring report (deviation reasons per indicator and for the budget),
    finance's return comment, a feedback letter (title, summary, problems), the filer's
    rectification measures and finance's comment: every page that shows them."""
    from tests.monitoring.helpers import rows_by_name

    with app.app_context():
        row_ids = list(rows_by_name(db.session.get(Project, approved_project)).values())
    findings = Findings()
    report_url = f"/monitoring/projects/{approved_project}/2023/aug"
    login(client, "filer")
    for start in range(0, len(SHORT), len(row_ids)):
        batch = SHORT[start:start + len(row_ids)]
        html = client.get(report_url).get_data(as_text=True)
        lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', html) or re.search(r'id="lock_version"[^>]*value="(\d+)"', html)
        data = {"csrf_token": token_of(client, report_url), "lock_version": lock.group(1), "action": "save",
                "f_annual_budget": "8.83", "f_executed": "1.00", "f_budget_deviation_reason": batch[0].text,
                "f_implementation": "\n".join(p.text for p in batch), "f_next_steps": batch[-1].text}
        for row_id, payload in zip(row_ids, batch):
            data.update({f"ind-{row_id}-actual": "1", f"ind-{row_id}-deviation_reason": payload.text})
        response = client.post(report_url, data=data)
        findings.check(response.status_code in (302, 422), "monitoring", batch[0], "POST report",
                       f"status {response.status_code}")
        page = client.get(report_url)
        html_findings(findings, page.get_data(as_text=True), page.status_code, "GET monitoring report",
                      {f"deviation_reason[{p}]": p for p in batch})
    html = client.get(report_url).get_data(as_text=True)
    lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', html) or re.search(r'id="lock_version"[^>]*value="(\d+)"', html)
    for row_id in row_ids:  # every row answered, so the report can be submitted
        data.setdefault(f"ind-{row_id}-actual", "1")
        data.setdefault(f"ind-{row_id}-deviation_reason", "进度滞后")
    response = client.post(report_url, data={**data, "action": "submit", "lock_version": lock.group(1)})
    findings.check(response.status_code == 302, "monitoring", "-", "POST submit",
                   f"status {response.status_code}: " + " ".join(re.findall(r'class="(?:flash|error)[^"]*"[^>]*>([^<]+)', response.get_data(as_text=True))))

    login(client, "reviewer")
    from core.models import MonitoringReport
    with app.app_context():
        report_id = db.session.scalar(select(MonitoringReport.id))
    for payload in (SHORT[0], LONG[0]):
        client.post(f"/monitoring/reports/{report_id}/return", data={
            "csrf_token": token_of(client, report_url), "comment": payload.text})
    for url in ("/monitoring/", f"/monitoring/projects/{approved_project}", report_url):
        page = client.get(url)
        html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {url}", {})

    # A feedback letter with one problem per payload.
    new_url = f"/rectification/new?project_id={approved_project}&rows={len(SHORT) + len(LONG)}"
    letter = {"csrf_token": token_of(client, new_url), "project_id": approved_project, "source": "evaluation",
              "title": "=HYPERLINK(\"http://evil.example\") <script>alert(1)</script>",
              "summary": "\n".join(p.text for p in SHORT)}
    for payload in (p for p in LONG if len(p.text) > 8000):  # a problem over 8000 characters: refused, naming it
        response = client.post("/rectification/new", data={**letter, "problem-0": payload.text,
                                                            "deadline-0": "2030-09-30"})
        findings.check("第 1 个问题最多 8000 个字" in response.get_data(as_text=True), "letter.problem", payload,
                       "POST /rectification/new", f"no clear length error ({response.status_code})")
    problems = SHORT
    for index, payload in enumerate(problems):
        letter.update({f"problem-{index}": payload.text, f"deadline-{index}": "2030-09-30"})
    response = client.post("/rectification/new", data=letter)
    findings.check(response.status_code in (302, 200), "letter", "all", "POST /rectification/new",
                   f"status {response.status_code}")
    from core.models import RectificationItem, RectificationLetter
    with app.app_context():
        letter_id = db.session.scalar(select(RectificationLetter.id))
        items = db.session.scalars(select(RectificationItem.id).order_by(RectificationItem.id)).all()
    if letter_id is None:
        findings.add("letter", "all", "POST /rectification/new", "no letter issued: "
                     + " ".join(re.findall(r'class="flash[^"]*"[^>]*>([^<]+)', response.get_data(as_text=True))))
        findings.assert_none()
    letter_url = f"/rectification/{letter_id}"
    page = client.get(letter_url)
    html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {letter_url} (finance)",
                  {f"problem[{p}]": p for p in SHORT})
    login(client, "filer")
    for item_id, payload in zip(items, problems):
        client.post(f"/rectification/items/{item_id}/answer", data={
            "csrf_token": token_of(client, letter_url), "measures": payload.text})
    refused_findings(findings, client.post(f"/rectification/items/{items[0]}/answer", data={
        "csrf_token": token_of(client, letter_url), "measures": REFUSED[0].text}), "measures", REFUSED[0], "POST answer")
    for url in (letter_url, "/rectification/"):
        page = client.get(url)
        html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {url} (filer)",
                      {f"measures[{p}]": p for p in SHORT} if url == letter_url else {})
    login(client, "reviewer")
    for item_id, payload in zip(items, problems):
        client.post(f"/rectification/items/{item_id}/decide", data={
            "csrf_token": token_of(client, letter_url), "decision": "return", "comment": payload.text})
    page = client.get(letter_url)
    html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {letter_url} (returned)",
                  {f"comment[{p}]": p for p in SHORT})
    findings.assert_none()


# --------------------------------------------------------------------- surveys ----

def test_survey_titles_and_free_text_answers(app, client, people):
    """Survey titles typed by the owner, free-text answers typed by anonymous respondents
    on /s/<slug>: the public page, the owner's pages, the results and both exports."""
    from flask import g

    from tests.survey.conftest import ANSWER, Futian, answer

    futian = Futian(people)
    survey = futian.survey()
    slug, survey_id, project_id = survey.slug, survey.id, futian.project.id
    base = f"/projects/{project_id}/surveys/{survey_id}"
    findings = Findings()
    g.pop("csrf_token", None)
    login(client, "futian_a")
    for payload in CORPUS:
        response = client.post(f"{base}/settings", data={"csrf_token": token_of(client, base), "title": payload.text,
                                                        "indicator_row_id": "r7", "min_seconds": "0"})
        if payload.refused:
            refused_findings(findings, response, "survey.title", payload, "POST settings")
            continue
        findings.check(response.status_code == 302, "survey.title", payload, "POST settings",
                       f"status {response.status_code}")
        shown = {"survey.title": payload}
        for url in (base, f"{base}/poster", f"/projects/{project_id}/surveys", f"/s/{slug}"):
            page = client.get(url)
            html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {url}", shown)

    # Anonymous answers: each payload as the free-text suggestion, from its own phone.
    for index, payload in enumerate(CORPUS):
        phone = app.test_client()
        g.pop("csrf_token", None)
        response = answer(phone, slug, {**ANSWER, "q-suggestion": payload.text},
                          environ={"REMOTE_ADDR": f"198.51.100.{index + 1}"})
        if payload.refused:
            refused_findings(findings, response, "q-suggestion", payload, "POST /s/<slug>")
        elif len(stored(payload)) > 500:  # the question allows 500 characters
            findings.check(response.status_code == 422 and "500" in response.get_data(as_text=True), "q-suggestion",
                           payload, "POST /s/<slug>", f"no clear length error ({response.status_code})")
        else:
            findings.check(response.status_code == 303, "q-suggestion", payload, "POST /s/<slug>",
                           f"status {response.status_code}")
            if response.status_code == 422:
                html_findings(findings, response.get_data(as_text=True), 200, "POST /s/<slug> (422)", {})
    answered = [p for p in CORPUS if not p.refused and len(stored(p)) <= 500]
    g.pop("csrf_token", None)
    login(client, "futian_a")
    page = client.get(f"{base}/results")
    html_findings(findings, page.get_data(as_text=True), page.status_code, "GET results",
                  {f"suggestion[{p}]": p for p in answered})
    export = client.get(f"{base}/export.xlsx")
    findings.check(export.status_code == 200, "survey", "all", "export.xlsx", f"status {export.status_code}")
    if export.status_code == 200:
        texts = xlsx_findings(findings, export.data, "export.xlsx")
        for payload in answered:
            wanted = printable(probe(payload))
            findings.check(any(wanted in t for t in texts), "q-suggestion", payload, "export.xlsx",
                           f"{wanted!r} not in any cell")
    export = client.get(f"{base}/export.csv")
    findings.check(export.status_code == 200, "survey", "all", "export.csv", f"status {export.status_code}")
    if export.status_code == 200:
        values = csv_findings(findings, export.get_data(as_text=True), "export.csv")
        for payload in answered:
            wanted = printable(probe(payload))
            findings.check(any(wanted in v for v in values), "q-suggestion", payload, "export.csv",
                           f"{wanted!r} not in any cell")
    findings.assert_none()


# ------------------------------------------------------------------------ admin ----

def test_admin_organization_and_user_display_names(app, client, boye):
    """Organizations and users an admin creates, named by the corpus: the people page
    and the filer's project form (organization choices) show them escaped."""
    login(client, "admin")
    url = "/admin/jurisdictions/boye/people"
    findings = Findings()
    for index, payload in enumerate(CORPUS):
        response = client.post("/admin/jurisdictions/boye/organizations", data={
            "csrf_token": token_of(client, url), "name": payload.text, "org_code": ""})
        if payload.refused:
            refused_findings(findings, response, "organization.name", payload, "POST organizations")
        else:  # saved, or a long name refused on the page (422), never a crash
            findings.check(response.status_code == 302 or (payload.is_long and response.status_code == 422),
                           "organization.name", payload, "POST organizations", f"status {response.status_code}")
        response = client.post("/admin/jurisdictions/boye/users", data={
            "csrf_token": token_of(client, url), "username": f"hostile{index}", "display_name": payload.text,
            "password": "hostile-pass-1", "role": "reviewer", "scope": f"j{people_jurisdiction(app)}"})
        if payload.refused:
            refused_findings(findings, response, "user.display_name", payload, "POST users")
        elif payload.is_long:
            findings.check(response.status_code in (302, 422), "user.display_name", payload, "POST users",
                           f"status {response.status_code}")
        else:
            findings.check(response.status_code == 302, "user.display_name", payload, "POST users",
                           f"status {response.status_code}")
    page = client.get(url)
    html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {url}",
                  {f"names[{p}]": p for p in SHORT})
    findings.assert_none()


def people_jurisdiction(app, code: str = "boye") -> int:
    from core.models import Jurisdiction
    with app.app_context():
        return db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == code))


def raw_editor(client, code: str = "boye", kind: str = "goal") -> tuple[str, dict]:
    url = f"/admin/jurisdictions/{code}/forms/{kind}/json"
    from tests.admin.helpers import form_values
    return url, form_values(client.get(url).get_data(as_text=True), "raw-form")


def definition_rows(app, code: str = "boye") -> int:
    from core.models import FormDefinition
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FormDefinition))


def test_definition_labels_reach_pages_excel_and_pdf(app, client, boye, tmp_path):
    """Labels an admin writes in the JSON editor (title, section, field, category), each a
    payload: the editor, the preview and, once published, a project's form, its Excel
    export and its PDF."""
    login(client, "admin")
    url, values = raw_editor(client)
    doc = json.loads(values["body"])
    labelled = [p for p in SHORT]
    doc["title"]["zh"] = "=1+1 目标表 <script>alert(1)</script>"
    printed = []  # labels every output prints: sections (of more than one field) and fields
    for section in doc["sections"]:
        printed += ([section["label"]] if len(section["fields"]) > 1 else []) + [f["label"] for f in section["fields"]]
    slots = printed + [label for category in doc["indicator_tree"]["categories"]  # shown when rows exist
                       for label in [category["label"]] + [c["label"] for c in category["children"]]]
    slots += [s["label"] for s in doc["sections"] if len(s["fields"]) == 1]
    for slot, payload in zip(slots, labelled):
        slot["zh"] = payload.text
    shown = {f"label[{p}]": p for p in labelled[:len(slots)]}
    shown_printed = {f"label[{p}]": p for p in labelled[:len(printed)]}
    findings = Findings()
    response = client.post(url, data={**values, "body": json.dumps(doc, ensure_ascii=False), "action": "save"})
    findings.check(response.status_code == 302, "labels", "all", "POST json editor", f"status {response.status_code}")
    for page_url in ("/admin/jurisdictions/boye/forms/goal", url, "/admin/jurisdictions/boye/forms/goal/preview",
                     "/admin/jurisdictions/boye/forms/goal/versions"):
        page = client.get(page_url)
        html_findings(findings, page.get_data(as_text=True), page.status_code, f"GET {page_url}",
                      shown if page_url.endswith("/goal") or page_url.endswith("/preview") else {})
    response = client.post("/admin/jurisdictions/boye/forms/goal/publish", data={"csrf_token": token_of(client, url)})
    findings.check(response.status_code == 302, "labels", "all", "POST publish", f"status {response.status_code}")
    login(client, "filer")
    project_id = project_id_of(create_project(client, boye, "标签测试"))
    page = client.get(f"/projects/{project_id}/forms/goal")
    html_findings(findings, page.get_data(as_text=True), page.status_code, "GET goal (hostile labels)", shown)
    shown = shown_printed
    export = client.get(f"/projects/{project_id}/forms/goal.xlsx")
    findings.check(export.status_code == 200, "labels", "all", "goal.xlsx", f"status {export.status_code}")
    if export.status_code == 200:
        texts = xlsx_findings(findings, export.data, "goal.xlsx (labels)")
        for field, payload in shown.items():
            wanted = printable(probe(payload))
            findings.check(any(wanted in t for t in texts), field, payload, "goal.xlsx", f"{wanted!r} not in any cell")
    pdf = client.get(f"/projects/{project_id}/forms/goal.pdf")
    pdf_findings(findings, pdf.data, pdf.status_code, "goal.pdf (labels)", tmp_path, shown)
    findings.assert_none()


# ------------------------------------------------- hostile definitions and packs ----

def counts() -> dict:
    """Rows that an import or a saved draft would write (call inside an app context)."""
    from core.models import AuditEvent, FormDefinition, Jurisdiction
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Jurisdiction, FormDefinition, AuditEvent)}


@pytest.mark.parametrize("name, expression", EXPRESSIONS, ids=[n for n, _e in EXPRESSIONS])
def test_hostile_expression_in_the_json_editor_and_a_pack(app, client, boye, name, expression):
    """A hostile expression as a computed field, in the JSON editor's 检查 and in a pack
    import: refused with its path, nothing written, nothing run."""
    from core.admin.service import export_doc
    from core.models import Jurisdiction
    from tests.admin.helpers import plain, set_values

    login(client, "admin")
    url, values = raw_editor(client)
    doc = json.loads(values["body"])
    doc["computed"] = [{"id": "evil", "label": {"zh": "恶意"}, "expression": expression}]
    with app.app_context():
        before = counts()
    if name == "huge_power":
        # Valid syntax: the bound applies when it is evaluated, as the language's own error.
        from core.definitions.expressions import ExpressionError, evaluate
        with pytest.raises(ExpressionError, match="指数过大"):
            evaluate(expression, {})
        return
    response = client.post(url, data=set_values(values, body=json.dumps(doc, ensure_ascii=False), action="check"))
    page = plain(response)
    assert response.status_code == 422, (response.status_code, page[:500])
    assert "computed[0].expression" in page, page[page.find("computed"):][:500]
    with app.app_context():
        assert counts() == before
        pack = export_doc(db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye")))
    pack.update(code="boye_evil", name={"zh": "恶意包"}, parent=None)
    pack["forms"]["goal"]["computed"] = doc["computed"]
    response = client.post("/admin/import", data={
        "csrf_token": token_of(client, "/admin/import"), "action": "import",
        "file": (io.BytesIO(json.dumps(pack, ensure_ascii=False).encode()), "pack.json")},
        content_type="multipart/form-data")
    page = plain(response)
    assert response.status_code == 422 and "未导入任何内容" in page, (response.status_code, page[:500])
    assert "computed[0].expression" in page, page[page.find("computed"):][:500]
    with app.app_context():
        assert counts() == before


def test_pack_import_with_a_nul_character(app, client, boye):
    """A pack whose JSON holds "\\u0000" (PostgreSQL cannot store it): refused with the
    path named, nothing imported."""
    from core.admin.service import export_doc
    from core.models import Jurisdiction
    from tests.admin.helpers import plain

    login(client, "admin")
    with app.app_context():
        before = counts()
        pack = export_doc(db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye")))
    pack.update(code="boye_nul", name={"zh": "空字符\u0000包"}, parent=None)
    response = client.post("/admin/import", data={
        "csrf_token": token_of(client, "/admin/import"), "action": "import",
        "file": (io.BytesIO(json.dumps(pack).encode()), "pack.json")}, content_type="multipart/form-data")
    page = plain(response)
    assert response.status_code == 422 and "空字符" in page and "name.zh" in page, (response.status_code, page[:500])
    with app.app_context():
        assert counts() == before


@pytest.mark.parametrize("body, message", [
    ('{"id": "boye.goal",,}', "JSON 语法错误"),
    ('{"id": "boye.goal", "title": "\\u0000"}', "title"),
    ('{"id": 7, "version": "one", "kind": ["goal"], "sections": {}}', "id"),
    ("[" * 100_000 + "]" * 100_000, "无法读取 JSON"),
    ('"' + "x" * 100 + '"', "必须是一个 JSON 对象"),
], ids=["syntax", "nul_label", "wrong_types", "deep", "not_an_object"])
def test_malformed_definitions_in_the_json_editor(app, client, boye, body, message):
    from tests.admin.helpers import plain, set_values

    login(client, "admin")
    url, values = raw_editor(client)
    with app.app_context():
        before = counts()
    response = client.post(url, data=set_values(values, body=body, action="check"))
    assert response.status_code == 422 and message in plain(response), (response.status_code, plain(response)[:800])
    with app.app_context():
        assert counts() == before


# ------------------------------------------------------------- oversized uploads ----

def test_uploads_over_the_limit_get_a_413_page_in_chinese(app, client, goal_project):
    """Goal import and pack import over MAX_CONTENT_LENGTH (here lowered to 1 MB to keep
    the test light): a 413 page in Chinese, nothing written."""
    from core.models import AuditEvent
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = b"x" * (1024 * 1024 + 1)
    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(AuditEvent)), counts())
    url = f"/projects/{goal_project}/forms/goal/import"
    response = client.post(url, data={"csrf_token": token_of(client, url), "file": (io.BytesIO(big), "goal.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "上传的内容过大（上限 1 MB）" in response.get_data(as_text=True)
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(AuditEvent)), counts()) == before
    login(client, "admin")
    with app.app_context():  # logging in is an audit event
        before = (db.session.scalar(select(func.count()).select_from(AuditEvent)), counts())
    response = client.post("/admin/import", data={"csrf_token": token_of(client, "/admin/import"), "action": "import",
                                                  "file": (io.BytesIO(big), "pack.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "文件过大" in response.get_data(as_text=True)
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(AuditEvent)), counts()) == before


# -------------------------------------------------------------------------- API ----

def test_api_json_inputs(app, client, boye):
    """Projects and goal drafts through the REST API with every payload: stored and
    returned as sent (JSON escapes them), shown escaped on the pages; NUL and absurd
    nesting are 400 errors with a path, never a crash."""
    from tests.api.helpers import auth, goal_data, issue_token

    headers = auth(issue_token(app, "filer"))
    findings = Findings()
    created = {}
    for payload in CORPUS:
        response = client.post("/api/v1/projects", headers=headers, json={
            "organization_id": boye, "name": payload.text, "year": 2023, "budget": "1.00", "code": ""})
        if payload.refused:
            errors = (response.get_json() or {}).get("errors", [{}])
            findings.check(response.status_code == 400 and errors[0].get("path") == "name"
                           and NUL_MESSAGE in errors[0].get("message", ""), "api.name", payload, "POST /api/v1/projects",
                           f"{response.status_code} {errors}")
        elif payload.is_long:
            findings.check(response.status_code == 422, "api.name", payload, "POST /api/v1/projects",
                           f"status {response.status_code}")
        else:
            findings.check(response.status_code == 201 and response.get_json()["name"] == stored(payload),
                           "api.name", payload, "POST /api/v1/projects", f"status {response.status_code}")
            if response.status_code == 201:
                created[payload.name] = response.get_json()["id"]
    project_id = next(iter(created.values()))
    client.post(f"/api/v1/projects/{project_id}/submissions/goal", headers=headers)
    lock = client.get(f"/api/v1/projects/{project_id}/submissions/goal", headers=headers).get_json()["lock_version"]
    data = goal_data()
    data["fields"]["purpose"] = "\n".join(p.text for p in SHORT)
    data["indicators"] += [dict(row, id=f"h{i}") for i, row in enumerate(hostile_rows(SHORT))]
    response = client.put(f"/api/v1/projects/{project_id}/submissions/goal", headers=headers,
                          json={"lock_version": lock, "data": data})
    findings.check(response.status_code == 200, "api.data", "all", "PUT submission",
                   f"status {response.status_code} {str(response.get_json())[:300]}")
    lock = client.get(f"/api/v1/projects/{project_id}/submissions/goal", headers=headers).get_json()["lock_version"]
    data["indicators"][0]["name"] = "前\x00后"
    response = client.put(f"/api/v1/projects/{project_id}/submissions/goal", headers=headers,
                          json={"lock_version": lock, "data": data})
    errors = (response.get_json() or {}).get("errors", [{}])
    findings.check(response.status_code == 400 and errors[0].get("path") == "data.indicators[0].name",
                   "api.indicators[0].name", REFUSED[0], "PUT submission", f"{response.status_code} {errors}")
    response = client.post("/api/v1/projects", headers={**headers, "Content-Type": "application/json"},
                           data="[" * 100_000 + "]" * 100_000)
    findings.check(response.status_code == 400 and response.get_json()["errors"][0]["code"] == "json_syntax",
                   "api.body", "deep nesting", "POST /api/v1/projects", f"status {response.status_code}")
    login(client, "filer")
    page = client.get("/")
    html_findings(findings, page.get_data(as_text=True), page.status_code, "GET / (API projects)",
                  {f"name[{n}]": p for p in SHORT for n in [p.name] if n in created})
    page = client.get(f"/projects/{project_id}/forms/goal")
    html_findings(findings, page.get_data(as_text=True), page.status_code, "GET goal (API data)",
                  {f"row[{p}]": p for p in SHORT})
    findings.assert_none()
