"""Key-driver analysis: how much of an outcome each factor explains.

Two decompositions of the R² of a linear regression of an outcome (likelihood
to recommend, overall excellence, staying) on factor ratings:

* **Shapley value regression / LMG** (Lindeman, Merenda and Gold 1980;
  Grömping 2006): each factor's importance is its increase in R² when added to
  a model, averaged over every order in which the factors can enter. Computed
  exactly over all ``2**p`` subsets from the covariance matrix, never by
  refitting on the rows.
* **Johnson's relative weights** (Johnson 2000): the R² of a regression on the
  orthogonal counterparts of the factors, shared back to the factors.

Both give importances that are non-negative and sum to the model's R².
Bootstrap percentile intervals (Efron and Tibshirani 1993) come from
resampling rows; all resamples are computed together as arrays.

The R² of every subset comes from the residual variance of the outcome after
sweeping the subset's factors out of the covariance matrix. Sweeping the
factors one at a time, each either kept out (delete its row and column) or put
in (take the Schur complement on it), gives ``2**d`` matrices of size
``p + 1 - d`` at step ``d``; the work is ``O(2**p)`` in total, the recursion of
Griffin and Tsatsomeros (2006) for all principal minors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from cxgap.analysis._base import Result, finite
from cxgap.errors import AnalysisError

Method = Literal["shapley", "relative-weights"]
METHODS: tuple[Method, ...] = ("shapley", "relative-weights")
MAX_SHAPLEY_FACTORS = 22  # 2**22 subsets: about 10 s and 300 MB
_COLLINEAR = 1e-10

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]

__all__ = [
    "METHODS",
    "Driver",
    "DriversResult",
    "Method",
    "all_subset_r2",
    "key_drivers",
    "lmg_from_r2",
    "lmg_importance",
    "relative_weights",
]


class Driver(Result):
    """One factor's importance for the outcome.

    ``importance`` is the factor's part of R² (all of them sum to ``r2``);
    ``share`` is ``importance / r2``; ``ci_low``/``ci_high`` bound
    ``importance`` (bootstrap percentile interval; ``None`` without bootstrap).
    """

    factor: str
    importance: float
    share: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    rank: int


class DriversResult(Result):
    """Key drivers of one outcome, strongest first."""

    outcome: str
    method: Method
    n: int
    dropped: int
    r2: float
    r2_ci_low: float | None = None
    r2_ci_high: float | None = None
    bootstrap: int
    confidence: float
    drivers: list[Driver]

    def importance_of(self, factor: str) -> float:
        """The importance of ``factor`` (raises ``KeyError`` if absent)."""
        for d in self.drivers:
            if d.factor == factor:
                return d.importance
        raise KeyError(factor)


# --------------------------------------------------------------------------
# Core numerics (arrays in, arrays out; batched over a leading axis)
# --------------------------------------------------------------------------


def all_subset_r2(cov: npt.ArrayLike) -> FloatArray:
    """R² of the outcome on every subset of the predictors.

    Parameters
    ----------
    cov : array_like, shape (..., p + 1, p + 1)
        Covariance (or correlation) matrices with the ``p`` predictors first
        and the outcome last; a leading batch axis computes many at once.

    Returns
    -------
    numpy.ndarray, shape (..., 2**p)
        Element ``m`` is the R² of the subset whose bit ``j`` is set when
        predictor ``j`` is in it (element 0, the empty model, is 0).

    References
    ----------
    Griffin, K. and Tsatsomeros, M. J. (2006). Principal minors, Part I: a
    method for computing all the principal minors of a matrix. *Linear
    Algebra and its Applications* 419, 107-124.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> np.round(all_subset_r2(r), 4).tolist()
    [0.0, 0.36, 0.09, 0.45]
    """
    m = np.asarray(cov, dtype=float)
    if m.ndim < 2 or m.shape[-1] != m.shape[-2] or m.shape[-1] < 2:
        raise ValueError("cov must be square, (p + 1) x (p + 1) with p >= 1")
    p = m.shape[-1] - 1
    batch = m.shape[:-2]
    var_y = m[..., p, p].copy()
    # a: (..., 2**d, k, k) with k = p + 1 - d: the outcome stays last.
    a = m[..., None, :, :]
    for d in range(p):
        half = a.shape[-3]
        k = a.shape[-1] - 1
        nxt = np.empty((*batch, 2 * half, k, k))
        rest = a[..., 1:, 1:]
        nxt[..., :half, :, :] = rest  # predictor d left out
        # Predictor d put in: the Schur complement on it. Its pivot is its
        # residual variance given those already in; (near) zero means it is
        # collinear with them, and R² is undefined.
        pivot = a[..., 0:1, 0:1]
        floor = _COLLINEAR * m[..., d, d][..., None, None, None]
        scaled = a[..., 1:, 0:1] / np.where(pivot > floor, pivot, np.nan)
        swept = nxt[..., half:, :, :]
        np.multiply(scaled, a[..., 0:1, 1:], out=swept)
        np.subtract(rest, swept, out=swept)
        a = nxt
    resid = a[..., 0, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - resid / var_y[..., None]
    r2 = np.clip(r2, 0.0, 1.0)
    r2[..., 0] = 0.0
    return r2.reshape(*batch, 2**p)


def lmg_from_r2(r2: npt.ArrayLike) -> FloatArray:
    """LMG (Shapley) importances from the R² of every subset.

    ``LMG_j = sum over S not containing j of |S|! (p - |S| - 1)! / p!
    * (R²(S ∪ {j}) - R²(S))``, the average over all orders of entry of the
    R² that factor ``j`` adds.

    Parameters
    ----------
    r2 : array_like, shape (..., 2**p)
        Subset R² indexed by bitmask, as from :func:`all_subset_r2`.

    Returns
    -------
    numpy.ndarray, shape (..., p)
        The importances; they sum to the R² of the full model.

    References
    ----------
    Lindeman, R. H., Merenda, P. F. and Gold, R. Z. (1980). *Introduction to
    Bivariate and Multivariate Analysis*. Scott, Foresman. Grömping, U.
    (2006). Relative importance for linear regression in R: the package
    relaimpo. *Journal of Statistical Software* 17(1).

    Examples
    --------
    >>> lmg_from_r2([0.0, 0.36, 0.09, 0.45]).round(4).tolist()
    [0.36, 0.09]
    """
    arr = np.asarray(r2, dtype=float)
    size = arr.shape[-1]
    p = round(math.log2(size))
    if 2**p != size or p < 1:
        raise ValueError("r2 must have 2**p elements for some p >= 1")
    # LMG = r2 @ C with C[S, j] = w(|S| - 1) if j in S else -w(|S|): one
    # matrix product, taken over blocks of subsets to bound memory.
    w = np.array(
        [math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p) for k in range(p)]
        + [0.0]
    )
    w_in = np.concatenate([[0.0], w[:-1]])
    bits_of = np.arange(p, dtype=np.int64)
    out = np.zeros((*arr.shape[:-1], p))
    block = 1 << min(p, 16)
    for start in range(0, size, block):
        masks = np.arange(start, start + block, dtype=np.int64)
        bits = ((masks[:, None] >> bits_of) & 1).astype(bool)
        k = bits.sum(axis=1)
        coef = np.where(bits, w_in[k][:, None], -w[k][:, None])
        out += arr[..., start : start + block] @ coef
    return out


def lmg_importance(cov: npt.ArrayLike) -> FloatArray:
    """Exact LMG / Shapley importances from covariance matrices.

    Parameters
    ----------
    cov : array_like, shape (..., p + 1, p + 1)
        Predictors first, outcome last.

    Returns
    -------
    numpy.ndarray, shape (..., p)

    References
    ----------
    Grömping, U. (2006). Relative importance for linear regression in R: the
    package relaimpo. *Journal of Statistical Software* 17(1), 1-27.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> np.round(lmg_importance(r), 4).tolist()
    [0.315, 0.045]
    """
    return lmg_from_r2(all_subset_r2(cov))


def relative_weights(cov: npt.ArrayLike) -> FloatArray:
    """Johnson's relative weights from covariance matrices.

    With the predictors' correlation matrix ``R = Q Λ Q'``, ``Λ* = Q Λ^½ Q'``
    relates the predictors to their closest orthogonal counterparts ``Z``;
    ``β = Λ*⁻¹ r_xy`` are the outcome's weights on ``Z`` and the raw weight
    of predictor ``j`` is ``ε_j = Σ_k Λ*_jk² β_k²``. The weights sum to R².

    Parameters
    ----------
    cov : array_like, shape (..., p + 1, p + 1)
        Predictors first, outcome last.

    Returns
    -------
    numpy.ndarray, shape (..., p)
        The raw relative weights.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative
    weight of predictor variables in multiple regression. *Multivariate
    Behavioral Research* 35(1), 1-19.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> np.round(relative_weights(r), 4).tolist()
    [0.36, 0.09]
    """
    m = np.asarray(cov, dtype=float)
    if m.ndim < 2 or m.shape[-1] != m.shape[-2] or m.shape[-1] < 2:
        raise ValueError("cov must be square, (p + 1) x (p + 1) with p >= 1")
    p = m.shape[-1] - 1
    var = np.diagonal(m, axis1=-2, axis2=-1)
    bad = ~(np.isfinite(m).all(axis=(-1, -2)) & (var > 0).all(axis=-1))
    sd = np.sqrt(np.where(bad[..., None], 1.0, var))
    corr = np.where(bad[..., None, None], np.eye(p + 1), m / (sd[..., :, None] * sd[..., None, :]))
    rxx = corr[..., :p, :p]
    rxy = corr[..., :p, p]
    vals, vecs = np.linalg.eigh(rxx)
    bad |= vals[..., 0] <= _COLLINEAR
    root = np.sqrt(np.clip(vals, _COLLINEAR, None))
    vecs_t = np.swapaxes(vecs, -1, -2)
    lam = (vecs * root[..., None, :]) @ vecs_t  # Λ* = Q Λ^½ Q'
    lam_inv = (vecs / root[..., None, :]) @ vecs_t
    beta = (lam_inv @ rxy[..., None])[..., 0]
    eps = ((lam**2) @ (beta**2)[..., None])[..., 0]
    return np.asarray(np.where(bad[..., None], np.nan, eps))


# --------------------------------------------------------------------------
# Input checks and bootstrap
# --------------------------------------------------------------------------


def _check_design(data: FloatArray, outcome: str, factors: Sequence[str]) -> None:
    n, k = data.shape
    p = k - 1
    if n <= p + 1:
        raise AnalysisError(
            f"too few complete rows for {p} factor(s): n = {n}, need more than {p + 1} "
            f"(rows with a missing value are dropped)"
        )
    sd = data.std(axis=0)
    names = [*factors, outcome]
    for j, name in enumerate(names):
        if not sd[j] > 1e-12 * max(1.0, float(np.abs(data[:, j]).max())):
            raise AnalysisError(f"column {name!r} is constant ({data[0, j]:g}) in the rows used")
    z = (data[:, :p] - data[:, :p].mean(axis=0)) / sd[:p]
    corr = (z.T @ z) / n
    vals, vecs = np.linalg.eigh(corr)
    if vals[0] < 1e-10:
        involved = np.flatnonzero(np.abs(vecs[:, 0]) > 1e-3)
        cols = ", ".join(repr(factors[int(i)]) for i in involved)
        raise AnalysisError(
            f"factors {cols} are perfectly collinear or nearly so "
            "(one is, or almost is, a linear combination of the others)"
        )


def _covariances(data: FloatArray, weights: FloatArray | None = None) -> FloatArray:
    """Covariance matrices of ``data`` (rows × vars), one per row of ``weights``
    (resampling counts), or one matrix when ``weights`` is None."""
    n, k = data.shape
    centred = data - data.mean(axis=0)
    if weights is None:
        return np.asarray((centred.T @ centred) / n)
    iu = np.triu_indices(k)
    products = centred[:, iu[0]] * centred[:, iu[1]]
    w = weights / weights.sum(axis=1, keepdims=True)
    mean = w @ centred
    second = w @ products
    cov_flat = second - mean[:, iu[0]] * mean[:, iu[1]]
    out = np.empty((weights.shape[0], k, k))
    out[:, iu[0], iu[1]] = cov_flat
    out[:, iu[1], iu[0]] = cov_flat
    return out


def _decompose(cov: FloatArray, method: Method) -> FloatArray:
    if method == "shapley":
        return lmg_importance(cov)
    return relative_weights(cov)


def _batch_size(p: int, method: Method) -> int:
    if method == "relative-weights":
        return 500
    peak = max((2**d) * (p + 1 - d) ** 2 for d in range(p + 1))
    return max(1, min(500, 8_000_000 // peak))


def key_drivers(
    frame: pd.DataFrame,
    outcome: str,
    factors: Sequence[str] | None = None,
    *,
    method: Method = "shapley",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    progress: Progress | None = None,
) -> DriversResult:
    """Key drivers of ``outcome``: each factor's part of R².

    Rows with a missing value in the outcome or any factor are dropped and
    counted. The importances are computed from the covariance matrix of the
    complete rows; bootstrap intervals resample rows with replacement and
    recompute everything from each resample's covariance matrix.

    Parameters
    ----------
    frame : pandas.DataFrame
        Numeric columns (floats with NaN for no answer).
    outcome : str
        The column to explain (e.g. ``ltr``).
    factors : sequence of str, optional
        The explanatory columns; default every other numeric column.
    method : {"shapley", "relative-weights"}
        Exact LMG / Shapley value decomposition, or Johnson's relative weights.
    bootstrap : int
        Number of bootstrap resamples for the intervals (0 for none).
    confidence : float
        Level of the percentile intervals.
    seed : int or None
        Seed of the resampling (the same seed gives the same intervals).
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch of resamples.

    Returns
    -------
    DriversResult
        ``drivers`` strongest first, with ``importance`` (part of R²),
        ``share`` (importance / R²) and the interval; ``n`` rows used and
        ``dropped`` rows with a missing value.

    Raises
    ------
    AnalysisError
        A constant column, perfectly collinear factors, a non-numeric column,
        too few complete rows (``n <= p + 1``), or more than 22 factors for
        the exact Shapley decomposition.

    References
    ----------
    Grömping, U. (2006). Relative importance for linear regression in R: the
    package relaimpo. *Journal of Statistical Software* 17(1), 1-27.
    Johnson, J. W. (2000). *Multivariate Behavioral Research* 35(1), 1-19.
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the
    Bootstrap*, ch. 13 (percentile intervals). Chapman & Hall.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 2))
    >>> df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1]})
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=200)
    >>> res = key_drivers(df, "y", bootstrap=0)
    >>> [d.factor for d in res.drivers], res.n
    (['a', 'b'], 200)
    >>> round(sum(d.importance for d in res.drivers) - res.r2, 12)
    0.0
    """
    if method not in METHODS:
        raise AnalysisError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if bootstrap < 0:
        raise AnalysisError("bootstrap must be 0 or a positive number of resamples")
    if not 0 < confidence < 1:
        raise AnalysisError("confidence must be between 0 and 1")
    if outcome not in frame.columns:
        raise AnalysisError(f"no column named {outcome!r}")
    if factors is None:
        factors = [
            c
            for c in frame.columns
            if c != outcome
            and pd.api.types.is_numeric_dtype(frame[c].dtype)
            and not pd.api.types.is_bool_dtype(frame[c].dtype)
        ]
    factors = list(factors)
    if not factors:
        raise AnalysisError(f"no factor columns to explain {outcome!r} with")
    if outcome in factors:
        raise AnalysisError(f"the outcome {outcome!r} cannot also be a factor")
    dupes = sorted({f for f in factors if factors.count(f) > 1})
    if dupes:
        raise AnalysisError(f"factor(s) named twice: {', '.join(dupes)}")
    missing = [c for c in factors if c not in frame.columns]
    if missing:
        raise AnalysisError(f"no column named {missing[0]!r}")
    for c in [outcome, *factors]:
        if not (
            pd.api.types.is_numeric_dtype(frame[c].dtype)
            and not pd.api.types.is_bool_dtype(frame[c].dtype)
        ):
            raise AnalysisError(f"column {c!r} is not numeric")
    if method == "shapley" and len(factors) > MAX_SHAPLEY_FACTORS:
        raise AnalysisError(
            f"{len(factors)} factors: the exact Shapley decomposition handles at most "
            f"{MAX_SHAPLEY_FACTORS}; choose fewer with --factors or use relative-weights"
        )
    cols = [*factors, outcome]
    values = frame[cols].to_numpy(dtype=float)
    complete = np.isfinite(values).all(axis=1)
    data = values[complete]
    dropped = int((~complete).sum())
    _check_design(data, outcome, factors)
    n, p = data.shape[0], len(factors)

    cov = _covariances(data)
    point = _decompose(cov, method)
    if not np.isfinite(point).all():
        raise AnalysisError(
            f"factors {', '.join(map(repr, factors))} are too nearly collinear to separate"
        )
    r2 = float(point.sum())

    lo_imp: FloatArray | None = None
    hi_imp: FloatArray | None = None
    r2_lo = r2_hi = None
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        imps = np.empty((bootstrap, p))
        batch = _batch_size(p, method)
        done = 0
        while done < bootstrap:
            size = min(batch, bootstrap - done)
            draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
            counts = np.bincount(draws.ravel(), minlength=size * n).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                cov_b = _covariances(data, counts.reshape(size, n))
                imps[done : done + size] = _decompose(cov_b, method)
            done += size
            if progress is not None:
                progress(done, bootstrap)
        ok = np.isfinite(imps).all(axis=1)
        if ok.sum() >= 2:
            alpha = (1 - confidence) / 2
            good = imps[ok]
            lo_imp, hi_imp = np.quantile(good, [alpha, 1 - alpha], axis=0)
            r2_lo, r2_hi = (float(v) for v in np.quantile(good.sum(axis=1), [alpha, 1 - alpha]))

    order = np.argsort(-point, kind="stable")
    drivers = [
        Driver(
            factor=factors[j],
            importance=float(point[j]),
            share=finite(point[j] / r2) if r2 > 0 else None,
            ci_low=None if lo_imp is None else float(lo_imp[j]),
            ci_high=None if hi_imp is None else float(hi_imp[j]),
            rank=rank,
        )
        for rank, j in enumerate(order, start=1)
    ]
    return DriversResult(
        outcome=outcome,
        method=method,
        n=n,
        dropped=dropped,
        r2=r2,
        r2_ci_low=r2_lo,
        r2_ci_high=r2_hi,
        bootstrap=bootstrap,
        confidence=confidence,
        drivers=drivers,
    )
