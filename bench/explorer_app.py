"""The real application (``dashboard.app.create_app``) in its own process, for the benchmarks.

``bench/bench_national_map.py`` starts it once per code tree it compares (``--tree``): the tree
given by ``--tree`` is put first on ``sys.path``, so the same script serves this commit's dashboard
or any other commit's (exported with ``git archive <commit> | tar -x -C DIR``) on the same build.

Every request is timed as the client sees the server: the whole WSGI call, response compression
included (a WSGI wrapper around Flask). ``GET /bench/timings`` returns them as JSON: path, method,
ms, bytes (as sent), thread CPU seconds, wall time, and for Dash callbacks the outputs of the
callback (its request body's ``output``), so that a benchmark can tell the explorer's callbacks apart.
One worker process (werkzeug, threaded): its CPU time and memory are the worker's.

Usage: ``python bench/explorer_app.py --tree . --data-dir geodata --port 8061``; prints one JSON
line (``{"ready": true, …}``) when it serves.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
import time
from pathlib import Path


def timed_wsgi(inner, timings: list):
    """``inner`` wrapped so that each request appends a dict to ``timings``."""
    lock = threading.Lock()

    def app(environ, start_response):
        t0, c0 = time.perf_counter(), time.thread_time()
        output = ""
        if environ.get("PATH_INFO", "").endswith("/_dash-update-component"):
            n = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(n) if n else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            try:
                output = json.loads(raw or b"{}").get("output", "")
            except ValueError:
                output = ""
        size = [0]

        def sr(status, headers, exc_info=None):
            for k, v in headers:
                if k.lower() == "content-length":
                    size[0] = int(v)
            return start_response(status, headers, exc_info)

        body = inner(environ, sr)
        try:
            chunks = list(body)
        finally:
            getattr(body, "close", lambda: None)()
        rec = {"path": environ.get("PATH_INFO"), "method": environ.get("REQUEST_METHOD"), "output": output,
               "ms": (time.perf_counter() - t0) * 1000, "cpu_s": time.thread_time() - c0,
               "bytes": size[0] or sum(map(len, chunks)), "t0": time.time() - (time.perf_counter() - t0),
               "t": time.time()}
        with lock:
            timings.append(rec)
        return chunks

    return app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, required=True, help="code tree whose dashboard is served")
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--port", type=int, default=8061)
    args = ap.parse_args(argv)
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    import logging

    from flask import jsonify
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.settings import Settings

    settings = Settings(data_dir=args.data_dir, host="127.0.0.1", port=args.port, debug=False,
                        max_upload_bytes=5 * 1024 * 1024)
    app = create_app(settings)
    timings: list[dict] = []

    @app.server.route("/bench/timings")
    def bench_timings():
        return jsonify(timings)

    app.server.wsgi_app = timed_wsgi(app.server.wsgi_app, timings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    srv = make_server(settings.host, settings.port, app.server, threaded=True)
    print(json.dumps({"ready": True, "port": args.port, "pid": os.getpid(), "tree": str(tree)}), flush=True)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
