"""Recalibration of risk probabilities as a separate, composable step.

A fitted risk model ranks runners; whether its probabilities match the base rate of a *new*
race is a separate question (base rates moved from 11 % to 25 % between Chicago 2023 and
Boston 2014). These calibrators take probabilities from any model and map them with a
logistic recalibration fitted on data the user has (e.g. an earlier edition of the race, or
runners who already finished): :class:`InterceptCalibrator` shifts the log-odds only
(calibration-in-the-large), :class:`PlattCalibrator` fits intercept and slope.

References
----------
Platt J. Probabilistic outputs for support vector machines. 1999.
Steyerberg EW. *Clinical Prediction Models*, 2nd ed., 2019, ch. 20 (updating by recalibration).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from finishline.risk.logodds import expit, logit

_P_CLIP = 1e-6


def _logit(p: npt.ArrayLike) -> np.ndarray:
    return logit(np.clip(np.asarray(p, dtype=float), _P_CLIP, 1 - _P_CLIP))


def _newton(x: np.ndarray, y: np.ndarray, offset: np.ndarray) -> np.ndarray:
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        mu = expit(offset + x @ beta)
        w = np.clip(mu * (1 - mu), 1e-10, None)
        hess = x.T @ (x * w[:, None]) + 1e-8 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, x.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


class InterceptCalibrator:
    """Shift log-odds by a constant so the mean prediction matches the observed rate.

    Attributes
    ----------
    intercept_ : float
        The log-odds shift learned by :meth:`fit` (0 is no change).
    """

    def fit(self, p: npt.ArrayLike, y: npt.ArrayLike) -> InterceptCalibrator:
        """Learn the shift from probabilities ``p`` and outcomes ``y`` (0/1)."""
        lp, y_arr = _finite(p, y)
        self.intercept_ = float(_newton(np.ones((len(lp), 1)), y_arr, lp)[0])
        return self

    def transform(self, p: npt.ArrayLike) -> np.ndarray:
        """Recalibrated probabilities (NaN stays NaN)."""
        return expit(_logit(p) + self.intercept_) * _nan_mask(p)


class PlattCalibrator:
    """Logistic recalibration ``logit p' = a + b * logit p`` (Platt scaling on log-odds).

    Attributes
    ----------
    intercept_ : float
        ``a``.
    slope_ : float
        ``b``.
    """

    def fit(self, p: npt.ArrayLike, y: npt.ArrayLike) -> PlattCalibrator:
        """Learn ``a`` and ``b`` from probabilities ``p`` and outcomes ``y`` (0/1)."""
        lp, y_arr = _finite(p, y)
        a, b = _newton(np.column_stack([np.ones(len(lp)), lp]), y_arr, np.zeros(len(lp)))
        self.intercept_, self.slope_ = float(a), float(b)
        return self

    def transform(self, p: npt.ArrayLike) -> np.ndarray:
        """Recalibrated probabilities (NaN stays NaN)."""
        return expit(self.intercept_ + self.slope_ * _logit(p)) * _nan_mask(p)


def _finite(p: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p_arr = np.asarray(p, dtype=float)
    y_arr = np.asarray(y, dtype=float)
    keep = np.isfinite(p_arr) & np.isfinite(y_arr)
    return _logit(p_arr[keep]), y_arr[keep]


def _nan_mask(p: npt.ArrayLike) -> np.ndarray:
    return np.where(np.isfinite(np.asarray(p, dtype=float)), 1.0, np.nan)
