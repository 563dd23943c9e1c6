"""Polygons as shared arcs (the TopoJSON model), as flat numpy arrays, and their assembly back
into shapely polygons.

Shared by the build (``etl/geo/``: extraction, simplification, encoding) and by the readers of the
built TopoJSON files (:mod:`atlas.geo.topojson`), so rings are assembled from arcs by one piece of
code only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Topology:
    """Polygons as arcs. Arc ``a`` is ``coords[arc_offsets[a]:arc_offsets[a + 1]]`` (lon, lat).

    Ring ``r`` is the arc references ``ring_arcs[ring_offsets[r]:ring_offsets[r + 1]]``, TopoJSON
    style: ``a`` forwards, ``~a`` (= -a - 1) backwards; consecutive arcs share their end point.
    ``ring_polygon[r]`` is the polygon of ring r (its first ring is the exterior, the others holes),
    ``polygon_feature[p]`` the input feature of polygon p (features without polygon have none).
    """
    coords: np.ndarray
    arc_offsets: np.ndarray
    ring_arcs: np.ndarray
    ring_offsets: np.ndarray
    ring_polygon: np.ndarray
    polygon_feature: np.ndarray
    n_features: int
    mismatched_arcs: int = 0      # arcs whose occurrences disagree on their length (0 on exact input)

    @property
    def n_arcs(self) -> int:
        return len(self.arc_offsets) - 1

    @property
    def n_rings(self) -> int:
        return len(self.ring_offsets) - 1

    def arc(self, a: int) -> np.ndarray:
        a = int(a)
        if a < 0:
            a = ~a
            return self.coords[self.arc_offsets[a]:self.arc_offsets[a + 1]][::-1]
        return self.coords[self.arc_offsets[a]:self.arc_offsets[a + 1]]

    def arc_lengths(self) -> np.ndarray:
        return np.diff(self.arc_offsets)

    def ring_features(self) -> np.ndarray:
        return self.polygon_feature[self.ring_polygon]

    def ring_is_exterior(self) -> np.ndarray:
        rp = self.ring_polygon
        return np.r_[True, rp[1:] != rp[:-1]] if len(rp) else np.zeros(0, bool)

    def arc_use_counts(self, features=None) -> np.ndarray:
        """How many rings (of ``features``, a boolean mask or index array; all when None) use each arc."""
        refs = self.ring_arcs
        if features is not None:
            mask = np.zeros(self.n_features, bool)
            mask[features] = True
            keep = np.repeat(mask[self.ring_features()], np.diff(self.ring_offsets))
            refs = refs[keep]
        idx = np.where(refs < 0, ~refs, refs)
        return np.bincount(idx, minlength=self.n_arcs)


def ring_vertex_index(topo: Topology, rings: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``topo.coords`` of the closed vertex sequence of each ring (arcs concatenated,
    their shared end points once), and the ring of each index. ``rings``: a subset, in order."""
    rings = np.arange(topo.n_rings) if rings is None else np.asarray(rings, np.int64)
    ro = topo.ring_offsets
    n_refs = ro[rings + 1] - ro[rings]
    ref_pos = np.repeat(ro[rings], n_refs) + (np.arange(n_refs.sum()) - np.repeat(np.r_[0, np.cumsum(n_refs)[:-1]], n_refs))
    refs = topo.ring_arcs[ref_pos]
    ref_ring = np.repeat(np.arange(len(rings)), n_refs)
    arc = np.where(refs < 0, ~refs, refs)
    start, length = topo.arc_offsets[arc], np.diff(topo.arc_offsets)[arc]
    first_of_ring = np.r_[True, ref_ring[1:] != ref_ring[:-1]] if len(refs) else np.zeros(0, bool)
    skip = (~first_of_ring).astype(np.int64)          # later arcs drop their first point (shared)
    take = length - skip
    local = np.arange(take.sum()) - np.repeat(np.r_[0, np.cumsum(take)[:-1]], take) + np.repeat(skip, take)
    rev = np.repeat(refs < 0, take)
    idx = np.where(rev, np.repeat(start + length - 1, take) - local, np.repeat(start, take) + local)
    return idx, np.repeat(ref_ring, take)


def to_shapely(topo: Topology, coords: np.ndarray | None = None, features=None) -> np.ndarray:
    """One MultiPolygon (or None) per feature, from the arcs. ``coords``: replacement coordinates of
    the arcs (same layout as ``topo.coords``, e.g. rounded); ``features``: only these (index array),
    the result then has one entry per requested feature."""
    coords = topo.coords if coords is None else coords
    ring_feature = topo.ring_features()
    if features is None:
        wanted = np.arange(topo.n_features)
        rings = np.arange(topo.n_rings)
    else:
        wanted = np.asarray(features, np.int64)
        mask = np.zeros(topo.n_features, bool)
        mask[wanted] = True
        rings = np.flatnonzero(mask[ring_feature])
    out = np.full(len(wanted), None, dtype=object)
    if len(rings) == 0:
        return out
    idx, ring = ring_vertex_index(topo, rings)
    n = np.bincount(ring, minlength=len(rings))
    if (n < 4).any():
        # a ring simplified down to a line: padded to 4 points (zero area, invalid) rather than lost
        short = np.flatnonzero(n < 4)
        last = np.r_[np.flatnonzero(np.diff(ring)), len(ring) - 1][short]
        order = np.argsort(np.r_[ring, np.repeat(short, 4 - n[short])], kind="stable")
        idx = np.r_[idx, np.repeat(idx[last], 4 - n[short])][order]
        ring = np.r_[ring, np.repeat(short, 4 - n[short])][order]
    lr = shapely.linearrings(coords[idx], indices=ring)
    poly_ids, poly_of_ring = np.unique(topo.ring_polygon[rings], return_inverse=True)
    polys = shapely.polygons(lr, indices=poly_of_ring)
    feats = topo.polygon_feature[poly_ids]
    present, feat_of_poly = np.unique(feats, return_inverse=True)
    multi = shapely.multipolygons(polys, indices=feat_of_poly)
    pos = np.full(topo.n_features, -1)
    pos[wanted] = np.arange(len(wanted))
    out[pos[present]] = multi
    return out
