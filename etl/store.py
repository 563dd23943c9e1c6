"""Read-only access to a built ``geodata/``: territories, communes, indicator values and figures.

Used by the CLI (``summary``, ``commune``, ``territories``) and by the dashboard. It opens the
DuckDB file READ_ONLY through an in-memory connection (so several gunicorn workers can read at
once, and the views below live in memory), and reads what users created beside it in the user
data directory (saved territories, imported CPAM tables). Nothing here writes.

Imported commune tables (``<user data dir>/imports/*.parquet``, see :mod:`etl.imports`) are loaded
into an in-memory table ``temp.main.imported_values``; ``temp.main.all_values`` is the union of
imported and built commune values, imported rows winning for the same (indicator, commune, year).
Every value query goes through ``all_values``; the import directory is re-listed (a cheap
``scandir``) before each, so an import made while the dashboard runs is seen at the next request.

Small numbers: :meth:`Store.commune_values` masks commune rows whose denominator is below the
indicator's secret threshold (value, numerator and denominator set to None, ``secret`` True);
territory and reference figures aggregate the raw rows first, then apply the threshold.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import pandas as pd

from atlas import paths
from .aggregate import Figure, aggregate
from atlas.paths import current_build as current_build_dir, data_dir as default_data_dir
from atlas.errors import AtlasError, UnknownCommune, UnknownTerritory
from atlas.userdata.imports import import_files, imports_dir, list_imports
from atlas.catalog import CATALOG, Indicator
from atlas.userdata.territories import load_user_territories

LEVELS = ("departement", "region", "france")


@dataclass(frozen=True)
class Territory:
    id: str
    name: str
    kind: str                      # 'cpts' | 'user'
    codes: tuple[str, ...]         # member communes (candidates excluded)
    departement: str | None
    confidence: str
    perimeter_note: str
    published_communes: int | None = None
    published_population: int | None = None
    published_as_of: str | None = None
    published_source: str | None = None
    candidates: tuple[str, ...] = ()


class Store:
    """One read-only view of the current build. Cheap to keep for a process's life; thread-safe
    through a lock around the single DuckDB connection (queries are milliseconds)."""

    def __init__(self, data_dir: Path | None = None, build_dir: Path | None = None,
                 imports_directory: Path | None = None):
        self.data_dir = Path(data_dir or default_data_dir())
        build = Path(build_dir) if build_dir else current_build_dir(self.data_dir)
        db = build / paths.DATABASE_FILE
        if not db.is_file():
            raise AtlasError(f"Aucune base construite dans {self.data_dir} : lancez « python -m etl build » "
                             f"(ou le script scripts/start du README).")
        # Resolve the symlink once: a build swapped in later does not change what this Store reads.
        self.build_dir = build.resolve()
        self._lock = threading.RLock()
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"ATTACH '{self.build_dir / paths.DATABASE_FILE}' AS atlas (READ_ONLY)")
        self.con.execute("USE atlas")
        self._imports_directory = Path(imports_directory) if imports_directory else None
        self._imports_sig = None
        self.import_errors: list[str] = []
        self._imports_meta: list[dict] = []
        self._refresh_imports(force=True)

    # -- imported CPAM tables --------------------------------------------------------------------
    @property
    def imports_directory(self) -> Path:
        return self._imports_directory or imports_dir()

    def _imports_signature(self):
        sig = []
        for p in import_files(self.imports_directory):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            sig.append((p.name, st.st_mtime_ns, st.st_size))
        return tuple(sig)

    def _refresh_imports(self, force: bool = False) -> None:
        import pyarrow.parquet as pq

        sig = self._imports_signature()
        if sig == self._imports_sig and not force:
            return
        cols = ["indicator_id", "code", "year", "value", "numerator", "denominator", "source_id", "synthetic"]
        frames, errors = [], []
        # Oldest first: for the same key, the most recent import wins.
        for name, _mtime, _size in sorted(sig, key=lambda t: (t[1], t[0])):
            path = self.imports_directory / name
            try:
                frames.append(pq.read_table(path, columns=cols).to_pandas())
            except Exception as exc:  # noqa: BLE001 - a damaged or vanished file must not break the app
                errors.append(f"{name} : fichier d'import illisible ({exc.__class__.__name__})")
        if frames:
            df = pd.concat(frames, ignore_index=True).drop_duplicates(["indicator_id", "code", "year"], keep="last")
        else:
            df = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, ["str", "str", "int32", "float64", "float64",
                                                                             "float64", "str", "bool"])})
        df["year"] = df["year"].astype("int32")
        df["synthetic"] = df["synthetic"].astype("bool")
        with self._lock:
            self.con.register("__imp", df)
            self.con.execute("CREATE OR REPLACE TEMP TABLE imported_values AS SELECT * FROM __imp")
            self.con.unregister("__imp")
            self.con.execute("""
                CREATE OR REPLACE TEMP VIEW all_values AS
                SELECT indicator_id, code, year, value, numerator, denominator, source_id, synthetic
                FROM temp.main.imported_values
                UNION ALL
                SELECT b.indicator_id, b.code, b.year, b.value, b.numerator, b.denominator, b.source_id, b.synthetic
                FROM atlas.main.commune_values b
                ANTI JOIN temp.main.imported_values i
                  ON i.indicator_id = b.indicator_id AND i.code = b.code AND i.year = b.year""")
            self._imports_sig = sig
            self.import_errors = errors
            self._imports_meta = list_imports(self.imports_directory) if sig else []

    def imports(self) -> list[dict]:
        """Provenance of the imported tables in use (original_name, imported_at, source_label, sha256,
        synthetic, rows, indicators, years, communes, source_id, file)."""
        self._refresh_imports()
        return list(self._imports_meta)

    # -- low level -----------------------------------------------------------------------------
    def query(self, sql: str, params=None) -> pd.DataFrame:
        with self._lock:
            return self.con.execute(sql, params or []).df()

    def close(self) -> None:
        self.con.close()

    @property
    def web_geometry_path(self) -> Path:
        return self.build_dir / paths.COMMUNES_WEB_FILE

    # -- reference data ------------------------------------------------------------------------
    @cached_property
    def communes(self) -> pd.DataFrame:
        return self.query("SELECT * FROM communes ORDER BY code").set_index("code", drop=False)

    @cached_property
    def valid_codes(self) -> set[str]:
        return set(self.communes.index)

    @cached_property
    def departements(self) -> pd.DataFrame:
        return self.query("SELECT * FROM departements").set_index("code", drop=False)

    @cached_property
    def regions(self) -> pd.DataFrame:
        return self.query("SELECT * FROM regions").set_index("code", drop=False)

    @cached_property
    def sources(self) -> pd.DataFrame:
        return self.query("SELECT * FROM sources ORDER BY id").set_index("id", drop=False)

    @cached_property
    def build_info(self) -> dict[str, str]:
        return dict(self.query("SELECT key, value FROM build_info").itertuples(index=False))

    @property
    def any_synthetic(self) -> bool:
        """True while any loaded source or any imported table is synthetic (the banner's rule)."""
        s = self.sources
        return bool((s["synthetic"] & (s["status"] == "loaded")).any()) or any(
            m.get("synthetic") for m in self.imports())

    def indicators(self) -> list[Indicator]:
        return list(CATALOG.values())

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return CATALOG[indicator_id]
        except KeyError:
            raise AtlasError(f"indicateur inconnu : {indicator_id} (connus : {', '.join(CATALOG)})") from None

    def years(self, indicator_id: str) -> list[int]:
        self._refresh_imports()
        df = self.query("SELECT DISTINCT year FROM temp.main.all_values WHERE indicator_id = ? "
                        "UNION SELECT DISTINCT year FROM reference_values WHERE indicator_id = ? ORDER BY 1",
                        [indicator_id, indicator_id])
        return [int(y) for y in df["year"]]

    def pick_year(self, indicator_id: str, year: int | None) -> int | None:
        years = self.years(indicator_id)
        if not years:
            return None
        if year is not None and year in years:
            return year
        return years[-1]

    # -- territories ---------------------------------------------------------------------------
    def user_territories(self):
        return load_user_territories(self.valid_codes)

    def territories(self) -> list[Territory]:
        rows = self.query("SELECT * FROM territories ORDER BY name")
        members = self.query("SELECT territory_id, code, role FROM territory_communes ORDER BY code")
        out = []
        for r in rows.itertuples(index=False):
            m = members[members.territory_id == r.id]
            out.append(Territory(
                id=r.id, name=r.name, kind=r.kind, codes=tuple(m.loc[m.role == "member", "code"]),
                departement=r.departement, confidence=r.confidence, perimeter_note=r.perimeter_note,
                published_communes=None if pd.isna(r.published_communes) else int(r.published_communes),
                published_population=None if pd.isna(r.published_population) else int(r.published_population),
                published_as_of=r.published_as_of, published_source=r.published_source,
                candidates=tuple(m.loc[m.role == "candidate", "code"])))
        builtin = {t.id for t in out}
        user, _errors = self.user_territories()
        for u in user:
            if u.id in builtin:
                continue  # a user file cannot shadow a CPTS of the project
            out.append(Territory(id=u.id, name=u.name, kind="user", codes=tuple(u.communes),
                                 departement=self.main_departement(u.communes), confidence="user",
                                 perimeter_note=u.note or "Territoire défini par l'utilisateur."))
        return out

    def territory(self, territory_id: str) -> Territory:
        for t in self.territories():
            if t.id == territory_id:
                return t
        raise UnknownTerritory(f"territoire inconnu : {territory_id} "
                               f"(connus : {', '.join(t.id for t in self.territories())})")

    def main_departement(self, codes) -> str | None:
        c = self.communes.reindex(list(codes)).dropna(subset=["departement"])
        if c.empty:
            return None
        return c.groupby("departement")["population"].sum().idxmax()

    # -- values --------------------------------------------------------------------------------
    def raw_commune_values(self, indicator_id: str, codes, year: int | None = None) -> pd.DataFrame:
        """Commune rows as stored (imports included), WITHOUT the small-number mask: for aggregation
        only, never for display (use :meth:`commune_values`)."""
        self._refresh_imports()
        year = self.pick_year(indicator_id, year)
        if year is None:
            return pd.DataFrame(columns=["code", "value", "numerator", "denominator", "year", "source_id", "synthetic"])
        return self.query("SELECT code, value, numerator, denominator, year, source_id, synthetic FROM temp.main.all_values "
                          "WHERE indicator_id = ? AND year = ? AND list_contains(?, code) ORDER BY code",
                          [indicator_id, year, list(codes)])

    def commune_values(self, indicator_id: str, codes, year: int | None = None) -> pd.DataFrame:
        """Commune rows (code, value, numerator, denominator, year, source_id, synthetic, secret) for
        ``codes``, imported rows included. A row whose denominator is below the indicator's secret
        threshold is masked: value, numerator and denominator missing (NaN), ``secret`` True (never 0)."""
        df = self.raw_commune_values(indicator_id, codes, year).copy()
        ind = self.indicator(indicator_id)
        df["secret"] = False
        if ind.secret_threshold is not None and not df.empty:
            den = pd.to_numeric(df["denominator"], errors="coerce")
            secret = den.notna() & (den < ind.secret_threshold)
            df["secret"] = secret
            for c in ("value", "numerator", "denominator"):
                df[c] = df[c].astype("float64").where(~secret, None)
        return df

    def reference(self, indicator_id: str, level: str, code: str, year: int) -> dict | None:
        df = self.query("SELECT value, numerator, denominator, source_id, synthetic FROM reference_values "
                        "WHERE indicator_id = ? AND level = ? AND code = ? AND year = ?",
                        [indicator_id, level, code, year])
        if df.empty:
            return None
        r = df.iloc[0]
        f = (lambda x: None if pd.isna(x) else float(x))
        return {"value": f(r.value), "numerator": f(r.numerator), "denominator": f(r.denominator),
                "source_id": r.source_id, "synthetic": bool(r.synthetic)}

    def reference_codes(self, departement: str | None) -> dict[str, str | None]:
        region = None
        if departement is not None and departement in self.departements.index:
            region = self.departements.loc[departement, "region"]
        return {"departement": departement, "region": region, "france": "FR"}

    def figure(self, indicator_id: str, codes, year: int | None = None) -> tuple[Figure, int | None, pd.DataFrame]:
        ind = self.indicator(indicator_id)
        rows = self.raw_commune_values(indicator_id, codes, year)
        fig = aggregate(ind, rows["numerator"], rows["denominator"], n_expected=len(codes))
        y = int(rows["year"].iloc[0]) if not rows.empty else self.pick_year(indicator_id, year)
        return fig, y, rows

    def source_label(self, source_id: str | None) -> str | None:
        if source_id and source_id.startswith("import:"):
            meta = next((m for m in self.imports() if m.get("source_id") == source_id), None)
            if meta:
                return f"{meta.get('source_label')} (import du {str(meta.get('imported_at', ''))[:10]}, " \
                       f"fichier {meta.get('original_name')})"
            return source_id
        if source_id is None or source_id not in self.sources.index:
            return source_id
        s = self.sources.loc[source_id]
        return f"{s.publisher} – {s.title} ({s.vintage})"

    def indicator_entry(self, indicator_id: str, codes, departement: str | None, year: int | None) -> dict:
        ind = self.indicator(indicator_id)
        fig, y, rows = self.figure(indicator_id, codes, year)
        refs = self.reference_codes(departement)
        reference, reference_codes, reference_sources, reference_synthetic = {}, {}, {}, {}
        for level in LEVELS:
            r = self.reference(indicator_id, level, refs[level], y) if (refs[level] and y is not None) else None
            reference[level] = r["value"] if r else None
            reference_codes[level] = refs[level]
            reference_sources[level] = r["source_id"] if r else None
            reference_synthetic[level] = r["synthetic"] if r else None
        source_ids = sorted(set(rows["source_id"])) if not rows.empty else []
        synthetic = bool(rows["synthetic"].any()) if not rows.empty else False
        return {
            "id": ind.id, "label": ind.label, "value": fig.value, "unit": ind.unit, "year": y,
            "source": "; ".join(filter(None, (self.source_label(s) for s in source_ids))) or None,
            "source_id": source_ids[0] if len(source_ids) == 1 else (source_ids or None),
            "synthetic": synthetic,
            "numerator": fig.numerator, "denominator": fig.denominator,
            "secret": fig.secret, "available": y is not None,
            "communes_with_value": fig.n_communes, "communes_without_value": fig.n_missing,
            "aggregation": ind.formula,
            "reference": reference, "reference_codes": reference_codes,
            "reference_sources": reference_sources, "reference_synthetic": reference_synthetic,
        }

    def territory_summary(self, territory_id: str, year: int | None = None,
                          indicator_ids: list[str] | None = None) -> dict:
        t = self.territory(territory_id)
        pop = self.communes.reindex(list(t.codes))["population"]
        ids = indicator_ids or list(CATALOG)
        return {
            "territory_id": t.id, "name": t.name, "kind": t.kind,
            "communes": len(t.codes),
            "population": int(pop.fillna(0).sum()) if len(t.codes) else 0,
            "departement": t.departement,
            "perimeter": {"confidence": t.confidence, "note": t.perimeter_note,
                          "published_communes": t.published_communes,
                          "published_population": t.published_population,
                          "published_as_of": t.published_as_of, "published_source": t.published_source,
                          "candidates": list(t.candidates)},
            "indicators": [self.indicator_entry(i, t.codes, t.departement, year) for i in ids],
        }

    def commune_summary(self, code: str, year: int | None = None, indicator_ids: list[str] | None = None) -> dict:
        code = code.strip().upper().zfill(5)
        if code not in self.valid_codes:
            raise UnknownCommune(f"commune inconnue : {code} (code INSEE du COG courant attendu)")
        c = self.communes.loc[code]
        ids = indicator_ids or list(CATALOG)
        return {
            "code": code, "name": c.nom, "departement": c.departement, "region": c.region, "epci": c.epci,
            "communes": 1, "population": None if pd.isna(c.population) else int(c.population),
            "has_geometry": bool(c.has_geometry),
            "territories": [t.id for t in self.territories() if code in t.codes],
            "indicators": [self.indicator_entry(i, [code], c.departement, year) for i in ids],
        }

    def published_figures(self, territory_id: str) -> list[dict]:
        df = self.query("SELECT figure, value, unit, as_of, scope, source FROM published_figures "
                        "WHERE territory_id = ?", [territory_id])
        return json.loads(df.to_json(orient="records", force_ascii=False))

    # -- professionals -------------------------------------------------------------------------
    def professionals(self, codes, year: int | None = None) -> pd.DataFrame:
        """Headcounts by profession and mode over ``codes`` (sum of the commune counts: a professional
        practising in two of the communes counts in both). Columns: profession, mode, count, year,
        source_id, synthetic."""
        years = self.query("SELECT DISTINCT year FROM professionals_by_commune ORDER BY 1")["year"].tolist()
        if not years:
            return pd.DataFrame(columns=["profession", "mode", "count", "year", "source_id", "synthetic"])
        y = year if year in years else years[-1]
        return self.query("""SELECT profession, mode, sum(count)::BIGINT AS count, any_value(year) AS year,
                                    any_value(source_id) AS source_id, bool_or(synthetic) AS synthetic
                             FROM professionals_by_commune WHERE year = ? AND list_contains(?, code)
                             GROUP BY ALL ORDER BY profession, mode""", [int(y), list(codes)])

    @property
    def locations_path(self) -> Path:
        return self.build_dir / paths.LOCATIONS_FILE

    def locations(self, codes=None, professions=None) -> pd.DataFrame:
        """Practice locations (BPE): id, profession, type_code, label, code, lon, lat, year, source_id, synthetic."""
        path = self.locations_path
        if not path.is_file():
            return pd.DataFrame(columns=["id", "profession", "type_code", "label", "code", "lon", "lat", "year",
                                         "source_id", "synthetic"])
        where, params = [], []
        if codes is not None:
            where.append("list_contains(?, code)")
            params.append(list(codes))
        if professions is not None:
            where.append("list_contains(?, profession)")
            params.append(list(professions))
        sql = f"SELECT * FROM read_parquet('{path}')" + (" WHERE " + " AND ".join(where) if where else "")
        return self.query(sql + " ORDER BY code, profession, id", params)
