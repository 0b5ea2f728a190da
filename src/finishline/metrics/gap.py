"""Grade-adjusted pace: how fast a stretch of hill would have been on the flat.

Two models are available through :func:`gap_factor`:

- ``"strava"`` (default): an HR-equivalent curve, a smooth quartic fitted by least squares
  through the reverse-engineered Strava factors and constrained to 1.0 on the flat. It matches
  every published point within 0.002.
- ``"minetti"``: the metabolic cost of running on a gradient, Cr(i)/Cr(0).

A factor above 1 means the grade costs more than the flat: the grade-adjusted speed is
``speed * factor``.

References
----------
Minetti A.E. et al. (2002) Energy cost of walking and running at extreme uphill and downhill
slopes. J Appl Physiol 93:1039-1046 (coefficients as in aaron-schroeder/specialsauce).
Robb D. (2017) An improved GAP model. Strava Engineering; factors reverse-engineered by
A. Schroeder: +4 % 1.135, +10 % 1.459, -4 % 0.918, -10 % 0.876, -20 % 1.081 (science.md 2.6).
"""

from __future__ import annotations

import numpy as np

#: Published Strava-like (grade fraction, factor) points, flat = 1.0 (science.md 2.6).
STRAVA_POINTS: tuple[tuple[float, float], ...] = (
    (-0.20, 1.081),
    (-0.10, 0.876),
    (-0.04, 0.918),
    (0.00, 1.000),
    (0.04, 1.135),
    (0.10, 1.459),
)

#: Grades beyond this (fraction) are clipped before the Strava curve is evaluated: the quartic
#: is fitted on -20 % .. +10 % and is not trusted far outside it.
STRAVA_MAX_ABS_GRADE = 0.25

#: Minetti's polynomial is published for |i| <= 0.45.
MINETTI_MAX_ABS_GRADE = 0.45

_grades, _factors = np.array(STRAVA_POINTS).T
# least-squares quartic constrained to pass through (0, 1): f(g) = 1 + g (a1 + a2 g + ...)
_design = np.vander(_grades, 5)[:, :4]  # g^4, g^3, g^2, g
_fitted = np.linalg.lstsq(_design, _factors - 1.0, rcond=None)[0]
#: Quartic coefficients (highest power first) of the Strava-like factor curve; flat = 1 exactly.
STRAVA_COEFFS: np.ndarray = np.r_[_fitted, 1.0]
#: Minetti 2002 Cr(i) coefficients (J/kg/m), highest power first.
MINETTI_COEFFS: np.ndarray = np.array([155.4, -30.4, -43.3, 46.3, 19.5, 3.6])


def strava_factor(grade: np.ndarray | float) -> np.ndarray:
    """Strava-like HR-equivalent grade factor (flat = 1.0).

    Parameters
    ----------
    grade
        Grade as a fraction (0.05 = 5 % uphill); clipped to +-``STRAVA_MAX_ABS_GRADE``.

    Returns
    -------
    numpy.ndarray
        Multiplier of speed: grade-adjusted speed = speed * factor. NaN where grade is NaN.

    References
    ----------
    Robb (2017), Strava Engineering; factors as reverse-engineered by Schroeder (science.md 2.6).
    """
    g = np.clip(np.asarray(grade, dtype=float), -STRAVA_MAX_ABS_GRADE, STRAVA_MAX_ABS_GRADE)
    return np.polyval(STRAVA_COEFFS, g)


def minetti_cost(grade: np.ndarray | float) -> np.ndarray:
    """Minetti 2002 energy cost of running Cr(i) in J per kg per m (grade clipped to +-0.45).

    References
    ----------
    Minetti et al. (2002), J Appl Physiol 93:1039.
    """
    g = np.clip(np.asarray(grade, dtype=float), -MINETTI_MAX_ABS_GRADE, MINETTI_MAX_ABS_GRADE)
    return np.polyval(MINETTI_COEFFS, g)


def minetti_factor(grade: np.ndarray | float) -> np.ndarray:
    """Minetti 2002 cost ratio Cr(i)/Cr(0) (flat = 1.0).

    References
    ----------
    Minetti et al. (2002), J Appl Physiol 93:1039.
    """
    return minetti_cost(grade) / MINETTI_COEFFS[-1]


def gap_factor(grade: np.ndarray | float, model: str = "strava") -> np.ndarray:
    """Grade factor: grade-adjusted speed = speed * factor.

    Parameters
    ----------
    grade
        Grade as a fraction (rise over run).
    model
        ``"strava"`` (HR-equivalent, default) or ``"minetti"`` (metabolic cost).

    Returns
    -------
    numpy.ndarray
        The factor, 1.0 on the flat.

    References
    ----------
    See :func:`strava_factor` and :func:`minetti_factor`.
    """
    if model == "strava":
        return strava_factor(grade)
    if model == "minetti":
        return minetti_factor(grade)
    raise ValueError(f"unknown GAP model {model!r}: use 'strava' or 'minetti'")


def gap_speed(speed_mps: np.ndarray, grade: np.ndarray, model: str = "strava") -> np.ndarray:
    """Grade-adjusted speed (m/s): ``speed * gap_factor(grade)``; flat where grade is NaN."""
    factor = gap_factor(np.nan_to_num(np.asarray(grade, dtype=float), nan=0.0), model)
    return np.asarray(speed_mps, dtype=float) * factor
