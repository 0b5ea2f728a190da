"""The final-mile risk estimator: a landmark supermodel with coefficients smooth in distance.

One penalised logistic regression is fitted on the rows of every landmark (chip mat) at once.
Each coefficient is a piecewise-linear function of the landmark distance ``k`` (hat basis on
the knots :data:`KNOTS_KM`), so the log-odds are continuous in ``k`` and the model is defined
at any km, not only at mats (van Houwelingen 2007, "landmark supermodel"). Neighbouring knot
values are tied by a second-difference penalty (a P-spline in ``k``; Eilers & Marx 1996), and
slopes carry a small ridge.

:class:`FinalMileRiskModel` follows scikit-learn conventions (configuration in ``__init__``,
``fit`` returns ``self``, learned state ends in ``_``, ``predict_proba`` returns (n, 2)) without
depending on scikit-learn. It is fitted on several races at once with one intercept *curve*
per race (``groups``): slopes are shared, the shipped intercept is the mean race intercept,
and the spread of race intercepts becomes part of the band.

Uncertainty band
----------------
``predict_interval`` combines (1) parameter uncertainty from a bootstrap over runners
(``clusters``: every landmark row of a resampled runner comes along; resampled within each
race) and (2) between-race variation of the base rate (the standard deviation of the race
intercepts at ``k`` on the log-odds scale), added in quadrature. With two training races the
race standard deviation is itself a rough estimate.

References
----------
van Houwelingen HC. Dynamic prediction by landmarking in event history analysis.
*Scand J Stat* 2007;34:70-85 (landmark supermodel, coefficients smooth in the landmark).
Eilers PHC, Marx BD. Flexible smoothing with B-splines and penalties. *Stat Sci* 1996;11:89.
Hastie T, Tibshirani R, Friedman J. *The Elements of Statistical Learning*, 2nd ed., 2009,
sec. 4.4 (IRLS) and 5.2 (hinge / spline bases). Efron B, Tibshirani R. *An Introduction to the
Bootstrap*, 1993 (cluster resampling).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from finishline.risk.features import FEATURES, LANDMARK
from finishline.risk.logodds import expit, ndtri
from finishline.risk.terms import (
    KNOTS_KM,
    MODEL_FEATURES,
    TERM_NAMES,
    hat_basis,
    model_terms,
    second_differences,
    term_matrix,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "KNOTS_KM",
    "MODEL_FEATURES",
    "TERM_NAMES",
    "FinalMileRiskModel",
    "hat_basis",
    "model_terms",
    "term_matrix",
]


def _fit_varying_logistic(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    bounds: np.ndarray,
    basis: np.ndarray,
    penalty: np.ndarray,
    start: np.ndarray | None = None,
    max_iter: int = 50,
) -> np.ndarray:
    """Newton/IRLS for a logistic model whose coefficients are ``basis @ theta``.

    ``x`` (n, q) holds every column (race indicators and standardised terms), its rows sorted
    by landmark: rows ``bounds[j]:bounds[j + 1]`` belong to landmark ``j``, whose basis row is
    ``basis[j]`` (L, K). The parameter ``theta`` (K, q) is returned flat; ``penalty`` is the
    (Kq, Kq) quadratic penalty matrix. The Hessian is assembled per landmark as
    ``(b b^T) kron (X^T W X)``.
    """
    n_land, n_basis = basis.shape
    q = x.shape[1]
    blocks = [slice(bounds[j], bounds[j + 1]) for j in range(n_land)]
    theta = np.zeros(n_basis * q) if start is None else start.copy()

    def linear_predictor(flat: np.ndarray) -> np.ndarray:
        per_landmark = basis @ flat.reshape(n_basis, q)  # (L, q)
        return np.concatenate(
            [np.einsum("ni,i->n", x[rows], per_landmark[j]) for j, rows in enumerate(blocks)]
        )

    def objective(flat: np.ndarray, eta: np.ndarray) -> float:
        loglik = np.sum(weight * (y * eta - np.logaddexp(0.0, eta)))
        return float(loglik - 0.5 * flat @ penalty @ flat)

    eta = linear_predictor(theta)
    current = objective(theta, eta)
    for _ in range(max_iter):
        mu = expit(eta)
        resid = weight * (y - mu)
        curv = np.clip(weight * mu * (1 - mu), 1e-12, None)
        grad = -penalty @ theta
        hess = penalty + 1e-9 * np.eye(theta.size)
        for j, rows in enumerate(blocks):
            b = basis[j]
            xr = x[rows]
            # einsum, not BLAS: a threaded BLAS on tall-skinny blocks oversubscribes a shared
            # machine (10x slower there) for no gain at this size.
            grad += np.kron(b, np.einsum("n,ni->i", resid[rows], xr))
            gram = np.einsum("ni,nj->ij", xr * curv[rows, None], xr)
            hess += np.kron(np.outer(b, b), gram)
        step = np.linalg.solve(hess, grad)
        # Step halving keeps Newton from overshooting on (near-)separable terms.
        for _ in range(30):
            candidate_eta = linear_predictor(theta + step)
            candidate = objective(theta + step, candidate_eta)
            if candidate >= current - 1e-10:
                break
            step = step / 2
        theta = theta + step
        eta, current = candidate_eta, candidate
        if np.max(np.abs(step)) < 1e-6:
            break
    return theta


def _covariance(draws: np.ndarray, size: int) -> np.ndarray:
    """Covariance of bootstrap draws (rows); zeros without at least two draws."""
    return np.cov(draws, rowvar=False) if len(draws) > 1 else np.zeros((size, size))


def _sig(values: npt.ArrayLike, digits: int = 10) -> list:
    """Values rounded to ``digits`` significant digits (keeps tiny scales non-zero)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim > 1:
        return [_sig(row, digits) for row in arr]
    return [float(f"{v:.{digits}g}") for v in arr]


class FinalMileRiskModel:
    """P(final-mile failure | features at distance k): logistic, coefficients smooth in k.

    Parameters
    ----------
    l2 : float
        Ridge penalty on the standardised slopes at every knot (per unit of mean weight).
    smoothness : float
        Second-difference penalty tying neighbouring knot values of every coefficient curve
        (per unit of mean weight).
    intercept_smoothness : float
        Multiplies ``smoothness`` for the race intercept curves.
    knots : tuple of float
        Knots (km) of the coefficient curves.
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
        Slopes on the standardised terms at each knot, shape (n_knots, n_terms).
    intercept_ : numpy.ndarray
        Log-odds intercept at each knot: the mean of the race intercept curves.
    group_intercepts_ : dict
        Intercept curve (one value per knot) of each training group (race).
    param_draws_ : numpy.ndarray
        Bootstrap draws of ``[intercept_, coef_]`` flattened knot by knot (each knot:
        intercept then slopes), one row per refit (what ``params.json`` stores).
    param_cov_ : numpy.ndarray
        Their covariance; zeros when ``n_bootstrap <= 1``.
    classes_ : numpy.ndarray
        ``[0, 1]``.
    """

    def __init__(
        self,
        l2: float = 1.0,
        smoothness: float = 100.0,
        knots: tuple[float, ...] = KNOTS_KM,
        n_bootstrap: int = 0,
        random_state: int = 0,
        intercept_smoothness: float = 1.0,
    ) -> None:
        self.l2 = l2
        self.smoothness = smoothness
        self.intercept_smoothness = intercept_smoothness
        self.knots = knots
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def _penalty(self, n_groups: int, n_terms: int, mean_weight: float) -> np.ndarray:
        n_basis = len(self.knots)
        d2 = second_differences(n_basis)
        strength = np.r_[np.full(n_groups, self.intercept_smoothness), np.full(n_terms, 1.0)]
        smooth = np.kron(d2.T @ d2, np.diag(strength)) * self.smoothness * mean_weight
        ridge_mask = np.tile(np.r_[np.zeros(n_groups), np.ones(n_terms)], n_basis)
        return smooth + np.diag(ridge_mask * self.l2 * mean_weight)

    def fit(
        self,
        X: pd.DataFrame,
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None = None,
        groups: npt.ArrayLike | None = None,
        clusters: npt.ArrayLike | None = None,
    ) -> FinalMileRiskModel:
        """Fit on stacked landmark rows ``X`` (:data:`FEATURES` + ``landmark_km``) and ``y``.

        Parameters
        ----------
        X
            Feature table, one row per runner and landmark; rows with any NaN must be
            removed beforehand. ``landmark_km`` takes a few distinct values (the mats).
        y
            Outcomes (1 = final-mile failure).
        sample_weight
            Optional weights per row (e.g. giving each race the same weight at every mat).
        groups
            Optional race label per row; each race gets its own intercept curve.
        clusters
            Optional runner id per row: the bootstrap resamples runners, each with all of
            their rows (within their group). Rows are their own clusters by default.

        Returns
        -------
        FinalMileRiskModel
            ``self``.
        """
        terms = term_matrix(X)
        landmark = X[LANDMARK].to_numpy(dtype=float)
        y_arr = np.asarray(y, dtype=float)
        if not np.all(np.isfinite(terms)) or not np.all(np.isfinite(landmark)):
            raise ValueError("fit needs finite features; drop NaN rows first")
        if not np.all(np.isin(y_arr, (0.0, 1.0))):
            raise ValueError("fit needs 0/1 outcomes")
        weight = np.ones(len(y_arr)) if sample_weight is None else np.asarray(sample_weight, float)
        labels = np.zeros(len(y_arr), dtype=object) if groups is None else np.asarray(groups)
        names, group_index = np.unique(labels.astype(str), return_inverse=True)
        landmarks, landmark_index = np.unique(landmark, return_inverse=True)
        basis = hat_basis(landmarks, self.knots)
        # Rows sorted by landmark: each landmark's rows are one contiguous block.
        order = np.argsort(landmark_index, kind="stable")
        bounds = np.searchsorted(landmark_index[order], np.arange(len(landmarks) + 1))
        terms, y_arr, weight = terms[order], y_arr[order], weight[order]
        group_index, labels = group_index[order], labels[order]
        self.term_names_ = list(TERM_NAMES)
        self.term_mean_ = np.average(terms, axis=0, weights=weight)
        scale = np.sqrt(np.average((terms - self.term_mean_) ** 2, axis=0, weights=weight))
        self.term_scale_ = np.where(scale > 1e-8, scale, 1.0)
        z = (terms - self.term_mean_) / self.term_scale_
        k = len(names)
        x = np.column_stack([np.eye(k)[group_index], z])
        penalty = self._penalty(k, z.shape[1], float(weight.mean()))
        start = np.zeros((len(self.knots), x.shape[1]))
        for g in range(k):
            rate = np.average(y_arr[group_index == g], weights=weight[group_index == g])
            start[:, g] = np.log(np.clip(rate, 1e-6, 1 - 1e-6) / np.clip(1 - rate, 1e-6, 1))
        args = (x, y_arr, weight, bounds, basis, penalty)
        theta = _fit_varying_logistic(*args, start=start.ravel())
        self._set_params(theta.reshape(len(self.knots), -1), names)
        cluster_ids = np.arange(len(y_arr)) if clusters is None else np.asarray(clusters)[order]
        self.param_draws_ = self._bootstrap(args, theta, group_index, cluster_ids)
        self.param_cov_ = _covariance(self.param_draws_, len(self.knots) * (1 + z.shape[1]))
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(FEATURES) + 1
        return self

    def _set_params(self, theta: np.ndarray, names: np.ndarray) -> None:
        k = len(names)
        self.group_intercepts_ = {str(n): theta[:, g].copy() for g, n in enumerate(names)}
        self.intercept_ = theta[:, :k].mean(axis=1)
        self.coef_ = theta[:, k:].copy()

    def _bootstrap(self, args, theta, group_index, clusters) -> np.ndarray:
        n_basis = len(self.knots)
        size = n_basis * (1 + len(self.term_names_))
        if self.n_bootstrap <= 1:
            return np.zeros((0, size))
        x, y, weight = args[:3]
        k = int(group_index.max()) + 1
        rng = np.random.default_rng(self.random_state)
        ids, cluster_index = np.unique(clusters.astype(str), return_inverse=True)
        cluster_group = np.zeros(len(ids), dtype=int)
        cluster_group[cluster_index] = group_index
        draws = np.empty((self.n_bootstrap, size))
        for b in range(self.n_bootstrap):
            counts = np.zeros(len(ids))
            for g in range(k):
                members = np.flatnonzero(cluster_group == g)
                counts[members] = rng.multinomial(
                    len(members), np.full(len(members), 1.0 / len(members))
                )
            refit = _fit_varying_logistic(
                x, y, weight * counts[cluster_index], *args[3:], start=theta, max_iter=4
            ).reshape(n_basis, -1)
            draws[b] = np.column_stack([refit[:, :k].mean(axis=1), refit[:, k:]]).ravel()
        return draws

    def _standardised_terms(self, X: pd.DataFrame) -> np.ndarray:
        return (term_matrix(X) - self.term_mean_) / self.term_scale_

    def _basis(self, X: pd.DataFrame) -> np.ndarray:
        return hat_basis(X[LANDMARK].to_numpy(dtype=float), self.knots)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of failure per row (NaN where a feature is NaN)."""
        return self._eta(self._basis(X), self._standardised_terms(X))

    def _eta(self, basis: np.ndarray, z: np.ndarray) -> np.ndarray:
        return basis @ self.intercept_ + np.einsum("ni,ni->n", z, basis @ self.coef_)

    def log_odds_and_sd(
        self, X: pd.DataFrame, include_race: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`decision_function` and :meth:`log_odds_sd` at once (terms built once)."""
        z = self._standardised_terms(X)
        landmark = np.asarray(X[LANDMARK], dtype=float)
        eta = self._eta(hat_basis(landmark, self.knots), z)
        return eta, self._sd(landmark, z, include_race)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities, shape (n, 2): column 1 is P(final-mile failure)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def race_sd(self, landmark_km: npt.ArrayLike) -> np.ndarray:
        """Standard deviation of the race intercepts at each landmark (0 with one race)."""
        curves = np.array(list(self.group_intercepts_.values()))  # (R, K)
        landmarks, index = np.unique(np.atleast_1d(landmark_km), return_inverse=True)
        if curves.shape[0] < 2:
            return np.zeros(len(index))
        at = hat_basis(landmarks, self.knots) @ curves.T  # (unique landmarks, R)
        return at.std(axis=1, ddof=1)[index]

    def log_odds_sd(self, X: pd.DataFrame, include_race: bool = True) -> np.ndarray:
        """Standard deviation of the log-odds: parameter (bootstrap) and race-to-race parts."""
        landmark = X[LANDMARK].to_numpy(dtype=float)
        return self._sd(landmark, self._standardised_terms(X), include_race)

    def _sd(self, landmark: np.ndarray, terms: np.ndarray, include_race: bool) -> np.ndarray:
        z = np.column_stack([np.ones(len(terms)), terms])
        n_basis, q = len(self.knots), z.shape[1]
        cov = self.param_cov_.reshape(n_basis, q, n_basis, q)
        landmarks, index = np.unique(landmark, return_inverse=True)
        if 8 * len(landmarks) < len(z):
            # Many rows per landmark (a results table): the (q, q) covariance of the
            # coefficients at each landmark, once, applied to its rows.
            var = np.zeros(len(z))
            for j, b in enumerate(hat_basis(landmarks, self.knots)):
                rows = index == j
                at = np.einsum("a,b,aibj->ij", b, b, cov)
                zr = z[rows]
                var[rows] = np.einsum("nj,nj->n", np.einsum("ni,ij->nj", zr, at), zr)
        else:
            # One row per landmark (a timeline): every knot pair at once.
            basis = hat_basis(landmark, self.knots)
            # Two plain einsums: an optimised path would call a threaded BLAS for tiny sizes.
            half = np.einsum("ni,aibj->nabj", z, cov)
            quad = np.einsum("nabj,nj->nab", half, z)
            var = np.einsum("na,nb,nab->n", basis, basis, quad)
        if include_race:
            var = var + self.race_sd(landmark) ** 2
        return np.sqrt(np.clip(var, 0.0, None))

    def predict_interval(self, X: pd.DataFrame, level: float = 0.9) -> tuple[np.ndarray, ...]:
        """Central ``level`` band of P(failure): (low, high) per row."""
        eta = self.decision_function(X)
        half = float(ndtri(0.5 + level / 2)) * self.log_odds_sd(X)
        return expit(eta - half), expit(eta + half)

    def to_dict(self) -> dict[str, Any]:
        """Learned parameters as plain JSON-ready values."""
        return {
            "l2": self.l2,
            "smoothness": self.smoothness,
            "intercept_smoothness": self.intercept_smoothness,
            "knots_km": list(self.knots),
            "terms": self.term_names_,
            "term_mean": _sig(self.term_mean_),
            "term_scale": _sig(self.term_scale_),
            "intercept": _sig(self.intercept_),
            "coef": _sig(self.coef_),
            "group_intercepts": {k: _sig(v) for k, v in self.group_intercepts_.items()},
            "param_draws": _sig(self.param_draws_, 7),
        }

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> FinalMileRiskModel:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        model = cls(
            l2=params["l2"],
            smoothness=params["smoothness"],
            intercept_smoothness=params["intercept_smoothness"],
            knots=tuple(params["knots_km"]),
        )
        if list(params["terms"]) != list(TERM_NAMES):
            raise ValueError("parameter file was fitted with different model terms")
        model.term_names_ = list(params["terms"])
        model.term_mean_ = np.asarray(params["term_mean"], dtype=float)
        model.term_scale_ = np.asarray(params["term_scale"], dtype=float)
        model.intercept_ = np.asarray(params["intercept"], dtype=float)
        model.coef_ = np.asarray(params["coef"], dtype=float)
        model.group_intercepts_ = {
            k: np.asarray(v, dtype=float) for k, v in params["group_intercepts"].items()
        }
        size = len(model.knots) * (1 + len(model.term_names_))
        model.param_draws_ = np.asarray(params["param_draws"], dtype=float).reshape(-1, size)
        model.param_cov_ = _covariance(model.param_draws_, size)
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = len(FEATURES) + 1
        return model
