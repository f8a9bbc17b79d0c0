"""The PDF cache (core/reports/pdf_cache.py): keyed by the complete HTML, so a draft
edited since, a changed state or a new printed time renders again; the same document
asked for twice renders once; bounded on disk; off unless ``PDF_CACHE_MB`` says so."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Project, Submission, User
from core.reports import pdf, pdf_cache
from core.reports import views as report_views
from core.workflow import service
from tests.reports.conftest import BOYE_1, BOYE_3, pdf_text, sign_in

PRINTED_AT = "2026-12-06 10:15（北京时间）"


@pytest.fixture
def cache(app, monkeypatch, tmp_path):
    """The cache on, in tmp_path; every render counted (``renders``); the printed time
    fixed (two downloads in the same minute)."""
    for name in ("PDF_RENDER_ISOLATION", "PDF_CACHE_MB", "PDF_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    app.config.update(PDF_CACHE_MB=8, PDF_CACHE_DIR=str(tmp_path / "pdf-cache"))
    renders = []
    real = pdf.render

    def counted(html: str) -> bytes:
        renders.append(html)
        return real(html)

    monkeypatch.setattr(pdf, "render", counted)
    monkeypatch.setattr(report_views, "_printed_at", lambda: PRINTED_AT)
    return renders


def goal_of(code: str) -> Submission:
    return db.session.scalar(select(Submission).join(Project).where(Project.code == code, Submission.kind == "goal"))


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-"), response.status_code
    return response.data


def test_an_edited_draft_renders_again(app, client, demo, cache):
    url = f"/projects/{demo[BOYE_1]}/forms/goal.pdf"
    sign_in(client, "boye_filer")
    first = download(client, url)
    assert download(client, url) == first and len(cache) == 1  # unchanged: read from the cache
    with app.app_context():
        goal = goal_of(BOYE_1)
        data = dict(goal.data)
        data["fields"] = {**data["fields"], "purpose": "改过的资金用途：草稿已修改"}
        service.save_draft(goal, data, user("boye_filer"), None)
        db.session.commit()
    edited = download(client, url)
    assert len(cache) == 2 and edited != first
    assert "草稿已修改" in pdf_text(edited) and "草稿已修改" not in pdf_text(first)


def test_the_same_approved_revision_renders_once(app, client, demo, cache):
    with app.app_context():
        goal = goal_of(BOYE_3)
        service.apply_transition(goal, "approve", user("boye_reviewer"), comment="同意")
        db.session.commit()
        revision_id = goal.approved_revision.id
    project = demo[BOYE_3]
    sign_in(client, "boye_reviewer")
    first = download(client, f"/projects/{project}/forms/goal.pdf")
    assert download(client, f"/projects/{project}/forms/goal.pdf") == first
    assert len(cache) == 1
    revision = download(client, f"/projects/{project}/forms/goal.pdf?revision={revision_id}")
    assert download(client, f"/projects/{project}/forms/goal.pdf?revision={revision_id}") == revision
    assert len(cache) == 2  # the revision prints its label: a document of its own
    # Someone else with access gets the same bytes without a render; no access is still 404.
    leader, outsider = app.test_client(), app.test_client()
    sign_in(leader, "boye_leader")
    assert download(leader, f"/projects/{project}/forms/goal.pdf") == first and len(cache) == 2
    sign_in(outsider, "boye_filer2")
    assert outsider.get(f"/projects/{project}/forms/goal.pdf").status_code == 404


def test_a_printout_a_minute_later_says_so(app, client, demo, cache, monkeypatch):
    """The printed time is part of the document: never served from an earlier printout."""
    url = f"/projects/{demo[BOYE_3]}/forms/goal.pdf"
    sign_in(client, "boye_reviewer")
    download(client, url)
    monkeypatch.setattr(report_views, "_printed_at", lambda: "2026-12-06 10:16（北京时间）")
    later = download(client, url)
    assert len(cache) == 2 and "10:16" in pdf_text(later)


def test_a_state_change_renders_again(app, client, demo, cache):
    url = f"/projects/{demo[BOYE_3]}/forms/goal.pdf"
    sign_in(client, "boye_reviewer")
    submitted = download(client, url)
    with app.app_context():
        service.apply_transition(goal_of(BOYE_3), "approve", user("boye_reviewer"), comment="同意")
        db.session.commit()
    approved = download(client, url)
    assert len(cache) == 2 and pdf_text(approved) != pdf_text(submitted)


def test_off_by_default(app, monkeypatch, tmp_path):
    for name in ("PDF_CACHE_MB", "PDF_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    calls = []
    monkeypatch.setattr(pdf, "render", lambda html: calls.append(html) or fake_pdf(html))
    with app.app_context():
        pdf.html_to_pdf("<p>一</p>")
        pdf.html_to_pdf("<p>一</p>")
    assert len(calls) == 2


def fake_pdf(html: str, size: int = 40_000) -> bytes:
    return b"%PDF-1.4\n" + html.encode() + b"\n" + b"x" * size + b"\n%%EOF\n"


@pytest.fixture
def fake(app, monkeypatch, tmp_path):
    """The cache in tmp_path around a fake renderer; yields (folder, calls)."""
    folder = tmp_path / "pdf-cache"
    app.config.update(PDF_CACHE_MB=0.25, PDF_CACHE_DIR=str(folder))  # 256 KiB
    calls = []

    def render(html: str) -> bytes:
        calls.append(html)
        return fake_pdf(html)

    monkeypatch.setattr(pdf, "render", render)
    with app.app_context():
        yield folder, calls


def cached_files(folder):
    return [p for p in folder.rglob("*.pdf")]


def test_bounded_least_recently_used_first(fake):
    folder, calls = fake
    pdf.html_to_pdf("<p>常用</p>")
    for n in range(20):  # 20 × 40 KB into 256 KiB
        pdf.html_to_pdf(f"<p>{n}</p>")
        time.sleep(0.01)
        assert pdf.html_to_pdf("<p>常用</p>").startswith(b"%PDF-")  # used all along: stays
    assert sum(p.stat().st_size for p in cached_files(folder)) <= 256 * 1024
    assert calls.count("<p>常用</p>") == 1
    calls.clear()
    pdf.html_to_pdf("<p>19</p>")
    pdf.html_to_pdf("<p>0</p>")
    assert calls == ["<p>0</p>"]  # the newest is still there, the oldest went


def test_a_damaged_file_is_not_served(fake):
    folder, calls = fake
    body = pdf.html_to_pdf("<p>一</p>")
    (path,) = cached_files(folder)
    path.write_bytes(body[:1000])  # cut short
    assert pdf.html_to_pdf("<p>一</p>") == body and len(calls) == 2


def test_failures_are_not_cached(app, monkeypatch, tmp_path):
    app.config.update(PDF_CACHE_MB=8, PDF_CACHE_DIR=str(tmp_path / "c"))
    calls = []

    def too_tall(html):
        calls.append(html)
        raise pdf.PdfTooTall("too tall")

    monkeypatch.setattr(pdf, "render", too_tall)
    with app.app_context():
        for _ in range(2):
            with pytest.raises(pdf.PdfTooTall):
                pdf.html_to_pdf("<p>太高</p>")
    assert len(calls) == 2 and not list((tmp_path / "c").rglob("*.pdf"))


def test_the_same_document_at_once_renders_once(app, monkeypatch, tmp_path):
    app.config.update(PDF_CACHE_MB=8, PDF_CACHE_DIR=str(tmp_path / "c"))
    calls, bodies = [], []

    def slow(html):
        calls.append(html)
        time.sleep(0.3)
        return fake_pdf(html)

    monkeypatch.setattr(pdf, "render", slow)

    def download():
        with app.app_context():
            bodies.append(pdf.html_to_pdf("<p>同一份</p>"))

    threads = [threading.Thread(target=download) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(calls) == 1 and len(bodies) == 6 and len(set(bodies)) == 1
    assert not pdf_cache._key_locks


def test_the_key_covers_fonts_and_libraries(fake, monkeypatch):
    folder, calls = fake
    pdf.html_to_pdf("<p>一</p>")
    monkeypatch.setattr(pdf_cache, "_salt", b"another font or xhtml2pdf version")
    pdf.html_to_pdf("<p>一</p>")
    assert len(calls) == 2
