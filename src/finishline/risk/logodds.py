"""The logistic link and the normal quantile, in numpy and the standard library.

The risk stage needs ``expit``, ``logit`` and one normal quantile for its band; taking them
from scipy cost a quarter of a second of import on every ``finishline analyze``.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import numpy.typing as npt


def expit(x: npt.ArrayLike) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, stable for large ``|x|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def logit(p: npt.ArrayLike) -> np.ndarray:
    """Log-odds ``log(p / (1 - p))`` (infinite at 0 and 1, NaN outside [0, 1])."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(p) - np.log1p(-p)


def ndtri(q: float) -> float:
    """The standard normal quantile (``ndtri(0.95) = 1.6449``)."""
    return NormalDist().inv_cdf(float(q))
