"""The build: run every dataset step into a staging directory, then swap it in atomically.

Layout of the data directory (``geodata/`` by default, ``ATLAS_DATA_DIR`` to change it)::

    geodata/current -> builds/20261122T101500-1234   (symlink, replaced atomically)
    geodata/builds/<id>/atlas.duckdb                  (DuckDB, schema in etl/schema.py)
    geodata/builds/<id>/communes_web.parquet          (GeoParquet, simplified for the web)
    geodata/builds/<id>/communes_full.parquet         (GeoParquet, as read from the source)
    geodata/builds/.staging-<id>/                     (the build in progress, owned by its build)
    geodata/.build.lock                               (held by the running build)

A failed or interrupted build never touches ``current``: readers keep the previous build.
The previous build directory is kept (one generation) so that readers holding it open are safe.

One build at a time per data directory. A build holds ``.build.lock`` (``filelock``: an OS lock,
released by the kernel when its process dies, even by SIGKILL) from before it looks at the data
directory until after the swap. A second build exits at once with :class:`BuildBusy` (``--wait``
waits instead). Because only the lock holder ever writes in ``builds/``:

* a build's staging folder (``.staging-<build id>``) is its own: it removes it on failure and never
  removes another's;
* whatever the lock holder finds at its start that a build leaves only while running (staging
  folders, ``.current-*`` temporary links) belongs to a build that was killed: it is removed then,
  under the lock (:func:`_clean_leftovers`), so killed builds never pile up;
* an odd ``current`` (a plain folder after ``cp -r``, a dangling link, a file) is repaired then,
  without losing anything (:func:`_repair_current`).

Every failure reaches the caller as an :class:`AtlasError` whose message is French and one line
(:func:`describe_failure` translates disk full, other ``OSError``, DuckDB errors), the original
exception chained for ``--debug``; the CLI turns it into exit code 2.
"""
from __future__ import annotations

import datetime as dt
import errno
import os
import secrets
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock, Timeout
from tqdm import tqdm

from . import schema
from atlas.errors import AtlasError, SourceUnavailable
from atlas.catalog import CATALOG
from atlas import fmt, paths
from .sources import Resolved, Source, how_to_get, load_sources, resolve, sha256_of

KEEP_PREVIOUS_BUILDS = 1
# A folder found as ``current`` is moved to ``builds/<timestamp>-<LEGACY_SUFFIX>`` and kept: such
# builds are never pruned automatically (the log says where they are; delete them by hand).
LEGACY_SUFFIX = "legacy"
TMP_LINK_PREFIX = ".current-"


class BuildBusy(AtlasError):
    """Another build holds the data directory's lock."""


class BuildFailed(AtlasError):
    """A build stopped on a system error (disk full, permissions, DuckDB I/O…); the cause is chained."""


def log(msg: str) -> None:
    # tqdm.write keeps the progress bar intact on a terminal; it is a plain print otherwise.
    tqdm.write(msg, file=sys.stderr)


@dataclass
class BuildOptions:
    data_dir: Path
    mirror: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    only: str | None = None
    demo: bool = False
    allow_download: bool = True
    cache_dir: Path | None = None
    wait: bool = False                # wait for a running build instead of exiting with BuildBusy


@dataclass
class BuildContext:
    """What steps share: the staging connection, options, and the reference data of earlier steps."""
    con: duckdb.DuckDBPyConnection
    staging: Path
    options: BuildOptions
    sources: dict[str, Source]
    communes: pd.DataFrame | None = None     # current communes (code, nom, departement, region, epci, population)
    rekey: dict[str, str] | None = None       # old code -> current code
    postal: dict[str, list[str]] | None = None  # postal code -> current commune codes
    warnings: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # source id -> what stands in (real dataset absent)
    _demo: object = None                      # etl.demo.DemoFiles, generated on first need

    @property
    def cache_dir(self) -> Path:
        return self.options.cache_dir or paths.cache_dir()

    def demo_files(self):
        """The demo files of this build (generated once into the cache, deterministic)."""
        if self._demo is None:
            from .demo import generate_demo_files
            self._demo = generate_demo_files(self.con, self.cache_dir / "demo", self.postal)
        return self._demo

    def resolve_or_demo(self, source_id: str) -> Resolved | None:
        """Like :meth:`resolve`, but with ``--demo`` a source declared ``demo: true`` that cannot be had
        is replaced by its generated demo file (``resolved_from='demo'``; record it with synthetic=True)."""
        src = self.sources[source_id]
        try:
            return self._resolve(src)
        except SourceUnavailable as exc:
            if self.options.demo and src.demo:
                path = self.demo_files().path(source_id)
                log(f"  {source_id} : indisponible, remplacé par des données de démonstration FICTIVES ({path.name})")
                self.missing[source_id] = "remplacé par des données de démonstration FICTIVES"
                return Resolved(src, path, "demo", sha256_of(path))
            if src.essential:
                raise
            self.record_unavailable(src, str(exc))
            self.missing[source_id] = "absent (indicateur affiché « indisponible »)"
            log(f"ATTENTION : {exc}\n  -> le build continue sans ce jeu de données (indicateur affiché « indisponible »).")
            return None

    def resolve(self, source_id: str, *, required: bool | None = None) -> Resolved | None:
        """Resolve a source; record it as unavailable (and return None) unless it is essential."""
        src = self.sources[source_id]
        try:
            return self._resolve(src)
        except SourceUnavailable as exc:
            if required if required is not None else src.essential:
                raise
            self.record_unavailable(src, str(exc))
            self.missing[source_id] = "absent (indicateur affiché « indisponible »)"
            log(f"ATTENTION : {exc}\n  -> le build continue sans ce jeu de données (indicateur affiché « indisponible »).")
            return None

    def _resolve(self, src: Source) -> Resolved:
        found = resolve(src, explicit=self.options.files.get(src.id), mirror=self.options.mirror,
                        cache_dir=self.options.cache_dir, allow_download=self.options.allow_download)
        if found.note:
            log(f"  {src.id} : {found.note}")
        return found

    def missing_report(self) -> str | None:
        """The real datasets this build lacks and how to get each (official URL, --file, --mirror), in
        French; None when nothing is missing."""
        if not self.missing:
            return None
        lines = [f"Jeux de données réels absents de ce build ({len(self.missing)}) et comment les obtenir :"]
        for sid, what in self.missing.items():
            s = self.sources[sid]
            lines += [f"  - {sid} : « {s.title} » ({s.publisher}) : {what}",
                      f"      URL officielle : {s.url or '(pas de téléchargement public)'}",
                      f"      {how_to_get(s)}"]
        return "\n".join(lines)

    def record_source(self, resolved: Resolved, *, synthetic: bool = False, message: str | None = None) -> None:
        """Record a loaded source; ``message`` defaults to how it was resolved (e.g. which copy)."""
        s = resolved.source
        message = message if message is not None else resolved.note
        self.con.execute("DELETE FROM sources WHERE id = ?", [s.id])
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded', ?)",
            [s.id, s.publisher, s.title, s.vintage, s.licence, s.url, s.format, resolved.resolved_from,
             resolved.path.name, resolved.sha256, resolved.retrieved_at, synthetic or s.synthetic, message])

    def record_unavailable(self, s: Source, message: str) -> None:
        self.con.execute("DELETE FROM sources WHERE id = ?", [s.id])
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, 'unavailable', NULL, NULL, NULL, ?, 'unavailable', ?)",
            [s.id, s.publisher, s.title, s.vintage, s.licence, s.url, s.format, s.synthetic, message])

    def replace_commune_values(self, indicator_ids: list[str], df: pd.DataFrame) -> None:
        """Replace all commune values of these indicators by ``df`` (columns of ``commune_values``)."""
        cols = ["indicator_id", "code", "year", "value", "numerator", "denominator", "source_id", "synthetic"]
        unknown = set(df["indicator_id"]) - set(CATALOG)
        if unknown:
            raise AtlasError(f"indicateur(s) non déclaré(s) dans etl/indicators.py : {sorted(unknown)}")
        self.con.execute("DELETE FROM commune_values WHERE list_contains(?, indicator_id)", [indicator_ids])
        frame = df[cols]
        self.con.register("__cv", frame)
        self.con.execute("INSERT INTO commune_values SELECT * FROM __cv")
        self.con.unregister("__cv")


def _new_build_id() -> str:
    # Microseconds + pid + random suffix: two builds in the same second (tests, --only right after a
    # build) must never share a directory. The timestamp prefix keeps names sortable by age for pruning.
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S%f") + f"-{os.getpid()}-{secrets.token_hex(2)}"


# -- failures as one French line -------------------------------------------------------------------------
_ERRNO_TEXT = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un fichier se trouve là où un dossier est attendu",
    errno.EISDIR: "un dossier se trouve là où un fichier est attendu",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EEXIST: "le fichier existe déjà",
}


def describe_failure(exc: BaseException) -> str:
    """One French line for a system failure (the message a user reads instead of a traceback)."""
    if isinstance(exc, OSError):
        what = _ERRNO_TEXT.get(exc.errno) or f"erreur système ({exc.strerror or exc})"
        where = f" : {exc.filename}" if exc.filename else ""
        hint = " ; libérez de la place puis relancez" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        return f"{what}{where}{hint}"
    if isinstance(exc, duckdb.Error):
        text = " ".join(str(exc).split())
        if "No space left on device" in text:
            return "disque plein (DuckDB n'a pas pu écrire la base) ; libérez de la place puis relancez"
        if "Disk quota exceeded" in text:
            return "quota disque dépassé (DuckDB n'a pas pu écrire la base)"
        return f"erreur DuckDB ({type(exc).__name__}) : {text[:200]}"
    return f"erreur inattendue ({type(exc).__name__} : {' '.join(str(exc).split())[:200]})"


# -- one build at a time -----------------------------------------------------------------------------------
def _lock_holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" ({text[:200]})" if text else ""


@contextmanager
def build_lock(data_dir: Path, *, wait: bool, build_id: str):
    """Hold ``<data_dir>/.build.lock`` for the block, or raise :class:`BuildBusy` (``wait``: wait)."""
    lock_path = data_dir / paths.LOCK_FILE
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(blocking=False)
    except Timeout:
        holder = _lock_holder(lock_path)
        if not wait:
            raise BuildBusy(f"un autre build est en cours dans {data_dir}{holder} : attendez qu'il se termine, "
                            "ou relancez avec --wait pour l'attendre") from None
        log(f"Un autre build est en cours{holder} : attente de sa fin (--wait)…")
        lock.acquire()
    try:
        # Who holds it, for the message of a build that finds it busy (the OS lock is the truth).
        lock_path.write_text(f"processus {os.getpid()}, build {build_id}, commencé le "
                             f"{dt.datetime.now().strftime('%d/%m/%Y à %H:%M:%S')}\n", encoding="utf-8")
        yield
    finally:
        lock.release()


# -- leftovers of killed builds and odd ``current`` (called under the lock only) ------------------------
def _remove_tree(p: Path) -> int:
    """Remove ``p`` (folder, file or link); return the bytes freed."""
    if p.is_symlink() or not p.is_dir():
        size = p.lstat().st_size
        p.unlink()
        return size
    size = sum(f.lstat().st_size for f in p.rglob("*") if f.is_file() or f.is_symlink())
    shutil.rmtree(p)
    return size


def _clean_leftovers(data_dir: Path) -> None:
    """Remove what only a running build leaves (staging folders, temporary ``current`` links): found at
    the start of a build that holds the lock, they belong to builds that were killed."""
    found = [*paths.builds_dir(data_dir).glob(paths.STAGING_PREFIX + "*"), *data_dir.glob(TMP_LINK_PREFIX + "*")]
    if not found:
        return
    freed, failed = 0, []
    for p in found:
        try:
            freed += _remove_tree(p)
        except OSError as exc:   # not fatal: the new build does not need that space to be correct
            failed.append(f"{p.name} ({describe_failure(exc)})")
    log(f"Nettoyage : {len(found) - len(failed)} reste(s) de build(s) interrompu(s) supprimé(s) "
        f"({fmt.number(freed / 1e6, 0)} Mo libérés).")
    if failed:
        log(f"ATTENTION : non supprimé(s) : {', '.join(failed)}")


def _repair_current(data_dir: Path, build_id: str) -> None:
    """Make ``current`` a link to a build, or absent, without losing anything:

    * a link to a folder: fine, nothing to do;
    * a dangling link (or a link to a file): left as is, the swap replaces it (it holds nothing);
    * a plain folder (a data directory copied with ``cp -r`` or ``cp -L``): moved to
      ``builds/<build id>-legacy`` (kept, never pruned) and ``current`` becomes a link to it, so readers
      and ``--only`` go on with it;
    * anything else (a file…): renamed ``current.<build id>.orig`` beside it.
    """
    link = paths.current_build(data_dir)
    if link.is_symlink():
        if not link.resolve().is_dir():
            log(f"ATTENTION : « current » pointe vers {os.readlink(link)}, qui n'est pas un build : le nouveau "
                "build le remplacera.")
        return
    if not link.exists():
        return
    if link.is_dir():
        legacy = paths.builds_dir(data_dir) / f"{build_id}-{LEGACY_SUFFIX}"
        os.replace(link, legacy)
        _point_current(data_dir, legacy, build_id)
        log(f"ATTENTION : « current » était un dossier et non un lien (copie avec cp -r ?) : déplacé dans "
            f"{legacy.relative_to(data_dir)} (conservé, à supprimer à la main une fois le nouveau build vérifié) ; "
            "« current » pointe désormais vers lui.")
        return
    aside = data_dir / f"{paths.CURRENT_LINK}.{build_id}.orig"
    os.replace(link, aside)
    log(f"ATTENTION : « current » était un fichier et non un lien vers un build : renommé {aside.name}.")


def _point_current(data_dir: Path, build: Path, build_id: str) -> None:
    """Point ``current`` at ``build`` with one atomic rename of a symlink."""
    tmp_link = data_dir / f"{TMP_LINK_PREFIX}{build_id}"
    tmp_link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, data_dir), tmp_link)
    try:
        os.replace(tmp_link, paths.current_build(data_dir))
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise


def _prune_builds(data_dir: Path, keep: Path, previous: Path | None) -> None:
    """Keep ``keep`` and the ``KEEP_PREVIOUS_BUILDS`` newest other builds; remove older ones. Never a
    staging folder (hidden names), a legacy build, nor ``previous`` (the build readers had open)."""
    candidates = [p for p in paths.builds_dir(data_dir).iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                  and not p.name.endswith("-" + LEGACY_SUFFIX)]
    older = sorted((p for p in candidates if p != keep), key=lambda p: p.name)
    for p in older[: max(0, len(older) - KEEP_PREVIOUS_BUILDS)]:
        if p != previous:
            shutil.rmtree(p, ignore_errors=True)


def run_build(options: BuildOptions, steps=None) -> Path:
    """Run the build and return the new build directory. Raises :class:`AtlasError` on failure
    (:class:`BuildBusy`, :class:`BuildFailed` for system errors, the steps' own errors), leaving
    ``current`` untouched; ``KeyboardInterrupt`` passes through, after the same cleanup."""
    build_id = _new_build_id()
    try:
        options.data_dir.mkdir(parents=True, exist_ok=True)
        with build_lock(options.data_dir, wait=options.wait, build_id=build_id):
            _clean_leftovers(options.data_dir)
            _repair_current(options.data_dir, build_id)
            return _run_locked(options, steps, build_id)
    except (OSError, duckdb.Error) as exc:
        raise BuildFailed(describe_failure(exc)) from exc


def _run_locked(options: BuildOptions, steps, build_id: str) -> Path:
    from .steps import STEPS  # late import: steps import this module

    steps = steps if steps is not None else STEPS
    data_dir = options.data_dir
    builds = paths.builds_dir(data_dir)
    builds.mkdir(parents=True, exist_ok=True)
    staging = builds / f"{paths.STAGING_PREFIX}{build_id}"
    final = builds / build_id
    previous = paths.current_build(data_dir)
    pinned_previous = previous.resolve() if previous.is_symlink() else None
    t0 = time.perf_counter()
    staging.mkdir()
    try:
        if options.only:
            if not (previous / paths.DATABASE_FILE).is_file():
                raise AtlasError("--only demande une base existante : lancez d'abord « python -m etl build ».")
            shutil.copytree(previous.resolve(), staging, dirs_exist_ok=True)
            con = duckdb.connect(str(staging / paths.DATABASE_FILE))
        else:
            con = duckdb.connect(str(staging / paths.DATABASE_FILE))
            con.execute(schema.DDL)
        try:
            ctx = BuildContext(con=con, staging=staging, options=options, sources=load_sources())
            known = {s.name for s in steps}
            if options.only and options.only not in known and options.only not in ctx.sources:
                raise AtlasError(f"--only {options.only} : jeu de données inconnu (connus : {', '.join(sorted(known))})")
            selected_steps = [
                step for step in steps
                if (not options.only or step.always or options.only == step.name
                    or options.only in step.source_ids)
                and not (step.demo_only and not options.demo)]
            # One bar over the steps (shown on a terminal only: disable=None), plus a log line per
            # step so that CI logs and redirected output keep the timings.
            with tqdm(total=len(selected_steps), desc="build", unit="étape", file=sys.stderr,
                      disable=None, leave=False) as bar:
                for step in selected_steps:
                    ts = time.perf_counter()
                    bar.set_postfix_str(step.name)
                    log(f"[{step.name}] …")
                    step.run(ctx)
                    log(f"[{step.name}] fait en {time.perf_counter() - ts:.1f} s")
                    bar.update(1)
            con.execute("DELETE FROM build_info")
            info = {"built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "build_id": build_id, "demo": str(options.demo).lower(),
                    "mirror": "yes" if options.mirror else "no",
                    "warnings": "\n".join(ctx.warnings),
                    "missing_sources": ",".join(ctx.missing)}
            con.executemany("INSERT INTO build_info VALUES (?, ?)", list(info.items()))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(staging, final)
        _point_current(data_dir, final, build_id)
    except BaseException:
        # Only this build's own folders: its staging, and its final folder unless ``current`` already
        # points at it (an interrupt right after the atomic swap: the build is in place, keep it).
        shutil.rmtree(staging, ignore_errors=True)
        if final.exists() and previous.resolve() != final.resolve():
            shutil.rmtree(final, ignore_errors=True)
        raise
    try:
        _prune_builds(data_dir, final, pinned_previous)
    except OSError as exc:  # the build is in place; an old one left behind is no failure
        ctx.warnings.append(f"anciens builds non supprimés ({describe_failure(exc)})")
    log(f"Build terminé en {time.perf_counter() - t0:.1f} s -> {final.relative_to(data_dir)}")
    for w in ctx.warnings:
        log(f"ATTENTION : {w}")
    report = ctx.missing_report()
    if report:
        log(report)
    return final
