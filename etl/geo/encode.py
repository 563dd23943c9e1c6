"""Quantised TopoJSON of sets of features of a :class:`~etl.geo.topology.Topology`, and its
precompressed copies.

TopoJSON (https://github.com/topojson/topojson-specification): arcs quantised on a grid and
delta-encoded, polygons as lists of arc references (``~i`` for an arc walked backwards). Each
feature is a ``Polygon`` or ``MultiPolygon`` with ``id`` = commune code and ``properties.nom``.
A foreign member ``atlas`` carries what the browser needs beyond the standard (area, level of
detail, inset boxes).

All the files of one level of detail share one quantisation grid (``transform``): an arc is then
the same text in every file, so it is formatted once per level (:class:`EncodedArcs`) and each
area file is a join of strings, not a new encoding (the build writes ~120 files).

Measured on France at the "france" level (``bench/bench_topology.py``): the same polygons as
GeoJSON (5 decimals) are 11.6 MB raw, 1.90 MB with brotli, against 7.05 MB and 1.79 MB here. The
compressed gain is small; TopoJSON is chosen for what the arcs give: 40 % less JSON to parse in the
browser, each border stroked once, a territory's outline as the arcs used once, and neighbours
that cannot drift apart.
"""
from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .topology import METRES_PER_DEGREE, Topology


@dataclass(frozen=True)
class EncodedArcs:
    """Every arc of a topology quantised on one grid, as TopoJSON text (``[[x,y],[dx,dy],…]``).

    ``alias[a]`` is the arc written for arc ``a`` (itself, or an earlier arc with the same grid
    points, walked backwards when ``flip[a]``): two borders the source draws with different vertices
    between the same junctions can become the same line once simplified and quantised; they are
    then one arc, drawn once, and the gap between them is gone."""
    texts: list[str]
    transform: dict
    coords: np.ndarray           # the (float) coordinates encoded, same layout as the topology's
    alias: np.ndarray
    flip: np.ndarray


def encode_arcs(topo: Topology, grid_m: float, coords: np.ndarray | None = None) -> EncodedArcs:
    """Quantise all arcs on a grid of ``grid_m`` metres (in degrees of latitude, both axes) and
    delta-encode them. Points falling in the same grid cell as the previous one are dropped
    (never an arc's end points, so arcs still meet)."""
    coords = topo.coords if coords is None else coords
    k = grid_m / METRES_PER_DEGREE
    x0, y0 = (coords.min(axis=0) if len(coords) else np.zeros(2))
    q = np.round((coords - [x0, y0]) / k).astype(np.int64)
    lens = np.diff(topo.arc_offsets)
    arc_of = np.repeat(np.arange(topo.n_arcs), lens)
    first = np.r_[True, arc_of[1:] != arc_of[:-1]] if len(arc_of) else np.zeros(0, bool)
    last = np.r_[arc_of[1:] != arc_of[:-1], True] if len(arc_of) else np.zeros(0, bool)
    same = np.r_[False, (q[1:] == q[:-1]).all(axis=1)] if len(q) else np.zeros(0, bool)
    keep = ~same | first | last
    q, arc_of, first = q[keep], arc_of[keep], first[keep]
    delta = q.copy()
    delta[1:][~first[1:]] = q[1:][~first[1:]] - q[:-1][~first[1:]]
    ends = np.cumsum(np.bincount(arc_of, minlength=topo.n_arcs)).tolist()
    starts = [0] + ends[:-1]
    texts = _arc_texts(delta, starts, ends)
    # arcs with the same grid points (either way round) are written once
    alias = np.arange(topo.n_arcs)
    flip = np.zeros(topo.n_arcs, bool)
    seen: dict[bytes, tuple[int, bool]] = {}
    qb = q.astype(np.int64)
    for a, (s0, e0) in enumerate(zip(starts, ends)):
        fwd = qb[s0:e0].tobytes()
        rev = qb[s0:e0][::-1].tobytes()
        key, backwards = (fwd, False) if fwd <= rev else (rev, True)
        got = seen.get(key)
        if got is None:
            seen[key] = (a, backwards)
        else:
            alias[a] = got[0]
            flip[a] = backwards != got[1]
    transform = {"scale": [k, k], "translate": [float(x0), float(y0)]}
    return EncodedArcs(texts, transform, coords, alias, flip)


_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _digits(v: np.ndarray) -> np.ndarray:
    """Length of ``str(v)`` of each integer (sign included)."""
    return np.maximum(np.searchsorted(_POW10, np.abs(v), side="right"), 1) + (v < 0)


def _arc_texts(delta: np.ndarray, starts: list[int], ends: list[int]) -> list[str]:
    """``[[x,y],[dx,dy],…]`` of each arc, cut out of one ``json.dumps`` of all the points (the
    C encoder) at offsets computed from the digits of each number: 4× faster than formatting
    each point in Python."""
    if len(delta) == 0:
        return ["[]"] * len(starts)
    flat = json.dumps(delta.tolist(), separators=(",", ":"))
    plen = 3 + _digits(delta[:, 0]) + _digits(delta[:, 1])
    pstart = 1 + np.r_[0, np.cumsum(plen + 1)[:-1]]
    ps, pl = pstart.tolist(), plen.tolist()
    return ["[" + flat[ps[a]:ps[b - 1] + pl[b - 1]] + "]" if b > a else "[]" for a, b in zip(starts, ends)]


def _select(topo: Topology, features: np.ndarray, arcs: EncodedArcs):
    """Rings of ``features`` (in that order), the arcs they use (in order of first use, each
    duplicate replaced by the arc written for it) and the references renumbered for a file holding
    only those arcs."""
    ring_feature = topo.ring_features()
    order = np.full(topo.n_features, -1)
    order[features] = np.arange(len(features))
    rank = order[ring_feature]
    rings = np.flatnonzero(rank >= 0)
    rings = rings[np.argsort(rank[rings], kind="stable")]
    counts = np.diff(topo.ring_offsets)[rings]
    pos = np.repeat(topo.ring_offsets[rings], counts) + (
        np.arange(counts.sum()) - np.repeat(np.r_[0, np.cumsum(counts)[:-1]], counts))
    refs = topo.ring_arcs[pos]
    arc = np.where(refs < 0, ~refs, refs)
    backwards = (refs < 0) != arcs.flip[arc]
    arc = arcs.alias[arc]
    refs = np.where(backwards, ~arc, arc)
    used, first = np.unique(arc, return_index=True)
    used = used[np.argsort(first)]                     # arcs in order of first use: locality
    new_id = np.full(topo.n_arcs, -1)
    new_id[used] = np.arange(len(used))
    new_refs = np.where(refs < 0, ~new_id[arc], new_id[arc])
    return rings, counts, new_refs, used


def feature_texts(ids, names) -> list[str]:
    """The ``"id":…,"properties":{…}`` text of each feature, formatted once for every file."""
    return [f'"id":{json.dumps(str(i))},"properties":{{"nom":{json.dumps(str(n), ensure_ascii=False)}}}'
            for i, n in zip(ids, names)]


def topojson_text(topo: Topology, arcs: EncodedArcs, features, props: list[str], *, meta: dict | None = None,
                  object_name: str = "communes") -> str:
    """The TopoJSON text of ``features`` (indices into the topology, in the order written);
    ``props`` (:func:`feature_texts`) is indexed like the topology's features."""
    features = np.asarray(features, np.int64)
    rings, counts, refs, used = _select(topo, features, arcs)
    ref_text = list(map(str, refs.tolist()))
    ends = np.cumsum(counts).tolist()
    ring_poly = topo.ring_polygon[rings].tolist()
    ring_feat = topo.ring_features()[rings].tolist()
    polys_of: dict[int, list] = {}
    last_poly = None
    for a, b, poly, feat in zip([0] + ends[:-1], ends, ring_poly, ring_feat):
        polys = polys_of.setdefault(feat, [])
        ring = "[" + ",".join(ref_text[a:b]) + "]"
        if poly != last_poly:
            polys.append([ring])
            last_poly = poly
        else:
            polys[-1].append(ring)
    geoms = []
    for f in features.tolist():
        polys = polys_of.get(f)
        if not polys:
            continue
        if len(polys) == 1:
            geoms.append('{"type":"Polygon","arcs":[' + ",".join(polys[0]) + "]," + props[f] + "}")
        else:
            body = ",".join("[" + ",".join(p) + "]" for p in polys)
            geoms.append('{"type":"MultiPolygon","arcs":[' + body + "]," + props[f] + "}")
    xy = arcs.coords[np.repeat(np.isin(np.arange(topo.n_arcs), used), np.diff(topo.arc_offsets))]
    bbox = [float(v) for v in (*xy.min(axis=0), *xy.max(axis=0))] if len(xy) else [0.0, 0.0, 0.0, 0.0]
    head = {"type": "Topology", "bbox": bbox, "transform": arcs.transform}
    parts = [json.dumps(head, separators=(",", ":"))[:-1],
             f',"objects":{{"{object_name}":{{"type":"GeometryCollection","geometries":[', ",".join(geoms), "]}}",
             ',"arcs":[', ",".join(arcs.texts[a] for a in used.tolist()), "]"]
    if meta is not None:
        parts.append(',"atlas":' + json.dumps({**meta, "features": len(geoms)}, ensure_ascii=False,
                                               separators=(",", ":")))
    parts.append("}")
    return "".join(parts)


def write_precompressed(path: Path, data: bytes, *, gzip_level: int = 5, brotli_quality: int = 6) -> dict[str, int]:
    """``path`` plus ``path.gz`` and ``path.br`` beside it (served as they are by the dashboard:
    ``dashboard/server.py``); each written to a temporary name then renamed. Returns the sizes.

    gzip 5 and brotli 6 (window 2^22), by measurement on the ~27 MB the build writes: gzip 6 saves
    ~1 % for twice the time (1.4 s against 0.7 s), gzip 9 2.5 % more for 4×; brotli 9 saves 2 % for
    4×, brotli 11 9 % for ~35× (15 s for the France file alone). Browsers take brotli when they can
    (Chromium does on localhost too), so gzip is the fallback."""
    import brotli

    sizes = {}
    for suffix, payload in (("", data), (".gz", gzip.compress(data, gzip_level, mtime=0)),
                            (".br", brotli.compress(data, quality=brotli_quality, lgwin=22))):
        target = path.with_name(path.name + suffix)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        tmp.write_bytes(payload)
        os.replace(tmp, target)
        sizes[suffix.lstrip(".") or "raw"] = len(payload)
    return sizes
