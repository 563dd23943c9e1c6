"""What the benchmarks share: the machine they ran on, and a commit's code tree to compare with.

Every script states its machine with :func:`machine` (a dict, for JSON reports) or :func:`machine_line`
(one line, for printed tables); a baseline commit is exported with :func:`export_tree`.
"""
from __future__ import annotations

import io
import os
import platform
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _proc_field(path: str, key: str) -> str:
    try:
        with open(path) as fh:
            return next((line.split(":", 1)[1].strip() for line in fh if line.startswith(key)), "")
    except OSError:
        return ""


def machine() -> dict:
    """CPU model, cores, memory, system, Python and the load average when called."""
    return {"cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor(), "cores": os.cpu_count(),
            "memory": _proc_field("/proc/meminfo", "MemTotal"), "system": platform.platform(),
            "python": platform.python_version(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def machine_line() -> str:
    """The same in one line: ``Linux-…, AMD EPYC …, 2 cores, 24 GiB, Python 3.11.7, load 0.8``."""
    m = machine()
    mem = m["memory"].split()
    gib = f"{int(mem[0]) / 2**20:.0f} GiB, " if mem and mem[0].isdigit() else ""
    return (f"{m['system']}, {m['cpu']}, {m['cores']} cores, {gib}Python {m['python']}, "
            f"load {m['load_average'][0]}")


def export_tree(revision: str, dest: Path, *paths: str) -> Path:
    """The files of ``revision`` (only ``paths`` when given) extracted into ``dest``: a baseline to run
    side by side with this tree."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", revision, *paths], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest
