"""Assessing subordinate bodies' work (Shijiazhuang 附件三): the sheet (pure), the service, views."""
