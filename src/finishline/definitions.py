"""Every domain rule finishline applies, defined once, with its source.

Thresholds, windows, defaults and physical ranges live here and nowhere else: the race
pipeline, the season pipeline, the risk model and the reports import them. A value that is a
convention (not physiology or a published figure) says so.

Distances and races
-------------------
``METRE_PER_MILE``, ``MARATHON_M`` and ``HALF_MARATHON_M`` are exact. Races are recognised from
the measured distance by :func:`detect_race` (a course measured by GPS reads long, a tunnel
reads short); ``race_distance_m`` overrides the detection.

The reference window
--------------------
Every comparison of a runner against themselves (final-mile ratio, pace fade, cardiac drift,
gait change) uses one reference window per race: from ``min(5 km, 20 % of D)`` to
``min(20 km, 50 % of D)`` for a race of distance ``D``. For a marathon (and anything of 40 km or
more) this is Smyth's 5-20 km window exactly (Smyth 2021: settled pacing, before fatigue); for
shorter races it keeps the same idea (after the start rush, within the first half; science.md
section 4 names first-half pace an acceptable fallback): half marathon 4.2-10.5 km, 10 km
2-5 km, 5 km 1-2.5 km. The scaling below 40 km is a documented convention.

Final-mile failure (FMF)
------------------------
The final segment is the last mile (1,609.344 m) of the race. It *fails* when its clock pace is
at least 25 % slower than the reference pace (Smyth & Muniz-Pumares 2020; science.md section 4
for why 25 %), or when the runner walked or stood for at least 60 s in it. Severity grades at
15 / 25 / 40 % slowdown. ``held`` below 15 %, ``slowed`` from 15 %, ``failed`` as above.

References
----------
Smyth B. (2021) How recreational marathon runners hit the wall. *PLOS ONE* 16:e0251513.
Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports Exerc* 52:2637.
Tanaka H., Monahan K. D., Seals D. R. (2001) *J Am Coll Cardiol* 37:153-156.
Rapoport B. I. (2010) *PLoS Comput Biol* 6:e1000960. science.md sections 1, 2 and 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# --- distances -------------------------------------------------------------------------------

#: One international mile (m), exact.
METRE_PER_MILE = 1609.344
#: Marathon and half marathon (m), exact.
MARATHON_M = 42195.0
HALF_MARATHON_M = MARATHON_M / 2.0

# --- the runner against themselves ----------------------------------------------------------

#: Reference window of a marathon (m): Smyth's 5-20 km.
REFERENCE_START_M = 5000.0
REFERENCE_END_M = 20000.0
#: Below 40 km the window scales with the race: it starts at this share of the distance (at
#: most 5 km) and ends at this share (at most 20 km). A documented convention.
REFERENCE_START_SHARE = 0.20
REFERENCE_END_SHARE = 0.50

# --- final-mile failure ---------------------------------------------------------------------

#: The final segment: the last mile of the race (m).
FINAL_SEGMENT_M = METRE_PER_MILE
#: Final segment at least this many times the reference pace is a failure (25 % slower).
FMF_PACE_RATIO = 1.25
#: Walking or standing at least this long (s) in the final mile is a failure.
WALK_STOP_LIMIT_S = 60.0
#: Severity grades: (pace ratio at or above, name), deepest first.
SEVERITY_GRADES: tuple[tuple[float, str], ...] = (
    (1.40, "severe"),
    (1.25, "failure"),
    (1.15, "moderate"),
)
#: A final segment at least this much slower (ratio) than the reference counts as "slowed".
SLOWED_PACE_RATIO = 1.15
#: A DNF after reaching this mat counts as a failure (chip data with DNF lists).
DNF_AFTER_M = 35000.0

# --- moving, stopped, walking ---------------------------------------------------------------

#: Below this smoothed speed (m/s) the runner is standing.
STOP_SPEED_MPS = 0.5
#: Standing at least this long (s) with the timer running is not moving.
STILL_MIN_S = 10
#: A recording gap longer than this (s) covered slower than ``STOP_SPEED_MPS`` is a pause.
PAUSE_GAP_S = 10.0
#: Walking: slower than this (m/s) ...
WALK_SPEED_MPS = 2.0
#: ... or stepping slower than this (steps/min): science.md section 4 (walk flag).
WALK_CADENCE_SPM = 140.0
#: Shortest stop / walk (s) that counts as one.
MIN_STOP_S = 5
MIN_WALK_S = 10

# --- athlete defaults and estimates ---------------------------------------------------------

#: Resting heart rate (bpm) assumed when none is given: a trained runner (a convention).
DEFAULT_REST_HR_BPM = 50.0
#: Body mass (kg) assumed when none is given (Rapoport 2010's worked example).
DEFAULT_BODY_MASS_KG = 70.0
#: Carbohydrate intake (g/h) assumed when none is given: none (pessimistic for glycogen).
DEFAULT_CARBS_G_PER_H = 0.0
#: D' (m) assumed when none is given (science.md 2.2: 120-200 m is typical).
DEFAULT_D_PRIME_M = 150.0
#: Tanaka 2001: max HR = TANAKA_INTERCEPT - TANAKA_SLOPE x age (bpm).
TANAKA_INTERCEPT_BPM = 208.0
TANAKA_SLOPE_BPM_PER_YEAR = 0.7
#: Runners average about this fraction of max HR over a race of 90 min or more (a convention
#: from marathon HR data: 80-90 % of max).
RACE_HR_FRACTION_OF_MAX = 0.88
#: Runs at least this long (s) use the race-HR rule for max HR.
LONG_RACE_S = 90 * 60.0
#: Marathons are run at 84.8 % of critical speed on average (Smyth & Muniz-Pumares 2020).
MARATHON_FRACTION_OF_CS = 0.848
#: Percentile of clean heart rate taken as an observed peak (robust to a last strap spike).
PEAK_HR_PERCENTILE = 99.5

# --- cardiac drift --------------------------------------------------------------------------

#: Pa:HR decoupling of 5 % is the coaching line between coupled and decoupled (TrainingPeaks;
#: a convention, not physiology).
DECOUPLING_LIMIT = 0.05

# --- physical plausibility (what any reader may pass on) ------------------------------------

#: Heart rate outside this range (bpm) is not a heart rate.
HR_RANGE_BPM = (25.0, 250.0)
#: A GPS step faster than this (m/s) is a spike or a jump, not a runner (nor most riders).
MAX_GPS_SPEED_MPS = 12.0
#: A minute whose median speed is above this (m/s; 2:34 /km) is a vehicle, not running.
VEHICLE_SPEED_MPS = 6.5
#: Altitude outside this range (m) is not on Earth's land surface.
ALTITUDE_RANGE_M = (-500.0, 9000.0)
#: WGS84 latitude and longitude ranges (deg): the definition of the coordinates.
LATITUDE_RANGE_DEG = (-90.0, 90.0)
LONGITUDE_RANGE_DEG = (-180.0, 180.0)
#: A recorded speed, or a step of distance over time, faster than this (m/s; 360 km/h) is no
#: activity finishline reads: no human-powered or road sport goes faster (a convention).
MAX_SAMPLE_SPEED_MPS = 100.0
#: Cadence (steps/min, both legs) above this is not a gait: elite sprinters step at about
#: 280 /min (a convention with a margin).
CADENCE_RANGE_SPM = (0.0, 300.0)
#: Power (W) above this is no athlete's: track sprinters peak near 2,500 W (a convention).
POWER_RANGE_W = (0.0, 3000.0)
#: Temperature (degC) outside this range is no place anyone exercises (air records are -89
#: and +57 degC; a device in the sun reads higher; a convention).
TEMPERATURE_RANGE_C = (-60.0, 70.0)
#: Cumulative distance (m) beyond this is no single activity: 100 m/s for 7 days (convention).
DISTANCE_RANGE_M = (0.0, MAX_SAMPLE_SPEED_MPS * 7 * 86_400.0)

# --- time plausibility (finishline.io.plausibility) -----------------------------------------

#: No activity spans more than this (s): the longest non-stop races (Tor des Geants, 150 h
#: cut-off) fit in 7 days (a convention).
MAX_ACTIVITY_SPAN_S = 7 * 86_400.0
#: A forward step of the clock at least this long (s) inside a recording is examined as a
#: possible clock jump (a convention: hours to years; real gaps this long are pauses).
CLOCK_JUMP_MIN_S = 1800.0
#: Across a jump the recording continues "smoothly" when it moved at most this many times
#: what the runner covers in one sampling interval, plus :data:`CLOCK_JUMP_SLACK_M` (m).
CLOCK_JUMP_CONTINUITY = 4.0
CLOCK_JUMP_SLACK_M = 10.0
#: Both sides of a clock jump must be in motion, faster than this (m/s; a slow walk).
CLOCK_JUMP_MOVING_MPS = 1.0
#: A real pause leaves device distance within this (m) and the position within this (m, GPS
#: drift while standing) of where they were.
PAUSE_DISTANCE_M = 1.0
PAUSE_POSITION_M = 25.0
#: At most this many records, at least :data:`STRAY_GAP_S` away from all the others, are
#: stray (a corrupt timestamp), as the FIT reader's own filter has it.
STRAY_MAX_RECORDS = 3
STRAY_GAP_S = 3600.0
#: A recording that spans more than a day with fewer samples than one per this many seconds is
#: no activity recording (a watch writes one every 1-10 s while it records; a convention).
MAX_MEAN_SAMPLE_INTERVAL_S = 3600.0
#: The 1 Hz track covers at most this many seconds per recorded sample, or a day, whichever is
#: more: memory and time follow the samples, not the clock (a convention: smart recording
#: writes a sample every 1-10 s while moving, so a real track stays far below it).
MAX_GRID_S_PER_SAMPLE = 100.0
#: A gap of at least this long (s) splits a recording: no single activity pauses for a day
#: (a convention); the part with the most records is kept.
SPLIT_GAP_S = 86_400.0
#: A gap of at least :data:`STRAY_GAP_S` that lasts more than this many times all the recorded
#: time around it (steps under :data:`CLOCK_JUMP_MIN_S`) also splits it: no pause is ten times
#: longer than the activity it interrupts (a convention).
PAUSE_RATIO_MAX = 10.0
#: Device distance going back by more than this (m) is a restart (a new leg, a new activity)
#: and is continued; smaller steps back are GPS jitter and are held.
DISTANCE_RESTART_M = 100.0
#: When more than this share of distance steps go backwards, time order and distance order
#: disagree wholesale (shuffled or reversed times, or a garbled distance channel).
DISORDER_SHARE = 0.2


def not_a_run(sport: str | None, moving_speed_mps: float) -> str | None:
    """Why an activity is not a run, or None when it is one.

    A recorded sport other than running says so; with no sport recorded (most GPX files), a
    mean moving speed above :data:`VEHICLE_SPEED_MPS` (2:34 /km) is a ride or a drive.
    """
    if sport is None:
        if math.isfinite(moving_speed_mps) and moving_speed_mps > VEHICLE_SPEED_MPS:
            return f"no sport recorded and a mean moving speed of {moving_speed_mps:.1f} m/s"
        return None
    return None if sport == "running" else f"the file records {sport}"


def tanaka_max_hr_bpm(age_years: float) -> float:
    """Age-predicted max heart rate (bpm): ``208 - 0.7 x age`` (Tanaka et al. 2001)."""
    return TANAKA_INTERCEPT_BPM - TANAKA_SLOPE_BPM_PER_YEAR * float(age_years)


# --- races -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Race:
    """A race distance and the windows every analysis of it uses.

    Attributes
    ----------
    key
        Short name: ``"5k"``, ``"10k"``, ``"half"``, ``"30k"``, ``"marathon"``, ``"50k"``,
        ``"ultra"`` (longer than 50 km, not a standard distance) or ``"run"`` (none of these).
    label
        In words, for reports: "half marathon", "marathon", "50 km ultra", "21.4 km run".
    distance_m
        The race distance (m): the nominal distance of a recognised race, else the measured one.
    measured_m
        What the track measured (m).
    source
        ``"detected"`` (from the measured distance), ``"given"`` (``race_distance_m``) or
        ``"measured"`` (no standard distance matched: the run is its own race).
    """

    key: str
    label: str
    distance_m: float
    measured_m: float
    source: str

    @property
    def is_marathon(self) -> bool:
        """True for the marathon, the distance the chip-split risk model was fitted on."""
        return self.key == "marathon"

    @property
    def reference_window_m(self) -> tuple[float, float]:
        """The reference window (m) of this race (module docstring)."""
        return reference_window_m(self.distance_m)

    @property
    def reference_label(self) -> str:
        """The reference window in words, e.g. "5-20 km" or "4.2-10.5 km"."""
        start, end = (f"{x / 1000.0:.1f}".removesuffix(".0") for x in self.reference_window_m)
        return f"{start}-{end} km"

    @property
    def final_segment_start_m(self) -> float:
        """Where the final mile starts (m), on the measured track."""
        return max(self.measured_m - FINAL_SEGMENT_M, 0.0)

    @property
    def verdict_km(self) -> tuple[int, ...]:
        """Whole km at which the verdict states the risk: 30 and 35 km of a marathon, the same
        shares of the race (71 % and 83 %) otherwise, from 5 km and before the final mile."""
        if self.is_marathon:
            return (30, 35)
        last = self.final_segment_start_m / 1000.0
        picks = {round(share * self.distance_m / 1000.0) for share in VERDICT_SHARES}
        return tuple(sorted(k for k in picks if 5 <= k <= last))


#: Standard race distances (key, label, metres, lower and upper tolerance as fractions). GPS
#: watches measure a race course long by 0.5-3 % (runners do not run the tangents) and may
#: read short when the signal is lost; trail ultras vary more.
STANDARD_RACES: tuple[tuple[str, str, float, float, float], ...] = (
    ("5k", "5 km", 5000.0, 0.04, 0.06),
    ("10k", "10 km", 10000.0, 0.04, 0.06),
    ("half", "half marathon", HALF_MARATHON_M, 0.04, 0.06),
    ("30k", "30 km", 30000.0, 0.04, 0.06),
    ("marathon", "marathon", MARATHON_M, 0.04, 0.06),
    ("50k", "50 km ultra", 50000.0, 0.06, 0.10),
)
#: Shares of the race at which the verdict states the risk (30 and 35 km of a marathon).
VERDICT_SHARES = (0.71, 0.83)
#: Runs longer than this (m) that match no standard distance are ultras.
ULTRA_FROM_M = 44000.0


def reference_window_m(race_distance_m: float) -> tuple[float, float]:
    """The reference window (start, end) in metres for a race of ``race_distance_m``.

    ``(min(5 km, 20 % of D), min(20 km, 50 % of D))``: Smyth's 5-20 km for races of 40 km and
    more, the same idea scaled below (module docstring).
    """
    d = max(float(race_distance_m), 0.0)
    return (
        min(REFERENCE_START_M, REFERENCE_START_SHARE * d),
        min(REFERENCE_END_M, REFERENCE_END_SHARE * d),
    )


def detect_race(measured_m: float, race_distance_m: float | None = None) -> Race:
    """The race a run of ``measured_m`` metres was, or the one given.

    Parameters
    ----------
    measured_m
        Distance the track measured (m).
    race_distance_m
        The race's distance (m) when known (a course that measured long); it wins over
        detection and is named after the standard race it matches, if any.

    Returns
    -------
    Race
        See :class:`Race`.
    """
    measured = float(measured_m) if math.isfinite(measured_m) else 0.0
    target = measured if race_distance_m is None else float(race_distance_m)
    for key, label, nominal, below, above in STANDARD_RACES:
        if nominal * (1.0 - below) <= target <= nominal * (1.0 + above):
            source = "detected" if race_distance_m is None else "given"
            distance = nominal if race_distance_m is None else target
            return Race(key, label, distance, measured, source)
    source = "measured" if race_distance_m is None else "given"
    if target >= ULTRA_FROM_M:
        return Race("ultra", f"{target / 1000.0:.0f} km ultra", target, measured, source)
    return Race("run", f"{target / 1000.0:.1f} km run", target, measured, source)
