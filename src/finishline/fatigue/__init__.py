"""The state of the runner along the race: fatigue components, composite index and onset.

One module per model, each a set of pure functions on the 1 Hz track; :func:`fatigue_state`
composes them::

    state = fatigue_state(track, Athlete.given(max_hr_bpm=190, rest_hr_bpm=48))
    state.per_km, state.onset_km

References
----------
/work/shared/science.md sections 2.1 (Rapoport glycogen), 2.2 (critical speed, D'bal),
2.3 (decoupling, gait) and 5 (mechanistic state).
"""

from finishline.fatigue.cardiac import decoupling, km_decoupling, reference_efficiency
from finishline.fatigue.composite import (
    component_scores,
    fatigue_index,
    fatigue_onset_km,
    signal_onsets,
)
from finishline.fatigue.dprime import d_prime_balance, d_prime_state
from finishline.fatigue.gait import fit_speed_model, gait_residuals, speed_corrected_residual
from finishline.fatigue.glycogen import (
    carbohydrate_fraction,
    distance_to_wall_km,
    glycogen_margin,
    glycogen_store_kcal,
    intensity_from_heart_rate,
)
from finishline.fatigue.pace_fade import fade_slope, pace_ratio, reference_speed_mps
from finishline.fatigue.state import FatigueState, assumed_components, fatigue_state

__all__ = [
    "FatigueState",
    "assumed_components",
    "signal_onsets",
    "carbohydrate_fraction",
    "component_scores",
    "d_prime_balance",
    "d_prime_state",
    "decoupling",
    "distance_to_wall_km",
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
    "pace_ratio",
    "reference_efficiency",
    "reference_speed_mps",
    "speed_corrected_residual",
]
