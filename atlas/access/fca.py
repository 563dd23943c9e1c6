"""Two-step floating catchment area (2SFCA) on a sparse weight matrix: small pure functions.

Notation (Luo & Wang 2003; enhanced, stepwise-decay form used by the DREES APL; same shape as
pysal/access ``fca_ratio``/``two_stage_fca``):

* ``W`` is an n × n sparse matrix (CSR), ``W[i, j] = w(t_ij)``: the decay weight of the travel
  time from the residence commune i to the supply commune j (0 beyond the catchment);
* ``P`` (n,) the demand of each commune (standardised population for GPs);
* ``S`` (n,) the supply of each commune (consultations a year, or a headcount);
* step 1: ``D_j = Σ_k W[k, j] · P_k`` (demand in reach of j) and ``R_j = S_j / D_j``;
* step 2: ``A_i = Σ_j W[i, j] · R_j``.

With every supply point in reach of some demand (``D_j > 0``) the model conserves supply:
``Σ_i P_i · A_i = Σ_j S_j``. Supply whose catchment holds no demand (``D_j = 0``) has
``R_j = 0``: it serves nobody and is lost (never a division by zero).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .weights import expected_step_weights, step_weights


def weight_matrix(origin: np.ndarray, destination: np.ndarray, minutes: np.ndarray, n: int,
                  steps: tuple[tuple[float, float], ...], *, sigma: float = 0.0,
                  with_diagonal: bool = True) -> sp.csr_matrix:
    """``W[i, j] = w(t_ij)`` from a table of pairs (indices 0..n-1), zero weights dropped. With ``sigma`` > 0
    the weight is the steps' expectation over a log-normal error of the times (:mod:`atlas.access.weights`).

    Within a commune the travel time is 0: with ``with_diagonal`` the diagonal is set to ``w(0)``
    and any self pair of the table is ignored (its time is not used).
    """
    origin = np.asarray(origin, dtype=np.int64)
    destination = np.asarray(destination, dtype=np.int64)
    w = expected_step_weights(minutes, steps, sigma)
    keep = (w > 0) & (origin != destination)
    rows, cols, vals = origin[keep], destination[keep], w[keep]
    if with_diagonal:
        diag = np.arange(n, dtype=np.int64)
        rows = np.concatenate([rows, diag])
        cols = np.concatenate([cols, diag])
        vals = np.concatenate([vals, np.full(n, step_weights([0.0], steps)[0])])
    W = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    W.sum_duplicates()
    W.eliminate_zeros()
    return W


def demand_in_reach(W: sp.spmatrix, demand: np.ndarray) -> np.ndarray:
    """Step 1, denominators: ``D_j = Σ_k W[k, j] · P_k``."""
    return np.asarray(W.T @ np.asarray(demand, dtype=float)).ravel()


def supply_ratio(supply: np.ndarray, demand_reach: np.ndarray) -> np.ndarray:
    """Step 1, ratios: ``R_j = S_j / D_j``, 0 where no demand is in reach."""
    supply = np.asarray(supply, dtype=float)
    out = np.zeros_like(supply)
    ok = demand_reach > 0
    out[ok] = supply[ok] / demand_reach[ok]
    return out


def accessibility(W: sp.spmatrix, ratio: np.ndarray) -> np.ndarray:
    """Step 2: ``A_i = Σ_j W[i, j] · R_j``."""
    return np.asarray(W @ ratio).ravel()


def two_step(W: sp.spmatrix, supply: np.ndarray, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both steps: returns ``(D, R, A)``."""
    D = demand_in_reach(W, demand)
    R = supply_ratio(supply, D)
    return D, R, accessibility(W, R)


def ratio_of_sums(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Territory figure: ``Σ value_i · w_i / Σ w_i`` (None when Σ w = 0)."""
    total = float(np.sum(weights))
    return float(np.dot(values, weights) / total) if total > 0 else None
