"""The state of the runner along the race: fatigue components, composite index and onset.

One module per model, each a set of pure functions on the 1 Hz track; :func:`fatigue_state`
composes them::

    per_second, per_km, onset_km = fatigue_state(track, hr_max_bpm=190, hr_rest_bpm=48)

References
----------
/work/shared/science.md sections 2.1 (Rapoport glycogen), 2.2 (critical speed, D'bal),
2.3 (decoupling, gait) and 5 (mechanistic state).
"""

from finishline.fatigue.cardiac import decoupling, km_decoupling, reference_efficiency
from finishline.fatigue.composite import component_scores, fatigue_index, fatigue_onset_km
from finishline.fatigue.dprime import d_prime_balance, d_prime_state, estimate_critical_speed
from finishline.fatigue.gait import fit_speed_model, gait_residuals, speed_corrected_residual
from finishline.fatigue.glycogen import (
    carbohydrate_fraction,
    distance_to_wall_km,
    glycogen_margin,
    glycogen_store_kcal,
    intensity_from_heart_rate,
)
from finishline.fatigue.pace_fade import fade_slope, km_splits, pace_ratio, reference_speed_mps
from finishline.fatigue.state import fatigue_state

__all__ = [
    "carbohydrate_fraction",
    "component_scores",
    "d_prime_balance",
    "d_prime_state",
    "decoupling",
    "distance_to_wall_km",
    "estimate_critical_speed",
    "fade_slope",
    "fatigue_index",
    "fatigue_onset_km",
    "fatigue_state",
    "fit_speed_model",
    "gait_residuals",
    "glycogen_margin",
    "glycogen_store_kcal",
    "intensity_from_heart_rate",
    "km_decoupling",
    "km_splits",
    "pace_ratio",
    "reference_efficiency",
    "reference_speed_mps",
    "speed_corrected_residual",
]
