"""HTML → PDF with xhtml2pdf and the embedded Noto Sans SC subset.

Two silent failures of xhtml2pdf 0.2.28 are guarded here (shared/TECH-NOTES.md):

- without a resource policy that lets it read ``fonts/``, it falls back to
  Helvetica and still returns ``err=0`` — every Chinese character blank. We pass
  ``ResourceAccessPolicy.server(base_dir=FONT_DIR, extra_roots=(FONT_DIR,))`` and,
  after rendering, refuse a PDF that does not embed our font (:class:`PdfError`);
- the PDF must not depend on the viewer's fonts: only TrueType-outline fonts
  embed, hence the subset in ``fonts/`` (see ``fonts/README.md``).

The rendered HTML comes from our own templates with Jinja autoescaping, so user
text is never markup; remote fetches are off all the same.
"""
from __future__ import annotations

import io
import threading
import traceback
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus.doctemplate import LayoutError
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.tables import CellStyle
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONTS = {"regular": FONT_DIR / "NotoSansSC-Regular.ttf", "bold": FONT_DIR / "NotoSansSC-Bold.ttf"}
FONT_MARKER = b"NotoSansSC"

# reportlab starts every page with the canvas's initial font, and sets a table cell's
# default font before drawing even an empty cell — both Helvetica, which then shows
# in the PDF as an unembedded font although no glyph uses it. During our renders both
# defaults are the embedded subset instead (restored afterwards, under a lock).
_BASE_FONT = "PerfformsNotoSansSC"
_lock = threading.Lock()
_registered = False


# Characters our subset lacks that have an everyday equivalent it has (the subset is
# GB2312-based; see fonts/README.md). Anything else missing prints as a box.
GLYPH_FALLBACK = str.maketrans({"⩾": "≥", "⩽": "≤", "▸": "▶", "✔": "√", "✘": "×", "ı": "i"})


#: The most table rows one merged cell may span in a PDF. ReportLab breaks a table
#: only between rows no rowspan crosses; ten indicator rows of two or three lines each
#: stay well inside an A4 page, so longer categories repeat their cell.
MAX_ROWSPAN = 10


class PdfError(RuntimeError):
    """The PDF could not be made (or would have printed without its Chinese font)."""


class PdfTooTall(PdfError):
    """Some table row, or block of rows joined by a rowspan, is taller than a page.

    ReportLab cannot break a row that a rowspan crosses (the 一级/二级指标 cells of the
    goal grid span their rows), so a very long text in one cell, or a few dozen rows
    under one category, cannot be laid out. That is the filer's content, not a server
    fault: the views answer with a page saying so (tests/security/test_hostile_input.py).
    """


def font_urls() -> dict[str, str]:
    """The font files as the templates' ``@font-face`` rules name them."""
    return {name: path.as_posix() for name, path in FONTS.items()}


def _policy() -> ResourceAccessPolicy:
    return ResourceAccessPolicy.server(base_dir=FONT_DIR, extra_roots=(FONT_DIR,), allow_remote=False)


def _register_base_font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(_BASE_FONT, str(FONTS["regular"])))
        _registered = True


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` (from a ``templates/pdf`` template) to PDF bytes.

    :raises PdfError: xhtml2pdf reported errors, or the CJK font is not embedded.
    """
    out = io.BytesIO()
    with _lock:
        _register_base_font()
        previous = rl_config.canvas_basefontname, CellStyle.fontname
        rl_config.canvas_basefontname = CellStyle.fontname = _BASE_FONT
        try:
            status = pisa.CreatePDF(html.translate(GLYPH_FALLBACK), dest=out, encoding="utf-8", resource_policy=_policy())
        except LayoutError as error:
            raise PdfTooTall(str(error)[:200]) from None
        except TypeError as error:
            # ReportLab 5.1 fails with this TypeError while *describing* a LayoutError
            # (Table._culprit compares None row heights); anything else is re-raised.
            if "_culprit" not in "".join(traceback.format_tb(error.__traceback__)):
                raise
            raise PdfTooTall("a table row is taller than the page") from None
        finally:
            rl_config.canvas_basefontname, CellStyle.fontname = previous
    pdf = out.getvalue()
    if status.err:
        raise PdfError(f"xhtml2pdf reported {status.err} error(s)")
    # With the initial font switched, a built-in font appears only if some text fell back to it.
    if FONT_MARKER not in pdf or b"/BaseFont /Helvetica" in pdf:
        raise PdfError("the Chinese font was not embedded (xhtml2pdf fell back to a built-in font)")
    return pdf
