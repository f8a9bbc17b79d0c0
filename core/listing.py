"""Server-side lists: one page of a filtered, sorted SQL query with its total count.

Every staff list (projects, review queue, monitoring, …) pages through its rows
here, so a page costs the same few statements whether a jurisdiction has ten
projects or a province twenty thousand. Filters come from the query string and
stay in every link (``url_args``), so a filtered page can be bookmarked and works
without JavaScript. A page number past the end shows the last page; a malformed
number is a 400 that names the parameter (:func:`core.params.int_arg`).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Mapping

from flask import request
from sqlalchemy import Select, func, or_, select

from core.extensions import db
from core.params import MAX_ID, int_arg  # noqa: F401  (the one bounded-integer reader, used by the list views)

PER_PAGE = 50
MAX_PER_PAGE = 200
#: Largest id or number a query parameter may carry (PostgreSQL's integer).
MAX_INT = MAX_ID


def text_arg(name: str, limit: int = 100) -> str:
    """A free-text filter (search), trimmed and bounded."""
    return (request.args.get(name) or "").strip()[:limit]


def matches(text: str, *columns):
    """A condition: ``text`` appears in any of ``columns`` (case-insensitive, its own
    wildcards taken literally) — the lists' one search box."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE/ILIKE with the text's own wildcards escaped (escape char ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class Page:
    """One page of a list: its rows, where it is, and the filters that made it."""

    items: list
    total: int
    page: int
    per_page: int
    filters: dict[str, Any]

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 for an empty list)."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    def url_args(self, **changes) -> dict[str, Any]:
        """The query string of this list with ``changes`` (None removes a key); page 1 and
        empty filters are left out so URLs stay short."""
        args = {k: v for k, v in {**self.filters, "page": self.page, **changes}.items()
                if v not in (None, "", 1) or (k != "page" and v == 1)}
        if args.get("per_page") == PER_PAGE:
            args.pop("per_page")
        return args

    def window(self, width: int = 2) -> list[int | None]:
        """Page numbers to link around the current one; None marks a gap (…)."""
        shown = sorted({1, self.pages, *range(max(1, self.page - width), min(self.pages, self.page + width) + 1)})
        out: list[int | None] = []
        for number in shown:
            if out and number - (out[-1] or 0) > 1:
                out.append(None)
            out.append(number)
        return out


def paginate(query: Select, filters: Mapping[str, Any] | None = None, *, scalars: bool = True) -> Page:
    """Count ``query``'s rows, then fetch the requested page (clamped to the last one).

    ``query`` must carry its ORDER BY with a unique last key, so pages never overlap.
    Two statements (plus whatever eager loads the query declares).
    """
    per_page = int_arg("per_page", PER_PAGE, 1, MAX_PER_PAGE)
    page = int_arg("page", 1, 1, MAX_INT)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = min(page, max(1, ceil(total / per_page)))
    window = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(window)
    items = list(result.scalars() if scalars else result.all())
    if scalars:
        items = list(dict.fromkeys(items))  # joined eager loads repeat the parent row
    return Page(items, total, page, per_page, dict(filters or {}, per_page=per_page))
