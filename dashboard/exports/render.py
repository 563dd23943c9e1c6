"""Plotly figures -> PNG bytes with kaleido 1.x and the system Chromium, offline.

Kaleido's default page loads MathJax from a CDN: we pass ``mathjax=False`` (and plotly.js comes
from the installed plotly package), so rendering makes no network request. Several figures are
rendered in one browser session (Chromium starts once per export). A process-wide lock keeps one
export rendering at a time per worker (Chromium is heavy: under gunicorn's ``gthread`` workers, see the
Procfile, the other threads of the worker keep serving pages and callbacks meanwhile). Both the wait
for the lock (:data:`LOCK_WAIT_S`) and the rendering (:data:`TIMEOUT_S` per figure) are bounded: a
queue of exports answers "réessayez" instead of holding threads without end.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

RENDER_LOCK = threading.Lock()
RENDER_NICE = 10               # CPU priority of the rendering thread and the Chromium it starts (0: normal)
TIMEOUT_S = 60                  # seconds per figure (a map renders in 4-5 s on 2 shared cores)
LOCK_WAIT_S = 45                # seconds an export waits for the one before it, then gives up


def chromium_path() -> str | None:
    for cand in (os.environ.get("ATLAS_CHROMIUM"), os.environ.get("BROWSER_PATH"), "/usr/bin/chromium",
                 "/usr/bin/chromium-browser", "/usr/bin/google-chrome", shutil.which("chromium")):
        if cand and Path(cand).exists():
            return cand
    return None


async def _render(figs: list[tuple[object, int, int, float]]) -> list[bytes]:
    import kaleido
    kwargs = {"n": 1, "mathjax": False, "timeout": TIMEOUT_S}
    path = chromium_path()
    if path:
        kwargs["path"] = path
    out = []
    async with kaleido.Kaleido(**kwargs) as k:
        for fig, width, height, scale in figs:
            out.append(await k.calc_fig(fig, opts={"format": "png", "width": width, "height": height,
                                                   "scale": scale}))
    return out


def _lower_priority() -> None:
    """Lower the CPU priority of the calling thread (Linux: the nice value is per thread, and the
    threads and processes it starts inherit it, Chromium included). On a small server the rendering
    then takes the CPU the pages and callbacks leave, instead of slowing them down
    (``bench/bench_load.py``: page loads while PNG exports run)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), RENDER_NICE)
    except (OSError, AttributeError):     # not Linux, or not allowed: render at normal priority
        pass


def render_png(figs: list[tuple[object, int, int, float]]) -> list[bytes]:
    """Render ``[(figure, width, height, scale), ...]`` to PNG bytes, in order."""
    if not figs:
        return []
    if not RENDER_LOCK.acquire(timeout=LOCK_WAIT_S):
        raise RuntimeError("rendu des images occupé par d'autres exports : réessayez dans une minute")
    try:
        result: list = []
        error: list = []

        def run():  # own thread + event loop: works under a running loop (Dash/gunicorn) or not
            _lower_priority()
            try:
                result.extend(asyncio.run(_render(figs)))
            except BaseException as exc:  # noqa: BLE001 - re-raised below in the caller's thread
                error.append(exc)

        th = threading.Thread(target=run, daemon=True)
        th.start()
        th.join(TIMEOUT_S * (len(figs) + 1))
        if error:
            raise RuntimeError(f"rendu des images impossible (Chromium/kaleido) : {error[0]}") from error[0]
        if th.is_alive() or len(result) != len(figs):
            raise RuntimeError("rendu des images : délai dépassé")
        return result
    finally:
        RENDER_LOCK.release()
