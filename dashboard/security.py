"""Security headers on every response, and the optional write token of a shared deployment.

Headers (``install``, called by ``dashboard/app.py:create_app``):

* ``Content-Security-Policy``: everything from this server only (``default-src 'self'``). Scripts:
  this server's files plus the SHA-256 hashes of the few inline scripts Dash writes into each page
  (the renderer's start line and the clientside callbacks given as strings), from
  ``app.csp_hashes()``; no ``'unsafe-inline'``, no ``'unsafe-eval'``: Dash 4's renderer, its
  components and the map engine (``assets/atlas_map.js``) need neither (the browser test
  ``tests/browser/test_security_headers.py`` loads every page and fails on any violation), and
  plotly.js is not loaded by any page (the portrait's maps and charts are SVG made on the server).
  Styles: this server's files plus the hashes of the ``<style>`` elements Dash's own scripts insert
  (:data:`DASH_STYLE_HASHES`: Dash 4 bundles the CSS of its renderer and core components in
  JavaScript, a fixed text per Dash version, listed by ``scripts/csp_style_hashes.py``; a test
  fails when the installed Dash is not the version they were taken from). React sets ``style``
  properties through the DOM, which CSP allows. So no ``'unsafe-inline'`` for styles either. Images ``'self' data: blob:`` (Dash's
  and Bootstrap's small data-URL icons, downloads made as blobs). ``frame-ancestors 'none'``, with
  ``X-Frame-Options: DENY`` for older browsers: no page of the atlas can be framed (clickjacking
  of the import and delete buttons).
  The hashes are taken from Dash when a page (HTML) is served — Dash adds its page router's inline
  script at the first request — a few microseconds; other responses reuse the last policy.
* ``X-Content-Type-Options: nosniff`` (a file is never run as something else than its type),
  ``Referrer-Policy: same-origin`` (a territory id in the URL does not leave the site).

Write token (``ATLAS_WRITE_TOKEN``): on a shared server (the Procfile binds 0.0.0.0), the actions that
change what every user sees — CPAM import and its deletion, saving, replacing, renaming and deleting a
territory — require a token; without the variable (a laptop) they stay open. The user types the
token once in the field shown on the import and editor pages (``components/write_access.py``); the
server checks it (constant-time comparison) and answers with an ``HttpOnly``, ``SameSite=Strict``
cookie holding an HMAC of the token, never the token itself, valid for the browser session.
Every write callback calls :func:`write_refusal` before writing: a missing or stale cookie gives a
French message and nothing is written. The cookie rides with every request (no change to the
callbacks' signatures), cannot be read by scripts, and is not sent by other sites' forms or
requests; a changed token invalidates every cookie issued with the old one. Why not HTTP basic
auth: browsers show no prompt for the callbacks' background requests, and it would lock the reading
pages too.
"""
from __future__ import annotations

import hashlib
import hmac
import threading

from flask import current_app, has_request_context, request

WRITE_COOKIE = "atlas_write"
GRANT_CONTEXT = b"cpts-atlas write access v1"

# The <style> elements Dash's scripts insert (scripts/csp_style_hashes.py; the empty text included:
# style-loader inserts the element before its text).
DASH_STYLE_VERSION = "4.4.1"
DASH_STYLE_HASHES = (
    "'sha256-+QoPrsxO0auPnxSulD3bAr9CoDGgzv7YRfYE0vfxeQI='",
    "'sha256-0IJGrxhCP5NUIafylLkj5118xkZH1kp5FmNio7NOckI='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-A4M82qpFcs4fh4BcX78xvLxBsvCreJUzTY4AaTi749I='",
    "'sha256-Aq43X0SlmB69maWGob4rp/UuSHhwePalkRRExtsxOJ8='",
    "'sha256-Do5Z9ZqsPvCQTUBQS9BnDm/2+on7omuzuLYk5sbA+2s='",
    "'sha256-ITR5T9OwskhdqdsliUJRmgp9ltOFAHgXe1F7eRvGnmQ='",
    "'sha256-MJs2ke1SA6Cy3tTCZu2QH0rj0r//iNqU0idy9bM4leg='",
    "'sha256-SkhFDxgIcEjMhRh19uSHWrkdnAlZ9rlskgr9yLsipa8='",
    "'sha256-VUA+tqvhK3niMn7AdszqidMFPRh9FLqxB2iINUrsiTw='",
    "'sha256-X2TqJwnIiE/ceDVeAdr7v7BOWBU6CEzE6qxlNzBzvBk='",
    "'sha256-Z8VokGxeiKThZOEmkdUgfW+jxbvItBwAXC8M1c4wqAM='",
    "'sha256-mKP5Nh9J+3FomkYQF5DWFgmUmC9oEOyh3LiTtE1PwKo='",
    "'sha256-uDiOZWps1U7E8/0BTaQrclYMhVhRVE4dT0vb5X6nXOw='",
)

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", *DASH_STYLE_HASHES],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def policy_text(script_hashes) -> str:
    """The ``Content-Security-Policy`` value, with these script hashes (``'sha256-…'``) allowed."""
    policy = {**BASE_POLICY, "script-src": BASE_POLICY["script-src"] + sorted(set(script_hashes))}
    return "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


class _Policy:
    """The policy text, refreshed from Dash's inline scripts when a page is served."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.text = policy_text(())

    def refresh(self) -> str:
        with self.lock:
            self.text = policy_text(self.app.csp_hashes())
            return self.text


def install(app) -> None:
    """Add the security headers to every response of the app's server."""
    policy = _Policy(app)

    @app.server.after_request
    def _security_headers(response):
        is_page = response.mimetype == "text/html"
        response.headers["Content-Security-Policy"] = policy.refresh() if is_page else policy.text
        for k, v in HEADERS.items():
            response.headers[k] = v
        return response


# -- write token -------------------------------------------------------------------------------------
def write_token() -> str | None:
    """The configured token (``ATLAS_WRITE_TOKEN`` through the app's settings), or None: writes open."""
    settings = current_app.config.get("ATLAS_SETTINGS") if has_request_context() else None
    token = getattr(settings, "write_token", None)
    return token or None


def grant(token: str) -> str:
    """What the cookie holds for a token: an HMAC of a fixed context under the token."""
    return hmac.new(token.encode("utf-8"), GRANT_CONTEXT, hashlib.sha256).hexdigest()


def token_matches(typed) -> bool:
    token = write_token()
    return bool(token) and isinstance(typed, str) and hmac.compare_digest(typed.encode("utf-8"),
                                                                          token.encode("utf-8"))


def write_allowed() -> bool:
    """Writes are open (no token configured), or this request carries the cookie of the current token."""
    token = write_token()
    if token is None:
        return True
    cookie = request.cookies.get(WRITE_COOKIE, "")
    return hmac.compare_digest(cookie.encode("utf-8", "replace"), grant(token).encode("utf-8"))


REFUSED = ("Modification refusée : ce serveur est partagé et les modifications demandent le code "
           "d'écriture. Saisissez-le dans le champ « Code d'écriture » de la page ; rien n'a été modifié.")


def write_refusal() -> str | None:
    """None when this request may write user data, else the French message to show (nothing written)."""
    return None if write_allowed() else REFUSED
