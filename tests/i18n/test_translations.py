"""The English catalog is complete and consistent, and the language switch works.

Interface strings are Chinese msgids (``_('保存草稿')``); English lives in
``translations/en/LC_MESSAGES/messages.po``. When a test here fails after you added
strings, rerun the extraction (docs/CONTRIBUTING.md, "Translations").
"""
from __future__ import annotations

import os
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.app import PROJECT_ROOT
from tests.conftest import People, csrf_token, login

PO = os.path.join(PROJECT_ROOT, "translations", "en", "LC_MESSAGES", "messages.po")
MO = PO[:-3] + ".mo"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")
BOYE_ORG = "711001 博野县总工会本级"


class _Any(dict):
    def __missing__(self, key):
        return "x"


@pytest.fixture(scope="module")
def catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


@pytest.fixture(scope="module", autouse=True)
def compiled(catalog):
    """The .mo is build output (scripts/_env.sh compiles it): compile it if missing or stale."""
    if not os.path.exists(MO) or os.path.getmtime(MO) < os.path.getmtime(PO):
        partial = f"{MO}.{os.getpid()}"
        with open(partial, "wb") as f:
            write_mo(f, catalog)
        os.replace(partial, MO)  # other test runs may be reading it


def _messages(catalog):
    return [m for m in catalog if m.id]


def test_every_msgid_has_an_english_translation(catalog):
    untranslated = [m.id for m in _messages(catalog) if not m.string]
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert len(_messages(catalog)) > 500
    assert untranslated == [] and fuzzy == []


def test_placeholders_are_kept(catalog):
    wrong = []
    for m in _messages(catalog):
        if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string)):
            wrong.append((m.id, m.string))
            continue
        try:
            m.id % _Any()
        except (TypeError, ValueError, KeyError):
            continue  # not a format string (used without variables from Python)
        try:
            m.string % _Any()  # templates always format: a lone "%" would break the page
        except (TypeError, ValueError, KeyError) as error:
            wrong.append((m.id, f"{m.string} ({error})"))
    assert wrong == []


def test_catalog_holds_every_extractable_string(catalog):
    """Strings added to the code since the last extraction make this fail: rerun the extraction."""
    with open(os.path.join(PROJECT_ROOT, "babel.cfg"), encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    extracted = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
            PROJECT_ROOT, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        if msgid:
            extracted.add((context, msgid))
    known = {(m.context, m.id) for m in _messages(catalog)}
    assert sorted(extracted - known) == []


def _html_lang(html: str) -> str:
    return re.search(r"<html lang=\"([^\"]+)\"", html).group(1)


def _switch(client, code: str, page: str = "/login"):
    response = client.post(f"/lang/{code}", data={"csrf_token": csrf_token(client, page), "next": page})
    assert response.status_code == 302
    return response


def test_login_page_follows_the_chosen_language(client):
    html = client.get("/login").get_data(as_text=True)
    assert _html_lang(html) == "zh-CN" and "登录" in html and "用户名" in html

    _switch(client, "en")
    html = client.get("/login").get_data(as_text=True)
    assert _html_lang(html) == "en"
    assert "Log in" in html and "Username" in html and "Password" in html
    assert "登录" not in html and "用户名" not in html
    # WTForms validator messages are lazy strings: English too
    html = client.post("/login", data={"csrf_token": csrf_token(client), "username": "",
                                       "password": ""}).get_data(as_text=True)
    assert "Enter your username" in html and "Enter your password" in html

    _switch(client, "zh")
    html = client.get("/login").get_data(as_text=True)
    assert _html_lang(html) == "zh-CN" and "登录" in html and "Log in" not in html


@pytest.fixture
def filer(app):
    # Not the ``people`` fixture: it keeps an app context open for the whole test, and
    # requests made inside it share ``g``, where Flask-Babel caches the first locale.
    with app.app_context():
        people = People(app)
        org = people.organization("boye", BOYE_ORG)
        people.user("filer_en", "filer", organization=org)
        return org.id


def test_projects_and_goal_form_in_english_and_back(client, filer):
    _switch(client, "en")
    login(client, "filer_en")  # the language survives the new session
    html = client.get("/").get_data(as_text=True)
    assert _html_lang(html) == "en" and "Projects" in html and "New project" in html

    html = client.get("/projects/new").get_data(as_text=True)
    assert "Project name" in html and "Multi-year project" in html and "项目名称" not in html
    response = client.post("/projects/new", data={
        "csrf_token": csrf_token(client, "/projects/new"), "organization_id": filer, "name": "",
        "year": "2023", "budget": "abc"})
    html = response.get_data(as_text=True)
    assert "Enter the project name" in html and "The budget must be a number; got “abc”" in html

    response = client.post("/projects/new", data={
        "csrf_token": csrf_token(client, "/projects/new"), "organization_id": filer,
        "name": "劳模体检", "year": "2023", "budget": "8.83", "serves_public": "y"})
    assert response.status_code == 302
    project_id = int(re.search(r"/projects/(\d+)", response.headers["Location"]).group(1))

    page = f"/projects/{project_id}/forms/goal"
    html = client.get(page).get_data(as_text=True)
    assert _html_lang(html) == "en"
    assert "Save draft" in html and "Submit for review" in html
    # labels from the definition come from its "en" keys
    assert "Project expenditure performance goal form" in html and "Budget and use of funds" in html
    assert "保存草稿" not in html and "项目支出绩效目标表" not in html

    # a refusal from the workflow service, in English with the state's English label
    client.post(f"{page}/adjust", data={"csrf_token": csrf_token(client, page), "comment": "x"})
    html = client.get(page).get_data(as_text=True)
    assert "The form is “Draft”; “Start an adjustment” is not possible" in html

    _switch(client, "zh", page)
    html = client.get(page).get_data(as_text=True)
    assert _html_lang(html) == "zh-CN"
    assert "保存草稿" in html and "项目支出绩效目标表" in html and "Save draft" not in html
    client.post(f"{page}/adjust", data={"csrf_token": csrf_token(client, page), "comment": "x"})
    assert "此表当前状态为「草稿」，不能「申请调整」" in client.get(page).get_data(as_text=True)
