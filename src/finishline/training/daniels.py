"""Daniels & Gilbert's VDOT model: the oxygen cost of running and the sustainable fraction of
VO2max, a performance's VDOT and its inverse (the time a VDOT predicts over a distance).

Every function takes arrays as well as numbers where it says so, so a season scores all its
efforts, and a trend solves all its weeks, in one call.

References
----------
Daniels J., Gilbert J. (1979), *Oxygen Power* (VO2 and %max formulas, science.md 2.5).
"""

from __future__ import annotations

import numpy as np

from finishline.errors import AnalysisError


def daniels_vo2(speed_m_per_min: float | np.ndarray) -> float | np.ndarray:
    """Oxygen cost of running (mL/kg/min) at ``speed_m_per_min`` (Daniels & Gilbert)."""
    v = np.asarray(speed_m_per_min, dtype=float)
    return -4.60 + 0.182258 * v + 0.000104 * v**2


def daniels_fraction(duration_min: float | np.ndarray) -> float | np.ndarray:
    """Fraction of VO2max sustainable for ``duration_min`` minutes (Daniels & Gilbert)."""
    t = np.asarray(duration_min, dtype=float)
    return 0.8 + 0.1894393 * np.exp(-0.012778 * t) + 0.2989558 * np.exp(-0.1932605 * t)


def vdot(time_s: float, distance_m: float) -> float:
    """Daniels' VDOT of a performance: VO2(v) / %max(t).

    Parameters
    ----------
    time_s
        Race time (s).
    distance_m
        Race distance (m).

    Returns
    -------
    float
        VDOT (mL/kg/min); a 20:00 5 km gives ~49.8.

    References
    ----------
    Daniels & Gilbert 1979; science.md 2.5 [verified].
    """
    if time_s <= 0 or distance_m <= 0:
        raise AnalysisError("VDOT needs a positive time and distance")
    minutes = time_s / 60.0
    return float(daniels_vo2(distance_m / minutes) / daniels_fraction(minutes))


def vdot_time(vdot_value: float, distance_m: float) -> float:
    """Race time (s) that a runner of ``vdot_value`` would run over ``distance_m``.

    Inverts :func:`vdot` (see :func:`vdot_times`).
    """
    if not 2.0 <= vdot_value <= 100.0:
        raise AnalysisError(f"VDOT {vdot_value:.1f} outside 2-100")
    return float(vdot_times(np.array([vdot_value]), distance_m)[0])


def vdot_array(time_s: np.ndarray, distance_m: np.ndarray | float) -> np.ndarray:
    """:func:`vdot` of many performances at once; NaN where a time or distance is not a
    positive finite number."""
    t = np.asarray(time_s, dtype=float)
    d = np.broadcast_to(np.asarray(distance_m, dtype=float), t.shape)
    ok = np.isfinite(t) & np.isfinite(d) & (t > 0) & (d > 0)
    minutes = np.where(ok, t, 1.0) / 60.0
    return np.where(
        ok, daniels_vo2(np.where(ok, d, 1.0) / minutes) / daniels_fraction(minutes), np.nan
    )


def vdot_times(vdot_values: np.ndarray, distance_m: np.ndarray | float) -> np.ndarray:
    """Race times (s) for many VDOTs at once: the inverse of :func:`vdot`.

    Solves ``VO2(d / t) = VDOT * %max(t)`` by fixed-point iteration on ``t``: for a given
    ``t`` the VO2 asked for fixes the speed (the positive root of Daniels' quadratic), which
    gives a new ``t``. ``%max`` changes slowly with ``t`` (the iteration contracts by a factor
    of ~0.1 or less per step for 1 km to 100 km), so it reaches double precision in about a
    dozen steps, where root bracketing gave a time to 1 ms.

    Parameters
    ----------
    vdot_values
        VDOT (mL/kg/min), 2-100.
    distance_m
        Race distance (m), one or one per VDOT.

    References
    ----------
    Daniels & Gilbert 1979; science.md 2.5.
    """
    target = np.asarray(vdot_values, dtype=float)
    d = np.broadcast_to(np.asarray(distance_m, dtype=float), target.shape)
    a, b = 0.000104, 0.182258  # daniels_vo2 = -4.60 + b v + a v^2
    minutes = np.full(target.shape, 30.0)
    for _ in range(100):
        vo2 = target * daniels_fraction(minutes) + 4.60
        speed = 2.0 * vo2 / (b + np.sqrt(b * b + 4.0 * a * vo2))  # m/min, stable root
        new = d / speed
        converged = bool(np.all(np.abs(new - minutes) <= 1e-12 * new))
        minutes = new
        if converged:
            break
    return minutes * 60.0
