"""Dashboards for leaders and finance: server-rendered SVG charts, each with its table."""
