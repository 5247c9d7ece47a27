"""The chance of leaving within the horizon, calibrated, and revenue at risk.

``P(defect within horizon_days | balance now) = 1 / (1 + exp(-(b0 + b1 *
balance)))``, a logistic regression fitted by maximum likelihood (statsmodels
``Logit``) on the landmark sample (:mod:`cxgap.analysis.ledger.landmark`):
every account's balance at each landmark and whether it left within the
horizon after it. An account gives several rows, so the coefficients'
covariance is the cluster-robust (sandwich) one, clustered by account.

Its calibration is measured out of sample: grouped k-fold cross-validation
(folds dealt by account), each held-out reading predicted by the model fitted
on the other folds; the Brier score beside that of the base-rate model (the
training folds' defection rate), a reliability table, and Cox's (1958)
calibration intercept and slope (logistic regression of the outcome on the
logit of the held-out prediction: 0 and 1 when calibrated).

The expected revenue lost within the horizon is ``sum_i p_i * revenue_i``;
its 95% intervals come from simulation (King, Tomz & Wittenberg 2000):
coefficients drawn from their estimated sampling distribution (normal, the
cluster-robust covariance) give the interval of the expected loss, and each
account then leaving or not (Bernoulli with its drawn probability) gives the
prediction interval of the revenue actually lost
(``benchmarks/bench_landmark.py`` checks its coverage).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from cxgap.analysis._base import Result, finite
from cxgap.errors import AnalysisError

__all__ = [
    "Calibration",
    "DefectionModel",
    "ReliabilityBin",
    "RevenueInterval",
    "calibrate_defection_model",
    "fit_defection_model",
    "revenue_interval",
]

CAL_FOLDS = 5
CAL_SEED = 20_261_207
SIM_DRAWS = 2000
SIM_SEED = 20_261_208


class ReliabilityBin(Result):
    """Held-out readings with similar predicted chances: predicted vs observed."""

    n: int
    mean_predicted: float
    observed: float
    observed_ci: tuple[float, float]


class Calibration(Result):
    """How well the predicted chances match what happened, out of sample."""

    sample: str = "out"
    method: str
    folds: int
    n: int
    defections: int
    brier: float
    brier_base_rate: float
    brier_skill: float
    calibration_intercept: float | None = None
    calibration_intercept_ci: tuple[float, float] | None = None
    calibration_slope: float | None = None
    calibration_slope_ci: tuple[float, float] | None = None
    reliability: list[ReliabilityBin]
    reliability_ci_method: str = "Wilson 95%, readings treated as independent"


class DefectionModel(Result):
    """Logistic regression of defection (within the horizon) on balance."""

    fitted: bool
    reason: str
    n: int
    n_defected: int
    n_accounts: int | None = None
    horizon_days: float | None = None
    intercept: float | None = None
    slope: float | None = None
    intercept_se: float | None = None
    slope_se: float | None = None
    covariance: list[list[float]] | None = None
    method: str = "logistic regression, maximum likelihood (statsmodels Logit)"
    cov_method: str = "model-based (inverse information)"
    calibration: Calibration | None = None
    calibration_reason: str = ""

    def probability(self, balance: Any) -> np.ndarray:
        """Modelled probability of defection at each balance."""
        if self.intercept is None or self.slope is None:
            raise AnalysisError(f"no defection model: {self.reason}")
        x = np.asarray(balance, dtype=float)
        return np.asarray(1.0 / (1.0 + np.exp(-(self.intercept + self.slope * x))))


class RevenueInterval(Result):
    """Expected revenue lost within the horizon, with 95% intervals."""

    expected: float
    expected_ci: tuple[float, float]
    lost_interval: tuple[float, float]
    draws: int
    seed: int
    method: str


def _logit_fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray | None) -> Any | str:
    """The statsmodels fit on standardised x, or why it failed."""
    scale = float(np.std(x)) or 1.0
    design = sm.add_constant(x / scale, has_constant="add")
    kwargs: dict[str, Any] = {"disp": 0, "maxiter": 200}
    if groups is not None:
        kwargs |= {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(y, design).fit(**kwargs)
        except (np.linalg.LinAlgError, ValueError) as exc:
            return f"the model could not be fitted ({exc})"
    trouble = [w for w in caught if issubclass(w.category, PerfectSeparationWarning)]
    if trouble or not fit.mle_retvals.get("converged", False):
        return (
            "the balance separates defected and retained accounts perfectly "
            "(or the fit did not converge); no probabilities"
        )
    fit.cxgap_scale = scale
    return fit


def fit_defection_model(
    balance: Any,
    defected: Any,
    *,
    min_defections: int = 5,
    groups: Any = None,
    horizon_days: float | None = None,
    calibrate: bool = True,
) -> DefectionModel:
    """Fit ``P(defect) = logistic(b0 + b1 * balance)`` by maximum likelihood.

    Parameters
    ----------
    balance : array-like of float
        One balance per reading (the landmark sample, see
        :func:`cxgap.analysis.ledger.landmark.landmark_sample`).
    defected : array-like of bool
        Whether the account left within the horizon after the reading.
    min_defections : int
        Fewer defected (or retained) accounts than this: no model.
    groups : array-like, optional
        The account of each reading: the covariance is then clustered by
        account, ``min_defections`` counts accounts, and the calibration's
        folds are dealt by account.
    horizon_days : float, optional
        The horizon the labels refer to (reported).
    calibrate : bool
        Measure the calibration out of sample (:func:`calibrate_defection_model`).

    Returns
    -------
    DefectionModel
        ``fitted``, the ``reason`` when not, n, coefficients, their standard
        errors and covariance, and ``calibration``.

    References
    ----------
    Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). *Applied Logistic
    Regression*, 3rd ed., Wiley, ch. 1. Liang, K.-Y. & Zeger, S. L. (1986).
    Longitudinal data analysis using generalized linear models. *Biometrika*
    73(1), 13-22 (the cluster-robust covariance). Seabold, S. & Perktold, J.
    (2010). statsmodels: econometric and statistical modeling with Python.

    Examples
    --------
    >>> bal = [-30, -25, -12, -18, -2, -5, 0, 2, 5, 8, 10, -20, 3, 1]
    >>> dfc = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    >>> m = fit_defection_model(bal, dfc)
    >>> m.fitted, m.n, m.slope < 0
    (True, 14, True)
    """
    x = np.asarray(balance, dtype=float)
    y = np.asarray(defected, dtype=bool).astype(float)
    n, k = len(x), int(y.sum())
    if x.shape != y.shape:
        raise AnalysisError("balance and defected need the same length")
    codes = None if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    if codes is not None and len(codes) != n:
        raise AnalysisError("groups: one account per balance")
    unit_d = k if codes is None else len(np.unique(codes[y == 1]))
    unit_all = n if codes is None else len(np.unique(codes))
    unit_r = n - k if codes is None else unit_all - unit_d
    base: dict[str, Any] = {
        "n": n,
        "n_defected": k,
        "n_accounts": unit_all,
        "horizon_days": horizon_days,
    }
    if unit_d < min_defections or unit_r < min_defections:
        return DefectionModel(
            fitted=False,
            reason=f"{unit_d} defected and {unit_r} retained accounts; at least "
            f"{min_defections} of each are needed",
            **base,
        )
    if np.ptp(x) == 0:
        return DefectionModel(fitted=False, reason="every balance is equal", **base)
    fit = _logit_fit(x, y, codes)
    if isinstance(fit, str):
        return DefectionModel(fitted=False, reason=fit, **base)
    scale = fit.cxgap_scale
    params = np.asarray(fit.params)
    d = np.diag([1.0, 1.0 / scale])
    cov = d @ np.asarray(fit.cov_params()) @ d
    calibration, why = None, ""
    if calibrate:
        try:
            calibration = calibrate_defection_model(x, y.astype(bool), groups=codes)
        except AnalysisError as exc:
            why = str(exc)
    readings = "readings" if codes is not None else "accounts"
    return DefectionModel(
        fitted=True,
        reason=f"fitted on {n} {readings} of {unit_all} accounts ({k} defections)",
        intercept=finite(params[0]),
        slope=finite(params[1] / scale),
        intercept_se=finite(np.sqrt(cov[0, 0])),
        slope_se=finite(np.sqrt(cov[1, 1])),
        covariance=cov.tolist(),
        cov_method=(
            "cluster-robust (sandwich), clustered by account"
            if codes is not None
            else "model-based (inverse information)"
        ),
        calibration=calibration,
        calibration_reason=why,
        **base,
    )


def _group_folds(y: np.ndarray, codes: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold of each row, dealt by account, stratified by ever defected."""
    rng = np.random.default_rng(seed)
    n_units = int(codes.max()) + 1
    ever = np.zeros(n_units, dtype=bool)
    ever[codes[y]] = True
    fold = np.empty(n_units, dtype=np.int64)
    offset = 0
    for c in (True, False):
        idx = rng.permutation(np.flatnonzero(ever == c))
        fold[idx] = (offset + np.arange(len(idx))) % k
        offset += len(idx)
    return fold[codes]


def _reliability(p: np.ndarray, y: np.ndarray, bins: int) -> list[ReliabilityBin]:
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    out = []
    for b in range(max(len(edges) - 1, 1)):
        mask = which == b
        if not mask.any():
            continue
        k, n = int(y[mask].sum()), int(mask.sum())
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        out.append(
            ReliabilityBin(
                n=n,
                mean_predicted=float(p[mask].mean()),
                observed=k / n,
                observed_ci=(float(low), float(high)),
            )
        )
    return out


def calibrate_defection_model(
    balance: Any,
    defected: Any,
    *,
    groups: Any = None,
    folds: int = CAL_FOLDS,
    seed: int = CAL_SEED,
    bins: int | None = None,
) -> Calibration:
    """Out-of-sample calibration of the logistic model of defection on balance.

    Parameters
    ----------
    balance, defected : array-like
        As for :func:`fit_defection_model`.
    groups : array-like, optional
        The account of each reading; folds are dealt by account (default:
        one account per reading).
    folds : int
        Folds of the cross-validation (at most the defected accounts).
    seed : int
        Seed of the fold assignment.
    bins : int, optional
        Bins of the reliability table, by quantiles of the held-out
        predictions (default: one per 5 defections, from 2 to 10).

    Returns
    -------
    Calibration
        The Brier score of the held-out predictions and of the base-rate
        model, the Brier skill ``1 - brier / brier_base_rate``, Cox's
        calibration intercept and slope with 95% intervals (cluster-robust
        when grouped), and the reliability table.

    References
    ----------
    Brier, G. W. (1950). Verification of forecasts expressed in terms of
    probability. *Monthly Weather Review* 78(1), 1-3. Cox, D. R. (1958). Two
    further applications of a model for binary regression. *Biometrika*
    45(3/4), 562-565. Steyerberg, E. W. (2019). *Clinical Prediction Models*,
    2nd ed., Springer, ch. 15 (reliability, calibration slope and
    intercept). Stone (1974), see
    :func:`cxgap.analysis.ledger.threshold.validate_threshold`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> b = rng.normal(0, 10, 400)
    >>> y = rng.random(400) < 1 / (1 + np.exp(-(-2 - 0.1 * b)))
    >>> c = calibrate_defection_model(b, y)
    >>> c.brier < c.brier_base_rate, 0.5 < c.calibration_slope < 1.5
    (True, True)
    """
    x = np.asarray(balance, dtype=float)
    y = np.asarray(defected, dtype=bool)
    if x.shape != y.shape:
        raise AnalysisError("balance and defected need the same length")
    codes = (
        np.arange(len(x))
        if groups is None
        else np.unique(np.asarray(groups), return_inverse=True)[1]
    )
    ever = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=bool)
    ever[codes[y]] = True
    k = min(folds, int(ever.sum()), int((~ever).sum()))
    if k < 2:
        raise AnalysisError("no calibration: fewer than 2 defected or 2 retained accounts")
    fold = _group_folds(y, codes, k, seed)
    p = np.empty(len(x))
    p0 = np.empty(len(x))
    yf = y.astype(float)
    for f in range(k):
        test = fold == f
        train = ~test
        fit = _logit_fit(x[train], yf[train], None)
        if isinstance(fit, str):
            raise AnalysisError(f"no calibration: in a training fold {fit}")
        design = sm.add_constant(x[test] / fit.cxgap_scale, has_constant="add")
        p[test] = fit.predict(design)
        p0[test] = yf[train].mean()
    brier = float(np.mean((p - yf) ** 2))
    brier0 = float(np.mean((p0 - yf) ** 2))
    result: dict[str, Any] = {
        "method": (
            f"{k}-fold cross-validation, folds dealt by account (stratified by whether "
            f"it defected), seed {seed}; each reading predicted by the model fitted "
            "on the other folds"
        ),
        "folds": k,
        "n": len(x),
        "defections": int(y.sum()),
        "brier": brier,
        "brier_base_rate": brier0,
        "brier_skill": 1.0 - brier / brier0 if brier0 > 0 else 0.0,
    }
    clipped = np.clip(p, 1e-12, 1 - 1e-12)
    lp = np.log(clipped / (1 - clipped))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cox = sm.Logit(yf, sm.add_constant(lp, has_constant="add")).fit(
                disp=0, maxiter=200, cov_type="cluster", cov_kwds={"groups": codes}
            )
            ci = np.asarray(cox.conf_int(0.05))
            result |= {
                "calibration_intercept": finite(cox.params[0]),
                "calibration_intercept_ci": (float(ci[0, 0]), float(ci[0, 1])),
                "calibration_slope": finite(cox.params[1]),
                "calibration_slope_ci": (float(ci[1, 0]), float(ci[1, 1])),
            }
        except (np.linalg.LinAlgError, ValueError):
            pass
    n_bins = bins if bins is not None else int(np.clip(int(y.sum()) // 5, 2, 10))
    result["reliability"] = _reliability(p, y, n_bins)
    return Calibration(**result)


def revenue_interval(
    model: DefectionModel,
    balance: Any,
    revenue: Any,
    *,
    draws: int = SIM_DRAWS,
    seed: int = SIM_SEED,
) -> RevenueInterval:
    """Expected revenue lost within the horizon and its 95% intervals.

    Parameters
    ----------
    model : DefectionModel
        A fitted model with its ``covariance``.
    balance, revenue : array-like of float
        Each current account's balance now and annual revenue.
    draws : int
        Simulated coefficient draws.
    seed : int
        Seed of the simulation.

    Returns
    -------
    RevenueInterval
        ``expected = sum p_i revenue_i``; ``expected_ci``: the 2.5 and 97.5
        percentiles of ``sum p*_i revenue_i`` over coefficients drawn from
        the normal with the estimated covariance; ``lost_interval``: those of
        ``sum y*_i revenue_i`` with ``y*_i`` ~ Bernoulli(``p*_i``), the
        revenue actually lost within the horizon.

    References
    ----------
    King, G., Tomz, M. & Wittenberg, J. (2000). Making the most of
    statistical analyses: improving interpretation and presentation.
    *American Journal of Political Science* 44(2), 347-361. Efron, B. &
    Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 6 (the
    parametric bootstrap).

    Examples
    --------
    >>> m = DefectionModel(fitted=True, reason="", n=100, n_defected=20, intercept=-2.0,
    ...     slope=-0.1, covariance=[[0.04, 0.0], [0.0, 0.0001]])
    >>> r = revenue_interval(m, [-20.0, 0.0, 10.0], [1000.0, 1000.0, 1000.0])
    >>> round(r.expected, 1), r.lost_interval[0] <= r.expected <= r.lost_interval[1]
    (666.6, True)
    """
    if model.intercept is None or model.slope is None or model.covariance is None:
        raise AnalysisError(f"no defection model: {model.reason}")
    x = np.asarray(balance, dtype=float)
    rev = np.asarray(revenue, dtype=float)
    if x.shape != rev.shape:
        raise AnalysisError("balance and revenue need the same length")
    rng = np.random.default_rng(seed)
    beta = np.array([model.intercept, model.slope])
    cov = np.asarray(model.covariance, dtype=float)
    if cov.shape != (2, 2) or not np.isfinite(cov).all():
        raise AnalysisError("no interval: the coefficients' covariance is not finite")
    coefs = rng.multivariate_normal(beta, cov, size=draws, method="eigh")
    expected = np.empty(draws)
    lost = np.empty(draws)
    chunk = max(1, 2_000_000 // max(len(x), 1))
    for start in range(0, draws, chunk):
        c = coefs[start : start + chunk]
        p = 1.0 / (1.0 + np.exp(-(c[:, :1] + c[:, 1:] * x[None, :])))
        expected[start : start + len(c)] = p @ rev
        lost[start : start + len(c)] = (rng.random(p.shape) < p) @ rev
    point = float(model.probability(x) @ rev)
    return RevenueInterval(
        expected=point,
        expected_ci=(float(np.quantile(expected, 0.025)), float(np.quantile(expected, 0.975))),
        lost_interval=(float(np.quantile(lost, 0.025)), float(np.quantile(lost, 0.975))),
        draws=draws,
        seed=seed,
        method=(
            f"{draws} draws of the coefficients from a normal with their covariance "
            f"({model.cov_method}; King, Tomz & Wittenberg 2000); the revenue lost adds "
            "each account leaving or not with its drawn probability"
        ),
    )
