"""Final-mile risk at any distance: the landmark supermodel applied to cumulative times.

:class:`LandmarkRiskModel` wraps the fitted :class:`~finishline.risk.model.FinalMileRiskModel`
(one model for every km, coefficients smooth in distance) with what users call:
:meth:`~LandmarkRiskModel.predict_at` (one runner at one km, e.g. live from a watch),
:meth:`~LandmarkRiskModel.predict_timeline` (one runner at many km, in one vectorised call) and
:meth:`~LandmarkRiskModel.predict_results` (a chip-results table at a mat, ``risk-splits``).
Only times at or before the distance scored are ever read, and the number at a mat is the
same whichever of the three computed it. ``CheckpointRiskModel`` is the former name.

References
----------
van Houwelingen HC. Dynamic prediction by landmarking in event history analysis.
*Scand J Stat* 2007;34:70-85.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from finishline.errors import InputDataError
from finishline.risk.chip import CHIP_MATS_KM
from finishline.risk.features import (
    FEATURES,
    LANDMARK,
    MARATHON_KM,
    MARATHON_WINDOWS,
    REFERENCE_PACE_CENTRE_S_PER_KM,
    RaceWindows,
    frame_columns,
    landmark_columns,
)
from finishline.risk.logodds import expit, ndtri
from finishline.risk.model import FinalMileRiskModel

if TYPE_CHECKING:
    import pandas as pd

PARAMS_PATH = Path(__file__).with_name("params.json")
_NUMBER = re.compile(r"-?[0-9.eE+-]+")
_NUMBER_LIST = re.compile(r"\[\s*((?:-?[0-9.eE+-]+,?\s*)+)\]")
#: Nothing before this distance (km): the first window needs 5 km of race.
MIN_KM = 5.0
DEFAULT_LEVEL = 0.9

_FEATURE_REASONS = {
    "log_ref_pace": "no reference pace (needs the times of the reference window so far)",
    "log_r_last5": "missing or non-increasing times in the last 5 km",
    "log_r_prev5": "missing or non-increasing times 5-10 km before",
    "log_r_since_ref": "missing time between 20 km and the distance scored",
    "log_r_start": "missing time at 5 km",
}


def explain_missing(features: pd.DataFrame) -> pd.Series:
    """Why each row cannot be scored ("" where every feature is present)."""
    import pandas as pd

    return pd.Series(missing_reasons(features), index=features.index, dtype=object)


def missing_reasons(features: Mapping[str, npt.ArrayLike] | pd.DataFrame) -> np.ndarray:
    """:func:`explain_missing` as an object array, of a frame or a dict of feature arrays."""
    reasons = np.full(len(features[FEATURES[0]]), "", dtype=object)
    unexplained = np.ones(len(reasons), dtype=bool)
    for name, text in _FEATURE_REASONS.items():
        missing = np.isnan(np.asarray(features[name], dtype=float)) & unexplained
        reasons[missing] = text
        unexplained &= ~missing
    return reasons


def _probabilities(
    eta: np.ndarray, sd: np.ndarray, level: float, extra_sd: float
) -> dict[str, np.ndarray]:
    """``p_fail`` and the central ``level`` band from log-odds and their standard deviation."""
    half = float(ndtri(0.5 + level / 2)) * np.sqrt(sd**2 + float(extra_sd) ** 2)
    return {
        "p_fail": expit(eta),
        "p_lo": expit(eta - half),
        "p_hi": expit(eta + half),
        "log_odds": eta,
    }


def _is_series(values: object) -> bool:
    pandas = sys.modules.get("pandas")  # not imported: ``values`` cannot be a Series
    return pandas is not None and isinstance(values, pandas.Series)


def _as_distance_series(
    cumulative_times: Mapping[float, float] | pd.Series | npt.ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(cumulative_times, Mapping) or _is_series(cumulative_times):
        import pandas as pd

        series = pd.Series(cumulative_times, dtype=float)
        return series.index.to_numpy(dtype=float), series.to_numpy(dtype=float)
    times = np.asarray(cumulative_times, dtype=float).ravel()
    return np.arange(1, len(times) + 1, dtype=float), times


class LandmarkRiskModel:
    """Final-mile risk at any km from 5 km on, from one landmark supermodel.

    Parameters
    ----------
    estimator
        The fitted :class:`~finishline.risk.model.FinalMileRiskModel`.
    """

    def __init__(self, estimator: FinalMileRiskModel) -> None:
        self.estimator = estimator

    @classmethod
    def load(cls, path: str | Path = PARAMS_PATH) -> LandmarkRiskModel:
        """The model shipped with finishline (or one written by ``train.py``)."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, params: Mapping[str, Any]) -> LandmarkRiskModel:
        """Rebuild from :meth:`to_dict` output."""
        return cls(FinalMileRiskModel.from_dict(dict(params["estimator"])))

    def to_dict(self) -> dict[str, Any]:
        """The parameters, JSON-ready."""
        return {
            "model": "finishline final-mile risk: landmark supermodel, logistic with "
            "coefficients piecewise-linear in distance",
            "features": list(FEATURES),
            "estimator": self.estimator.to_dict(),
        }

    @staticmethod
    def dumps(params: Mapping[str, Any]) -> str:
        """JSON text of ``params``, each innermost list of numbers on one line (diffable)."""
        text = json.dumps(params, indent=1)

        def one_line(match: re.Match[str]) -> str:
            return "[" + ", ".join(_NUMBER.findall(match.group(1))) + "]"

        return _NUMBER_LIST.sub(one_line, text) + "\n"

    def predict_features(
        self,
        features: pd.DataFrame,
        level: float = DEFAULT_LEVEL,
        extra_sd: float = 0.0,
    ) -> pd.DataFrame:
        """P(failure) and its band from features (:func:`landmark_features`).

        Parameters
        ----------
        features
            Columns :data:`FEATURES` and ``landmark_km``.
        level
            Coverage of the band.
        extra_sd
            Further log-odds standard deviation added in quadrature (a transferred model).

        Returns
        -------
        pandas.DataFrame
            ``p_fail``, ``p_lo``, ``p_hi`` (central ``level`` band) and ``log_odds``, NaN
            where a feature is NaN.
        """
        import pandas as pd

        eta, sd = self.estimator.log_odds_and_sd(features)
        return pd.DataFrame(_probabilities(eta, sd, level, extra_sd), index=features.index)

    def predict_timeline(
        self,
        kms: npt.ArrayLike,
        cumulative_times: Mapping[float, float] | pd.Series | npt.ArrayLike,
        sex: str | None = None,
        age: float | None = None,
        windows: RaceWindows = MARATHON_WINDOWS,
        level: float = DEFAULT_LEVEL,
        extra_sd: float = 0.0,
    ) -> pd.DataFrame:
        """Risk for one runner at every distance of ``kms``, in one vectorised call.

        Parameters
        ----------
        kms
            Distances (km) to score at, each at least 5 km.
        cumulative_times
            Cumulative clock time (s) by distance (mapping or Series km -> s, or a 1-D
            sequence whose element ``i`` is the time at ``i + 1`` km). At each distance only
            the times at or before it are read.
        sex, age
            ``"M"``/``"F"`` or None; years or None.
        windows
            The race's windows (:func:`~finishline.risk.features.race_windows`).
        level, extra_sd
            See :meth:`predict_features`.

        Returns
        -------
        pandas.DataFrame
            ``km``, ``p_fail``, ``p_lo``, ``p_hi``, ``log_odds``, the features and
            ``landmark_km``.
        """
        import pandas as pd

        columns = self.timeline_columns(kms, cumulative_times, sex, age, windows, level, extra_sd)
        return pd.DataFrame(columns)

    def timeline_columns(
        self,
        kms: npt.ArrayLike,
        cumulative_times: Mapping[float, float] | pd.Series | npt.ArrayLike,
        sex: str | None = None,
        age: float | None = None,
        windows: RaceWindows = MARATHON_WINDOWS,
        level: float = DEFAULT_LEVEL,
        extra_sd: float = 0.0,
    ) -> dict[str, np.ndarray]:
        """:meth:`predict_timeline` as a dict of arrays (no DataFrame built)."""
        distances, times = _as_distance_series(cumulative_times)
        k = np.asarray(kms, dtype=float)
        rows = np.broadcast_to(times, (k.size, times.size))
        features = landmark_columns(k, distances, rows, sex=[sex], age=[age], windows=windows)
        eta, sd = self.estimator.log_odds_and_sd(features)
        return {"km": k} | _probabilities(eta, sd, level, extra_sd) | features

    def predict_at(
        self,
        km: float,
        cumulative_times: Mapping[float, float] | pd.Series | npt.ArrayLike,
        sex: str | None = None,
        age: float | None = None,
        level: float = DEFAULT_LEVEL,
    ) -> dict[str, float]:
        """Risk for one marathon runner at ``km`` (5 to 42.195), e.g. live from a watch.

        Parameters
        ----------
        km
            Distance covered (km).
        cumulative_times
            Cumulative clock time (s) by distance: a mapping or Series from km to seconds,
            or a 1-D sequence whose element ``i`` is the time at ``i + 1`` km. Entries beyond
            ``km`` are ignored.
        sex
            ``"M"``, ``"F"`` or None.
        age
            Years, or None.
        level
            Coverage of the band ``p_lo``-``p_hi``.

        Returns
        -------
        dict
            ``p_fail``, ``p_lo``, ``p_hi``, ``checkpoint_km`` (the last observed distance at
            or before ``km``, where the features are computed) and the features (NaN when
            the times do not cover what they need).

        Raises
        ------
        InputDataError
            ``km`` outside 5-42.195 km.
        """
        if not MIN_KM <= km <= MARATHON_KM:
            raise InputDataError(
                f"risk is defined from {MIN_KM:g} to {MARATHON_KM:g} km, got {km:g}"
            )
        distances, times = _as_distance_series(cumulative_times)
        # The checkpoint is the last observed distance at or before km: a time at km itself
        # is what every window ends on, and interpolating to it would need a later sample.
        seen = distances[np.isfinite(times) & (distances <= km + 1e-9)]
        at = float(seen.max()) if seen.size and seen.max() >= MIN_KM else float(km)
        row = self.predict_timeline(
            [at], dict(zip(distances, times, strict=True)), sex, age, level=level
        ).iloc[0]
        out = {name: float(row[name]) for name in ("p_fail", "p_lo", "p_hi")}
        return out | {"checkpoint_km": at} | {name: float(row[name]) for name in FEATURES}

    def predict_results(
        self, results: pd.DataFrame, at_km: float, level: float = DEFAULT_LEVEL
    ) -> pd.DataFrame:
        """Risk for every runner of a chip-results standard frame, using mats up to ``at_km``.

        The distance scored is the last mat at or before ``at_km`` that has a time for some
        runner.

        Returns
        -------
        pandas.DataFrame
            ``id``, ``checkpoint_km``, ``p_fail``, ``p_lo``, ``p_hi``, ``ref_pace_s_per_km``,
            the pace ratios (``ratio_last5``, ``ratio_prev5``, ``ratio_since_ref``,
            ``ratio_start``) and ``reason`` (why ``p_fail`` is NaN, and any malformed cell that
            was read; "" otherwise).
        """
        import pandas as pd

        source = dict(results.items())
        if "issue" in results:
            source["issue"] = results["issue"].fillna("").astype(str)
        columns = self.results_columns(source, at_km, level)
        columns["id"] = results["id"]
        columns["reason"] = pd.Series(columns["reason"], index=results.index, dtype=object)
        return pd.DataFrame(columns, index=results.index)

    def results_columns(
        self,
        results: pd.DataFrame | Mapping[str, npt.ArrayLike | None],
        at_km: float,
        level: float = DEFAULT_LEVEL,
    ) -> dict[str, np.ndarray]:
        """:meth:`predict_results` as a dict of arrays, from the standard columns by name (the
        ``columns`` of a :class:`~finishline.risk.chip.ChipTable`; no pandas needed); ``issue``
        (optional) holds text, "" where there is none.

        Raises
        ------
        InputDataError
            ``at_km`` outside 5-42.195 km, or no times at a mat up to it.
        """
        if not MIN_KM <= at_km <= MARATHON_KM:
            raise InputDataError(f"--at must be between {MIN_KM:g} and 42.195 km, got {at_km:g}")
        observed = [
            d
            for label, d in CHIP_MATS_KM.items()
            if MIN_KM <= d <= at_km + 1e-9
            and d < MARATHON_KM
            and not np.isnan(np.asarray(results[label], dtype=float)).all()
        ]
        if not observed:
            raise InputDataError(f"no split times at or before {at_km:g} km")
        km = max(observed)
        features = frame_columns(km, results)
        eta, sd = self.estimator.log_odds_and_sd(features)
        scored = _probabilities(eta, sd, level, 0.0)
        ratio = {name: np.exp(features[name]) for name in _FEATURE_REASONS}
        reason = missing_reasons(features)
        if "issue" in results:
            issue = np.asarray(results["issue"], dtype=object)
            for i in np.flatnonzero(issue != ""):  # the few rows with a malformed cell
                reason[i] = f"{reason[i]}; {issue[i]}" if reason[i] else str(issue[i])
        return {
            "id": np.asarray(results["id"], dtype=object),
            "checkpoint_km": np.full(len(reason), km),
            "p_fail": scored["p_fail"],
            "p_lo": scored["p_lo"],
            "p_hi": scored["p_hi"],
            "ref_pace_s_per_km": ratio["log_ref_pace"] * REFERENCE_PACE_CENTRE_S_PER_KM,
            "ratio_last5": ratio["log_r_last5"],
            "ratio_prev5": ratio["log_r_prev5"],
            "ratio_since_ref": ratio["log_r_since_ref"],
            "ratio_start": ratio["log_r_start"],
            "reason": reason,
        }


#: The former name (one model per checkpoint); the same API.
CheckpointRiskModel = LandmarkRiskModel

__all__ = ["LANDMARK", "CheckpointRiskModel", "LandmarkRiskModel", "explain_missing"]
