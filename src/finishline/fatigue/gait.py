"""Gait under fatigue: cadence and stride length corrected for speed.

Cadence and stride length both rise with speed, so a late-race drop in either is mostly a
consequence of slowing down. To see the part speed does not explain, each is regressed on
speed over the runner's own 5-20 km reference window (ordinary least squares,
``y = a + b * v``), and the state is the relative residual after that:
``(y - y_hat(v)) / y_hat(v)``. A cadence change fully explained by speed gives ~0.

This is an estimate: the linear fit is local to the reference speeds and extrapolates when
the runner walks or sprints far outside them.

References
----------
Zandbergen M. A. et al. (2023): gait changes under fatigue need correcting for speed.
Clermont C. A. et al. (2019) *J Appl Biomech* (changes from 20-22 km). Hanley B. et al. (2020)
*Front Sports Act Living* 2:102 (cadence and step length fall from 29.5 km). science.md 2.3.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from finishline.fatigue.reference import REFERENCE_END_M, REFERENCE_START_M, TrackArrays

#: Trailing window (s) of the per-second residuals.
GAIT_WINDOW_S = 120.0

#: Below this spread of reference speeds (m/s, standard deviation) the slope is not
#: identifiable and the model falls back to a constant (the reference mean).
MIN_SPEED_SPREAD_MPS = 0.05

#: Fewer valid reference samples than this and no model is fitted.
MIN_SAMPLES = 60


class SpeedModel(NamedTuple):
    """A linear model ``y = intercept + slope * speed`` fitted on the reference window.

    Attributes
    ----------
    intercept
        In the unit of ``y`` (steps/min for cadence, m for stride length).
    slope
        Unit of ``y`` per m/s.
    n_samples
        Reference samples used.
    r_squared
        Coefficient of determination on the reference samples (NaN for a constant model).
    """

    intercept: float
    slope: float
    n_samples: int
    r_squared: float

    def predict(self, speed_mps: pd.Series) -> pd.Series:
        """Expected ``y`` at ``speed_mps``."""
        return self.intercept + self.slope * speed_mps


def fit_speed_model(
    speed_mps: np.ndarray | pd.Series,
    values: np.ndarray | pd.Series,
    mask: np.ndarray | pd.Series,
) -> SpeedModel:
    """Least-squares fit of ``values`` on speed over the samples where ``mask`` holds.

    Parameters
    ----------
    speed_mps
        Speed per sample (m/s).
    values
        Cadence (steps/min) or stride length (m) per sample.
    mask
        Samples to fit on (the moving reference window).

    Returns
    -------
    SpeedModel
        NaN coefficients when fewer than :data:`MIN_SAMPLES` samples are valid; a constant
        model (slope 0) when the reference speed spread is below :data:`MIN_SPEED_SPREAD_MPS`.

    References
    ----------
    Zandbergen et al. (2023); science.md section 2.3.
    """
    speed = np.asarray(speed_mps, dtype="float64")
    y_all = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        ok = np.asarray(mask, dtype=bool) & (y_all > 0) & (speed > 0)  # False where NaN
    x = speed[ok]
    y = y_all[ok]
    if x.size < MIN_SAMPLES:
        return SpeedModel(np.nan, np.nan, int(x.size), np.nan)
    if float(np.std(x)) < MIN_SPEED_SPREAD_MPS:
        return SpeedModel(float(np.mean(y)), 0.0, int(x.size), np.nan)
    design = np.column_stack([np.ones_like(x), x])
    (intercept, slope), *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = intercept + slope * x
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - fitted) ** 2)) / total if total > 0 else np.nan
    return SpeedModel(float(intercept), float(slope), int(x.size), r2)


def stride_length(track: pd.DataFrame) -> pd.Series:
    """Step length (m): the track's ``stride_length_m``, else ``speed * 60 / cadence``."""
    return pd.Series(
        stride_length_of(TrackArrays(track)), index=track.index, name="stride_length_m"
    )


def stride_length_of(arrays: TrackArrays) -> np.ndarray:
    """:func:`stride_length` on a track's arrays."""
    given = arrays.column("stride_length_m")
    cadence = arrays.column("cadence_spm")
    with np.errstate(invalid="ignore", divide="ignore"):
        derived = arrays.column("speed_mps") * 60.0 / np.where(cadence > 0, cadence, np.nan)
    return np.where(np.isnan(given), derived, given)


def speed_corrected_residual(
    track: pd.DataFrame,
    column: str,
    start_m: float = REFERENCE_START_M,
    end_m: float = REFERENCE_END_M,
) -> tuple[pd.Series, SpeedModel]:
    """Relative residual of a gait variable after its reference-window speed regression.

    Parameters
    ----------
    track
        1 Hz track with ``speed_mps``, ``distance_m``, ``moving`` and the gait column.
    column
        ``"cadence_spm"`` or ``"stride_length_m"`` (the latter derived from speed and cadence
        when the track lacks it).
    start_m, end_m
        Reference window (m race distance), 5-20 km by default.

    Returns
    -------
    residual : pandas.Series
        ``(y - y_hat(v)) / y_hat(v)`` per moving sample (fraction; -0.03 = 3 % below what the
        speed predicts); NaN where stopped or where the variable or speed is missing.
    model : SpeedModel
        The fitted reference model.

    References
    ----------
    Zandbergen et al. (2023); Hanley et al. (2020); science.md section 2.3.
    """
    residual, model = speed_corrected_residual_of(TrackArrays(track), column, start_m, end_m)
    return pd.Series(residual, index=track.index, name=f"{column}_residual"), model


def speed_corrected_residual_of(
    arrays: TrackArrays, column: str, start_m: float, end_m: float
) -> tuple[np.ndarray, SpeedModel]:
    """:func:`speed_corrected_residual` on a track's arrays."""
    values = stride_length_of(arrays) if column == "stride_length_m" else arrays.column(column)
    speed = arrays.column("speed_mps")
    moving = arrays.moving_s > 0
    model = fit_speed_model(speed, values, arrays.reference_window(start_m, end_m) & moving)
    expected = model.intercept + model.slope * speed
    with np.errstate(invalid="ignore", divide="ignore"):
        residual = (values - expected) / np.where(expected > 0, expected, np.nan)
        return np.where(moving & (values > 0), residual, np.nan), model


def gait_residuals(
    track: pd.DataFrame,
    window_s: float = GAIT_WINDOW_S,
    *,
    start_m: float = REFERENCE_START_M,
    end_m: float = REFERENCE_END_M,
) -> pd.DataFrame:
    """Smoothed speed-corrected cadence and stride-length residuals per second (fractions).

    Returns
    -------
    pandas.DataFrame
        ``cadence_residual`` and ``stride_residual``: trailing ``window_s`` means of the
        relative residuals from :func:`speed_corrected_residual`; all-NaN when the track has
        no cadence.

    References
    ----------
    Zandbergen et al. (2023); science.md section 2.3.
    """
    arrays = TrackArrays(track)
    cadence, _ = speed_corrected_residual_of(arrays, "cadence_spm", start_m, end_m)
    stride, _ = speed_corrected_residual_of(arrays, "stride_length_m", start_m, end_m)
    return pd.DataFrame(gait_residuals_of(arrays, cadence, stride, window_s), index=track.index)


def gait_residuals_of(
    arrays: TrackArrays, cadence: np.ndarray, stride: np.ndarray, window_s: float
) -> dict[str, np.ndarray]:
    """Trailing means of raw residuals (:func:`gait_residuals` on a track's arrays)."""
    return {
        "cadence_residual": arrays.trailing_mean(cadence, arrays.moving_s, window_s),
        "stride_residual": arrays.trailing_mean(stride, arrays.moving_s, window_s),
    }
