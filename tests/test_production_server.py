"""The production server (Procfile) cannot be blocked by exports: threaded workers, and image
rendering one at a time per worker with a bounded wait (``dashboard/exports/render.py``).
The load itself is measured by ``bench/bench_load.py``."""
from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _web_command() -> list[str]:
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    return shlex.split(line[len("web:"):])


def test_procfile_uses_threaded_workers():
    cmd = _web_command()
    assert cmd[0] == "gunicorn" and cmd[1] == "dashboard.wsgi:server"
    assert cmd[cmd.index("--worker-class") + 1] == "gthread"
    assert "--threads" in cmd and "--workers" in cmd and "--timeout" in cmd


def test_an_export_waiting_for_the_renderer_gives_up_with_a_french_message(monkeypatch):
    from dashboard.exports import render

    monkeypatch.setattr(render, "LOCK_WAIT_S", 0.2)
    assert render.RENDER_LOCK.acquire(timeout=5)          # another export is rendering
    try:
        t0 = time.perf_counter()
        with pytest.raises(RuntimeError, match="occupé"):
            render.render_png([(object(), 10, 10, 1.0)])
        assert time.perf_counter() - t0 < 2
    finally:
        render.RENDER_LOCK.release()
    assert not render.RENDER_LOCK.locked()
