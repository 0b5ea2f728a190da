"""Final-mile risk: what failure is, chip-split parsing, landmark features, the estimator.

Public API::

    from finishline.risk import LandmarkRiskModel, read_results_csv
    model = LandmarkRiskModel.load()                # shipped parameters (params.json)
    model.predict_at(30, {5: 1500, 10: 3000, 20: 6000, 25: 7550, 30: 9150}, sex="F", age=41)
    model.predict_results(read_results_csv("results.csv", up_to_km=35), at_km=35)

The names are loaded on first use: ``finishline risk-splits`` imports the numpy-only modules
it needs (``risk.chip``, ``risk.landmark``, ``risk.csv_out``) without this package pulling
in pandas through the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finishline.lazy import lazy_exports

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "InterceptCalibrator": "finishline.risk.calibration",
    "PlattCalibrator": "finishline.risk.calibration",
    "CHIP_MATS_KM": "finishline.risk.chip",
    "load_boston_2014": "finishline.risk.chip",
    "load_chicago_2023": "finishline.risk.chip",
    "parse_duration_s": "finishline.risk.chip",
    "read_results_csv": "finishline.risk.chip",
    "FMF_SLOWDOWN": "finishline.risk.definition",
    "SEVERITY_SLOWDOWNS": "finishline.risk.definition",
    "chip_final_pace_ratio": "finishline.risk.definition",
    "is_final_mile_failure": "finishline.risk.definition",
    "severity_grade": "finishline.risk.definition",
    "summarize_predictions": "finishline.risk.evaluate",
    "FEATURES": "finishline.risk.features",
    "checkpoint_features": "finishline.risk.features",
    "cumulative_time_at": "finishline.risk.features",
    "landmark_features": "finishline.risk.features",
    "race_windows": "finishline.risk.features",
    "CheckpointRiskModel": "finishline.risk.landmark",
    "LandmarkRiskModel": "finishline.risk.landmark",
    "FinalMileRiskModel": "finishline.risk.model",
}

__all__ = [
    "CHIP_MATS_KM",
    "CheckpointRiskModel",
    "FEATURES",
    "FMF_SLOWDOWN",
    "FinalMileRiskModel",
    "InterceptCalibrator",
    "LandmarkRiskModel",
    "PlattCalibrator",
    "SEVERITY_SLOWDOWNS",
    "checkpoint_features",
    "chip_final_pace_ratio",
    "cumulative_time_at",
    "is_final_mile_failure",
    "landmark_features",
    "load_boston_2014",
    "load_chicago_2023",
    "parse_duration_s",
    "race_windows",
    "read_results_csv",
    "severity_grade",
    "summarize_predictions",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from finishline.risk.calibration import InterceptCalibrator, PlattCalibrator
    from finishline.risk.chip import (
        CHIP_MATS_KM,
        load_boston_2014,
        load_chicago_2023,
        parse_duration_s,
        read_results_csv,
    )
    from finishline.risk.definition import (
        FMF_SLOWDOWN,
        SEVERITY_SLOWDOWNS,
        chip_final_pace_ratio,
        is_final_mile_failure,
        severity_grade,
    )
    from finishline.risk.evaluate import summarize_predictions
    from finishline.risk.features import (
        FEATURES,
        checkpoint_features,
        cumulative_time_at,
        landmark_features,
        race_windows,
    )
    from finishline.risk.landmark import CheckpointRiskModel, LandmarkRiskModel
    from finishline.risk.model import FinalMileRiskModel
