"""App factory. Nothing is loaded at import time: data opens on the first request.

Offline-first: Dash serves its own JS (``serve_locally``), Bootstrap 5 CSS is served by this
server from the installed ``bootstrap-flask`` package (no CDN), and maps need no tile server.
"""
from __future__ import annotations

from pathlib import Path

import dash
from dash import dcc, html
from flask import abort, send_from_directory

from atlas.read import configure, current

from . import security, validation
from . import server as atlas_server
from .components import atlas_map, commune_map
from .components.navbar import navbar
from .components.synthetic_banner import synthetic_banner
from .settings import Settings
from .uploads import request_limit

HERE = Path(__file__).resolve().parent
BOOTSTRAP_URL = "/vendor/bootstrap5/css/bootstrap.min.css"


def _bootstrap_static_dir() -> Path:
    import flask_bootstrap
    return Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"


def _layout():
    atlas = current()
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="atlas-context", storage_type="session"),
        navbar(),
        synthetic_banner(atlas),
        html.Main(dash.page_container, className="container-fluid py-2"),
    ])


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or Settings.from_env()
    configure(settings.data_dir, warm=True)      # workers read ahead the latest year of each indicator
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        external_stylesheets=[BOOTSTRAP_URL],
        suppress_callback_exceptions=True,
        title="Atlas de l'accès aux soins – CPTS",
        update_title=None,
        serve_locally=True,
    )
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = request_limit(settings.max_upload_bytes)
    server.config["ATLAS_SETTINGS"] = settings
    atlas_server.install(app, settings.data_dir)     # geometry files (precompressed), compressed responses
    atlas_map.enable_preload(app, commune_map.preload_url)   # a page's first geometry file named in its <head>
    validation.install(app)                           # malformed callback requests: 400, never a 500
    security.install(app)                             # CSP, nosniff, frame-ancestors, referrer policy
    static_dir = _bootstrap_static_dir()

    @server.route("/vendor/bootstrap5/<path:filename>")
    def vendor_bootstrap(filename: str):
        if not filename.startswith(("css/", "js/")):
            abort(404)
        return send_from_directory(static_dir, filename, max_age=86400)

    app.layout = _layout
    return app
