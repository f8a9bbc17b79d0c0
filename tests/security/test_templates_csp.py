"""Every page works under the strict Content-Security-Policy (core/security.py:
script-src 'self', style-src 'self', no 'unsafe-inline'): no template holds inline
scripts, styles, style="" attributes, on…="" handlers or javascript: URLs, and no
script builds them. New templates and scripts are checked as they are added.

templates/pdf/ is not served to browsers: xhtml2pdf renders it to PDF on the server
(core/reports), and xhtml2pdf needs its styles inline.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.security import CONTENT_SECURITY_POLICY
from tests.security.inline import inline_code

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
NOT_SERVED_AS_HTML = {"pdf"}  # rendered to PDF by xhtml2pdf, never sent to a browser
SERVED = sorted(p for p in TEMPLATES.rglob("*.html")
                if p.relative_to(TEMPLATES).parts[0] not in NOT_SERVED_AS_HTML)
SCRIPTS = sorted((ROOT / "static").rglob("*.js"))

# What a script may not do under the policy: run strings as code, or write markup
# with inline styles or handlers (CSSOM changes such as el.style.width are allowed).
SCRIPT_PROBLEMS = [
    (re.compile(r"\beval\s*\("), "eval() (blocked without 'unsafe-eval')"),
    (re.compile(r"\bnew\s+Function\s*\("), "new Function() (blocked without 'unsafe-eval')"),
    (re.compile(r"set(?:Timeout|Interval)\s*\(\s*['\"`]"), "setTimeout/setInterval with a string"),
    (re.compile(r"setAttribute\s*\(\s*['\"](?:style|on[a-z]+)['\"]"), "setAttribute of style or a handler"),
    (re.compile(r"""['"`][^'"`]*<[a-z][^>]*\s(?:style|on[a-z]+)\s*=""", re.I), "markup with style= or on…= in a string"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_the_policy_allows_no_inline_code():
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "style-src 'self'" in CONTENT_SECURITY_POLICY


def test_there_are_templates_to_check():
    assert len(SERVED) > 10 and TEMPLATES / "base.html" in SERVED


@pytest.mark.parametrize("path", SERVED, ids=[str(p.relative_to(TEMPLATES)) for p in SERVED])
def test_template_has_no_inline_script_style_or_handler(path):
    found = inline_code(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(f"line {line}: {what}" for line, what in found)


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_does_not_need_unsafe_inline_or_eval(path):
    found = [(number, what) for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for pattern, what in SCRIPT_PROBLEMS if pattern.search(line)]
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(f"line {n}: {what}" for n, what in found)


@pytest.mark.parametrize("html, expected", [
    ('<script>alert(1)</script>', "<script> without src"),
    ('<script src="/static/a.js">alert(1)</script>', "<script src> with inline code"),
    ('<p style="color:red">x</p>', 'style="…" attribute on <p>'),
    ('<style>p{}</style>', "<style> element"),
    ('<button onclick="go()">x</button>', "onclick= event handler"),
    ('<a href="javascript:go()">x</a>', "javascript: URL in href"),
    ('<img src=x onerror=alert(1)>', "onerror= event handler"),
])
def test_the_checker_finds_each_kind(html, expected):
    assert any(expected in what for _, what in inline_code(html)), inline_code(html)


def test_the_checker_accepts_what_the_policy_allows():
    html = ('<script src="/static/app.js"></script><link rel="stylesheet" href="/static/app.css">'
            '<input {% if online %}checked{% endif %} data-on="x"><a href="/x" class="on">x</a>')
    assert inline_code(html) == []
