"""Shared-border topology of polygons: rings cut into arcs at junctions, each border stored once.

The commune polygons of the source share *exact* vertices along common borders (IGN ADMIN EXPRESS,
as re-packaged in the mirror: 477k of its 499k distinct points belong to two communes or more), so
an arc topology can be extracted exactly with array operations, without snapping:

1. every distinct coordinate pair gets a point id (exact float equality);
2. a point is a *junction* where the rings through it do not all agree on its neighbours (the
   unordered pair previous/next): where three communes meet, where a shared border meets the
   coast, where a border stops being shared;
3. each ring is cut at its junctions into arcs; a ring without junction (an island, an enclave and
   the hole it fills) is one closed arc starting at its smallest point id;
4. an arc is identified by its first two point ids in its canonical direction (the path from a
   junction through a non-junction point is determined: a non-junction point has one neighbour
   pair), so the two communes on either side of a border refer to the *same* arc, one of them
   reversed (TopoJSON's ``~i``).

Chosen by measurement (``bench/bench_topology.py``, 2 cores): on France (34,871 communes,
1.09 M vertices, 106,187 arcs) this takes 1.2 s against 16.4 s for the PyPI ``topojson`` package
(peak RSS of the whole process 663 MB against 751 MB, most of it the GeoDataFrame), and its
simplification (:func:`simplify`, Douglas–Peucker on all arcs at once with numpy) 0.6–2.1 s per
level against 3.5 s for the package's ``toposimplify``; GEOS's TopologyPreservingSimplifier on
all arcs as one MultiLineString took 24 s at 30 m and 284 s at 100 m.

Everything is pure (numpy/shapely in, arrays out); the build step is ``etl/steps/web_geometry.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shapely

from atlas.geo.arcs import Topology, ring_vertex_index, to_shapely  # noqa: F401 (re-exported)


def _ring_layout(ring_of_vertex: np.ndarray, n_rings: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each ring from the (sorted) ring index of each vertex."""
    lengths = np.bincount(ring_of_vertex, minlength=n_rings)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    return starts, lengths


def _neighbours(ring_of_vertex, starts, lengths):
    """Index of the previous and next vertex of each vertex in its (cyclic) ring."""
    i = np.arange(len(ring_of_vertex))
    s = starts[ring_of_vertex]
    n = lengths[ring_of_vertex]
    rel = i - s
    return s + (rel - 1) % n, s + (rel + 1) % n


def _clean_rings(pid: np.ndarray, ring: np.ndarray, n_rings: int) -> np.ndarray:
    """Indices of the vertices kept once repeated consecutive points and spikes (a, b, a) are gone;
    rings left with fewer than 3 points are dropped."""
    idx = np.arange(len(pid))
    for _ in range(64):
        starts, lengths = _ring_layout(ring[idx], n_rings)
        prev, nxt = _neighbours(ring[idx], starts, lengths)
        p = pid[idx]
        drop = p == p[prev]                   # of a run of equal points the first one stays
        if not drop.any():
            drop = p[prev] == p[nxt]          # the tip of a spike
        if not drop.any():
            break
        idx = idx[~drop]
    counts = np.bincount(ring[idx], minlength=n_rings)
    return idx[counts[ring[idx]] >= 3]


def build_topology(geoms, *, n_features: int | None = None) -> Topology:
    """Arc topology of an array of (Multi)Polygons (None/empty allowed: the feature has no polygon)."""
    geoms = np.asarray(geoms, dtype=object)
    n_features = len(geoms) if n_features is None else n_features
    present = np.array([g is not None and not shapely.is_empty(g) for g in geoms], bool)
    polys, poly_feature = shapely.get_parts(geoms[present], return_index=True)
    poly_feature = np.flatnonzero(present)[poly_feature]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    # drop the closing vertex of each ring
    closing = np.r_[vertex_ring[1:] != vertex_ring[:-1], True]
    coords, vertex_ring = coords[~closing], vertex_ring[~closing]

    # 1. point ids by exact coordinates
    order = np.lexsort((coords[:, 1], coords[:, 0]))
    sc = coords[order]
    new = np.r_[True, (sc[1:, 0] != sc[:-1, 0]) | (sc[1:, 1] != sc[:-1, 1])]
    pid = np.empty(len(coords), np.int64)
    pid[order] = np.cumsum(new) - 1
    n_points = int(new.sum())

    ring_exterior = np.r_[True, ring_poly[1:] != ring_poly[:-1]] if len(ring_poly) else np.zeros(0, bool)
    keep = _clean_rings(pid, vertex_ring, len(rings))
    pid, coords, vertex_ring = pid[keep], coords[keep], vertex_ring[keep]
    # renumber the rings left; a polygon whose exterior degenerated loses its holes too
    ring_ids, vertex_ring = np.unique(vertex_ring, return_inverse=True)
    ring_poly, ring_exterior = ring_poly[ring_ids], ring_exterior[ring_ids]
    exterior_ok = np.zeros(len(polys), bool)
    exterior_ok[ring_poly[ring_exterior]] = True
    if not exterior_ok[ring_poly].all():
        vkeep = exterior_ok[ring_poly][vertex_ring]
        pid, coords, vertex_ring = pid[vkeep], coords[vkeep], vertex_ring[vkeep]
        ring_ids, vertex_ring = np.unique(vertex_ring, return_inverse=True)
        ring_poly = ring_poly[ring_ids]
    n_rings = len(ring_poly)
    starts, lengths = _ring_layout(vertex_ring, n_rings)

    # 2. junctions: the rings through a point disagree on its unordered neighbour pair
    prev, nxt = _neighbours(vertex_ring, starts, lengths)
    a, b = pid[prev], pid[nxt]
    pair = np.minimum(a, b) * n_points + np.maximum(a, b)
    lo = np.full(n_points, np.iinfo(np.int64).max)
    hi = np.full(n_points, -1, np.int64)
    np.minimum.at(lo, pid, pair)
    np.maximum.at(hi, pid, pair)
    junction = (lo != hi)[pid]

    # 3. rotate each ring to start at its first junction (or its smallest point id)
    rel = np.arange(len(pid)) - starts[vertex_ring]
    big = np.iinfo(np.int64).max
    first_junction = np.full(n_rings, big)
    np.minimum.at(first_junction, vertex_ring, np.where(junction, rel, big))
    has_junction = first_junction != big
    smallest = np.full(n_rings, big)
    np.minimum.at(smallest, vertex_ring, pid)
    at_smallest = np.full(n_rings, big)
    np.minimum.at(at_smallest, vertex_ring, np.where(pid == smallest[vertex_ring], rel, big))
    offset = np.where(has_junction, first_junction, at_smallest)
    rotated = starts[vertex_ring] + (rel + offset[vertex_ring]) % lengths[vertex_ring]
    # closed sequence: each ring's rotated vertices then its first one again
    closed_len = lengths + 1
    closed_starts = np.r_[0, np.cumsum(closed_len)[:-1]]
    seq_vertex = np.empty(int(closed_len.sum()), np.int64)
    pos = closed_starts[vertex_ring] + rel
    seq_vertex[pos] = rotated
    seq_vertex[closed_starts + lengths] = seq_vertex[closed_starts]
    seq_pid = pid[seq_vertex]
    seq_ring = np.repeat(np.arange(n_rings), closed_len)
    boundary = junction[seq_vertex]
    boundary[closed_starts] = True
    boundary[closed_starts + lengths] = True
    bpos = np.flatnonzero(boundary)
    ring_end = np.zeros(len(seq_vertex), bool)
    ring_end[closed_starts + lengths] = True
    s_occ = bpos[:-1][~ring_end[bpos[:-1]]]
    e_occ = bpos[1:][~ring_end[bpos[:-1]]]
    occ_ring = seq_ring[s_occ]

    # 4. one arc per (first, second) point ids in canonical direction
    fwd = seq_pid[s_occ] * n_points + seq_pid[s_occ + 1]
    bwd = seq_pid[e_occ] * n_points + seq_pid[e_occ - 1]
    reverse = bwd < fwd
    key = np.where(reverse, bwd, fwd)
    keys, first_occ, arc_of_occ = np.unique(key, return_index=True, return_inverse=True)
    occ_len = e_occ - s_occ + 1
    mismatched = int(np.count_nonzero(occ_len != occ_len[first_occ][arc_of_occ]))
    arc_len = occ_len[first_occ]
    arc_offsets = np.r_[0, np.cumsum(arc_len)]
    # coordinates of each arc from its first occurrence, in canonical direction
    local = np.arange(arc_offsets[-1]) - np.repeat(arc_offsets[:-1], arc_len)
    s_first, e_first, rev_first = s_occ[first_occ], e_occ[first_occ], reverse[first_occ]
    src = np.where(np.repeat(rev_first, arc_len), np.repeat(e_first, arc_len) - local,
                   np.repeat(s_first, arc_len) + local)
    arc_coords = coords[seq_vertex[src]]
    refs = np.where(reverse, ~arc_of_occ, arc_of_occ)
    ring_offsets = np.r_[0, np.cumsum(np.bincount(occ_ring, minlength=n_rings))]
    topo = Topology(coords=arc_coords, arc_offsets=arc_offsets, ring_arcs=refs.astype(np.int64),
                    ring_offsets=ring_offsets, ring_polygon=ring_poly, polygon_feature=poly_feature,
                    n_features=n_features, mismatched_arcs=mismatched)
    return orient(topo)


def orient(topo: Topology) -> Topology:
    """Exterior rings counter-clockwise, holes clockwise (GeoJSON's right-hand rule), by reversing
    the arc references of the rings that turn the other way. The browser fills with the non-zero
    rule: a commune in the hole of another is filled, overlaps of the source are not left empty."""
    area = ring_signed_areas(topo)
    flip = (area < 0) == topo.ring_is_exterior()
    if not flip.any():
        return topo
    counts = np.diff(topo.ring_offsets)
    ring_of_ref = np.repeat(np.arange(topo.n_rings), counts)
    pos = np.arange(len(topo.ring_arcs))
    start, end = topo.ring_offsets[ring_of_ref], topo.ring_offsets[ring_of_ref + 1]
    f = flip[ring_of_ref]
    src = np.where(f, start + end - 1 - pos, pos)
    refs = topo.ring_arcs[src]
    refs = np.where(f, ~refs, refs)
    return replace(topo, ring_arcs=refs)


METRES_PER_DEGREE = 111_195.0     # mean Earth radius × π / 180


def _local_metres(coords: np.ndarray, arc_offsets: np.ndarray) -> np.ndarray:
    """Coordinates in metres, locally equirectangular per arc (x scaled by cos of the arc's first
    latitude): exact enough for tolerances of tens to hundreds of metres."""
    lens = np.diff(arc_offsets)
    lat0 = np.repeat(coords[arc_offsets[:-1], 1], lens)
    return np.column_stack([coords[:, 0] * np.cos(np.radians(lat0)), coords[:, 1]]) * METRES_PER_DEGREE


def douglas_peucker_keep(xy: np.ndarray, arc_offsets: np.ndarray, tolerance: np.ndarray,
                         arcs: np.ndarray | None = None) -> np.ndarray:
    """Douglas–Peucker on every arc at once (``tolerance`` per arc, same unit as ``xy``): the mask of
    vertices kept. End points are always kept, so arcs still meet at their junctions; arcs are
    processed as flat arrays, one pass per level of recursion. ``arcs``: only these (others keep
    their end points only)."""
    n = len(xy)
    keep = np.zeros(n, bool)
    lens = np.diff(arc_offsets)
    keep[arc_offsets[:-1]] = True
    keep[arc_offsets[1:] - 1] = True
    arc_ids = np.flatnonzero(lens > 2)
    if arcs is not None:
        arc_ids = np.intersect1d(arc_ids, arcs)
    s, e, tol = arc_offsets[arc_ids], arc_offsets[arc_ids + 1] - 1, tolerance[arc_ids]
    while len(s):
        inner = e - s - 1
        total = int(inner.sum())
        seg = np.repeat(np.arange(len(s)), inner)
        i = np.repeat(s + 1, inner) + (np.arange(total) - np.repeat(np.r_[0, np.cumsum(inner)[:-1]], inner))
        a, b, p = xy[s][seg], xy[e][seg], xy[i]
        ab = b - a
        ap = p - a
        norm = np.hypot(ab[:, 0], ab[:, 1])
        cross = np.abs(ab[:, 0] * ap[:, 1] - ab[:, 1] * ap[:, 0])
        d = np.where(norm > 0, cross / np.where(norm > 0, norm, 1), np.hypot(ap[:, 0], ap[:, 1]))
        seg_start = np.r_[0, np.cumsum(inner)[:-1]]
        dmax = np.maximum.reduceat(d, seg_start)
        at_max = np.flatnonzero(d == dmax[seg])
        first = at_max[np.r_[True, seg[at_max][1:] != seg[at_max][:-1]]]   # first farthest point of each
        far = i[first]
        split = dmax > tol
        keep[far[split]] = True
        s2 = np.r_[s[split], far[split]]
        e2 = np.r_[far[split], e[split]]
        t2 = np.r_[tol[split], tol[split]]
        more = e2 - s2 > 1
        s, e, tol = s2[more], e2[more], t2[more]
    return keep


def ring_signed_areas(topo: Topology, coords: np.ndarray | None = None) -> np.ndarray:
    """Signed area of each ring (shoelace, in squared coordinate units)."""
    coords = topo.coords if coords is None else coords
    idx, ring = ring_vertex_index(topo)
    x, y = coords[idx, 0], coords[idx, 1]
    nxt = np.r_[idx[1:], idx[-1:]] if len(idx) else idx
    same = np.r_[ring[1:] == ring[:-1], False] if len(idx) else np.zeros(0, bool)
    xn, yn = coords[nxt, 0], coords[nxt, 1]
    term = np.where(same, x * yn - xn * y, 0.0)
    return 0.5 * np.bincount(ring, weights=term, minlength=topo.n_rings)


def subset_arcs(topo: Topology, keep: np.ndarray) -> Topology:
    """The same topology with only the kept vertices of each arc (end points must be kept)."""
    counts = np.add.reduceat(keep.astype(np.int64), topo.arc_offsets[:-1]) if topo.n_arcs else np.zeros(0, np.int64)
    return replace(topo, coords=topo.coords[keep], arc_offsets=np.r_[0, np.cumsum(counts)])


@dataclass(frozen=True)
class SimplifyBase:
    """What every level's simplification of one topology measures against (computed once)."""
    xy: np.ndarray            # arc coordinates in local metres
    area0: np.ndarray         # signed area of each ring
    valid0: np.ndarray        # validity of each input feature

    @classmethod
    def of(cls, topo: Topology) -> "SimplifyBase":
        xy = _local_metres(topo.coords, topo.arc_offsets)
        return cls(xy, ring_signed_areas(topo, xy), shapely.is_valid(to_shapely(topo)))


def _arc_lines(coords: np.ndarray, arc_offsets: np.ndarray, arcs: np.ndarray) -> np.ndarray:
    lens = np.diff(arc_offsets)[arcs]
    idx = np.repeat(arc_offsets[arcs], lens) + (np.arange(lens.sum()) - np.repeat(np.r_[0, np.cumsum(lens)[:-1]], lens))
    return shapely.linestrings(coords[idx], indices=np.repeat(np.arange(len(arcs)), lens))


def new_crossings(topo: Topology, out: Topology) -> np.ndarray:
    """Arcs of ``out`` (a simplification of ``topo``) that cross another arc, or themselves, where
    they did not in ``topo``: a crossing between two borders is a sliver of overlap on one side
    and a gap on the other. Only arcs that lost vertices are searched."""
    changed = np.flatnonzero(np.diff(out.arc_offsets) < np.diff(topo.arc_offsets))
    if len(changed) == 0:
        return changed
    lines = _arc_lines(out.coords, out.arc_offsets, np.arange(out.n_arcs))
    tree = shapely.STRtree(lines)
    pairs = [tree.query(lines[changed], predicate=p) for p in ("crosses", "overlaps")]
    i = np.concatenate([changed[p[0]] for p in pairs])
    j = np.concatenate([p[1] for p in pairs])
    keep = i != j
    i, j = i[keep], j[keep]
    src = _arc_lines(topo.coords, topo.arc_offsets, np.unique(np.r_[i, j, changed]))
    pos = {a: k for k, a in enumerate(np.unique(np.r_[i, j, changed]).tolist())}
    si = src[[pos[a] for a in i.tolist()]]
    sj = src[[pos[a] for a in j.tolist()]]
    before = shapely.crosses(si, sj) | shapely.overlaps(si, sj)
    bad = np.r_[i[~before], j[~before]]
    self_crossing = changed[~shapely.is_simple(lines[changed]) & shapely.is_simple(src[[pos[a] for a in changed.tolist()]])]
    return np.unique(np.r_[bad, self_crossing]).astype(np.int64)


def simplify(topo: Topology, tolerance_m: float, *, base: SimplifyBase | None = None,
             min_area_ratio: float = 0.3, rounds: int = 4, crossings: bool = False,
             keep_unshared: bool = False) -> Topology:
    """Douglas–Peucker on the arcs (each border simplified once, so neighbours stay gap-free).

    Guards, checked on the result and repaired arc by arc (those arcs are simplified again with a
    quarter of the tolerance, up to ``rounds`` times; the last round keeps them as they are):

    * a ring that would lose more than ``1 - min_area_ratio`` of its area, flip or vanish (a small
      island, a small commune squeezed between two junctions): no commune disappears at a coarse
      level;
    * a feature valid in the input that becomes invalid (a ring crossing itself);
    * with ``crossings``, an arc that crosses another arc where the input's did not
      (:func:`new_crossings`: an STRtree over the arcs, ~0.3 s at 40 m on France, ~3 s at 500 m).
      The build asks for it on the level the web GeoParquet is made of, whose polygons are used
      for computations (exports, editor); on the coarser levels, drawn only, a crossing is a
      fraction of a pixel;
    * with ``keep_unshared``, arcs used by one ring only are kept as they are: the coast and the
      frontier, but also the borders two neighbours draw with different vertices (communes merged
      with older polygons: the source's gaps and overlaps are there). Simplifying two such nearby
      arcs independently made new gaps and overlaps (4 and 3 over France at 40 m) that no crossing
      test sees when the arcs already crossed in the source.
    """
    if tolerance_m <= 0 or topo.n_arcs == 0:
        return topo
    base = base or SimplifyBase.of(topo)
    xy = base.xy
    tol = np.full(topo.n_arcs, float(tolerance_m))
    if keep_unshared:
        tol[topo.arc_use_counts() < 2] = 0.0
    ring_of_ref = np.repeat(np.arange(topo.n_rings), np.diff(topo.ring_offsets))
    arc_of_ref = np.where(topo.ring_arcs < 0, ~topo.ring_arcs, topo.ring_arcs)
    ring_feature = topo.ring_features()
    keep = douglas_peucker_keep(xy, topo.arc_offsets, tol)
    checked = np.arange(topo.n_features)             # features whose validity may have changed
    out = topo
    for r in range(rounds + 1):
        out = subset_arcs(topo, keep)
        area = ring_signed_areas(out, xy[keep])
        bad = (np.abs(area) < min_area_ratio * np.abs(base.area0)) | ((area > 0) != (base.area0 > 0))
        broken = checked[base.valid0[checked] & ~shapely.is_valid(to_shapely(out, features=checked))]
        bad |= np.isin(ring_feature, broken)
        crossing = new_crossings(topo, out) if crossings else np.zeros(0, np.int64)
        if (not bad.any() and not len(crossing)) or r == rounds:
            break
        weak = np.unique(np.r_[arc_of_ref[bad[ring_of_ref]], crossing])
        tol[weak] = 0.0 if r >= rounds - 1 else tol[weak] / 4
        again = douglas_peucker_keep(xy, topo.arc_offsets, tol, weak)
        weak_vertex = np.repeat(np.isin(np.arange(topo.n_arcs), weak), np.diff(topo.arc_offsets))
        keep = np.where(weak_vertex, again, keep)
        checked = np.unique(ring_feature[ring_of_ref[np.isin(arc_of_ref, weak)]])
    return out
