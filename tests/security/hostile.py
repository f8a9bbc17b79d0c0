"""A corpus of hostile text, for every field a person can type that later reaches a page,
a PDF or a spreadsheet (tests/security/test_hostile_input.py).

Each payload has a short name (the test ids and failure messages use it), the text, and
what an output is expected to show of it:

- ``printed`` — the part of the text a PDF must contain literally, or ``""`` when the
  text has nothing meaningful to find there (control characters, invisible marks,
  characters outside the embedded font's subset, strings too long to check);
- ``markup`` — raw markup that must never appear in an HTML page unescaped.

The groups follow the issue "Reliability and security": markup and script injection,
template injection, very long strings, control and invisible characters, right-to-left
overrides, spreadsheet formula injection (OWASP "CSV injection"), and Unicode a filer
really types (emoji, combining marks, CJK punctuation).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    text: str
    printed: str = ""       # literal text a PDF of it must contain ("" = not checked)
    markup: str = ""        # raw markup that must not appear unescaped in HTML
    refused: bool = False   # refused with a clear 400 wherever it is typed (NUL)

    @property
    def is_long(self) -> bool:
        return len(self.text) > 1000

    def __str__(self) -> str:  # readable in assertion messages
        return self.name


def _p(name: str, text: str, printed: str | None = None, markup: str = "", refused: bool = False) -> Payload:
    return Payload(name, text, text if printed is None else printed, markup, refused)


CORPUS: list[Payload] = [
    # -- markup and script -------------------------------------------------------------
    _p("script_tag", "<script>alert(1)</script>", markup="<script>alert(1)"),
    _p("img_onerror", '"><img src=x onerror=alert(1)>', markup="<img src=x onerror"),
    _p("attr_single_quote", "' onmouseover='alert(1)' x='"),  # caught by the attribute check
    _p("javascript_url", "javascript:alert(1)"),
    _p("svg_onload", "<svg/onload=alert(1)>", markup="<svg/onload"),
    _p("textarea_breakout", "</textarea><script>alert(2)</script>", markup="</textarea><script>"),
    _p("title_breakout", "</title></style><b>bold</b>", markup="<b>bold</b>"),
    _p("html_entity", "&lt;script&gt; &amp; &#60;"),
    _p("jinja_template", "{{7*7}} {% if 1 %}x{% endif %} ${7*7} #{7*7}"),
    _p("sql_quote", "Robert'); DROP TABLE project;-- x"),
    # -- length ------------------------------------------------------------------------
    _p("long_10k", "长" * 10_000, printed=""),
    _p("long_100k", "A" * 100_000, printed=""),
    _p("long_word", "W" * 3_000, printed=""),   # one unbreakable word: wrapping in PDF tables
    # -- control and invisible characters ----------------------------------------------
    # NUL cannot be stored in a PostgreSQL text column: refused with a message everywhere
    # (core/security.py), on SQLite too.
    _p("nul", "前\x00后", printed="", refused=True),
    _p("control_c0", "a\x01b\x0bc\x0cd\x1be\x7ff", printed=""),
    _p("noncharacter", "x\ufffey\uffffz", printed=""),
    _p("bom_zero_width", "\ufeff零\u200b宽\u200d字\u2060符", printed=""),
    _p("newlines_tabs", "第一行\r\n第二行\r第三行\n\t缩进", printed="第一行"),
    _p("lone_surrogate_escaped", "\\ud800 \\udfff", printed="\\ud800"),
    # -- bidirectional text ------------------------------------------------------------
    _p("rtl_override", "\u202etxt.exe\u202c 项目", printed=""),
    _p("rtl_mark", "\u200fשלום\u200e עברית", printed=""),
    # -- spreadsheet formula injection (OWASP CSV injection) -----------------------------
    _p("formula_cmd", "=cmd|' /C calc'!A0"),
    _p("formula_hyperlink", '=HYPERLINK("http://evil.example","点击")'),
    _p("formula_plus", "+1+1"),
    _p("formula_minus", "-2+3"),
    _p("formula_at", "@SUM(1)"),
    _p("formula_tab", "\t=1", printed="=1"),
    _p("formula_cr", "\r=1+1", printed="=1+1"),
    _p("formula_fullwidth", "＝1+1", printed="＝1+1"),
    # -- Unicode people type -----------------------------------------------------------
    _p("emoji", "满意👍🏻👨‍👩‍👧 🇨🇳", printed="满意"),
    _p("combining", "Zalgo: Z̷̢͈a̵͓l̶g̸o̴ é", printed=""),
    _p("cjk_punctuation", "「项目」《办法》——“引号”…（括号）【注】￥100", printed="「项目」《办法》"),
    _p("backslashes", "C:\\Windows\\system32 \\n \\u0000 %s %(x)s {0}"),
]

BY_NAME = {p.name: p for p in CORPUS}
assert len(BY_NAME) == len(CORPUS), "payload names must be unique"

# Short payloads: those that fit any text field (a project name allows 300 characters).
SHORT = [p for p in CORPUS if not p.is_long and not p.refused]
LONG = [p for p in CORPUS if p.is_long]
REFUSED = [p for p in CORPUS if p.refused]
NUL_MESSAGE = "提交的内容含有空字符（NUL），无法保存"

# Raw markup fragments of the corpus that must never reach a page unescaped.
MARKUP = [p.markup for p in CORPUS if p.markup]
# The same, as one tuple (an escaped payload never contains any of them: each has a
# raw ``<`` or ``'`` that escaping turns into ``&lt;`` / ``&#39;``).
NEVER_IN_HTML = tuple(MARKUP)

# Leading characters a spreadsheet runs as a formula (OWASP "CSV injection": = + - @,
# tab, carriage return). The full-width ＝ of formula_fullwidth is text to Excel and
# must come out unchanged.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Hostile expressions for computed fields, checks, visible_if and scoring rules.
EXPRESSIONS: list[tuple[str, str]] = [
    ("import", "__import__('os').system('id')"),
    ("dunder_class", "().__class__.__bases__[0].__subclasses__()"),
    ("attribute", "budget_total.real"),
    ("lambda", "(lambda: 1)()"),
    ("comprehension", "[x for x in range(10**9)]"),
    ("huge_power", "9**9**9"),
    ("huge_number", "9" * 5000),
    ("deep_nesting", "(" * 500 + "1" + ")" * 500),
    ("long_expression", " + ".join(["1"] * 20_000)),
    ("unknown_name", "no_such_field * 2"),
    ("unknown_function", "eval('1')"),
    ("open_file", "open('/etc/passwd').read()"),
    ("string_format", "'{0.__class__}'.format(1)"),
    ("subscript", "budget_total[0]"),
    ("walrus", "(x := 1)"),
    ("semicolon", "1; import os"),
    ("nul_byte", "1 +\x00 1"),
    ("empty", ""),
]
