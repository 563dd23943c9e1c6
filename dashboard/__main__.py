"""``python -m dashboard``: local server (Flask's), for one user. Production: see the Procfile (gunicorn)."""
from .app import create_app
from .settings import Settings

settings = Settings.from_env()
app = create_app(settings)
print(f"Atlas : http://{settings.host}:{settings.port}/", flush=True)
app.run(host=settings.host, port=settings.port, debug=settings.debug)
