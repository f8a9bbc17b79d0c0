"""Entry point for gunicorn and the Flask CLI: ``gunicorn wsgi:app``."""
from core.app import create_app

app = create_app()
