"""Fixtures for the report tests: the demo data (the seeds' real projects) and PDF helpers."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.extensions import db
from core.models import Project
from demo import DEMO_PASSWORD, seed_demo
from tests.conftest import login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BOYE_4 = "13063723P00428710007U"  # 劳务派遣人员工资及保险
BOYE_3 = "13063723P00428710060R"  # 劳模体检、劳模慰问、劳模津贴、劳模慰问金
BOYE_1 = "13063723P004287100744"  # a draft (its spending plan stops at 75%)


@pytest.fixture
def demo(app):
    """The demo organizations, users and projects; returns {name: project id}."""
    with app.app_context():
        seed_demo()
        projects = db.session.scalars(select(Project)).all()
        ids = {p.code or p.name: p.id for p in projects}
    return ids


def sign_in(client, username: str):
    return login(client, username, DEMO_PASSWORD)


def pdf_text(body: bytes) -> str:
    """All text of a PDF, by pypdf (layout-free), pages joined."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def pdf_fonts(body: bytes) -> dict[str, bool]:
    """Every font the PDF's pages use → whether its program is embedded."""
    fonts = {}
    for page in PdfReader(io.BytesIO(body)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font.get("/BaseFont"))] = embedded
    return fonts


def fonts_drawing_text(body: bytes) -> set[str]:
    """The fonts that actually draw a visible character."""
    used = set()

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() and font_dict is not None:
            used.add(str(font_dict.get("/BaseFont")))

    for page in PdfReader(io.BytesIO(body)).pages:
        page.extract_text(visitor_text=visit)
    return used


def save_pngs(body: bytes, name: str) -> list[Path]:
    """Write the PDF to test-artifacts/ and render its pages with pdftoppm -r 80 (to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(body)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf_path), str(ARTIFACTS / name)], check=True,
                   timeout=60)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def pdffonts(body: bytes, tmp_path: Path) -> str:
    """``pdffonts`` output (poppler), or skip when poppler-utils is missing."""
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True,
                          timeout=30).stdout
