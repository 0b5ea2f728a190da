"""Which risk a race gets: the calibrated marathon model, or that model transferred by fraction.

The chip splits the model is fitted on are marathons (Boston 2014, Chicago 2023). Public
half-marathon results with split times were looked for on GitHub (repositories named
half-marathon / halfmarathon / halbmarathon, code search for 5/10/15/20 km split columns):
the Wroclaw half marathon 2023-2024 (5, 10, 15, 20 km splits) circulates only in course
repositories without a licence (one copy as an .xlsx); Paris 2023, Rzeszow 2014- and Oxford
results hold finish times only, without a licence (Oxford's author asks not to use them).
None can be shipped, so any other race gets the marathon model **transferred by race
fraction**:

* distance ``k`` of a race of distance ``D`` is read at the marathon landmark
  ``k x 42.195 / D`` (the same fraction of the race done);
* the windows scale with the race: the reference window is the race's own
  (:func:`finishline.definitions.reference_window_m`), the recent window is
  ``5 km x D / 42.195``;
* the reference pace is made marathon-equivalent with Riegel's exponent:
  ``pace x (42.195 / D) ** 0.06`` (Riegel 1981);
* the band is widened by :data:`TRANSFER_SD_LOGIT` on the log-odds scale (in quadrature), an
  assumption of about the size of the spread between the two training races' base rates.

The result is labelled ``transferred from the marathon model, not calibrated on <distance>
races``; nothing in it has been checked against outcomes of such races.

References
----------
Riegel PS. Athletic records and human endurance. *Am Sci* 1981;69:285-290.
"""

from __future__ import annotations

from dataclasses import dataclass

from finishline.definitions import Race
from finishline.risk.features import MARATHON_KM, MARATHON_WINDOWS, RaceWindows, race_windows

#: Extra log-odds standard deviation (added in quadrature) for a transferred model: assumed,
#: about the spread of the base rate between the two training marathons.
TRANSFER_SD_LOGIT = 0.5
CALIBRATED_LABEL = "calibrated on marathon chip splits (Boston 2014, Chicago 2023)"


@dataclass(frozen=True)
class RiskSetup:
    """How a race is scored.

    Attributes
    ----------
    windows
        Feature windows of the race.
    extra_sd
        Extra log-odds standard deviation of the band (0 when calibrated).
    calibrated
        True for a marathon (the model's own distance).
    calibration
        The label the report and the verdict show.
    mapping
        The distance mapping in words ("" for a marathon).
    """

    windows: RaceWindows
    extra_sd: float
    calibrated: bool
    calibration: str
    mapping: str


def distance_words(race: Race) -> str:
    """The race distance in words, for labels: its name, or its length for other runs."""
    if race.key in ("run",):
        return f"{race.distance_m / 1000.0:.1f} km"
    return race.label


def risk_setup(race: Race) -> RiskSetup:
    """The :class:`RiskSetup` of ``race`` (see the module docstring)."""
    if race.is_marathon:
        return RiskSetup(MARATHON_WINDOWS, 0.0, True, CALIBRATED_LABEL, "")
    race_km = race.distance_m / 1000.0
    windows = race_windows(race_km)
    ref_a, ref_b = windows.reference_km
    mapping = (
        f"km k of this {race_km:.1f} km race is scored as km k x {windows.landmark_scale:.3f} "
        f"of the marathon model (the same fraction of the race); reference window "
        f"{ref_a:.1f}-{ref_b:.1f} km, recent window {windows.recent_km:.1f} km, paces made "
        f"marathon-equivalent (x {windows.pace_factor:.3f}, Riegel); band widened by "
        f"{TRANSFER_SD_LOGIT:g} logit"
    )
    label = f"transferred from the marathon model, not calibrated on {distance_words(race)} races"
    return RiskSetup(windows, TRANSFER_SD_LOGIT, False, label, mapping)


__all__ = ["CALIBRATED_LABEL", "MARATHON_KM", "TRANSFER_SD_LOGIT", "RiskSetup", "risk_setup"]
