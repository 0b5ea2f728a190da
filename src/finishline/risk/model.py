"""The final-mile risk estimator: penalised logistic regression on checkpoint features.

:class:`FinalMileRiskModel` follows scikit-learn conventions (configuration in ``__init__``,
``fit`` returns ``self``, learned state ends in ``_``, ``predict_proba`` returns (n, 2)) without
depending on scikit-learn. It can be fitted on several races at once with one intercept per
race (``groups``): the slopes are shared, the shipped intercept is the mean race intercept,
and the spread of race intercepts becomes part of the uncertainty band.

Uncertainty band
----------------
``predict_interval`` combines (1) parameter uncertainty from a bootstrap over runners
(resampled within each race) and (2) between-race variation of the base rate (the standard
deviation of race intercepts on the log-odds scale), added in quadrature on the log-odds
scale. With only two training races the race standard deviation is itself a rough estimate.

References
----------
Hastie T, Tibshirani R, Friedman J. *The Elements of Statistical Learning*, 2nd ed., 2009,
sec. 4.4 (logistic regression by iteratively reweighted least squares) and 5.2 (hinge /
spline bases). Efron B, Tibshirani R. *An Introduction to the Bootstrap*, 1993.
Landmarking: van Houwelingen HC. *Scand J Stat* 2007;34:70 (one model per checkpoint).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from finishline.risk.features import FEATURES

_HINGE_KNOTS: dict[str, tuple[float, ...]] = {
    "log_r_last5": (0.0, 0.1, 0.2),
    "log_r_since_ref": (0.05, 0.15),
    "log_r_prev5": (0.1,),
    "log_r_start": (-0.05,),
}
_INTERACTIONS: tuple[tuple[str, str], ...] = (
    ("male", "log_r_last5"),
    ("log_ref_pace", "log_r_last5"),
)


def model_terms(features: pd.DataFrame) -> pd.DataFrame:
    """Expand checkpoint features into model terms.

    Terms are the features themselves, hinge (linear-spline) terms ``max(0, x - knot)`` that
    let the effect of a pace ratio bend where slowing turns into trouble, a quadratic in
    ability, and two interactions (sex and ability with current slowing).

    Parameters
    ----------
    features
        Columns :data:`~finishline.risk.features.FEATURES`.

    Returns
    -------
    pandas.DataFrame
        One column per term, same index.
    """
    terms = {name: features[name].to_numpy(dtype=float) for name in FEATURES}
    for name, knots in _HINGE_KNOTS.items():
        for knot in knots:
            terms[f"{name}>{knot:g}"] = np.maximum(terms[name] - knot, 0.0)
    terms["log_ref_pace^2"] = terms["log_ref_pace"] ** 2
    for a, b in _INTERACTIONS:
        terms[f"{a}*{b}"] = terms[a] * terms[b]
    return pd.DataFrame(terms, index=features.index)


def _as_terms(X: pd.DataFrame | npt.ArrayLike) -> np.ndarray:
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=FEATURES)
    return model_terms(frame).to_numpy(dtype=float)


def _fit_grouped_logistic(
    z: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    group_index: np.ndarray,
    n_groups: int,
    l2: float,
    start: np.ndarray | None = None,
    max_iter: int = 50,
) -> np.ndarray:
    """Newton/IRLS for logistic regression with one intercept per group and an L2 penalty.

    Returns the parameter vector ``[group intercepts..., slopes...]``. Intercepts are not
    penalised.
    """
    design = np.column_stack([np.eye(n_groups)[group_index], z])
    penalty = np.full(design.shape[1], l2)
    penalty[:n_groups] = 0.0
    beta = np.zeros(design.shape[1]) if start is None else start.copy()
    if start is None:
        for g in range(n_groups):
            in_group = group_index == g
            rate = np.average(y[in_group], weights=weight[in_group])
            beta[g] = np.log(np.clip(rate, 1e-6, 1 - 1e-6) / np.clip(1 - rate, 1e-6, 1))

    def objective(b: np.ndarray) -> float:
        eta = design @ b
        loglik = np.sum(weight * (y * eta - np.logaddexp(0.0, eta)))
        return float(loglik - 0.5 * np.sum(penalty * b**2))

    current = objective(beta)
    for _ in range(max_iter):
        mu = expit(design @ beta)
        w = np.clip(weight * mu * (1 - mu), 1e-12, None)
        grad = design.T @ (weight * (y - mu)) - penalty * beta
        hess = design.T @ (design * w[:, None]) + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        # Step halving keeps Newton from overshooting on (near-)separable terms.
        for _ in range(30):
            candidate = objective(beta + step)
            if candidate >= current - 1e-10:
                break
            step = step / 2
        beta = beta + step
        current = candidate
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _sig(values: np.ndarray, digits: int = 10) -> list[float]:
    """Values rounded to ``digits`` significant digits (keeps tiny scales non-zero)."""
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float)]


class FinalMileRiskModel:
    """Penalised logistic regression for P(final-mile failure | features at one checkpoint).

    Parameters
    ----------
    l2 : float
        Ridge penalty on the standardised slopes (in units of total sample weight).
    n_bootstrap : int
        Bootstrap refits over runners for the parameter-uncertainty band (0 disables it).
    random_state : int
        Seed for the bootstrap.

    Attributes
    ----------
    term_names_ : list of str
        Model terms (see :func:`model_terms`).
    term_mean_, term_scale_ : numpy.ndarray
        Standardisation of the terms learned on the training data.
    coef_ : numpy.ndarray
        Slopes on the standardised terms.
    intercept_ : float
        Log-odds intercept: the mean of the per-race intercepts.
    group_intercepts_ : dict
        Intercept per training group (race).
    race_sd_ : float
        Standard deviation of the group intercepts (0 with a single group).
    param_cov_ : numpy.ndarray
        Bootstrap covariance of ``[intercept_, *coef_]`` (zeros when ``n_bootstrap == 0``).
    classes_ : numpy.ndarray
        ``[0, 1]``.
    """

    def __init__(self, l2: float = 1.0, n_bootstrap: int = 0, random_state: int = 0) -> None:
        self.l2 = l2
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(
        self,
        X: pd.DataFrame,
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None = None,
        groups: npt.ArrayLike | None = None,
    ) -> FinalMileRiskModel:
        """Fit on features ``X`` (columns :data:`FEATURES`) and 0/1 outcomes ``y``.

        Parameters
        ----------
        X
            Feature table; rows with any NaN must be removed beforehand.
        y
            Outcomes (1 = final-mile failure).
        sample_weight
            Optional weights per runner (e.g. to give each race equal total weight).
        groups
            Optional race label per runner; each race gets its own intercept.

        Returns
        -------
        FinalMileRiskModel
            ``self``.
        """
        terms = _as_terms(X)
        y_arr = np.asarray(y, dtype=float)
        if not np.all(np.isfinite(terms)) or not np.all(np.isin(y_arr, (0.0, 1.0))):
            raise ValueError("fit needs finite features and 0/1 outcomes; drop NaN rows first")
        weight = np.ones(len(y_arr)) if sample_weight is None else np.asarray(sample_weight, float)
        labels = np.zeros(len(y_arr), dtype=object) if groups is None else np.asarray(groups)
        names, group_index = np.unique(labels.astype(str), return_inverse=True)
        self.term_names_ = list(model_terms(X.iloc[:0]).columns)
        self.term_mean_ = np.average(terms, axis=0, weights=weight)
        scale = np.sqrt(np.average((terms - self.term_mean_) ** 2, axis=0, weights=weight))
        self.term_scale_ = np.where(scale > 1e-8, scale, 1.0)
        z = (terms - self.term_mean_) / self.term_scale_
        l2 = self.l2 * weight.sum() / len(weight)
        beta = _fit_grouped_logistic(z, y_arr, weight, group_index, len(names), l2)
        k = len(names)
        self.group_intercepts_ = {str(n): float(b) for n, b in zip(names, beta[:k], strict=True)}
        self.intercept_ = float(np.mean(beta[:k]))
        self.race_sd_ = float(np.std(beta[:k], ddof=1)) if k > 1 else 0.0
        self.coef_ = beta[k:]
        self.param_cov_ = self._bootstrap_cov(z, y_arr, weight, group_index, k, l2, beta)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(FEATURES)
        return self

    def _bootstrap_cov(self, z, y, weight, group_index, k, l2, beta) -> np.ndarray:
        size = 1 + z.shape[1]
        if self.n_bootstrap <= 1:
            return np.zeros((size, size))
        rng = np.random.default_rng(self.random_state)
        members = [np.flatnonzero(group_index == g) for g in range(k)]
        draws = np.empty((self.n_bootstrap, size))
        for b in range(self.n_bootstrap):
            rows = np.concatenate([rng.choice(m, size=len(m), replace=True) for m in members])
            refit = _fit_grouped_logistic(
                z[rows], y[rows], weight[rows], group_index[rows], k, l2, start=beta, max_iter=5
            )
            draws[b] = np.concatenate([[refit[:k].mean()], refit[k:]])
        return np.cov(draws, rowvar=False)

    def _standardised_terms(self, X: pd.DataFrame) -> np.ndarray:
        return (_as_terms(X) - self.term_mean_) / self.term_scale_

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of failure per row (NaN where a feature is NaN)."""
        return self.intercept_ + self._standardised_terms(X) @ self.coef_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities, shape (n, 2): column 1 is P(final-mile failure)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def log_odds_sd(self, X: pd.DataFrame, include_race: bool = True) -> np.ndarray:
        """Standard deviation of the log-odds: parameter (bootstrap) and race-to-race parts."""
        design = np.column_stack([np.ones(len(X)), self._standardised_terms(X)])
        var = np.einsum("ij,jk,ik->i", design, self.param_cov_, design)
        if include_race:
            var = var + self.race_sd_**2
        return np.sqrt(np.clip(var, 0.0, None))

    def predict_interval(self, X: pd.DataFrame, level: float = 0.9) -> tuple[np.ndarray, ...]:
        """Central ``level`` band of P(failure): (low, high) per row."""
        eta = self.decision_function(X)
        half = norm.ppf(0.5 + level / 2) * self.log_odds_sd(X)
        return expit(eta - half), expit(eta + half)

    def to_dict(self) -> dict[str, Any]:
        """Learned parameters as plain JSON-ready values."""
        return {
            "l2": self.l2,
            "terms": self.term_names_,
            "term_mean": _sig(self.term_mean_),
            "term_scale": _sig(self.term_scale_),
            "coef": _sig(self.coef_),
            "intercept": round(self.intercept_, 8),
            "group_intercepts": {k: round(v, 8) for k, v in self.group_intercepts_.items()},
            "race_sd": round(self.race_sd_, 8),
            "param_cov": [_sig(row, 4) for row in self.param_cov_],
        }

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> FinalMileRiskModel:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        model = cls(l2=params["l2"])
        expected = list(model_terms(pd.DataFrame(columns=list(FEATURES), dtype=float)).columns)
        if params["terms"] != expected:
            raise ValueError("parameter file was fitted with different model terms")
        model.term_names_ = list(params["terms"])
        model.term_mean_ = np.asarray(params["term_mean"], dtype=float)
        model.term_scale_ = np.asarray(params["term_scale"], dtype=float)
        model.coef_ = np.asarray(params["coef"], dtype=float)
        model.intercept_ = float(params["intercept"])
        model.group_intercepts_ = dict(params["group_intercepts"])
        model.race_sd_ = float(params["race_sd"])
        model.param_cov_ = np.asarray(params["param_cov"], dtype=float)
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = len(FEATURES)
        return model
