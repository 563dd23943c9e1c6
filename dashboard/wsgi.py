"""WSGI entry point for gunicorn (Procfile): ``gunicorn dashboard.wsgi:server``."""
from .app import create_app

app = create_app()
server = app.server
