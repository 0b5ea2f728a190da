"""Cross-race validation of the landmark model, at mats and between them, and its smoothness.

Train on one race, test on the other (Boston 2014 <-> Chicago 2023): nothing is fitted on the
test race. Points are the chip mats (honest observations: 5, 10, 15, 20, the Half at 21.1,
25, 30, 35, 40 km) and in-between distances (17, 22, 27, 32, 37 km) where the cumulative time
*at* the point is interpolated between the two mats that bracket it: that borrows a little of
the next segment's pace (up to the next mat), so those rows are marked ``interpolated``.

References
----------
Steyerberg EW. *Clinical Prediction Models*, 2nd ed., 2019 (external validation).
science.md sections 6 and 7.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from finishline.risk.chip import CHIP_MATS_KM
from finishline.risk.evaluate import summarize_predictions
from finishline.risk.features import FEATURES, LANDMARK, cumulative_time_at, landmark_features
from finishline.risk.model import FinalMileRiskModel

MAT_POINTS_KM: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, CHIP_MATS_KM["Half"], 25.0, 30.0)
MAT_POINTS_KM += (35.0, 40.0)
BETWEEN_POINTS_KM: tuple[float, ...] = (17.0, 22.0, 27.0, 32.0, 37.0)
RACES: tuple[str, str] = ("boston_2014", "chicago_2023")
#: "Not yet slowing" at 35 km: 30-35 km pace at most this many times the 5-20 km pace.
NOT_SLOWING_RATIO = 1.10
#: "Near-even" runner: every 5 km segment from 5 to 40 km within this share of the 5-20 km pace.
NEAR_EVEN_TOLERANCE = 0.05

_MAT_LABELS = [label for label, d in CHIP_MATS_KM.items() if d < CHIP_MATS_KM["Finish"]]
_MAT_KM = np.array([CHIP_MATS_KM[label] for label in _MAT_LABELS])


def point_features(results: pd.DataFrame, km: float) -> pd.DataFrame:
    """Features at ``km`` for every runner of a standard frame (see the module docstring).

    At a mat only mats up to ``km`` are read. Between mats the time at ``km`` is interpolated
    from the runner's mats up to the next one; all other windows read only mats up to ``km``.
    """
    times = results[_MAT_LABELS].to_numpy(dtype=float)
    is_mat = bool(np.any(np.isclose(_MAT_KM, km)))
    distances, observed = _MAT_KM, times
    if not is_mat:
        # The next mat with a time (Boston 2014 has no 15K mat: 11-14 km read the 20K).
        later = np.where((_MAT_KM > km) & np.isfinite(times), _MAT_KM, np.inf).min(axis=1)
        at_km = cumulative_time_at(_MAT_KM, times, [km], up_to_km=later)
        keep = _MAT_KM < km
        distances = np.r_[_MAT_KM[keep], km]
        observed = np.column_stack([times[:, keep], at_km])
    features = landmark_features(
        km,
        distances,
        observed,
        sex=results["sex"].to_numpy(dtype=object),
        age=results["age"].to_numpy(dtype=float),
    )
    features.index = results.index
    return features


def _table(results: pd.DataFrame, km: float) -> pd.DataFrame:
    table = point_features(results, km)
    table["fmf"] = results["fmf"]
    table["race"] = results["race"]
    return table.dropna(subset=[*FEATURES, "fmf"])


def not_slowing(results: pd.DataFrame) -> pd.Series:
    """Runners whose 30-35 km pace is at most 1.10 x their 5-20 km pace."""
    ref = (results["20K"] - results["5K"]) / 15.0
    return (results["35K"] - results["30K"]) / 5.0 <= NOT_SLOWING_RATIO * ref


def cross_race(
    results: pd.DataFrame,
    fit: callable,
    points: Sequence[float] = MAT_POINTS_KM + BETWEEN_POINTS_KM,
) -> pd.DataFrame:
    """Metrics of a model trained on one race and tested on the other, at every point.

    Parameters
    ----------
    results
        Both races (``train.load_races``).
    fit
        ``fit(results_of_one_race) -> FinalMileRiskModel``.
    points
        Distances (km) to test at.

    Returns
    -------
    pandas.DataFrame
        One row per (point, train race, subset): ``km``, ``train``, ``test``, ``subset``
        (``all``; at 35 km also ``not slowing``), ``interpolated`` and the metrics of
        :func:`~finishline.risk.evaluate.summarize_predictions`.
    """
    rows = []
    calm = not_slowing(results)
    for train in RACES:
        test = next(r for r in RACES if r != train)
        model: FinalMileRiskModel = fit(results[results["race"] == train])
        held_out = results[results["race"] == test]
        trained = results[results["race"] == train]
        rate = float(trained["fmf"].mean())
        for km in points:
            table = _table(held_out, km)
            p = model.predict_proba(table[[*FEATURES, LANDMARK]])[:, 1]
            y = table["fmf"].to_numpy()
            subsets = [("all", np.ones(len(y), dtype=bool), rate)]
            if np.isclose(km, 35.0):
                calm_rate = float(trained.loc[calm[trained.index], "fmf"].mean())
                subsets.append(("not slowing", calm[table.index].to_numpy(), calm_rate))
            between = not np.any(np.isclose(_MAT_KM, km))
            for subset, mask, base in subsets:
                rows.append(
                    {"km": float(km), "train": train, "test": test, "subset": subset}
                    | {"interpolated": between}
                    | summarize_predictions(y[mask], p[mask], base)
                )
    return pd.DataFrame(rows).sort_values(["km", "train", "subset"], ignore_index=True)


def near_even(
    results: pd.DataFrame, tolerance: float = NEAR_EVEN_TOLERANCE, up_to_km: float = 40.0
) -> pd.Series:
    """Runners with every 5 km segment from 5 km to ``up_to_km`` within ``tolerance`` of their
    5-20 km pace (the 10-20 km segment as one: Boston 2014 has no 15K mat)."""
    ref = (results["20K"] - results["5K"]) / 15.0
    labels = [
        c for c in ("5K", "10K", "20K", "25K", "30K", "35K", "40K") if CHIP_MATS_KM[c] <= up_to_km
    ]
    ok = pd.Series(True, index=results.index)
    for a, b in zip(labels[:-1], labels[1:], strict=True):
        pace = (results[b] - results[a]) / (CHIP_MATS_KM[b] - CHIP_MATS_KM[a])
        ok &= (pace / ref - 1.0).abs() <= tolerance
    return ok


def log_odds_steps(
    model: FinalMileRiskModel, results: pd.DataFrame, kms: Sequence[float]
) -> np.ndarray:
    """Absolute change of the log-odds between consecutive ``kms``, shape (runners, steps).

    Times between mats are interpolated (as in :func:`point_features`).
    """
    eta = np.column_stack([model.decision_function(point_features(results, km)) for km in kms])
    return np.abs(np.diff(eta, axis=1))
