"""Model terms of the final-mile risk estimator and the distance basis of its coefficients.

Terms: the features, hinge (linear-spline) terms, a quadratic in ability and interactions
(:func:`model_terms`). Coefficients vary with distance through a piecewise-linear (hat) basis
on the knots :data:`KNOTS_KM` (:func:`hat_basis`), tied by second differences.

References
----------
Hastie T, Tibshirani R, Friedman J. *The Elements of Statistical Learning*, 2nd ed., 2009,
sec. 5.2 (hinge / spline bases). Eilers PHC, Marx BD. *Stat Sci* 1996;11:89 (P-splines).
Deaner RO et al. *Med Sci Sports Exerc* 2015;47:607 (men and slower runners slow more).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from finishline.risk.features import FEATURES

if TYPE_CHECKING:
    import pandas as pd

#: Knots (km) of the coefficient curves: every 5 km chip mat from 5 to 40 km. Outside this
#: range the coefficients are held at the end values.
KNOTS_KM: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0)

_HINGE_KNOTS: dict[str, tuple[float, ...]] = {
    "log_r_last5": (0.0, 0.1, 0.2),
    "log_r_since_ref": (0.05, 0.15),
    "log_r_prev5": (0.1,),
    "log_r_start": (-0.05,),
}
_INTERACTIONS: tuple[tuple[str, str], ...] = (
    ("male", "log_r_last5"),
    ("log_ref_pace", "log_r_last5"),
    ("male", "log_r_since_ref"),
    ("age_decades", "log_r_last5"),
    ("log_ref_pace", "log_r_since_ref"),
)


#: The features the model uses: all of :data:`FEATURES` but the missing-sex and missing-age
#: indicators. In the chip data only 136 and 47 Chicago runners lack them ("not specified"),
#: too few to learn what "unknown" means for a watch user; an unknown sex enters as 0.5 (about
#: the training share of men, 0.54) and an unknown age as 40 (the mean is 41.5).
MODEL_FEATURES: tuple[str, ...] = tuple(
    f for f in FEATURES if f not in ("sex_missing", "age_missing")
)


def _term_arrays(features: pd.DataFrame | Mapping[str, npt.ArrayLike]) -> dict[str, np.ndarray]:
    terms = {name: np.asarray(features[name], dtype=float) for name in MODEL_FEATURES}
    for name, knots in _HINGE_KNOTS.items():
        for knot in knots:
            terms[f"{name}>{knot:g}"] = np.maximum(terms[name] - knot, 0.0)
    terms["log_ref_pace^2"] = terms["log_ref_pace"] ** 2
    for a, b in _INTERACTIONS:
        terms[f"{a}*{b}"] = terms[a] * terms[b]
    return terms


def model_terms(features: pd.DataFrame) -> pd.DataFrame:
    """Expand features into model terms.

    Terms are the features themselves, hinge (linear-spline) terms ``max(0, x - knot)`` that
    let the effect of a pace ratio bend where slowing turns into trouble, a quadratic in
    ability, and interactions of sex, age and ability with the slowing so far (men and slower
    runners slow more once they slow: Deaner et al. 2015).

    Parameters
    ----------
    features
        Columns :data:`~finishline.risk.features.FEATURES`.

    Returns
    -------
    pandas.DataFrame
        One column per term, same index.
    """
    import pandas as pd

    return pd.DataFrame(_term_arrays(features), index=getattr(features, "index", None))


def term_matrix(features: pd.DataFrame | Mapping[str, npt.ArrayLike]) -> np.ndarray:
    """:func:`model_terms` as an (n, n_terms) array (no DataFrame built)."""
    return np.column_stack(list(_term_arrays(features).values()))


TERM_NAMES: tuple[str, ...] = tuple(_term_arrays({name: np.zeros(0) for name in FEATURES}))


def hat_basis(km: npt.ArrayLike, knots: npt.ArrayLike = KNOTS_KM) -> np.ndarray:
    """Piecewise-linear (hat) basis at ``km``: shape (n, len(knots)), rows sum to 1.

    Outside the knots the end basis function is 1 (coefficients held flat).
    """
    k = np.atleast_1d(np.asarray(km, dtype=float))
    nodes = np.asarray(knots, dtype=float)
    clipped = np.clip(k, nodes[0], nodes[-1])
    hi = np.clip(np.searchsorted(nodes, clipped, side="right"), 1, len(nodes) - 1)
    lo = hi - 1
    frac = (clipped - nodes[lo]) / (nodes[hi] - nodes[lo])
    basis = np.zeros((k.size, nodes.size))
    rows = np.arange(k.size)
    basis[rows, lo] = 1.0 - frac
    basis[rows, hi] += frac
    return basis


def second_differences(n: int) -> np.ndarray:
    return np.diff(np.eye(n), n=2, axis=0) if n >= 3 else np.zeros((0, n))
