"""The defection threshold: the balance below which customers tend to leave.

Learned by :func:`cxgap.analysis.ledger.risk.ledger_report` from the landmark
sample (:mod:`cxgap.analysis.ledger.landmark`): every account's balance on the
same calendar days, labelled by whether it left within the horizon after
each, the readings of one account grouped (``groups``) so that the
validation resamples accounts. The former reading -- defected accounts'
balance ``lead`` days (default 30) before the defection date against retained
accounts' balance at the as-of date (:func:`threshold_sample`) -- is kept for
comparison only: it compares balances read at different times. The cut-off
maximises Youden's J = sensitivity + specificity - 1, where
an account is "below the threshold" when its balance is strictly lower; the
reported threshold is the midpoint between the highest balance classified
below and the next observed balance. With it come the area under the ROC curve
(the probability that a defected account's balance was lower than a retained
one's, ties counting one half) with a DeLong standard error and a 95% normal
interval, and the sensitivity and specificity at the cut-off with Wilson
intervals. With fewer than ``min_defections`` defections, when the balance
does not separate the groups at all (J <= 0), or when the cross-validated J's
95% interval includes 0 (:func:`validate_threshold`: the cut-off would not be
reliably better than chance on new accounts), the documented default threshold
applies and the result says so. The in-sample J, sensitivity and specificity
are optimistic; ``validation`` carries the out-of-sample ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm, rankdata
from statsmodels.stats.proportion import proportion_confint

from cxgap.analysis._base import Result, finite
from cxgap.analysis.ledger.balance import _NS_PER_DAY, balances_at, to_datetime
from cxgap.analysis.ledger.landmark import SampleInfo
from cxgap.errors import AnalysisError
from cxgap.study.model import LedgerParameters

__all__ = [
    "SurvivalBand",
    "SurvivalResult",
    "ThresholdResult",
    "ThresholdValidation",
    "clustered_auc",
    "delong_auc",
    "learn_threshold",
    "survival_by_band",
    "threshold_sample",
    "validate_threshold",
]

CV_FOLDS = 5
CV_REPEATS = 20
CV_BOOTSTRAP = 200
CV_SEED = 20_260_601


class ThresholdValidation(Result):
    """Out-of-sample performance of the threshold rule (cross-validated).

    The cut-off is chosen inside each training fold by the same rule as the
    reported threshold (Youden's J, with the ``min_defections`` and J <= 0
    fallbacks to the default) and scored on the held-out accounts. Intervals
    come from a stratified bootstrap of the whole cross-validation.
    """

    sample: Literal["out"] = "out"
    method: str
    folds: int
    repeats: int
    bootstrap: int
    seed: int
    youden_j: float | None = None
    youden_j_ci: tuple[float, float] | None = None
    sensitivity: float | None = None
    sensitivity_ci: tuple[float, float] | None = None
    specificity: float | None = None
    specificity_ci: tuple[float, float] | None = None
    auc: float | None = None
    auc_ci: tuple[float, float] | None = None
    ci_method: str = ""
    auc_ci_method: str = ""
    reason: str = ""


class ThresholdResult(Result):
    """The defection threshold and how well the balance separates defectors.

    ``youden_j``, ``sensitivity`` and ``specificity`` (and their intervals) are
    in-sample: the cut-off is chosen and scored on the same accounts, so they
    are optimistic. ``validation`` carries the out-of-sample figures.
    """

    threshold: float
    method: Literal["youden", "default"]
    reason: str
    lead_days: float
    n_defected: int
    n_retained: int
    auc: float | None = None
    auc_se: float | None = None
    auc_ci_low: float | None = None
    auc_ci_high: float | None = None
    auc_ci_method: str = "DeLong, normal approximation, 95%"
    youden_j: float | None = None
    sensitivity: float | None = None
    sensitivity_ci: tuple[float, float] | None = None
    specificity: float | None = None
    specificity_ci: tuple[float, float] | None = None
    rates_sample: Literal["in"] = "in"
    validation: ThresholdValidation | None = None
    defected_accounts: int | None = None
    retained_accounts: int | None = None
    sample: SampleInfo | None = None


def delong_auc(positive: Any, negative: Any) -> tuple[float, float | None]:
    """AUC of a score where positives should score higher, with DeLong's SE.

    Parameters
    ----------
    positive, negative : array-like of float
        Scores of the positive (event) and negative cases.

    Returns
    -------
    tuple of (float, float or None)
        The AUC (Mann-Whitney form, ties count one half) and its DeLong
        standard error (``None`` with fewer than two cases in a group).

    References
    ----------
    DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the
    areas under two or more correlated receiver operating characteristic
    curves: a nonparametric approach. *Biometrics* 44(3), 837-845.
    Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm.
    *IEEE Signal Processing Letters* 21(11), 1389-1393 (the mid-rank form).

    Examples
    --------
    >>> auc, se = delong_auc([3, 4, 5], [1, 2, 3.5])
    >>> round(auc, 4)
    0.8889
    """
    x = np.asarray(positive, dtype=float)
    y = np.asarray(negative, dtype=float)
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        raise AnalysisError("AUC needs at least one case in each group")
    rank_all = rankdata(np.concatenate([x, y]))
    v10 = (rank_all[:m] - rankdata(x)) / n  # share of negatives below each positive
    v01 = 1.0 - (rank_all[m:] - rankdata(y)) / m  # share of positives above each negative
    auc = float(v10.mean())
    if m < 2 or n < 2:
        return auc, None
    var = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    return auc, float(np.sqrt(max(var, 0.0)))


def clustered_auc(score: Any, event: Any, groups: Any) -> tuple[float, float | None]:
    """AUC of a score (events should score higher) with rows in clusters.

    Parameters
    ----------
    score : array-like of float
        One score per row.
    event : array-like of bool
        Whether each row is an event (positive).
    groups : array-like
        The cluster of each row (an account, read at several landmarks).

    Returns
    -------
    tuple of (float, float or None)
        The AUC over all rows (Mann-Whitney form, ties one half) and
        Obuchowski's standard error, which sums DeLong's structural components
        within each cluster before taking their variance between clusters
        (``None`` with fewer than two clusters holding events or non-events).
        With one row per cluster it is DeLong's.

    References
    ----------
    Obuchowski, N. A. (1997). Nonparametric analysis of clustered ROC curve
    data. *Biometrics* 53(2), 567-578. DeLong et al. (1988), see
    :func:`delong_auc`.

    Examples
    --------
    >>> auc, se = clustered_auc([3, 4, 5, 1, 2, 3.5], [1, 1, 1, 0, 0, 0], [0, 1, 2, 3, 4, 5])
    >>> round(auc, 4), round(se, 4) == round(delong_auc([3, 4, 5], [1, 2, 3.5])[1], 4)
    (0.8889, True)
    """
    s = np.asarray(score, dtype=float)
    e = np.asarray(event, dtype=bool)
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    if not (len(s) == len(e) == len(codes)):
        raise AnalysisError("score, event and groups need the same length")
    x, y = s[e], s[~e]
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        raise AnalysisError("AUC needs at least one case in each group")
    rank_all = rankdata(np.concatenate([x, y]))
    v10 = (rank_all[:m] - rankdata(x)) / n
    v01 = 1.0 - (rank_all[m:] - rankdata(y)) / m
    auc = float(v10.mean())
    k = int(codes.max()) + 1
    big_x = np.bincount(codes[e], weights=v10, minlength=k)
    big_y = np.bincount(codes[~e], weights=v01, minlength=k)
    mi = np.bincount(codes[e], minlength=k)
    ni = np.bincount(codes[~e], minlength=k)
    i10, i01 = int((mi > 0).sum()), int((ni > 0).sum())
    if i10 < 2 or i01 < 2:
        return auc, None
    dx, dy = big_x - mi * auc, big_y - ni * auc
    s10 = i10 / ((i10 - 1) * m) * float(np.sum(dx * dx))
    s01 = i01 / ((i01 - 1) * n) * float(np.sum(dy * dy))
    s11 = k / (k - 1) * float(np.sum(dx * dy))
    var = s10 / m + s01 / n + 2.0 * s11 / (m * n)
    return auc, float(np.sqrt(max(var, 0.0)))


def threshold_sample(
    scored: pd.DataFrame,
    accounts: pd.DataFrame,
    as_of: Any,
    params: LedgerParameters,
) -> pd.DataFrame:
    """The balances the threshold is learned from.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cxgap.analysis.ledger.balance.score_events`.
    accounts : pandas.DataFrame
        ``account_id`` and ``defected_at`` (NaT when retained).
    as_of : datetime-like
        The as-of date; defections after it count as retained.
    params : LedgerParameters
        ``threshold_lead_days`` sets how long before leaving a defected
        account's balance is read.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``account_id``: ``defected`` (bool), ``evaluated_at`` and
        ``balance`` (plus the other columns of
        :func:`~cxgap.analysis.ledger.balance.balances_at`).

    References
    ----------
    See :func:`learn_threshold`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.analysis.ledger.balance import score_events
    >>> ev = pd.DataFrame({"account_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...     "moment": ["routine"] * 2, "outcome": ["met", "failed"], "severity": [None, 2]})
    >>> s = score_events(ev, LedgerParameters(), {"routine": 1.0})
    >>> acc = pd.DataFrame({"account_id": ["a", "b"],
    ...     "defected_at": pd.to_datetime([None, "2025-03-01"])})
    >>> threshold_sample(s, acc, "2025-06-01", LedgerParameters())["defected"].tolist()
    [False, True]
    """
    if "account_id" not in accounts.columns or "defected_at" not in accounts.columns:
        raise AnalysisError("accounts: columns account_id and defected_at are needed")
    as_of_ts = pd.Timestamp(as_of)
    index = pd.Index(accounts["account_id"].astype(str), name="account_id")
    if index.has_duplicates:
        raise AnalysisError("accounts: each account_id once")
    defected_at = pd.to_datetime(accounts["defected_at"]).set_axis(index)
    defected = defected_at.notna() & (defected_at <= as_of_ts)
    lead = pd.Timedelta(round(params.threshold_lead_days * _NS_PER_DAY), unit="ns")
    evaluated_at = pd.Series(as_of_ts, index=index).where(~defected, defected_at - lead)
    table = balances_at(scored, evaluated_at, accounts=index)
    table.insert(0, "evaluated_at", evaluated_at)
    table.insert(0, "defected", defected.to_numpy())
    return table


def _wilson(k: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def _rule_cut(
    bd: np.ndarray,
    br: np.ndarray,
    params: LedgerParameters,
    defected_accounts: int | None = None,
    learned_from: str = "",
) -> tuple[float, Literal["youden", "default"], str, float | None]:
    """The cut-off rule on sorted defected / retained balances.

    ``defected_accounts`` (default: the defected rows) is what the
    ``min_defections`` floor counts. Returns the threshold, the method, the
    reason and the best J (``None`` when the rule did not search).
    """
    m, n = len(bd), len(br)
    count = m if defected_accounts is None else defected_accounts
    if count < params.min_defections:
        reason = (
            f"default threshold: {count} defected account(s), fewer than "
            f"min_defections = {params.min_defections}"
        )
        return float(params.default_threshold), "default", reason, None
    if n == 0:
        reason = "default threshold: no retained accounts to compare with"
        return float(params.default_threshold), "default", reason, None
    cuts = np.unique(np.concatenate([bd, br]))
    sens = np.searchsorted(bd, cuts, side="right") / m  # defected with balance <= cut
    spec = 1.0 - np.searchsorted(br, cuts, side="right") / n  # retained above the cut
    j = sens + spec - 1.0
    best = int(np.argmax(j))
    j_best = float(j[best])
    if j_best <= 0:
        reason = "default threshold: the balance does not separate defected accounts"
        return float(params.default_threshold), "default", reason, j_best
    upper = cuts[best + 1] if best + 1 < len(cuts) else cuts[best] + 1.0
    reason = learned_from or (
        f"learned from {m} defected and {n} retained accounts "
        f"(Youden's J, balance {params.threshold_lead_days:g} days before defection)"
    )
    return float((cuts[best] + upper) / 2.0), "youden", reason, j_best


def _newcombe_auc_ci(
    auc: float, m: float, n: float, z: float = 1.959963984540054
) -> tuple[float, float]:
    """Newcombe's (2006) method 5: a score-type 95% interval for the AUC.

    Solves ``(auc - t)**2 = z**2 V(t)`` for ``t``, with Hanley and McNeil's
    (1982) variance ``V(t) = t (1 - t) / (m n) * [1 + (N* - 1)(1 - t) / (2 - t)
    + (N* - 1) t / (1 + t)]`` in which both group sizes are replaced by their
    mean ``N* = (m + n) / 2`` (Newcombe 2006, methods 4 and 5).
    """
    ns = (m + n) / 2.0

    def gap(t: float) -> float:
        v = t * (1 - t) / (m * n) * (1 + (ns - 1) * (1 - t) / (2 - t) + (ns - 1) * t / (1 + t))
        return (auc - t) ** 2 - z * z * v

    eps = 1e-12
    low = brentq(gap, eps, auc) if auc > eps and gap(eps) > 0 else 0.0
    high = brentq(gap, auc, 1 - eps) if auc < 1 - eps and gap(1 - eps) > 0 else 1.0
    return float(low), float(high)


def _unit_codes(groups: Any, size: int) -> np.ndarray:
    """Account codes 0..U-1 of each row (each row its own without groups)."""
    if groups is None:
        return np.arange(size, dtype=np.int64)
    g = np.asarray(groups)
    if g.shape != (size,):
        raise AnalysisError("groups: one account per balance")
    return np.unique(g, return_inverse=True)[1].astype(np.int64)


def _stratified_folds(cls: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold 0..k-1 of each unit, each class dealt round-robin in random order."""
    fold = np.empty(len(cls), dtype=np.int64)
    offset = 0
    for c in (True, False):
        idx = rng.permutation(np.flatnonzero(cls == c))
        fold[idx] = (offset + np.arange(len(idx))) % k
        offset += len(idx)
    return fold


def _cv_rates(
    b: np.ndarray, d: np.ndarray, fold: np.ndarray, k: int, params: LedgerParameters
) -> tuple[float, float]:
    """Pooled held-out sensitivity and specificity of one k-fold split."""
    below = np.zeros(len(b), dtype=bool)
    for f in range(k):
        test = fold == f
        if not test.any():
            continue
        bt, dt = b[~test], d[~test]
        cut = _rule_cut(np.sort(bt[dt]), np.sort(bt[~dt]), params)[0]
        below[test] = b[test] < cut
    return float(below[d].mean()), float((~below[~d]).mean())


def validate_threshold(
    balance: Any,
    defected: Any,
    params: LedgerParameters,
    *,
    groups: Any = None,
    folds: int = CV_FOLDS,
    repeats: int = CV_REPEATS,
    n_boot: int = CV_BOOTSTRAP,
    seed: int = CV_SEED,
) -> ThresholdValidation:
    """Out-of-sample J, sensitivity, specificity and AUC of the threshold rule.

    Repeated stratified k-fold cross-validation: in each training fold the
    cut-off is chosen by the rule of :func:`learn_threshold` (Youden's J, with
    the J <= 0 fallback to the default threshold; the ``min_defections``
    floor is the whole sample's, not the folds') and the
    held-out accounts are classified by it; sensitivity and specificity are
    pooled over the folds of a repeat and averaged over the repeats, and
    J = sensitivity + specificity - 1. The 95% intervals cover what the cut-off
    learned on all the accounts achieves on fresh ones: normal intervals
    around the estimates whose standard deviation is that of the estimation
    error in ``n_boot`` stratified bootstrap samples -- the cross-validation
    (one repeat, the copies of an account kept in one fold: bootstrap case
    cross-validation) re-run on the sample, minus the rates on the original
    accounts of the cut-off learned on the sample. The AUC needs no
    cross-validation (the balance is not fitted); its interval is Newcombe's
    (2006) score-type method 5, which keeps its coverage with few
    defections where DeLong's normal interval does not.

    With ``groups`` (several rows per account, as in the landmark sample of
    :mod:`cxgap.analysis.ledger.landmark`), everything is done by account:
    the folds are dealt by account (stratified by whether the account ever
    defected), the bootstrap draws accounts with all their rows, and the AUC
    interval is Newcombe's with the group sizes divided by the design effect
    (Kish 1965): Obuchowski's (1997) clustered variance of the AUC
    (:func:`clustered_auc`) over the variance the rows would have were they
    independent (DeLong), at least 1.

    Parameters
    ----------
    balance, defected : array-like
        As for :func:`learn_threshold`.
    params : LedgerParameters
        The rule's ``default_threshold``.
    groups : array-like, optional
        The account of each row (default: one account per row).
    folds, repeats, n_boot : int
        Folds (at most the number of defected accounts), repeats of the
        cross-validation, bootstrap samples for the intervals.
    seed : int
        Seed of the fold assignment and the bootstrap: the same data and seed
        give the same numbers.

    Returns
    -------
    ThresholdValidation
        ``sample="out"``, the method, and each figure with its 95% interval
        (``None`` with fewer than two defected or retained accounts, said in
        ``reason``).

    References
    ----------
    Stone, M. (1974). Cross-validatory choice and assessment of statistical
    predictions. *JRSS B* 36(2), 111-147. Kohavi, R. (1995). A study of
    cross-validation and bootstrap for accuracy estimation and model
    selection. *IJCAI* 14, 1137-1143 (stratified, repeated folds). Jiang, W.,
    Varma, S. & Simon, R. (2008). Calculating confidence intervals for
    prediction error in microarray classification using resampling.
    *Stat Appl Genet Mol Biol* 7(1), art. 8 (bootstrap case
    cross-validation). Bates, S., Hastie, T. & Tibshirani, R. (2024).
    Cross-validation: what does it estimate and how well does it do it?
    *JASA* 119(546), 1434-1445 (why the naive interval under-covers).
    Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their
    Application*, sections 2.4 and 6.4 (bootstrapping an estimator's error,
    prediction error; section 3.8, resampling clusters). Newcombe, R. G.
    (2006). Confidence intervals for an effect size measure based on the
    Mann-Whitney statistic. Part 2: asymptotic methods and evaluation.
    *Statistics in Medicine* 25(4), 559-573. Kish, L. (1965). *Survey
    Sampling*, Wiley, section 8.2 (the design effect). Obuchowski (1997), see
    :func:`clustered_auc`.

    Examples
    --------
    >>> bal = [-30, -25, -22, -18, -15, -12, -5, 0, 2, 5, 8, 10, -20, 3, 1]
    >>> dfc = [True] * 6 + [False] * 9
    >>> v = validate_threshold(bal, dfc, LedgerParameters(min_defections=2), n_boot=50)
    >>> v.sample, v.folds, v.repeats, round(v.sensitivity, 3)
    ('out', 5, 20, 1.0)
    """
    b = np.asarray(balance, dtype=float)
    d = np.asarray(defected, dtype=bool)
    if b.shape != d.shape:
        raise AnalysisError("balance and defected need the same length")
    if folds < 2 or repeats < 1 or n_boot < 0:
        raise AnalysisError("validation needs folds >= 2, repeats >= 1 and n_boot >= 0")
    grouped = groups is not None
    unit = _unit_codes(groups, len(b))
    n_units = int(unit.max()) + 1 if len(unit) else 0
    ever = np.zeros(n_units, dtype=bool)
    ever[unit[d]] = True  # an account that defected at some landmark
    m, n = int(d.sum()), int((~d).sum())
    mu, nu = int(ever.sum()), int((~ever).sum())
    k = min(folds, mu, nu)
    by = "account" if grouped else "row"
    method = (
        f"repeated stratified {k}-fold cross-validation, {repeats} repeats, "
        f"seed {seed}; the cut-off chosen in each training fold by the same rule"
        + ("; folds dealt by account" if grouped else "")
    )
    base: dict[str, Any] = {
        "method": method,
        "folds": k,
        "repeats": repeats,
        "bootstrap": n_boot,
        "seed": seed,
        "ci_method": (
            f"normal 95% interval; SD of the estimation error over {n_boot} "
            f"stratified bootstrap samples (by {by}) of the whole cross-validation"
        ),
        "auc_ci_method": "Newcombe (2006) method 5, score type, 95%"
        + (", sizes over Obuchowski's (1997) design effect" if grouped else ""),
    }
    if m < 2 or n < 2 or mu < 2 or nu < 2:
        base["reason"] = "not validated: fewer than 2 defected or 2 retained accounts"
        return ThresholdValidation(**base)
    rng = np.random.default_rng(seed)
    # The min_defections floor is the whole sample's (a training fold holds
    # (k - 1) / k of it); inside the folds the rule is Youden's J with the
    # J <= 0 fallback to the default.
    params = params.model_copy(update={"min_defections": 1})
    rates = np.array(
        [_cv_rates(b, d, _stratified_folds(ever, k, rng)[unit], k, params) for _ in range(repeats)]
    )
    sens, spec = (float(x) for x in rates.mean(axis=0))
    j = sens + spec - 1.0
    z = float(norm.ppf(0.975))
    idx_d, idx_r = np.flatnonzero(ever), np.flatnonzero(~ever)
    rows = np.arange(len(b))
    fold_of = np.full(n_units, -1, dtype=np.int64)
    # The bootstrap world: the accounts are the population, so the rates the cut
    # learned on a bootstrap sample "achieves on fresh accounts" are its rates on
    # the original accounts. The spread of (cross-validated estimate - those
    # rates) over the bootstrap samples estimates that of (estimate - truth).
    err = np.empty((n_boot, 3))
    for i in range(n_boot):
        draw = np.concatenate([rng.choice(idx_d, mu), rng.choice(idx_r, nu)])
        units = np.unique(draw)
        # the copies of an account stay in one fold
        fold_of[units] = _stratified_folds(ever[units], k, rng)
        take = np.repeat(rows, np.bincount(draw, minlength=n_units)[unit])
        bb, db = b[take], d[take]
        cv_s, cv_p = _cv_rates(bb, db, fold_of[unit[take]], k, params)
        cut = _rule_cut(np.sort(bb[db]), np.sort(bb[~db]), params)[0]
        true_s, true_p = float(np.mean(b[d] < cut)), float(np.mean(b[~d] >= cut))
        err[i] = (cv_s - true_s, cv_p - true_p, cv_s + cv_p - true_s - true_p)
    if n_boot >= 2:
        sd_s, sd_p, sd_j = (float(x) for x in err.std(axis=0, ddof=1))

        def ci(x: float, sd: float, low: float) -> tuple[float, float]:
            return max(low, x - z * sd), min(1.0, x + z * sd)

        base |= {
            "sensitivity_ci": ci(sens, sd_s, 0.0),
            "specificity_ci": ci(spec, sd_p, 0.0),
            "youden_j_ci": ci(j, sd_j, -1.0),
        }
    auc, se_rows = delong_auc(-b[d], -b[~d])
    base["auc"] = auc
    deff = 1.0
    if grouped:
        _, se_clustered = clustered_auc(-b, d, unit)
        if se_rows and se_clustered is not None:
            deff = max(1.0, (se_clustered / se_rows) ** 2)
    base["auc_ci"] = _newcombe_auc_ci(auc, max(m / deff, 1.0), max(n / deff, 1.0))
    base |= {
        "sensitivity": sens,
        "specificity": spec,
        "youden_j": j,
        "reason": (
            f"{m} defection(s) of {mu} account(s) and {n} retained reading(s) "
            f"({n_units} accounts in all)"
            if grouped
            else f"{m} defected and {n} retained accounts"
        ),
    }
    return ThresholdValidation(**base)


def learn_threshold(
    balance: Any,
    defected: Any,
    params: LedgerParameters,
    *,
    groups: Any = None,
    validation_options: dict[str, int] | None = None,
) -> ThresholdResult:
    """Learn the balance below which accounts defect (Youden's J).

    Parameters
    ----------
    balance : array-like of float
        One balance per account: defected accounts ``lead`` days before they
        left, retained ones at the as-of date (see :func:`threshold_sample`).
    defected : array-like of bool
        Whether each account defected.
    params : LedgerParameters
        ``min_defections``, ``default_threshold`` and ``threshold_lead_days``.
    groups : array-like, optional
        The account of each balance when an account gives several (the
        landmark sample, :func:`cxgap.analysis.ledger.landmark.landmark_sample`):
        ``min_defections`` then counts defected accounts, the AUC's standard
        error is Obuchowski's clustered one (:func:`clustered_auc`) and the
        validation resamples accounts.
    validation_options : dict, optional
        ``folds``, ``repeats``, ``n_boot``, ``seed`` of
        :func:`validate_threshold`.

    Returns
    -------
    ThresholdResult
        ``threshold`` and ``method`` (``youden`` or ``default``, with the
        ``reason``: too few defections, J <= 0, or a cross-validated J whose
        95% interval includes 0), the group sizes, the AUC with its DeLong SE and 95%
        interval, Youden's J, and sensitivity / specificity at the threshold
        with Wilson 95% intervals -- these rates are in-sample
        (``rates_sample="in"``): chosen and scored on the same accounts.
        ``validation`` holds the out-of-sample figures of
        :func:`validate_threshold`.

    References
    ----------
    Youden, W. J. (1950). Index for rating diagnostic tests. *Cancer* 3(1),
    32-35. Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the
    area under a ROC curve. *Radiology* 143(1), 29-36. DeLong et al. (1988),
    see :func:`delong_auc`. Wilson, E. B. (1927). Probable inference.
    *JASA* 22(158), 209-212.

    Examples
    --------
    >>> from cxgap.study.model import LedgerParameters
    >>> bal = [-30, -25, -22, -18, -15, -5, 0, 2, 5, 8, 10, -20]
    >>> dfc = [True] * 5 + [False] * 7
    >>> r = learn_threshold(bal, dfc, LedgerParameters())
    >>> r.method, r.threshold, round(r.youden_j, 3)
    ('youden', -10.0, 0.857)
    """
    b = np.asarray(balance, dtype=float)
    d = np.asarray(defected, dtype=bool)
    if b.shape != d.shape:
        raise AnalysisError("balance and defected need the same length")
    if not np.isfinite(b).all():
        raise AnalysisError("balances must be finite numbers")
    bd, br = np.sort(b[d]), np.sort(b[~d])
    m, n = len(bd), len(br)
    unit = _unit_codes(groups, len(b))
    mu = len(np.unique(unit[d]))
    nu = len(np.unique(unit)) - mu
    auc = se = lo = hi = None
    if m and n:
        if groups is None:
            auc, se = delong_auc(-bd, -br)  # lower balance = higher risk score
        else:
            auc, se = clustered_auc(-b, d, unit)
        if se is not None:
            z = float(norm.ppf(0.975))
            lo, hi = max(0.0, auc - z * se), min(1.0, auc + z * se)
    learned_from = (
        f"learned from {m} defection(s) within {params.horizon_days:g} days of a landmark "
        f"({mu} account(s)) against {n} readings of accounts that stayed (Youden's J)"
        if groups is not None
        else ""
    )
    threshold, method, reason, j_best = _rule_cut(bd, br, params, mu, learned_from)
    validation = validate_threshold(b, d, params, groups=groups, **(validation_options or {}))
    ci_j = validation.youden_j_ci
    if method == "youden" and ci_j is not None and ci_j[0] <= 0:
        # The minimum rule: a cut-off that cannot be told from chance on new
        # accounts is not used (benchmarks/bench_threshold_coverage.py,
        # benchmarks/bench_landmark.py).
        method, threshold = "default", float(params.default_threshold)
        reason = (
            f"default threshold: the cut-off learned from {mu} defected accounts "
            f"is not reliably better than chance out of sample (cross-validated "
            f"J {validation.youden_j:.2f}, 95% interval {ci_j[0]:.2f} to {ci_j[1]:.2f} "
            f"includes 0)"
        )
    result: dict[str, Any] = {
        "threshold": threshold,
        "method": method,
        "reason": reason,
        "lead_days": params.threshold_lead_days,
        "n_defected": m,
        "n_retained": n,
        "auc": finite(auc),
        "auc_se": finite(se),
        "auc_ci_low": finite(lo),
        "auc_ci_high": finite(hi),
        "youden_j": j_best if method == "youden" else None,
        "validation": validation,
        "defected_accounts": mu,
        "retained_accounts": nu,
    }
    if groups is not None:
        result["auc_ci_method"] = "Obuchowski (1997) clustered by account, normal, 95%"
    if m:
        k = int(np.sum(bd < threshold))
        result["sensitivity"] = k / m
        result["sensitivity_ci"] = _wilson(k, m)
    if n:
        k = int(np.sum(br >= threshold))
        result["specificity"] = k / n
        result["specificity_ci"] = _wilson(k, n)
    if method == "default" and m and n:
        result["youden_j"] = result["sensitivity"] + result["specificity"] - 1.0
    return ThresholdResult(**result)


class SurvivalBand(Result):
    """Kaplan-Meier curve of time to defection for one balance band."""

    band: str
    low: float | None
    high: float | None
    n: int
    defections: int
    times_days: list[float]
    at_risk: list[int]
    survival: list[float]
    survival_se: list[float]
    ci_low: list[float]
    ci_high: list[float]
    survival_at_end: float | None


class SurvivalResult(Result):
    """Time to defection after a landmark date, by balance at the landmark."""

    landmark: datetime
    as_of: datetime
    threshold: float
    method: str = (
        "Kaplan-Meier from a landmark date; Greenwood standard errors; "
        "95% intervals on the log(-log) scale"
    )
    bands: list[SurvivalBand]


def _kaplan_meier(time: np.ndarray, event: np.ndarray) -> dict[str, Any]:
    times = np.unique(time[event])
    at_risk = len(time) - np.searchsorted(np.sort(time), times, side="left")
    deaths = np.bincount(np.searchsorted(times, time[event]), minlength=len(times))
    surv = np.cumprod(1.0 - deaths / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(deaths / (at_risk * (at_risk - deaths)))
        se = surv * np.sqrt(green)
        # log(-log) interval (Kalbfleisch & Prentice 2002, section 1.3)
        z = float(norm.ppf(0.975))
        log_s = np.log(surv)
        half = z * np.sqrt(green) / np.abs(log_s)
        low = surv ** np.exp(half)
        high = surv ** np.exp(-half)
    low = np.where(np.isfinite(low), low, np.where(surv > 0, surv, 0.0))
    high = np.where(np.isfinite(high), high, np.where(surv > 0, 1.0, 0.0))
    return {
        "times_days": times.astype(float).tolist(),
        "at_risk": at_risk.astype(int).tolist(),
        "survival": surv.tolist(),
        "survival_se": np.nan_to_num(se).tolist(),
        "ci_low": low.tolist(),
        "ci_high": high.tolist(),
        "survival_at_end": float(surv[-1]) if len(surv) else 1.0,
    }


def survival_by_band(
    scored: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    landmark: Any,
    as_of: Any,
    threshold: float,
    edges: Sequence[float] | None = None,
) -> SurvivalResult:
    """Time to defection after ``landmark`` by balance band at the landmark.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cxgap.analysis.ledger.balance.score_events`.
    accounts : pandas.DataFrame
        ``account_id`` and ``defected_at`` (NaT when retained).
    landmark : datetime-like
        Accounts still customers on this date enter, banded by their balance
        on it; they are followed until they defect or ``as_of`` (censored).
    as_of : datetime-like
        End of follow-up.
    threshold : float
        The defection threshold; the default bands are "below" and "at or
        above" it.
    edges : sequence of float, optional
        Band edges instead of the threshold alone (bands are ``[edge_i,
        edge_{i+1})`` with open ends).

    Returns
    -------
    SurvivalResult
        One :class:`SurvivalBand` per band: n, defections, and the
        Kaplan-Meier curve (event times in days after the landmark, number at
        risk, survival, Greenwood SE and 95% interval).

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from
    incomplete observations. *JASA* 53(282), 457-481. Greenwood, M. (1926).
    The errors of sampling of the survivorship tables. Anderson, J. R., Cain,
    K. C. & Gelber, R. D. (1983). Analysis of survival by tumor response.
    *J Clin Oncol* 1(11), 710-719 (the landmark method).

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.analysis.ledger.balance import score_events
    >>> ev = pd.DataFrame({"account_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...     "moment": ["routine"] * 2, "outcome": ["met", "failed"], "severity": [None, 3]})
    >>> acc = pd.DataFrame({"account_id": ["a", "b"],
    ...     "defected_at": pd.to_datetime([None, "2025-03-01"])})
    >>> r = survival_by_band(score_events(ev, LedgerParameters(), {"routine": 1.0}), acc,
    ...     landmark="2025-01-02", as_of="2025-06-01", threshold=-3.0)
    >>> [(b.band, b.n, b.defections, b.survival_at_end) for b in r.bands]
    [('below -3', 1, 1, 0.0), ('-3 and above', 1, 0, 1.0)]
    """
    landmark_ts, as_of_ts = pd.Timestamp(landmark), pd.Timestamp(as_of)
    if landmark_ts >= as_of_ts:
        raise AnalysisError("the landmark date must be before the as-of date")
    index = pd.Index(accounts["account_id"].astype(str), name="account_id")
    defected_at = pd.to_datetime(accounts["defected_at"]).set_axis(index)
    entered = defected_at.isna() | (defected_at > landmark_ts)
    ids = index[entered.to_numpy()]
    if len(ids) == 0:
        raise AnalysisError("no account was still a customer on the landmark date")
    scored = scored.assign(account_id=scored["account_id"].astype(str))
    balance = balances_at(scored, landmark_ts, accounts=ids)["balance"].to_numpy()
    exit_at = defected_at.reindex(ids)
    event = (exit_at.notna() & (exit_at <= as_of_ts)).to_numpy()
    end = exit_at.where(pd.Series(event, index=ids), as_of_ts)
    time = ((end - landmark_ts).dt.total_seconds() / 86_400).to_numpy(dtype=float)
    cuts = sorted(edges) if edges is not None else [float(threshold)]
    bounds = [None, *cuts, None]
    band_of = np.searchsorted(np.asarray(cuts, dtype=float), balance, side="right")
    bands = []
    for k in range(len(bounds) - 1):
        low, high = bounds[k], bounds[k + 1]
        mask = band_of == k
        if low is None:
            name = f"below {high:g}"
        elif high is None:
            name = f"{low:g} and above"
        else:
            name = f"{low:g} to {high:g}"
        if not mask.any():
            continue
        bands.append(
            SurvivalBand(
                band=name,
                low=low,
                high=high,
                n=int(mask.sum()),
                defections=int(event[mask].sum()),
                **_kaplan_meier(time[mask], event[mask]),
            )
        )
    return SurvivalResult(
        landmark=to_datetime(landmark_ts),
        as_of=to_datetime(as_of_ts),
        threshold=float(threshold),
        bands=bands,
    )
