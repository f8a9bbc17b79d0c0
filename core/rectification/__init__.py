"""Feedback letters and rectification (整改): the pages; the workflow is core/workflow/rectification.py."""
