"""Monitoring (双监控): lights and progress (pure), the report service, finance's table, views."""
