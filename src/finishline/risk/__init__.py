"""Final-mile risk: what failure is, chip-split parsing, landmark features, the estimator.

Public API::

    from finishline.risk import LandmarkRiskModel, read_results_csv
    model = LandmarkRiskModel.load()                # shipped parameters (params.json)
    model.predict_at(30, {5: 1500, 10: 3000, 20: 6000, 25: 7550, 30: 9150}, sex="F", age=41)
    model.predict_results(read_results_csv("results.csv", up_to_km=35), at_km=35)
"""

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

__all__ = [
    "CHIP_MATS_KM",
    "FEATURES",
    "FMF_SLOWDOWN",
    "SEVERITY_SLOWDOWNS",
    "CheckpointRiskModel",
    "FinalMileRiskModel",
    "InterceptCalibrator",
    "LandmarkRiskModel",
    "PlattCalibrator",
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
