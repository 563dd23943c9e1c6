"""Browser fixtures: the app served on localhost from the session's build, and headless Chromium.

* ``live_server``: base URL of the session's Dash app (``dash_app``, werkzeug, threaded).
* ``page``: a Playwright page in the system Chromium; every request that leaves localhost and
  every console error is recorded on ``page.external_requests`` / ``page.console_errors`` and
  fails the test at teardown (every URL requested is on ``page.requested``).
* ``page_at(width, height)``: the same at a given viewport (several per test).
* ``artifacts_dir``: where screenshots go (``ATLAS_ARTIFACTS_DIR``, else a temp dir; never the source tree).
"""
from __future__ import annotations

import os
import socket
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    d = Path(os.environ.get("ATLAS_ARTIFACTS_DIR") or Path(tempfile.gettempdir()) / "atlas-test-artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def live_server(dash_app):
    from werkzeug.serving import make_server

    host, port = "127.0.0.1", _free_port()
    server = make_server(host, port, dash_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{host}:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/test installs it (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _guarded_page(browser, live_server, viewport: dict):
    """A new context and page whose requests leaving localhost and console errors are recorded on
    ``page.external_requests`` / ``page.console_errors``; every URL requested on ``page.requested``."""
    context = browser.new_context(viewport=viewport, locale="fr-FR", accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    local = urlparse(live_server).netloc
    pg.external_requests = []
    pg.console_errors = []
    pg.requested = []

    def on_request(req):
        pg.requested.append(req.url)
        u = urlparse(req.url)
        if u.scheme in ("data", "blob", "about"):
            return
        if u.netloc != local:
            pg.external_requests.append(req.url)

    pg.on("request", on_request)
    pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    return context, pg


def _check(pg, request) -> None:
    if not getattr(request.node, "allow_console_errors", False):
        assert not pg.external_requests, f"requests left localhost: {pg.external_requests[:5]}"
        assert not pg.console_errors, f"console errors: {pg.console_errors[:5]}"


@pytest.fixture
def page(browser, live_server, request):
    context, pg = _guarded_page(browser, live_server, {"width": 1400, "height": 900})
    yield pg
    context.close()
    _check(pg, request)


@pytest.fixture
def page_at(browser, live_server, request):
    """``page_at(width, height)``: a page at that viewport, with the guards of ``page``."""
    made = []

    def make(width: int, height: int):
        context, pg = _guarded_page(browser, live_server, {"width": width, "height": height})
        made.append((context, pg))
        return pg

    yield make
    for context, pg in made:
        context.close()
        _check(pg, request)
