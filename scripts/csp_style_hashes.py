"""Print the hashes of the ``<style>`` elements Dash's own scripts write into the pages, for the
Content Security Policy (``dashboard/security.py``: ``DASH_STYLE_HASHES``). Run it after upgrading
Dash (``tests/test_security.py`` says when):

    ATLAS_DATA_DIR=geodata .venv/bin/python scripts/csp_style_hashes.py

Dash 4's renderer and core components bundle their CSS in JavaScript and insert it as ``<style>``
elements (webpack's style-loader): the text is fixed for a Dash version, so its hashes let the
policy allow exactly those styles, without ``'unsafe-inline'``. The script serves the app on a
free loopback port, opens every page in headless Chromium (Debian's
``/usr/bin/chromium``), opens a dropdown (its styles come with a lazily loaded chunk), and hashes
the text of every ``<style>`` element (plus the empty text: style-loader inserts the element
before its text). Styles the policy blocks are still in the page, so the policy in force does not
change what is found.
"""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
PAGES = ["/?territoire=aunis-sud", "/?territoire=aunis-sud&vue=evolution", "/portrait?territoire=aunis-sud",
         "/editeur?territoire=aunis-sud", "/import", "/methodes", "/territoires", "/simulation?territoire=aunis-sud",
         "/nope"]
# Every text a <style> element ever had, including the ones that come and go (a loading spinner's).
RECORD_JS = """window.__atlasStyles = new Set();
new MutationObserver(() => document.querySelectorAll('style').forEach(s => window.__atlasStyles.add(s.textContent)))
  .observe(document, {childList: true, subtree: true, characterData: true});"""
STYLES_JS = "() => [...window.__atlasStyles, ...[...document.querySelectorAll('style')].map(s => s.textContent)]"


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def main() -> int:
    import dash
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    app = create_app()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    texts = {""}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page()
            page.add_init_script(RECORD_JS)
            for path in PAGES:
                page.goto(f"http://127.0.0.1:{port}{path}")
                page.wait_for_load_state("networkidle")
                dropdown = page.locator(".dash-dropdown").first
                if dropdown.count():
                    dropdown.click()
                    page.wait_for_load_state("networkidle")
                texts.update(page.evaluate(STYLES_JS))
            browser.close()
    finally:
        server.shutdown()
    print(f'DASH_STYLE_VERSION = "{dash.__version__}"')
    print("DASH_STYLE_HASHES = (")
    for h in sorted(sha256(t) for t in texts):
        print(f'    "{h}",')
    print(")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
