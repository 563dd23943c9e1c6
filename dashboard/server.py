"""Server side of the maps: the built geometry files, and compressed responses for everything else.

``install(app, data_dir)`` (called once by ``dashboard/app.py:create_app``):

* ``GET /atlas-geo/<build id>/<file>``: a file of the build's ``geo/`` directory (TopoJSON written
  by ``etl/steps/web_geometry.py``), sent as the precompressed copy the browser accepts (brotli
  ``.br``, else gzip ``.gz``, else the plain file), with ``Vary: Accept-Encoding``, a strong
  ``ETag`` (build id + file + encoding: a build never changes, a new build is a new id) answered by
  304 on ``If-None-Match``, and ``Cache-Control: public, max-age=31536000, immutable`` since the
  URL carries the build id. Any build still on disk is served (a page opened before a rebuild keeps
  working until the old build is pruned); names are checked against one pattern and the resolved
  path must sit in that build's ``geo/`` directory: no traversal, no symlink escape.
* ``flask-compress`` on every other response (Dash's JS bundles, assets, callback answers): brotli
  level 4, else gzip 6 — measured on Dash's bundles (1.79 MB of JS -> ~0.45 MB) and on a France
  recolour (~200 KB of JSON -> ~65 KB) at a few ms each. Compressed copies of the versioned JS
  bundles (``/_dash-component-suites/…``, whose URL carries the package version) are kept in
  memory per process, so each bundle is compressed once, not per request; callback answers are
  never cached.

URLs of geometry files for a page come from :func:`geo_url` (the component's spec helpers use it).
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Response, abort, request

from atlas import paths

GEO_ROUTE = "/atlas-geo"
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.json$")
BUILD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$")
IMMUTABLE = "public, max-age=31536000, immutable"
# Precompressed copies, in order of preference, and the Content-Encoding each is sent with.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
COMPRESS_MIMETYPES = ["text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
                      "application/json", "image/svg+xml"]
CACHED_PREFIXES = ("/_dash-component-suites/",)
NO_CACHE = "-"


def current_build_id(data_dir: Path) -> str | None:
    """Id (directory name) of the build ``current`` points at, or None before the first build."""
    link = paths.current_build(data_dir)
    try:
        return link.resolve(strict=True).name
    except OSError:
        return None


def geo_url(data_dir: Path, file_name: str, build_id: str | None = None, prefix: str = "") -> str:
    """URL of a file of the current build's geo directory, e.g. ``/atlas-geo/<id>/dep-69.topo.json``."""
    build_id = build_id or current_build_id(data_dir)
    return f"{prefix.rstrip('/')}{GEO_ROUTE}/{build_id}/{file_name}"


def _accepted(header: str) -> set[str]:
    """Encodings the client accepts (``q=0`` refuses one)."""
    out = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if name and q > 0:
            out.add(name.strip().lower())
    return out


def resolve_geo_file(data_dir: Path, build_id: str, name: str) -> Path | None:
    """The file, or None when the name is not acceptable or the file is not in that build's geo dir."""
    if not BUILD_ID.match(build_id) or not FILE_NAME.match(name) or ".." in name:
        return None
    geo = (paths.builds_dir(data_dir) / build_id / paths.GEO_DIR)
    try:
        geo_real = geo.resolve(strict=True)
        target = (geo / name).resolve(strict=True)
    except OSError:
        return None
    if target.parent != geo_real or not target.is_file():
        return None
    return target


def geo_response(data_dir: Path, build_id: str, name: str, accept_encoding: str, if_none_match: str | None) -> Response:
    target = resolve_geo_file(data_dir, build_id, name)
    if target is None:
        abort(404)
    accepted = _accepted(accept_encoding or "")
    encoding, path = None, target
    for enc, suffix in ENCODINGS:
        candidate = target.with_name(target.name + suffix)
        if enc in accepted and candidate.is_file():
            encoding, path = enc, candidate
            break
    etag = f'"{build_id}-{name}-{encoding or "identity"}"'
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding", "ETag": etag,
               "X-Content-Type-Options": "nosniff"}
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status=304, headers=headers)
    resp = Response(path.read_bytes(), mimetype="application/json", headers=headers)
    if encoding:
        resp.headers["Content-Encoding"] = encoding
    return resp


class _AssetCache:
    """Compressed bodies of versioned JS bundles, per process (flask-compress's cache protocol).
    Keys of other responses (callbacks, pages) end with ``NO_CACHE`` and are never stored."""

    def __init__(self, max_entries: int = 256):
        self.data: dict[str, bytes] = {}
        self.max_entries = max_entries

    def get(self, key: str) -> bytes | None:
        return None if key.endswith(NO_CACHE) else self.data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(NO_CACHE) or key in self.data:
            return
        if len(self.data) >= self.max_entries:
            self.data.pop(next(iter(self.data)))
        self.data[key] = value


def _cache_key(req) -> str:
    if req.method == "GET" and req.path.startswith(CACHED_PREFIXES):
        return req.full_path
    return NO_CACHE


def install(app, data_dir: Path | str) -> None:
    """Add the geometry route and response compression to a Dash app (``app.server`` is Flask)."""
    from flask_compress import Compress

    data_dir = Path(data_dir)
    server = app.server
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_ALGORITHM_STREAMING=["br", "deflate"],
        COMPRESS_BR_LEVEL=4, COMPRESS_LEVEL=6, COMPRESS_MIN_SIZE=500, COMPRESS_MIMETYPES=COMPRESS_MIMETYPES,
        COMPRESS_CACHE_KEY=_cache_key, COMPRESS_CACHE_BACKEND=_AssetCache)
    Compress(server)

    @server.route(f"{GEO_ROUTE}/<build_id>/<name>")
    def atlas_geo(build_id: str, name: str):
        return geo_response(data_dir, build_id, name, request.headers.get("Accept-Encoding", ""),
                            request.headers.get("If-None-Match"))
