"""Per-kilometre and per-mile splits of a clean track, with exact boundary times.

Every quantity is turned into a cumulative series along the track (clock time, moving time,
grade-adjusted distance, ascent, heart-beat sums, ...), and each cumulative series is evaluated
at the split boundaries by linear interpolation *in distance* between the two 1 Hz samples that
straddle the boundary. Boundary times are therefore not snapped to samples, and the final
partial split is handled by the same arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.definitions import MAX_GPS_SPEED_MPS, MAX_SAMPLE_SPEED_MPS, METRE_PER_MILE
from finishline.errors import AnalysisError

__all__ = [
    "METRE_PER_MILE",
    "SPLIT_COLUMNS",
    "jumped_steps",
    "no_pace",
    "require_distance",
    "segment_table",
    "splits",
]

#: A stretch whose distance came at least this share in jumps (:func:`jumped_steps`) has no
#: pace: no runner covered that distance in that time.
JUMPED_SHARE_NO_PACE = 0.5

#: Columns of a splits table.
SPLIT_COLUMNS = (
    "split",
    "start_m",
    "end_m",
    "distance_m",
    "start_s",
    "end_s",
    "time_s",
    "moving_s",
    "gap_s",
    "pace_s_per_km",
    "pace_s_per_mile",
    "moving_pace_s_per_km",
    "gap_pace_s_per_km",
    "elev_gain_m",
    "elev_loss_m",
    "avg_hr_bpm",
    "avg_cadence_spm",
    "stride_length_m",
    "avg_power_w",
    "partial",
)


def crossing_positions(distance_m: np.ndarray, targets_m: np.ndarray) -> np.ndarray:
    """Fractional sample positions where a non-decreasing ``distance_m`` first reaches targets.

    Position ``i + f`` means ``f`` of the way from sample ``i`` to ``i+1``, linear in distance.
    Targets at or below the first distance map to 0; beyond the last distance map to the end.
    """
    d = np.asarray(distance_m, dtype=float)
    targets = np.asarray(targets_m, dtype=float)
    right = np.searchsorted(d, targets, side="left")
    right = np.clip(right, 1, d.size - 1)
    left = right - 1
    span = d[right] - d[left]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (targets - d[left]) / span, 1.0)
    pos = left + np.clip(frac, 0.0, 1.0)
    pos = np.where(targets <= d[0], 0.0, pos)
    return np.where(targets >= d[-1], float(d.size - 1), pos)


def at_positions(cumulative: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Evaluate a per-sample series at fractional positions (linear interpolation)."""
    return np.interp(positions, np.arange(cumulative.size, dtype=float), cumulative)


def jumped_steps(track: pd.DataFrame) -> np.ndarray:
    """Per row, the distance (m) to the next row when it comes faster than any runner, else 0.

    A step faster than :data:`~finishline.definitions.MAX_GPS_SPEED_MPS` on the clean track
    is distance a recording gap or a pause held and released at once (the gap model holds
    distance through a jump and a pause): it has no running time of its own.
    """
    d = track["distance_m"].to_numpy(float)
    t = track["elapsed_s"].to_numpy(float)
    step = np.diff(d, append=d[-1:])
    dt = np.maximum(np.diff(t, append=t[-1:]), 1.0)
    with np.errstate(invalid="ignore"):
        fast = np.isfinite(step) & (step > MAX_GPS_SPEED_MPS * dt)
    return np.where(fast, step, 0.0)


def no_pace(jumped_m: np.ndarray, length_m: np.ndarray) -> np.ndarray:
    """True for stretches of ``length_m`` whose ``jumped_m`` (m) leave them without a pace
    (:data:`JUMPED_SHARE_NO_PACE`), and for stretches of no length."""
    with np.errstate(invalid="ignore"):
        return ~(length_m > 0) | (jumped_m >= JUMPED_SHARE_NO_PACE * length_m)


def moving_paced(length_m: np.ndarray, moving_s: np.ndarray) -> np.ndarray:
    """True where ``length_m`` over ``moving_s`` is a pace something moved at: moving time,
    and no faster than :data:`~finishline.definitions.MAX_SAMPLE_SPEED_MPS`, which no activity
    goes (distance a watch held through paused seconds has no moving time of its own)."""
    with np.errstate(invalid="ignore"):
        return (moving_s > 0) & (length_m <= MAX_SAMPLE_SPEED_MPS * moving_s)


def _in_gap(track: pd.DataFrame) -> np.ndarray:
    """Seconds inside a recording gap (bridged or a jump: :mod:`finishline.gaps`)."""
    if "in_gap" not in track:
        return np.zeros(len(track), dtype=bool)
    return track["in_gap"].to_numpy(bool)


def cumulative_series(track: pd.DataFrame) -> dict[str, np.ndarray]:
    """Cumulative sums along the track, each aligned with its rows (value 0 at row 0).

    Row ``i`` of the track stands for the second ``[i, i+1)``; the cumulative value at row ``i``
    sums the seconds before it, so interpolating between rows is exact at 1 Hz.
    """
    moving = track["moving"].to_numpy(bool)
    speed = track["speed_mps"].to_numpy(float)
    gap = track["gap_speed_mps"].to_numpy(float)
    hr = track["heart_rate_bpm"].to_numpy(float)
    cad = track["cadence_spm"].to_numpy(float)
    alt = track["altitude_m"].to_numpy(float)
    hr_ok = moving & np.isfinite(hr)
    cad_ok = moving & np.isfinite(cad) & (cad > 0)
    power = track["power_w"].to_numpy(float) if "power_w" in track else np.full(hr.size, np.nan)
    power_ok = moving & np.isfinite(power)
    d_alt = np.nan_to_num(np.diff(alt, append=alt[-1:]))

    def cum(x: np.ndarray) -> np.ndarray:
        return np.r_[0.0, np.cumsum(x)[:-1]]

    return {
        "time": track["elapsed_s"].to_numpy(float),
        "moving": cum(moving.astype(float)),
        "in_gap": cum(_in_gap(track).astype(float)),
        "speed": cum(np.where(moving, np.nan_to_num(speed), 0.0)),
        "gap": cum(np.where(moving, np.nan_to_num(gap), 0.0)),
        "gain": cum(np.clip(d_alt, 0, None)),
        "loss": cum(np.clip(-d_alt, 0, None)),
        "hr_sum": cum(np.where(hr_ok, hr, 0.0)),
        "hr_n": cum(hr_ok.astype(float)),
        "cad_sum": cum(np.where(cad_ok, cad, 0.0)),
        "cad_n": cum(cad_ok.astype(float)),
        "steps": cum(np.where(cad_ok, cad / 60.0, 0.0)),
        "cad_dist": cum(np.where(cad_ok, np.nan_to_num(speed), 0.0)),
        "power_sum": cum(np.where(power_ok, power, 0.0)),
        "power_n": cum(power_ok.astype(float)),
        "jumped": cum(jumped_steps(track)),
    }


def segment_table(track: pd.DataFrame, bounds_m: np.ndarray) -> pd.DataFrame:
    """Statistics of the track between consecutive distance ``bounds_m`` (see :func:`splits`)."""
    dist = track["distance_m"].to_numpy(float)
    pos = crossing_positions(dist, bounds_m)
    cums = {k: at_positions(v, pos) for k, v in cumulative_series(track).items()}
    delta = {k: np.diff(v) for k, v in cums.items()}
    seg_m = np.diff(bounds_m)
    # no time: a stretch before the track's first distance (a track that starts at 3 km)
    paceless = no_pace(delta["jumped"], seg_m) | ~(delta["time"] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pace_km = np.where(paceless, np.nan, delta["time"] / seg_m * 1000.0)
        gap_ratio = np.where(delta["speed"] > 0, delta["gap"] / delta["speed"], np.nan)
        table = pd.DataFrame(
            {
                "split": np.arange(1, seg_m.size + 1),
                "start_m": bounds_m[:-1],
                "end_m": bounds_m[1:],
                "distance_m": seg_m,
                "start_s": cums["time"][:-1],
                "end_s": cums["time"][1:],
                "time_s": delta["time"],
                "moving_s": delta["moving"],
                "gap_s": delta["in_gap"],
                "pace_s_per_km": pace_km,
                "pace_s_per_mile": pace_km * METRE_PER_MILE / 1000.0,
                "moving_pace_s_per_km": np.where(
                    paceless | ~moving_paced(seg_m, delta["moving"]),
                    np.nan,
                    delta["moving"] / seg_m * 1000.0,
                ),
                "gap_pace_s_per_km": pace_km / gap_ratio,
                "elev_gain_m": delta["gain"],
                "elev_loss_m": delta["loss"],
                "avg_hr_bpm": np.where(delta["hr_n"] > 0, delta["hr_sum"] / delta["hr_n"], np.nan),
                "avg_cadence_spm": np.where(
                    delta["cad_n"] > 0, delta["cad_sum"] / delta["cad_n"], np.nan
                ),
                "stride_length_m": np.where(
                    delta["steps"] > 0, delta["cad_dist"] / delta["steps"], np.nan
                ),
                "avg_power_w": np.where(
                    delta["power_n"] > 0, delta["power_sum"] / delta["power_n"], np.nan
                ),
            }
        )
    return table


def require_distance(track: pd.DataFrame) -> None:
    """Raise :class:`~finishline.errors.AnalysisError` when the track covers no distance."""
    dist = track["distance_m"].to_numpy(float)
    if dist.size < 2 or not np.isfinite(dist[-1]) or dist[-1] <= 0:
        raise AnalysisError("the track has no distance: no splits")


def splits(track: pd.DataFrame, unit_m: float = 1000.0) -> pd.DataFrame:
    """Splits of ``unit_m`` metres (1000 for km, :data:`METRE_PER_MILE` for miles).

    Parameters
    ----------
    track
        The clean 1 Hz track from :func:`finishline.clean.clean`.
    unit_m
        Split length (m).

    Returns
    -------
    pandas.DataFrame
        One row per split, columns :data:`SPLIT_COLUMNS`. ``time_s`` is clock time (pauses
        included), ``moving_s`` moving time, ``gap_s`` the seconds inside a recording gap (the
        watch lost the signal; the distance there is bridged: :mod:`finishline.gaps`);
        ``pace_s_per_km``/``pace_s_per_mile`` are clock
        pace; ``gap_pace_s_per_km`` is the clock pace divided by the split's mean grade factor
        (moving-time weighted ``gap_speed / speed``); ``avg_power_w`` is the mean running power
        over the split's moving seconds that have power (NaN without power). Paces are NaN for
        a split that came mostly in jumps (:func:`no_pace`) or in no time, and the moving pace
        also for one without moving time. The last split is ``partial`` when the run does not
        end on a whole unit; split distances sum to the track's total distance.

    Raises
    ------
    AnalysisError
        The track has no distance.
    """
    require_distance(track)
    dist = track["distance_m"].to_numpy(float)
    total = float(dist[-1])
    n_full = int(np.floor(total / unit_m + 1e-9))
    bounds = np.arange(n_full + 1, dtype=float) * unit_m
    partial = total - bounds[-1] > 1e-6
    if partial:
        bounds = np.r_[bounds, total]
    table = segment_table(track, bounds)
    table["partial"] = False
    if partial:
        table.loc[table.index[-1], "partial"] = True
    return table[list(SPLIT_COLUMNS)]
