"""Public disclosure (信息公开): approved goals only, nothing internal, the years the
jurisdiction publishes, hostile text escaped, no login needed."""
from __future__ import annotations

from decimal import Decimal

import html
import json
import shutil

import pytest
from sqlalchemy import select

from core.definitions.errors import DefinitionInvalid
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.disclosure import policy
from core.disclosure import views as disclosure_views
from core.extensions import db
from core.jurisdictions import sync_builtin_packs
from core.models import FormDefinition, Jurisdiction, Project, Submission, User
from core.plugins import plugin_manager
from core.workflow import service
from tests.api.helpers import boye_people, goal_data
from tests.conftest import csrf_token, login

RETURN_COMMENT = "内部意见：成本指标请细化后再报"
FIELD_COMMENT = "审核批注：人均体检费请写成上限"
APPROVE_COMMENT = "同意（仅内部可见）"
REVIEWER_NAME = "财务科王五审核员"
DRAFT_PURPOSE = "调整中的草稿：预算调减为八万元"
HOSTILE = "<script>alert(1)</script>"


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _set_years(years, override: bool = True) -> None:
    boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
    settings = dict(boye.settings or {})
    if override:
        settings = policy.with_override(settings, years)
    else:
        settings = {**policy.with_override(settings, None), policy.PACK_KEY: {"years": list(years)}}
    boye.settings = settings
    db.session.commit()


def _project(org_id: int, name: str, year: int = 2023) -> Project:
    project = Project(organization_id=org_id, name=name, year=year, budget="8.83", code="13063723P00428710060R")
    db.session.add(project)
    db.session.commit()
    return project


def _approve(project: Project, data: dict) -> Submission:
    """Fill, submit, return with comments, resubmit and approve — through the workflow."""
    filer, reviewer = _user("filer_a"), _user("reviewer")
    submission = service.start_submission(project, "goal", filer)
    service.save_draft(submission, data, filer, None)
    service.apply_transition(submission, "submit", filer)
    db.session.commit()
    service.apply_transition(submission, "return", reviewer, comment=RETURN_COMMENT,
                             field_comments={"indicators.r4": FIELD_COMMENT, "fields.purpose": FIELD_COMMENT})
    db.session.commit()
    service.apply_transition(submission, "submit", filer)
    service.apply_transition(submission, "approve", reviewer, comment=APPROVE_COMMENT)
    db.session.commit()
    return submission


@pytest.fixture
def boye(people):
    ids = boye_people(people)
    reviewer = _user("reviewer")
    reviewer.display_name = REVIEWER_NAME
    db.session.commit()
    return ids


@pytest.fixture
def published(boye):
    """An approved project now being adjusted (a draft on top), a draft-only project and
    an approved project with a hostile name; 2023 published."""
    approved = _project(boye["org_a"], "劳模体检、劳模慰问、劳模津贴、劳模慰问金")
    submission = _approve(approved, goal_data())
    filer = _user("filer_a")
    service.apply_transition(submission, "adjust", filer, comment="预算调减（内部说明）")
    draft = goal_data()
    draft["fields"]["purpose"] = DRAFT_PURPOSE
    service.save_draft(submission, draft, filer, None)
    db.session.commit()

    only_draft = _project(boye["org_a"], "未批复的草稿项目")
    start = service.start_submission(only_draft, "goal", filer)
    service.save_draft(start, goal_data(), filer, None)
    hostile_data = goal_data()
    hostile_data["fields"]["purpose"] = HOSTILE
    hostile = _project(boye["org_a"], HOSTILE + "项目")
    _approve(hostile, hostile_data)
    _set_years([2023])
    return {"approved": approved.id, "draft": only_draft.id, "hostile": hostile.id,
            "findings": [f["message"]["zh"] for f in submission.findings]}


def test_index_lists_approved_goals_only_without_login(client, published):
    response = client.get("/public/boye/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "劳模体检、劳模慰问、劳模津贴、劳模慰问金" in page
    assert "未批复的草稿项目" not in page
    assert f'/public/boye/projects/{published["approved"]}' in page
    assert "第 1 次调整" not in page  # the adjustment is not approved yet: the first approval shows


def test_detail_shows_the_approved_revision_and_nothing_internal(client, published):
    response = client.get(f"/public/boye/projects/{published['approved']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The approved goal table, as on paper.
    assert "2023年五一为全县省部级以上劳模进行体检。" in page
    assert "人均体检费" in page and "≤200 元/人" in page
    assert 'class="paper"' in page
    # Never the draft of the adjustment, comments, reviewer or findings.
    assert DRAFT_PURPOSE not in page
    for secret in (RETURN_COMMENT, FIELD_COMMENT, APPROVE_COMMENT, REVIEWER_NAME, "reviewer",
                   "预算调减（内部说明）", "审核意见", "目标质量审查"):
        assert secret not in page, secret
    assert published["findings"], "the seed's rows should raise at least one finding"
    for finding in published["findings"]:
        assert finding not in page
    # Read only: no form to post anything back.
    assert 'name="action"' not in page and "<textarea" not in page


def test_draft_only_projects_have_no_public_page(client, published):
    assert client.get(f"/public/boye/projects/{published['draft']}").status_code == 404


def test_hostile_text_is_escaped(client, published):
    index = client.get("/public/boye/").get_data(as_text=True)
    detail = client.get(f"/public/boye/projects/{published['hostile']}").get_data(as_text=True)
    for page in (index, detail):
        assert HOSTILE not in page
        assert html.escape(HOSTILE, quote=False) in page or "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_years_setting_decides_what_is_published(client, published):
    _set_years([2022])
    page = client.get("/public/boye/").get_data(as_text=True)
    assert "劳模体检" not in page
    assert client.get(f"/public/boye/projects/{published['approved']}").status_code == 404
    # The pack's setting applies when no admin override is set …
    _set_years([2023], override=False)
    assert "劳模体检" in client.get("/public/boye/").get_data(as_text=True)
    # … and an override of "no years" publishes nothing.
    _set_years([])
    assert "暂未公开" in client.get("/public/boye/").get_data(as_text=True)
    assert client.get(f"/public/boye/projects/{published['approved']}").status_code == 404


def test_year_filter_and_other_jurisdictions(client, published, boye):
    other = _project(boye["org_a"], "二〇二二年的项目", year=2022)
    _approve(other, goal_data())
    _set_years([2022, 2023])
    both = client.get("/public/boye/").get_data(as_text=True)
    assert "二〇二二年的项目" in both and "劳模体检" in both
    only_2022 = client.get("/public/boye/?year=2022").get_data(as_text=True)
    assert "二〇二二年的项目" in only_2022 and "劳模体检" not in only_2022
    # A Boye project is not found under another jurisdiction's code.
    assert client.get(f"/public/futian/projects/{published['approved']}").status_code == 404
    assert client.get("/public/nowhere/").status_code == 404
    listing = client.get("/public/").get_data(as_text=True)
    assert "/public/boye/" in listing and "2022、2023" in listing


def test_completed_evaluation_result_is_shown(client, published, monkeypatch):
    project = db.session.get(Project, published["approved"])
    definition = db.session.scalar(select(FormDefinition).where(FormDefinition.kind == "self_evaluation"))
    scoring = {"max": 100, "nodes": [{"id": "output", "label": {"zh": "产出指标"}, "weight": 50},
                                     {"id": "effect", "label": {"zh": "效益指标"}, "weight": 30}]}
    # The index reads the total and grade the workflow stored when the evaluation was scored.
    evaluation = Submission(project=project, kind="self_evaluation", definition=definition, state="submitted",
                            data={"fields": {"deviations": "内部的偏差说明"}, "scores": {}, "scoring": scoring},
                            score_total=Decimal("91.5"), grade={"zh": "优", "en": "Excellent"}, grade_key="优")
    db.session.add(evaluation)
    db.session.commit()
    result = {"total": "91.5", "max": "100", "grade": {"zh": "优", "en": "Excellent"},
              "groups": {"output": "47.25", "effect": "28"}, "leaves": [], "problems": []}
    monkeypatch.setattr(disclosure_views, "score_submission", lambda submission: result)
    # Not completed yet: no result.
    assert "91.50" not in client.get("/public/boye/").get_data(as_text=True)
    evaluation.state = "approved"
    db.session.commit()
    index = client.get("/public/boye/").get_data(as_text=True)
    assert "91.50" in index and "优" in index
    detail = client.get(f"/public/boye/projects/{project.id}").get_data(as_text=True)
    assert "绩效评价结果" in detail and "47.25" in detail and "28.00" in detail and "产出指标" in detail
    assert "内部的偏差说明" not in detail
    # When scoring fails the public pages still work, without results (the error is logged).
    def broken(submission):
        raise ValueError("scoring failed")
    monkeypatch.setattr(disclosure_views, "score_submission", broken)
    page = client.get(f"/public/boye/projects/{project.id}")
    assert page.status_code == 200 and "47.25" not in page.get_data(as_text=True)


def test_admin_overrides_the_years_with_a_csrf_form(app, client, published):
    login(client, "boye_admin")
    token = csrf_token(client, "/admin/disclosure/boye")
    assert client.post("/admin/disclosure/boye", data={"mode": "custom", "years": "2022"}).status_code == 400
    bad = client.post("/admin/disclosure/boye", data={"csrf_token": token, "mode": "custom", "years": "23"})
    assert bad.status_code == 422 and "不是年度" in bad.get_data(as_text=True)
    saved = client.post("/admin/disclosure/boye", data={"csrf_token": token, "mode": "custom",
                                                         "years": "2021-2022"})
    assert saved.status_code == 302
    boye = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
    db.session.refresh(boye)
    assert boye.settings[policy.OVERRIDE_KEY] == {"years": [2021, 2022]}
    assert "劳模体检" not in client.get("/public/boye/").get_data(as_text=True)
    client.post("/admin/disclosure/boye", data={"csrf_token": token, "mode": "pack", "years": ""})
    db.session.refresh(boye)
    assert policy.OVERRIDE_KEY not in boye.settings
    assert "boye" in client.get("/admin/disclosure/").get_data(as_text=True)


@pytest.mark.parametrize("username", ["filer_a", "reviewer", "futian_reviewer"])
def test_only_the_jurisdictions_admin_edits_the_years(client, published, username):
    login(client, username)
    assert client.get("/admin/disclosure/boye").status_code == 404


def test_public_pages_are_rate_limited(app, database_url, published):
    from core.app import create_app
    limited = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test",
                          "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                          "PUBLIC_RATE_LIMIT": "2 per minute"})
    client = limited.test_client()
    statuses = [client.get("/public/boye/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    with limited.app_context():
        db.session.remove()


# --- the pack setting ---------------------------------------------------------------------------

@pytest.fixture
def boye_copy(tmp_path):
    target = tmp_path / "boye"
    shutil.copytree(builtin_pack_dir("boye"), target)
    shutil.copytree(builtin_pack_dir("_default"), tmp_path / "_default")
    return target


def _write_pack(directory, **changes):
    doc = json.loads((directory / "pack.json").read_text(encoding="utf-8"))
    doc.update(changes)
    (directory / "pack.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_pack_accepts_the_disclosure_setting(boye_copy):
    _write_pack(boye_copy, disclosure={"years": [2023, 2022, 2023]})
    pack = load_pack(boye_copy)
    assert pack.disclosure_years == (2022, 2023)
    assert pack.raw["disclosure"] == {"years": [2023, 2022, 2023]}


@pytest.mark.parametrize("setting, path", [
    ({"years": ["2023"]}, "pack.json: disclosure.years[0]"),
    ({"years": [1999]}, "pack.json: disclosure.years[0]"),
    ({"year": [2023]}, "pack.json: disclosure.year"),
    ([2023], "pack.json: disclosure"),
])
def test_pack_refuses_a_bad_disclosure_setting(boye_copy, setting, path):
    _write_pack(boye_copy, disclosure=setting)
    with pytest.raises(DefinitionInvalid) as raised:
        load_pack(boye_copy)
    assert path in [p.path for p in raised.value.problems]


def test_pack_sync_stores_the_setting_and_keeps_the_admin_override(app, boye):
    boye_row = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "boye"))
    boye_row.settings = policy.with_override({**boye_row.settings, "disclosure": {"years": [2020]}}, [2021])
    db.session.commit()
    sync_builtin_packs(plugin_manager())
    db.session.commit()
    db.session.refresh(boye_row)
    assert boye_row.settings[policy.OVERRIDE_KEY] == {"years": [2021]}
    assert policy.published_years(boye_row.settings) == (2021,)


def test_policy_keeps_only_what_paper_prints():
    definition = {"sections": [{"fields": [{"id": "name", "type": "text"},
                                           {"id": "signed_by", "type": "signature"},
                                           {"id": "attachment", "type": "file"}]}],
                  "milestones": {"points": [{"id": "m12"}]}}
    data = {"fields": {"name": "项目", "signed_by": "张三", "attachment": "internal.pdf", "stray": "x"},
            "milestones": {"m12": "100", "m99": "1"},
            "indicators": [{"id": "r1", "level1": "output", "level2": "quantity", "name": "人数",
                            "target": "≥1", "actual": "内部", "comment": "内部"}],
            "computed": {"x": "1"}}
    public = policy.public_goal_data(definition, data, ["name", "target"])
    assert public == {"fields": {"name": "项目"}, "milestones": {"m12": "100"},
                      "indicators": [{"id": "r1", "level1": "output", "level2": "quantity", "name": "人数",
                                      "target": "≥1"}]}
    assert policy.published_years({}) == ()
    assert policy.published_years({"disclosure": {"years": [2023, True, "2022"]}}) == (2023,)
