"""WSGI entry point for gunicorn (Procfile): ``gunicorn dashboard.wsgi:server``.

Server settings of the Procfile, and why:

* ``--worker-class gthread --threads ${ATLAS_THREADS:-4}``: each worker process serves several requests
  at once in threads. With sync workers one slow request (a PNG map export renders through
  Chromium, 4-5 s) held a whole worker, and three exports froze the site. Threads of a worker share
  its read model (``atlas.read``: one DuckDB connection and caches per process, thread-safe), so a
  thread costs little memory; image rendering stays one at a time per worker
  (``dashboard/exports/render.py``: a lock with a bounded wait, a bounded rendering), and the other
  threads keep answering pages and callbacks meanwhile.
* ``--workers ${WEB_CONCURRENCY:-3}``: processes, for the two cores (Python runs one thread at a time
  per process) and so that a worker restarting does not stop the site. 3 × 4 = 12 requests at once.
* ``--timeout 120``: a worker that stops answering its master's heartbeat for 2 minutes is replaced
  (under gthread a long request alone does not trigger it). ``--graceful-timeout 30``: on restart,
  requests in progress get 30 s to finish. ``--keep-alive 5``: browsers reuse connections between
  a page's callbacks.
* ``--preload``: the app is imported once before the fork (faster start, shared pages of memory);
  the read model opens its DuckDB files lazily in each worker, at its first request.

``bench/bench_load.py`` starts exactly this command (read from the Procfile) to measure it.
"""
from .app import create_app

app = create_app()
server = app.server
