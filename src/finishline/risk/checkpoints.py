"""Risk at any distance: one fitted model per chip checkpoint, interpolated in km.

:class:`CheckpointRiskModel` holds a :class:`~finishline.risk.model.FinalMileRiskModel` per
checkpoint (5, 10, ..., 40 km). At a distance ``km`` between two checkpoints it computes the
features at ``km`` itself (windows ending at ``km``; see ``features.py``) and blends the two
neighbouring models' log-odds linearly in km; outside the fitted range it uses the nearest
model. Only times at or before ``km`` are ever read.

References
----------
van Houwelingen HC. Dynamic prediction by landmarking in event history analysis.
*Scand J Stat* 2007;34:70-85.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from finishline.errors import InputDataError
from finishline.risk.chip import CHIP_MATS_KM
from finishline.risk.definition import MARATHON_KM, REFERENCE_END_KM
from finishline.risk.features import (
    FEATURES,
    REFERENCE_PACE_CENTRE_S_PER_KM,
    checkpoint_features,
    frame_features,
)
from finishline.risk.model import FinalMileRiskModel

CHECKPOINTS_KM: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0)
PARAMS_PATH = Path(__file__).with_name("params.json")
MIN_KM = 5.0
MAX_KM = 41.0
DEFAULT_LEVEL = 0.9

_FEATURE_REASONS = {
    "log_ref_pace": "no reference pace (needs times at 5 and 20 km, or up to the checkpoint)",
    "log_r_last5": "missing or non-increasing times in the last 5 km before the checkpoint",
    "log_r_prev5": "missing or non-increasing times 5-10 km before the checkpoint",
    "log_r_since_ref": "missing time between 20 km and the checkpoint",
    "log_r_start": "missing time at 5 km",
}


def explain_missing(features: pd.DataFrame) -> pd.Series:
    """Why each row cannot be scored ("" where every feature is present)."""
    reasons = pd.Series("", index=features.index, dtype=object)
    for name, text in _FEATURE_REASONS.items():
        missing = features[name].isna() & (reasons == "")
        reasons[missing] = text
    return reasons


class CheckpointRiskModel:
    """Final-mile risk at any km from 5 to 41, from per-checkpoint models.

    Parameters
    ----------
    models
        Fitted model per checkpoint distance (km).
    """

    def __init__(self, models: Mapping[float, FinalMileRiskModel]) -> None:
        if not models:
            raise ValueError("at least one checkpoint model is needed")
        self.models = {float(k): m for k, m in sorted(models.items())}

    @classmethod
    def load(cls, path: str | Path = PARAMS_PATH) -> CheckpointRiskModel:
        """The model shipped with finishline (or one written by ``train.py``)."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, params: Mapping[str, Any]) -> CheckpointRiskModel:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            {float(k): FinalMileRiskModel.from_dict(v) for k, v in params["checkpoints"].items()}
        )

    def to_dict(self) -> dict[str, Any]:
        """Every checkpoint's parameters, JSON-ready."""
        return {
            "model": "finishline final-mile risk, landmark logistic per checkpoint",
            "features": list(FEATURES),
            "checkpoints": {f"{k:g}": m.to_dict() for k, m in self.models.items()},
        }

    def _neighbours(self, km: float) -> tuple[float, float, float]:
        """Lower and upper checkpoint around ``km`` and the weight of the upper one."""
        knots = np.array(list(self.models))
        if km <= knots[0]:
            return knots[0], knots[0], 0.0
        if km >= knots[-1]:
            return knots[-1], knots[-1], 0.0
        hi = int(np.searchsorted(knots, km))
        lo = hi - 1 if knots[hi] > km else hi
        span = knots[hi] - knots[lo]
        return knots[lo], knots[hi], 0.0 if span == 0 else float((km - knots[lo]) / span)

    def predict_features(
        self, km: float, features: pd.DataFrame, level: float = DEFAULT_LEVEL
    ) -> pd.DataFrame:
        """P(failure) and its band from features already computed at ``km``.

        Returns
        -------
        pandas.DataFrame
            ``p_fail``, ``p_lo``, ``p_hi`` (central ``level`` band), NaN where a feature is NaN.
        """
        lo, hi, w = self._neighbours(km)
        if km < REFERENCE_END_KM:
            # Before 20 km the reference window grows with the checkpoint (5 km -> km), so the
            # windows of features computed at ``km`` match the lower checkpoint's layout far
            # better than the upper one's: the upper model, fitted where its windows are
            # collinear in a different way, extrapolates wildly there (a flat runner scored
            # 0.98 by the 15 km model at 11 km). Only the lower model speaks until 20 km.
            w = 0.0
        eta = (1 - w) * self.models[lo].decision_function(features)
        sd = (1 - w) * self.models[lo].log_odds_sd(features)
        if w > 0:
            eta = eta + w * self.models[hi].decision_function(features)
            sd = sd + w * self.models[hi].log_odds_sd(features)
        half = norm.ppf(0.5 + level / 2) * sd
        return pd.DataFrame(
            {"p_fail": expit(eta), "p_lo": expit(eta - half), "p_hi": expit(eta + half)},
            index=features.index,
        )

    def predict_at(
        self,
        km: float,
        cumulative_times: Mapping[float, float] | pd.Series | npt.ArrayLike,
        sex: str | None = None,
        age: float | None = None,
        level: float = DEFAULT_LEVEL,
    ) -> dict[str, float]:
        """Risk for one runner at ``km`` (5-41), e.g. live from a watch.

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
            or before ``km``) and the features (NaN when the times do not cover what the
            checkpoint needs).

        Raises
        ------
        InputDataError
            ``km`` outside 5-41 km.
        """
        if not MIN_KM <= km <= MAX_KM:
            raise InputDataError(f"risk is defined from {MIN_KM:g} to {MAX_KM:g} km, got {km:g}")
        if isinstance(cumulative_times, Mapping | pd.Series):
            series = pd.Series(cumulative_times, dtype=float)
            distances = series.index.to_numpy(dtype=float)
            times = series.to_numpy(dtype=float)
        else:
            times = np.asarray(cumulative_times, dtype=float).ravel()
            distances = np.arange(1, len(times) + 1, dtype=float)
        # The checkpoint is the last observed distance at or before km: a time at km itself
        # is what every window ends on, and interpolating to it would need a later sample.
        seen = distances[np.isfinite(times) & (distances <= km + 1e-9)]
        at = float(seen.max()) if seen.size and seen.max() >= MIN_KM else float(km)
        features = checkpoint_features(at, distances, times[None, :], sex=[sex], age=[age])
        out = self.predict_features(at, features, level=level).iloc[0].to_dict()
        return out | {"checkpoint_km": at} | features.iloc[0].to_dict()

    def predict_results(
        self, results: pd.DataFrame, at_km: float, level: float = DEFAULT_LEVEL
    ) -> pd.DataFrame:
        """Risk for every runner of a chip-results standard frame, using mats up to ``at_km``.

        The checkpoint is the last mat at or before ``at_km`` that has a time for some runner.

        Returns
        -------
        pandas.DataFrame
            ``id``, ``checkpoint_km``, ``p_fail``, ``p_lo``, ``p_hi``, ``ref_pace_s_per_km``,
            the pace ratios (``ratio_last5``, ``ratio_prev5``, ``ratio_since_ref``,
            ``ratio_start``) and ``reason`` (why ``p_fail`` is NaN, and any malformed cell that
            was read; "" otherwise).
        """
        if not MIN_KM <= at_km <= MARATHON_KM:
            raise InputDataError(f"--at must be between {MIN_KM:g} and 42.195 km, got {at_km:g}")
        observed = [
            d
            for label, d in CHIP_MATS_KM.items()
            if d <= min(at_km, MAX_KM) + 1e-9 and results[label].notna().any()
        ]
        if not observed or max(observed) < MIN_KM:
            raise InputDataError(f"no split times at or before {at_km:g} km")
        km = max(observed)
        features = frame_features(km, results)
        scored = self.predict_features(km, features, level=level)
        exp = np.exp(features)
        reason = explain_missing(features)
        if "issue" in results:
            issue = results["issue"].fillna("").astype(str)
            both = (reason != "") & (issue != "")
            reason = (reason + np.where(both, "; ", "") + issue).astype(object)
        return pd.DataFrame(
            {
                "id": results["id"],
                "checkpoint_km": km,
                "p_fail": scored["p_fail"],
                "p_lo": scored["p_lo"],
                "p_hi": scored["p_hi"],
                "ref_pace_s_per_km": exp["log_ref_pace"] * REFERENCE_PACE_CENTRE_S_PER_KM,
                "ratio_last5": exp["log_r_last5"],
                "ratio_prev5": exp["log_r_prev5"],
                "ratio_since_ref": exp["log_r_since_ref"],
                "ratio_start": exp["log_r_start"],
                "reason": reason,
            }
        )
