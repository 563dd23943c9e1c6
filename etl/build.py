"""The build: run every dataset step into a staging directory, then swap it in atomically.

Layout of the data directory (``geodata/`` by default, ``ATLAS_DATA_DIR`` to change it)::

    geodata/current -> builds/20261122T101500-1234   (symlink, replaced atomically)
    geodata/builds/<id>/atlas.duckdb                  (DuckDB, schema in etl/schema.py)
    geodata/builds/<id>/communes_web.parquet          (GeoParquet, simplified for the web)
    geodata/builds/<id>/communes_full.parquet         (GeoParquet, as read from the source)

A failed or interrupted build never touches ``current``: readers keep the previous build.
The previous build directory is kept (one generation) so that readers holding it open are safe.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from . import schema
from atlas.errors import AtlasError, SourceUnavailable
from atlas.catalog import CATALOG
from atlas import paths
from .sources import Resolved, Source, load_sources, resolve, sha256_of

KEEP_PREVIOUS_BUILDS = 1


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
            return resolve(src, explicit=self.options.files.get(source_id), mirror=self.options.mirror,
                           cache_dir=self.options.cache_dir, allow_download=self.options.allow_download)
        except SourceUnavailable as exc:
            if self.options.demo and src.demo:
                path = self.demo_files().path(source_id)
                log(f"  {source_id} : indisponible, remplacé par des données de démonstration FICTIVES ({path.name})")
                return Resolved(src, path, "demo", sha256_of(path))
            if src.essential:
                raise
            self.record_unavailable(src, str(exc))
            log(f"ATTENTION : {exc}\n  -> le build continue sans ce jeu de données (indicateur affiché « indisponible »).")
            return None

    def resolve(self, source_id: str, *, required: bool | None = None) -> Resolved | None:
        """Resolve a source; record it as unavailable (and return None) unless it is essential."""
        src = self.sources[source_id]
        try:
            return resolve(src, explicit=self.options.files.get(source_id), mirror=self.options.mirror,
                           cache_dir=self.options.cache_dir, allow_download=self.options.allow_download)
        except SourceUnavailable as exc:
            if required if required is not None else src.essential:
                raise
            self.record_unavailable(src, str(exc))
            log(f"ATTENTION : {exc}\n  -> le build continue sans ce jeu de données (indicateur affiché « indisponible »).")
            return None

    def record_source(self, resolved: Resolved, *, synthetic: bool = False, message: str | None = None) -> None:
        s = resolved.source
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


def _swap_current(data_dir: Path, new_build: Path) -> None:
    """Point ``current`` at ``new_build`` with one atomic rename of a symlink."""
    link = data_dir / "current"
    tmp_link = data_dir / f".current-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(new_build, data_dir), tmp_link)
    os.replace(tmp_link, link)


def _prune_builds(data_dir: Path, keep: Path) -> None:
    builds = sorted((p for p in (data_dir / "builds").iterdir() if p.is_dir()), key=lambda p: p.name)
    older = [p for p in builds if p != keep]
    for p in older[: max(0, len(older) - KEEP_PREVIOUS_BUILDS)]:
        shutil.rmtree(p, ignore_errors=True)
    for p in (data_dir / "builds").glob(".staging-*"):
        # staging directories of builds that were killed; safe to remove once a build succeeded
        shutil.rmtree(p, ignore_errors=True)


def run_build(options: BuildOptions, steps=None) -> Path:
    """Run the build and return the new build directory. Raises :class:`AtlasError` on failure,
    leaving ``current`` untouched."""
    from .steps import STEPS  # late import: steps import this module

    steps = steps if steps is not None else STEPS
    data_dir = options.data_dir
    builds = data_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = _new_build_id()
    staging = builds / f".staging-{build_id}"
    staging.mkdir()
    t0 = time.perf_counter()
    try:
        previous = paths.current_build(data_dir)
        if options.only:
            if not (previous / paths.DATABASE_FILE).is_file():
                raise AtlasError("--only demande une base existante : lancez d'abord « python -m etl build ».")
            for f in previous.iterdir():
                shutil.copy2(f, staging / f.name)
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
                    "warnings": "\n".join(ctx.warnings)}
            con.executemany("INSERT INTO build_info VALUES (?, ?)", list(info.items()))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        final = builds / build_id
        os.replace(staging, final)
        _swap_current(data_dir, final)
        _prune_builds(data_dir, final)
        log(f"Build terminé en {time.perf_counter() - t0:.1f} s -> {final.relative_to(data_dir)}")
        for w in ctx.warnings:
            log(f"ATTENTION : {w}")
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
