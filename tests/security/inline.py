"""Finding what a strict Content-Security-Policy (no 'unsafe-inline') would block:
inline <script> and <style> elements, style="" attributes, on…="" handlers and
javascript: URLs. Used on template sources and on rendered pages."""
from __future__ import annotations

from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._script_line: int | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        names = {name.lower(): value for name, value in attrs}
        if tag == "script":
            if not names.get("src"):
                self.found.append((line, "<script> without src (inline script)"))
            else:
                self._script_line, self._script_text = line, []
        if tag == "style":
            self.found.append((line, "<style> element (inline style)"))
        for name, value in names.items():
            if name == "style" and value is not None:
                self.found.append((line, f'style="…" attribute on <{tag}>'))
            elif name.startswith("on") and name[2:].isalpha() and len(name) > 2 and value is not None:
                self.found.append((line, f"{name}= event handler on <{tag}>"))
            elif name in URL_ATTRIBUTES and value and value.strip().lower().startswith("javascript:"):
                self.found.append((line, f"javascript: URL in {name} on <{tag}>"))

    def handle_data(self, data):
        if self._script_line is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script_line is not None:
            if "".join(self._script_text).strip():
                self.found.append((self._script_line, "<script src> with inline code"))
            self._script_line = None


def inline_code(html: str) -> list[tuple[int, str]]:
    """(line, what) for everything in ``html`` that a strict CSP would block."""
    finder = _InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.found
