"""Metrics for probabilistic predictions of a binary outcome.

Discrimination (AUC), probabilistic accuracy (Brier, against a prevalence-only forecast) and
calibration (slope and intercept of the logistic recalibration, expected calibration error).

References
----------
Steyerberg EW. *Clinical Prediction Models*, 2nd ed., Springer 2019 (calibration slope and
intercept, Brier skill). Naeini MP, Cooper G, Hauskrecht M. AAAI 2015 (ECE).
See ``science.md`` section 6.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from finishline.risk.logodds import expit, logit

_P_CLIP = 1e-6


def _clean(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y_arr = np.asarray(y, dtype=float)
    p_arr = np.asarray(p, dtype=float)
    keep = np.isfinite(y_arr) & np.isfinite(p_arr)
    return y_arr[keep], p_arr[keep]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their mean rank (what ``scipy.stats.rankdata`` returns)."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    new_group = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + 1 + ends) / 2.0
    ranks = np.empty(len(values))
    ranks[order] = mean_rank[group]
    return ranks


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney form, ties count one half).

    Parameters
    ----------
    y
        Outcomes 0/1 (NaN rows are dropped).
    p
        Scores or probabilities (NaN rows are dropped).

    Returns
    -------
    float
        AUC in [0, 1]; NaN when only one class is present.
    """
    y_arr, p_arr = _clean(y, p)
    n_pos = float(y_arr.sum())
    n_neg = float(len(y_arr) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(p_arr)
    return float((ranks[y_arr == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared error of probabilities against 0/1 outcomes."""
    y_arr, p_arr = _clean(y, p)
    return float(np.mean((p_arr - y_arr) ** 2))


def prevalence_brier(y: npt.ArrayLike, prevalence: float) -> float:
    """Brier score of a constant forecast ``prevalence`` (e.g. the training base rate)."""
    y_arr = np.asarray(y, dtype=float)
    y_arr = y_arr[np.isfinite(y_arr)]
    return float(np.mean((prevalence - y_arr) ** 2))


def _logistic_fit(x: np.ndarray, y: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Unpenalised logistic regression by Newton's method (small designs only)."""
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        mu = expit(offset + x @ beta)
        w = np.clip(mu * (1 - mu), 1e-10, None)
        step = np.linalg.solve(x.T @ (x * w[:, None]) + 1e-10 * np.eye(x.shape[1]), x.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta


def calibration_slope_intercept(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[float, float]:
    """Calibration slope and calibration-in-the-large intercept.

    The slope is ``b`` in ``logit P(y=1) = a + b * logit(p)`` (1 is ideal; < 1 means
    predictions are too extreme). The intercept is ``a`` in ``logit P(y=1) = a + logit(p)``
    with the slope fixed at 1 (0 is ideal; > 0 means risk is under-predicted on average).

    Parameters
    ----------
    y
        Outcomes 0/1.
    p
        Predicted probabilities.

    Returns
    -------
    tuple of float
        (slope, intercept).
    """
    y_arr, p_arr = _clean(y, p)
    lp = logit(np.clip(p_arr, _P_CLIP, 1 - _P_CLIP))
    ones = np.ones((len(y_arr), 1))
    slope = _logistic_fit(np.column_stack([ones, lp]), y_arr, np.zeros(len(y_arr)))[1]
    intercept = _logistic_fit(ones, y_arr, lp)[0]
    return float(slope), float(intercept)


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins.

    Parameters
    ----------
    y
        Outcomes 0/1.
    p
        Predicted probabilities.
    n_bins
        Number of equal-width bins on [0, 1].

    Returns
    -------
    float
        Sum over bins of (bin share) x |mean outcome - mean prediction|.
    """
    y_arr, p_arr = _clean(y, p)
    bins = np.clip((p_arr * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(
        np.bincount(bins, weights=y_arr, minlength=n_bins)
        - np.bincount(bins, weights=p_arr, minlength=n_bins)
    )
    return float(gap.sum() / max(count.sum(), 1))


def summarize_predictions(
    y: npt.ArrayLike, p: npt.ArrayLike, training_prevalence: float
) -> dict[str, float]:
    """All metrics at once.

    Parameters
    ----------
    y
        Outcomes 0/1.
    p
        Predicted probabilities.
    training_prevalence
        Base rate of the training data, for the prevalence-only Brier reference.

    Returns
    -------
    dict
        ``n``, ``prevalence``, ``auc``, ``brier``, ``brier_prevalence``, ``brier_skill``,
        ``cal_slope``, ``cal_intercept``, ``ece``.
    """
    y_arr, p_arr = _clean(y, p)
    slope, intercept = calibration_slope_intercept(y_arr, p_arr)
    b = brier(y_arr, p_arr)
    b0 = prevalence_brier(y_arr, training_prevalence)
    return {
        "n": float(len(y_arr)),
        "prevalence": float(y_arr.mean()) if len(y_arr) else float("nan"),
        "auc": auc(y_arr, p_arr),
        "brier": b,
        "brier_prevalence": b0,
        "brier_skill": 1.0 - b / b0 if b0 > 0 else float("nan"),
        "cal_slope": slope,
        "cal_intercept": intercept,
        "ece": expected_calibration_error(y_arr, p_arr),
    }


__all__ = [
    "auc",
    "brier",
    "calibration_slope_intercept",
    "expected_calibration_error",
    "prevalence_brier",
    "summarize_predictions",
]
