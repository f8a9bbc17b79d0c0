"""The committed CJK font subsets: licensed, small, and covering GB2312, the rare name
characters we chose, and every character of our own definitions and demo data."""
from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from core.reports.pdf import FONT_DIR, FONTS, GLYPH_FALLBACK

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def cmaps() -> dict[str, set[int]]:
    return {name: set(TTFont(f"probe-{name}", str(path)).face.charToGlyph) for name, path in FONTS.items()}


def gb2312() -> set[str]:
    chars = set()
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                chars.add(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def test_the_subsets_are_committed_with_their_licence_and_recipe():
    for path in FONTS.values():
        assert path.exists()
        assert 1_500_000 < path.stat().st_size < 3_000_000, path  # ~2.25 MB: a subset, not the 10.5 MB font
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "pyftsubset" in (FONT_DIR / "make_subset.sh").read_text(encoding="utf-8")
    assert "make_subset.sh" in (FONT_DIR / "README.md").read_text(encoding="utf-8")


def test_gb2312_symbols_and_rare_name_characters_are_covered(cmaps):
    wanted = gb2312() | set("≥≤％＞＜～（）【】「」、。：；，·—×÷①…〔〕") | set("镕堃喆昇玥珺垚赟犇禤彧") \
        | {chr(c) for c in range(0x20, 0x7F)}
    for name, cmap in cmaps.items():
        missing = sorted(c for c in wanted if ord(c) not in cmap)
        assert not missing, f"{name} lacks {''.join(missing)}"


def _chars(paths) -> set[str]:
    chars = set()
    for path in paths:
        chars.update(c for c in path.read_text(encoding="utf-8").translate(GLYPH_FALLBACK)
                     if c.isprintable() and not c.isspace())
    return chars


def test_every_character_of_our_definitions_and_demo_is_covered(cmaps):
    files = sorted((ROOT / "form_definitions").rglob("*.json")) + sorted((ROOT / "demo").glob("*.json")) \
        + sorted((ROOT / "templates" / "pdf").glob("*.html"))
    chars = _chars(files)
    for name, cmap in cmaps.items():
        missing = sorted(c for c in chars if ord(c) not in cmap)
        assert not missing, (f"{name} lacks {''.join(missing)} — run core/reports/fonts/make_subset.sh "
                             "(see core/reports/fonts/README.md)")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not beside the repository")
def test_every_character_of_the_seeds_is_covered(cmaps):
    chars = _chars(sorted(SEEDS.glob("*.txt")))
    for name, cmap in cmaps.items():
        missing = sorted(c for c in chars if ord(c) not in cmap)
        assert not missing, f"{name} lacks {''.join(missing)}"
