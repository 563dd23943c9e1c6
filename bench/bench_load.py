"""Load benchmark of the production server (a script, not a timed test; loopback only, bounded in time).

    .venv/bin/python bench/bench_load.py [--data-dir geodata] [--users 50] [--duration 60] [--swaps 5]
                                         [--compare-sync] [--json out.json]

What it does:

1. Copies the current build of ``--data-dir`` into a private temporary data directory (the given one
   is only read) and starts the Procfile's ``web`` command there (the Procfile is read, so what is
   measured is what is deployed; ``0.0.0.0`` is replaced by ``127.0.0.1``: loopback only), with its
   own user and cache directories.
2. After ``--warmup`` seconds of the same load (not reported: caches fill as after a deploy),
   simulates ``--users`` users for ``--duration`` seconds, each in a thread with a think time between
   actions (``--think`` seconds, uniform): page loads of the explorer (HTML page, Dash's layout and
   dependencies, the page router, then the page's callbacks: map, territory panel, commune panel,
   and the geometry file), recolours (indicator changed: state callback, then the three callbacks
   the new state triggers), commune clicks (the same chain), 15 % CSV exports and a few PNG and PDF
   exports (1.5 % each). Browsers cache static files: the scripts and styles are not re-fetched.
   Reports p50 / p95 / max per request kind and the errors (HTTP status ≥ 400, connection errors,
   an export that sent no file). Page loads that started while a PNG export was rendering are also
   reported apart ("pendant un export PNG"): they must stay fast.
3. Performs ``--swaps`` build swaps under the same traffic: a copy of the current build is made,
   ``current`` is re-pointed to it atomically (what ``python -m etl build`` does at its end) and the
   previous build directory is removed. After each swap and a settling time under traffic, it
   reports each worker's resident memory (``VmRSS``) and its open DuckDB files, and how many of them
   are deleted files (a pruned build still held open): the read model closes the old build's reader
   (``atlas/read/current.py``), so both must stay flat. Builds are pruned as ``etl build`` prunes them
   (``KEEP_PREVIOUS_BUILDS``): a request still reading the previous build finds its files.

``--compare-sync`` runs the same load first with the Procfile's command turned back into the old sync
workers (``--worker-class sync``, no threads): the baseline, side by side in the same run.

Targets: callbacks p95 ≤ 300 ms, 0 errors, RSS per worker stable across swaps, 0 deleted DuckDB files
held open after a swap. The client runs on the same machine as the server (2 shared cores): its own
CPU use is part of the load; the machine is printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402

import callback_payloads as cp  # noqa: E402  (requests built from the app's own callback map)
from benchlib import machine_line  # noqa: E402

CHOICES = ["density", "apl_mg", "access", "sans_mt_17", "depistage_sein", "count_msp", "population"]
MIX = [("page", 0.10), ("recolour", 0.37), ("click", 0.35), ("csv", 0.15), ("png", 0.015), ("pdf", 0.015)]
CALLBACK_KINDS = ("cb:router", "cb:state", "cb:draw")


# -- the server ------------------------------------------------------------------------------------------
def procfile_command(port: int, sync: bool = False) -> str:
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    cmd = line[len("web:"):].strip().replace("0.0.0.0", "127.0.0.1").replace("$PORT", str(port))
    if sync:                                  # the old Procfile: sync workers, no threads
        words = shlex.split(cmd)
        for flag in ("--worker-class", "--threads"):
            if flag in words:
                i = words.index(flag)
                del words[i:i + 2]
        cmd = " ".join(shlex.quote(w) if "$" not in w else w for w in words) + " --worker-class sync"
    return cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The Procfile's command in its own process group, on a private data directory."""

    def __init__(self, data_dir: Path, work: Path, sync: bool):
        self.port = free_port()
        self.cmd = procfile_command(self.port, sync)
        env = {**os.environ, "ATLAS_DATA_DIR": str(data_dir), "ATLAS_USER_DIR": str(work / "user"),
               "ATLAS_CACHE_DIR": str(work / "cache"), "PORT": str(self.port),
               "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        env.pop("WEB_CONCURRENCY", None)
        logs = Path(tempfile.gettempdir()) / "atlas-bench-load-logs"      # kept after the run: errors to read
        logs.mkdir(exist_ok=True)
        self.log = open(logs / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen(["bash", "-c", f"exec {self.cmd}"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/_dash-layout", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the server did not start: see {self.log.name}")

    def workers(self) -> list[int]:
        out = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    out.append(int(d.name))
        return sorted(out)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)        # the group this script started, by its id
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def worker_probe(pid: int) -> dict:
    """RSS (MB), open DuckDB files, and how many of those are deleted, of one process."""
    rss = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    except OSError:
        return {"pid": pid, "rss_mb": None, "duckdb": None, "deleted": None}
    duck = deleted = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if ".duckdb" in target:
                duck += 1
                deleted += target.endswith("(deleted)")
    except OSError:
        pass
    return {"pid": pid, "rss_mb": round(rss, 1), "duckdb": duck, "deleted": deleted}


# -- builds ------------------------------------------------------------------------------------------------
def private_data_dir(source: Path, work: Path) -> Path:
    """A data directory holding a copy of ``source``'s current build, ``current`` pointing to it."""
    build = Path(os.path.realpath(source / "current"))
    data = work / "data"
    (data / "builds").mkdir(parents=True)
    shutil.copytree(build, data / "builds" / "b0")
    os.symlink("builds/b0", data / "current")
    return data


def swap_build(data: Path, n: int) -> float:
    """Copy the current build, point ``current`` at the copy atomically, then prune as ``etl build``
    does (the new build and ``KEEP_PREVIOUS_BUILDS`` previous ones are kept). Seconds."""
    from etl.build import KEEP_PREVIOUS_BUILDS

    t0 = time.perf_counter()
    old = Path(os.path.realpath(data / "current"))
    new = data / "builds" / f"b{n}"
    shutil.copytree(old, new)
    tmp = data / f".current-{n}"
    os.symlink(f"builds/{new.name}", tmp)
    os.replace(tmp, data / "current")
    for i in range(0, n - KEEP_PREVIOUS_BUILDS):
        shutil.rmtree(data / "builds" / f"b{i}", ignore_errors=True)
    return time.perf_counter() - t0


# -- the users ---------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.png_running = 0
        self.retries = 0

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind].append(what[:200])


def _walk(node, want_id):
    """The ``data`` of the component of id ``want_id`` in a Dash layout tree."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == want_id:
            return props.get("data")
        for v in node.values():
            found = _walk(v, want_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for v in node:
            found = _walk(v, want_id)
            if found is not None:
                return found
    return None


def _output(resp: dict, fragment: str, prop: str):
    for k, v in (resp.get("response") or {}).items():
        if fragment in k and prop in v:
            return v[prop]
    return None


class User:
    def __init__(self, base: str, deps: dict, territories: list[tuple[str, list[str]]], rec: Recorder,
                 seed: int, think: tuple[float, float]):
        self.base, self.deps, self.rec = base, deps, rec
        self.rng = random.Random(seed)
        self.territories, self.think = territories, think
        self.s = requests.Session()
        self.state = None
        self.geometry = None
        self.context = None

    def _send(self, method: str, path: str, **kw) -> requests.Response:
        """One request; sent again once when a kept-alive connection was closed by the server just as
        it was reused (gunicorn closes idle connections after ``--keep-alive`` seconds), as browsers do.
        Retries are counted and reported."""
        try:
            return self.s.request(method, self.base + path, timeout=120, **kw)
        except requests.ConnectionError as exc:
            if "Connection aborted" not in str(exc):
                raise
            with self.rec.lock:
                self.rec.retries += 1
            return self.s.request(method, self.base + path, timeout=120, **kw)

    def _post(self, kind: str, key: str, values: list, trigger: int = 0, wildcard_values=None):
        cb = self.deps[key]
        body = cp.body(key, cb, values, trigger=trigger, wildcard_values=wildcard_values)
        t0 = time.perf_counter()
        try:
            r = self._send("POST", "/_dash-update-component", json=body)
        except requests.RequestException as exc:
            self.rec.error(kind, f"{type(exc).__name__}: {str(exc)[-90:]}")
            return None
        self.rec.add(kind, time.perf_counter() - t0)
        if r.status_code == 204:
            return {}
        if r.status_code >= 400:
            self.rec.error(kind, f"HTTP {r.status_code}")
            return None
        return r.json()

    def _get(self, kind: str, path: str) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = self._send("GET", path)
        except requests.RequestException as exc:
            self.rec.error(kind, f"{type(exc).__name__}: {str(exc)[-90:]}")
            return None
        self.rec.add(kind, time.perf_counter() - t0)
        if r.status_code >= 400:
            self.rec.error(kind, f"HTTP {r.status_code} {path[:60]}")
            return None
        return r

    def _chain(self) -> None:
        """What a new state triggers in the page: the map callback, which also answers the territory and
        commune panels (one request, as the explorer makes it)."""
        d = self.deps
        resp = self._post("cb:draw", d["draw"], [self.state, self.geometry, None])
        if resp:
            geometry = _output(resp, "atlas-map-geometry", "data")
            if isinstance(geometry, dict):
                self.geometry = geometry
            self.context = _output(resp, "atlas-export-context", "data") or self.context

    def page_load(self) -> None:
        t0 = time.perf_counter()
        tid, _ = self.rng.choice(self.territories)
        png = self.rec.png_running > 0
        self._get("page:html", f"/?territoire={tid}")
        self._get("page:layout", "/_dash-layout")
        self._get("page:layout", "/_dash-dependencies")
        resp = self._post("cb:router", self.deps["router"], ["/", f"?territoire={tid}"])
        content = _output(resp or {}, "_pages_content", "children")
        self.state = _walk(content, "explorer-state") or self.state
        self.geometry = None
        if self.state:
            self._chain()
            if isinstance(self.geometry, dict) and self.geometry.get("url"):
                self._get("page:geometry", self.geometry["url"])
        seconds = time.perf_counter() - t0
        self.rec.add("page (total)", seconds)
        if png:
            self.rec.add("page (total) pendant un export PNG", seconds)

    def _state(self, trigger: int, choice=None, click=None) -> None:
        st = self.state
        values = [st["territory"], choice or st.get("choice"), None if choice else st.get("profession"),
                  None if choice else st.get("mode"), None, st.get("view"), None, st.get("extent"),
                  bool(st.get("locations")), click, None, st]
        resp = self._post("cb:state", self.deps["state"], values, trigger=trigger)
        new = _output(resp or {}, "explorer-state", "data")
        if isinstance(new, dict):
            self.state = new
            self._chain()

    def recolour(self) -> None:
        self._state(1, choice=self.rng.choice([c for c in CHOICES if c != self.state.get("choice")]))

    def click(self) -> None:
        codes = next(c for t, c in self.territories if t == self.state["territory"])
        self._state(9, click={"code": self.rng.choice(codes), "nom": "", "t": time.time()})

    def export(self, fmt: str) -> None:
        if not self.context:
            return
        kind = f"export:{fmt}"
        if fmt == "png":
            with self.rec.lock:
                self.rec.png_running += 1
        try:
            resp = self._post(kind, self.deps["export"], [1, self.context], wildcard_values=[fmt, None])
        finally:
            if fmt == "png":
                with self.rec.lock:
                    self.rec.png_running -= 1
        if resp is not None:
            data = _output(resp, "atlas-export-download", "data")
            if not (isinstance(data, dict) and data.get("content")):
                self.rec.error(kind, "pas de fichier : " + str(_output(resp, "atlas-export-status", "children")))

    def run(self, stop: threading.Event) -> None:
        self.page_load()
        while not stop.wait(self.rng.uniform(*self.think)):
            if not self.state:
                self.page_load()
                continue
            r, acc = self.rng.random(), 0.0
            for action, p in MIX:
                acc += p
                if r < acc:
                    break
            {"page": self.page_load, "recolour": self.recolour, "click": self.click}.get(
                action, lambda a=action: self.export(a))()


def dependency_keys(base: str) -> dict:
    """The output keys the users call, from the server's own dependencies."""
    deps = {d["output"]: d for d in requests.get(base + "/_dash-dependencies", timeout=30).json()
            if not d.get("clientside_function")}

    def one(test):
        found = [k for k in deps if test(k)]
        assert len(found) == 1, found
        return found[0]

    keys = {
        "router": one(lambda k: k.startswith(".._pages_content.children")),
        "state": one(lambda k: k.startswith("..explorer-state.data")),
        "draw": one(lambda k: '"map":"explorer","type":"atlas-map-geometry"}.data' in k and k.startswith("..")),
        "export": one(lambda k: "atlas-export-download" in k),
    }
    out = {name: key for name, key in keys.items()}
    out.update({key: deps[key] for key in keys.values()})
    return out


def territories_of(data: Path, n: int = 12) -> list[tuple[str, list[str]]]:
    from atlas.read import Atlas
    atlas = Atlas(data)
    try:
        ts = [t for t in atlas.territories() if t.kind == "cpts" and t.codes]
        ts = sorted(ts, key=lambda t: t.id)[:: max(1, len(ts) // n)][:n]
        return [(t.id, sorted(t.codes)) for t in ts]
    finally:
        atlas.close()


# -- one configuration -------------------------------------------------------------------------------------
def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes and their waited-for children (Chromium)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15])
        except OSError:
            pass
    return total / tick


def load_phase(base, deps, territories, users, seconds, think, seed, on_running=None, server=None) -> Recorder:
    rec, stop = Recorder(), threading.Event()
    t0, c0 = time.perf_counter(), time.process_time()
    s0 = cpu_seconds(server.workers()) if server else 0.0
    threads = [threading.Thread(target=User(base, deps, territories, rec, seed + i, think).run, args=(stop,),
                                daemon=True) for i in range(users)]
    for i, t in enumerate(threads):
        t.start()
        time.sleep(min(0.05, think[0] / max(1, users)))           # users arrive over a moment
    if on_running:
        on_running(stop)
    else:
        stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join(150)
    rec.wall = time.perf_counter() - t0
    rec.client_cpu = time.process_time() - c0
    rec.server_cpu = cpu_seconds(server.workers()) - s0 if server else 0.0
    rec.loadavg = os.getloadavg()[0]          # the machine may be shared: say how busy it was
    return rec


def summary(rec: Recorder) -> dict:
    out = {}
    for kind in sorted(set(rec.times) | set(rec.errors)):
        v = sorted(rec.times.get(kind, []))
        q = statistics.quantiles(v, n=20) if len(v) >= 2 else v * 19
        out[kind] = {"n": len(v), "p50_ms": round(1000 * statistics.median(v), 1) if v else None,
                     "p95_ms": round(1000 * q[18], 1) if v else None, "max_ms": round(1000 * v[-1], 1) if v else None,
                     "errors": len(rec.errors.get(kind, [])), "error_examples": sorted(set(rec.errors.get(kind, [])))[:3]}
    out["connexions reprises"] = {"n": rec.retries, "p50_ms": None, "p95_ms": None, "max_ms": None, "errors": 0}
    cbs = sorted(x for k in CALLBACK_KINDS for x in rec.times.get(k, []))
    if cbs:
        out["callbacks (all)"] = {"n": len(cbs), "p50_ms": round(1000 * statistics.median(cbs), 1),
                                  "p95_ms": round(1000 * statistics.quantiles(cbs, n=20)[18], 1),
                                  "max_ms": round(1000 * cbs[-1], 1),
                                  "errors": sum(len(rec.errors.get(k, [])) for k in CALLBACK_KINDS)}
    return out


def load_line(rec: Recorder) -> str:
    n = sum(len(v) for v in rec.times.values() if v) - len(rec.times.get("page (total)", [])) \
        - len(rec.times.get("page (total) pendant un export PNG", []))
    return (f"  {n / rec.wall:.1f} requêtes/s ; CPU des workers {rec.server_cpu / rec.wall:.2f} cœur, "
            f"du client {rec.client_cpu / rec.wall:.2f} cœur (sur {os.cpu_count()}) ; charge de la machine "
            f"(load average 1 min, tous processus) {rec.loadavg:.1f}")


def print_table(title: str, table: dict, rec: Recorder | None = None) -> None:
    print(f"\n{title}")
    if rec is not None:
        print(load_line(rec))
    print(f"  {'requête':<38}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'erreurs':>9}")
    for kind, r in table.items():
        if kind.startswith("_"):
            continue
        print(f"  {kind:<38}{r['n']:>6}{r['p50_ms'] or 0:>10.1f}{r['p95_ms'] or 0:>10.1f}{r['max_ms'] or 0:>10.1f}"
              f"{r['errors']:>9}" + (f"   {r['error_examples']}" if r.get("error_examples") else ""))


def run_config(args, source: Path, sync: bool) -> dict:
    label = "sync (ancien Procfile)" if sync else "Procfile (gthread)"
    with tempfile.TemporaryDirectory(prefix="atlas-bench-load-") as tmp:
        work = Path(tmp)
        data = private_data_dir(source, work)
        territories = territories_of(data)
        server = Server(data, work, sync)
        print(f"\n=== {label} : {server.cmd}")
        try:
            deps = dependency_keys(server.base)
            # warm-up, not measured: each worker opens its build and fills its caches (as after a deploy)
            load_phase(server.base, deps, territories, args.users, args.warmup, args.think, 500)
            steady = load_phase(server.base, deps, territories, args.users, args.duration, args.think, 1,
                                server=server)
            table = summary(steady)
            table["_charge"] = load_line(steady)
            print_table(f"{label} : {args.users} utilisateurs, {args.duration} s", table, steady)
            probes = [{"swap": 0, "seconds": 0.0, "workers": [worker_probe(p) for p in server.workers()]}]

            def swaps(stop):
                for n in range(1, args.swaps + 1):
                    seconds = swap_build(data, n)
                    stop.wait(args.settle)
                    probes.append({"swap": n, "seconds": round(seconds, 2),
                                   "workers": [worker_probe(p) for p in server.workers()]})

            swapping = load_phase(server.base, deps, territories, args.users, 0, args.think, 1000, on_running=swaps,
                                  server=server) if args.swaps else None
            swap_table = summary(swapping) if swapping else {}
            if swapping:
                swap_table["_charge"] = load_line(swapping)
                print_table(f"{label} : pendant {args.swaps} changements de build", swap_table, swapping)
            print(f"\n{label} : mémoire des workers (RSS Mo) / fichiers DuckDB ouverts (dont supprimés)")
            for p in probes:
                cells = "  ".join(f"{w['pid']}: {w['rss_mb']} Mo, {w['duckdb']} ({w['deleted']})" for w in p["workers"])
                print(f"  {'avant' if p['swap'] == 0 else 'changement ' + str(p['swap']):<14} {cells}")
        finally:
            server.stop()
            print(f"Journal du serveur : {server.log.name}")
        return {"label": label, "command": server.cmd, "steady": table, "swaps": swap_table, "probes": probes}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ATLAS_DATA_DIR") or ROOT / "geodata"))
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60, help="seconds of steady load")
    ap.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0), help="think time between actions (s)")
    ap.add_argument("--warmup", type=float, default=15, help="seconds of load before measuring (not reported)")
    ap.add_argument("--swaps", type=int, default=5)
    ap.add_argument("--settle", type=float, default=8, help="seconds of traffic after each swap before measuring")
    ap.add_argument("--compare-sync", action="store_true", help="also run the old sync workers, first")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not (args.data_dir / "current").exists():
        print(f"pas de build dans {args.data_dir} : python -m etl build …", file=sys.stderr)
        return 2
    print(f"Machine : {machine_line()}")
    print(f"Build : {os.path.realpath(args.data_dir / 'current')}")
    print(f"Charge : {args.users} utilisateurs, pause {args.think[0]}–{args.think[1]} s entre actions, "
          f"mélange {', '.join(f'{a} {p:.1%}' for a, p in MIX)}")
    results = [run_config(args, args.data_dir, sync=True)] if args.compare_sync else []
    results.append(run_config(args, args.data_dir, sync=False))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_line(), "results": results}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
