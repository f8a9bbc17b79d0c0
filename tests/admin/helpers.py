"""Driving the admin pages over HTTP like a browser: read a form's fields from the
page (what a browser would submit), change some, press a button."""
from __future__ import annotations

import html as html_lib
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

from tests.conftest import PASSWORD, csrf_token, login


class _FormReader(HTMLParser):
    """Collects the successful controls of one <form>: by id, by ``.class``, or the first."""

    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0          # >0 while inside the wanted form
        self.done = False
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text: list[str] = []

    def _wanted(self, attrs: dict) -> bool:
        if self.form_id is None:
            return True
        if self.form_id.startswith("."):  # by class
            return self.form_id[1:] in (attrs.get("class") or "").split()
        return attrs.get("id") == self.form_id

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if self.depth:
                self.depth += 1
            elif not self.done and self._wanted(a):
                self.depth = 1
            return
        if not self.depth:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.values.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_options = name, []
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            self._option_selected = "selected" in a
            self._option_text = []
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        if self._option_value is None and self._select is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
            if not self.depth:
                self.done = True
        elif tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else "".join(self._option_text).strip()
            self._select_options.append((value, self._option_selected))
            self._option_value = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._select_options if selected]
            if chosen or self._select_options:
                self.values.append((self._select, chosen[-1] if chosen else self._select_options[0][0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            if text.startswith("\n"):
                text = text[1:]
            self.values.append((self._textarea, text))
            self._textarea = None


def form_values(page: str, form_id: str | None = None) -> MultiDict:
    reader = _FormReader(form_id)
    reader.feed(page)
    assert reader.values, f"no form {form_id!r} on the page"
    return MultiDict(reader.values)


def set_values(values: MultiDict, **changes) -> MultiDict:
    copy = values.copy()
    for key, value in changes.items():
        if value is None:
            copy.poplist(key)
        else:
            copy.setlist(key, [value] if not isinstance(value, list) else value)
    return copy


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def relogin(client, username: str, password: str = PASSWORD):
    logout(client)
    return login(client, username, password)


class Editor:
    """The structured editor of one form, driven like a browser."""

    def __init__(self, client, code: str, kind: str):
        self.client, self.url = client, f"/admin/jurisdictions/{code}/forms/{kind}"

    def values(self) -> MultiDict:
        response = self.client.get(self.url)
        assert response.status_code == 200, response.status_code
        return form_values(response.get_data(as_text=True), "structured-form")

    def post(self, action: str = "save", expect: int = 302, **changes):
        values = set_values(self.values(), **changes)
        values["action"] = action
        response = self.client.post(self.url, data=values)
        assert response.status_code == expect, (response.status_code, text(response)[:3000])
        return response


def plain(response) -> str:
    """The page's text without tags (problem lists read ``path: message`` there)."""
    import re

    return re.sub(r"<[^>]+>", "", text(response))
