"""Server-rendered SVG charts: escaped, scaled, readable without JavaScript."""
from __future__ import annotations

import re
from xml.etree import ElementTree

from core.dashboard.charts import bar_chart, line_chart


def parse(svg) -> ElementTree.Element:
    return ElementTree.fromstring(str(svg))  # well-formed XML, or this raises


def test_bar_chart_heights_follow_the_values():
    svg = bar_chart([("红灯", 1, "red"), ("黄灯", 0, "yellow"), ("绿灯", 4, "green")], "项目灯", "个")
    root = parse(svg)
    ns = "{http://www.w3.org/2000/svg}"
    heights = [float(r.get("height")) for r in root.iter(ns + "rect")]
    assert heights[1] == 0 and heights[2] == 4 * heights[0]
    assert [r.get("fill") for r in root.iter(ns + "rect")] == ["#c62828", "#f59e0b", "#15803d"]
    assert root.find(ns + "title").text == "项目灯" and "绿灯 4个" in root.find(ns + "desc").text
    assert 'role="img"' in svg and "style=" not in svg  # the CSP forbids inline styles


def test_labels_are_escaped():
    svg = str(bar_chart([("<script>alert(1)</script>", 2, "primary")], "a & b"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    parse(svg)


def test_line_chart_draws_lines_and_lone_points():
    months = [str(m) for m in range(1, 13)]
    planned = [25 * m / 3 if m <= 3 else None for m in range(1, 13)]
    actual = [None] * 12
    actual[5], actual[6] = 30.5, 40.0   # two rounds next to each other: joined
    actual[9] = 70.0                    # a lone round: a dot
    svg = str(line_chart(months, [("计划进度", "muted", planned), ("实际执行", "primary", actual)], "执行"))
    root = parse(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(list(root.iter(ns + "polyline"))) == 2
    assert len(list(root.iter(ns + "circle"))) == 3 + 3
    assert "实际执行: 6 30.5%，7 40%，10 70%" in root.find(ns + "desc").text
    assert re.search(r">100%<", svg)  # the axis reaches 100%


def test_empty_charts_do_not_divide_by_zero():
    parse(bar_chart([], "空"))
    parse(bar_chart([("无", 0, "grey")], "空"))
    parse(line_chart(["1", "2"], [("x", "primary", [None, None])], "空"))
