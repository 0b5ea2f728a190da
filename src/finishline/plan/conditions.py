"""Race-day heat: how much it slows the goal and raises the final-mile risk.

Three models, one pure function each:

- :func:`wbgt_bom`: wet-bulb globe temperature (WBGT, degC) estimated from air temperature and
  humidity (dew point, or relative humidity) with the Australian Bureau of Meteorology's
  approximation. It ignores sun and wind: it stands for moderately strong sun and light wind
  [recalled], so it over-reads a cloudy, breezy morning and under-reads a still one in full
  sun.
- :func:`heat_slowdown`: the fraction by which a marathon finish time grows with WBGT, from
  Ely et al. (2007), larger for slower runners.
- :func:`heat_risk_logit_shift`: the shift in the log-odds of final-mile failure (FMF),
  calibrated on the between-race difference in our own chip data.

Both effects are **population effects transferred to one runner**: race-level means (the top
three men of seven US marathons; the whole field of two city marathons) applied to a single
person. That is an assumption, not a calibration on individuals; heat acclimatisation, body
size and sweat rate move a runner's own response. So each function also returns how much the
uncertainty band should widen.

Sources and what was checked
----------------------------
- Ely, Cheuvront, Roberts & Montain (2007) *Med Sci Sports Exerc* 39(3):487-493 [verified
  abstract]: the top three men of Boston, New York, Twin Cities, Grandma's, Richmond, Hartford
  and Vancouver ran 1.7 +- 1.5, 2.5 +- 2.1, 3.3 +- 2.0 and 4.5 +- 2.3 % slower than the course
  record in WBGT quartiles 5.1-10, 10.1-15, 15.1-20 and 20.1-25 degC; the 25th- to
  300th-place finishers "slowed more than faster runners". Montain, Ely & Cheuvront (2007)
  *Sports Med* 37:320 [verified abstract]: times slow progressively above 5-10 degC WBGT.
- El Helou et al. (2012) *PLoS ONE* 7:e37407 [verified abstract]: over 1.8 M finishes of six
  major marathons, speed relates to air temperature through a quadratic whose optimum depends
  on the performance level, and above it speed falls and withdrawals rise. Consistent in
  direction; its coefficients were not retrieved and are not used. Vihma (2010) is not used.
- How much more slower runners slow is not in those abstracts. Two anchors fix it here:
  (a) a reading of Ely's figure by finish time (fellrnr.com, "Impact of Heat on Marathon
  Performance" [secondary source]): a 2:40 runner at 15 degC WBGT slows about 3 %;
  (b) Knechtle et al. (2019), weather and male Boston Marathon performance 1897-2018
  (PMC6406844) [verified abstract]: +1 degC of air temperature cost all (male) finishers
  1:53 (113 s) on average, over all race-day weathers.
  :data:`ABILITY_SLOPE` = 6 sits between the two: (a) implies 6.9; (b) implies 5.6 for a
  3:40 finisher (the 2014 Boston male median in our chip data) at 17 degC (Boston's average
  race-day temperature, 63 degF, WJLA 2014), where the model gives 120 s per degC. See
  ``tests/test_plan_conditions.py`` for both checks.
- Australian Bureau of Meteorology, "Thermal stress" (bom.gov.au/info/thermal_stress):
  vapour pressure ``e = rh/100 * 6.105 * exp(17.27 T / (237.7 + T))`` hPa [verified, as quoted
  from that page]; ``WBGT = 0.567 T + 0.393 e + 3.94`` [recalled]; reviewed by Lemke &
  Kjellstrom (2012) *Ind Health* 50:267.
- Race-day weather for the risk calibration: Chicago 2023 (8 Oct), 10 degC mean (7-13), 58.6 %
  relative humidity, partly cloudy (Visual Crossing, via runnersnotes.com); Boston 2014
  (21 Apr), 55 degF (12.8 degC) official at the start, calm and sunny (marathonguide.com;
  time-to-run.com), "nearly 70 degrees" later in the day (Daily Free Press); humidity not
  found, so the default relative humidity is used for it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from finishline.errors import InputDataError
from finishline.formatting import format_hms

#: Ely et al. (2007) top-three men: (WBGT quartile midpoint degC, % slower than course record).
ELY_2007_TOP_MEN: tuple[tuple[float, float], ...] = (
    (7.5, 1.7),
    (12.5, 2.5),
    (17.5, 3.3),
    (22.5, 4.5),
)

#: WBGT (degC) at and below which heat costs nothing: the middle of Ely's coolest quartile
#: (5.1-10 degC), where "performance slows progressively as weather warms above 5-10 degC".
WBGT_OPTIMUM_C = 7.5

#: Highest WBGT (degC) in Ely's data; beyond it the curve is extrapolated (flagged).
WBGT_DATA_MAX_C = 25.0

#: Finish time (s) of the reference population of the elite curve: the top-three men, about
#: 2:10 in those races [recalled, approximate].
ELITE_FINISH_S = 7800.0

#: Growth of the slowdown with finish time: multiplier = 1 + slope * (T / 2:10 - 1).
ABILITY_SLOPE = 6.0

#: Finish times (s) outside this range are clipped before the ability multiplier (2:10-6:00).
ABILITY_RANGE_S = (7800.0, 21600.0)

#: Relative humidity assumed when no dew point is given (Chicago 2023 measured 58.6 %).
DEFAULT_RELATIVE_HUMIDITY = 0.6

#: Half-width of the finish-time band as a fraction of the slowdown: Ely's top men spread with
#: an SD about half their mean in the warmest quartile (2.3 of 4.5 %).
SLOWDOWN_BAND_RELATIVE = 0.5

#: FMF rates of our chip data (README, risk evaluation): Boston 2014 and Chicago 2023.
FMF_BOSTON_2014 = 0.248
FMF_CHICAGO_2023 = 0.113

#: Race-day air temperature (degC) and relative humidity used for the two races (see above):
#: Boston 2014 is the mean of the start reading (12.8) and the day's reported high (~20.6).
BOSTON_2014_WEATHER = (16.7, DEFAULT_RELATIVE_HUMIDITY)
CHICAGO_2023_WEATHER = (10.0, 0.586)


def _ely_fit() -> np.ndarray:
    """Coefficients (a, b) of ``a x + b x^2``, x = WBGT - optimum, through Ely's quartiles."""
    wbgt, pct = np.array(ELY_2007_TOP_MEN).T
    relative = (1 + pct / 100) / (1 + pct[0] / 100) - 1  # slowdown against the coolest quartile
    x = wbgt[1:] - WBGT_OPTIMUM_C
    design = np.c_[x, x**2]
    return np.linalg.lstsq(design, relative[1:], rcond=None)[0]


#: Elite slowdown curve coefficients (fraction per degC, per degC^2 above the optimum).
ELITE_COEFFS: np.ndarray = _ely_fit()


class HeatSlowdown(NamedTuple):
    """The heat penalty on a finish time.

    Attributes
    ----------
    fraction
        Expected slowdown (0.05 = 5 % longer finish time).
    band_fraction
        How much wider (fraction of the finish time, each side) the uncertainty band should be.
    wbgt_c
        The WBGT (degC) the slowdown was read at.
    extrapolated
        True when the WBGT is beyond Ely's data (25 degC).
    notes
        Sentences for the report (the assumption, any extrapolation).
    """

    fraction: float
    band_fraction: float
    wbgt_c: float
    extrapolated: bool
    notes: tuple[str, ...]


class HeatRiskShift(NamedTuple):
    """The heat shift of the final-mile-failure log-odds.

    Attributes
    ----------
    logit_shift
        Added to the log-odds of FMF.
    band_logit
        How much wider (log-odds, each side) the risk band should be.
    wbgt_c
        The WBGT (degC) the shift was read at.
    notes
        Sentences for the report.
    """

    logit_shift: float
    band_logit: float
    wbgt_c: float
    notes: tuple[str, ...]


def vapour_pressure_hpa(temperature_c: float, relative_humidity: float) -> float:
    """Water vapour pressure (hPa) from air temperature (degC) and relative humidity (0-1).

    References
    ----------
    Australian Bureau of Meteorology, "Thermal stress" (Magnus form used by the BoM).
    """
    t = float(temperature_c)
    return float(relative_humidity) * 6.105 * float(np.exp(17.27 * t / (237.7 + t)))


def wbgt_bom(
    temperature_c: float,
    dew_point_c: float | None = None,
    *,
    relative_humidity: float = DEFAULT_RELATIVE_HUMIDITY,
) -> float:
    """Wet-bulb globe temperature (degC), the Australian Bureau of Meteorology approximation.

    ``WBGT = 0.567 T + 0.393 e + 3.94``, with ``e`` the vapour pressure (hPa): the saturation
    pressure at the dew point when one is given, else ``relative_humidity`` of the saturation
    pressure at ``T``. Sun and wind are ignored (the formula stands for moderately strong sun
    and light wind).

    Parameters
    ----------
    temperature_c
        Air temperature (degC), -30 to 50.
    dew_point_c
        Dew point (degC), at most the air temperature; ``None`` = use ``relative_humidity``.
    relative_humidity
        Fraction (0-1) used when no dew point is given.

    Raises
    ------
    InputDataError
        A temperature out of range or a dew point above the air temperature.

    References
    ----------
    Australian Bureau of Meteorology, "Thermal stress" (bom.gov.au/info/thermal_stress);
    Lemke B. & Kjellstrom T. (2012) Calculating workplace WBGT from meteorological data.
    Ind Health 50:267-278.
    """
    t = float(temperature_c)
    if not -30.0 <= t <= 50.0:
        raise InputDataError(f"race temperature {t} degC is outside -30..50 degC")
    if dew_point_c is None:
        if not 0.0 <= relative_humidity <= 1.0:
            raise InputDataError(f"relative humidity {relative_humidity} is not a 0-1 fraction")
        e = vapour_pressure_hpa(t, relative_humidity)
    else:
        td = float(dew_point_c)
        if td > t + 0.05:
            raise InputDataError(f"dew point {td} degC is above the air temperature {t} degC")
        e = vapour_pressure_hpa(td, 1.0)
    return 0.567 * t + 0.393 * e + 3.94


def elite_slowdown(wbgt_c: float) -> float:
    """Slowdown (fraction) of the top-three men at ``wbgt_c`` against the coolest quartile.

    References
    ----------
    Ely M.R. et al. (2007) Med Sci Sports Exerc 39(3):487-493.
    """
    x = max(float(wbgt_c) - WBGT_OPTIMUM_C, 0.0)
    return float(ELITE_COEFFS[0] * x + ELITE_COEFFS[1] * x * x)


def ability_multiplier(finish_time_s: float) -> float:
    """How many times the elite slowdown a runner of this finish time suffers (>= 1).

    ``1 + ABILITY_SLOPE * (T / 2:10 - 1)`` with ``T`` clipped to 2:10-6:00; the slope comes
    from the two anchors in the module docstring. Beyond about 3:00 this extrapolates Ely's
    places (the 300th finisher ran roughly 2:50 [recalled]), held in check by the all-finisher
    Boston regression of Knechtle et al. (2019).
    """
    t = float(np.clip(finish_time_s, *ABILITY_RANGE_S))
    return 1.0 + ABILITY_SLOPE * (t / ELITE_FINISH_S - 1.0)


def heat_slowdown(
    temperature_c: float,
    dew_point_c: float | None = None,
    finish_time_s: float = 12600.0,
    *,
    relative_humidity: float = DEFAULT_RELATIVE_HUMIDITY,
) -> HeatSlowdown:
    """Expected marathon slowdown (fraction of finish time) in this heat.

    ``fraction = elite_slowdown(WBGT) * ability_multiplier(finish_time_s)``: 0 at or below a
    WBGT of 7.5 degC, about 0.8 / 1.6 / 2.7 % for the top men at 12.5 / 17.5 / 22.5 degC, and
    several times more for slower runners, as Ely et al. found. This transfers a population
    effect (race-level means) to one runner: an assumption, not a calibration.

    Parameters
    ----------
    temperature_c, dew_point_c, relative_humidity
        Race air temperature and dew point (degC), or relative humidity (0-1): see
        :func:`wbgt_bom`.
    finish_time_s
        The runner's goal in cool conditions (s); slower runners slow more.

    Returns
    -------
    HeatSlowdown
        ``fraction``, ``band_fraction`` (= :data:`SLOWDOWN_BAND_RELATIVE` x fraction),
        ``wbgt_c``, ``extrapolated`` (WBGT above 25 degC) and ``notes``.

    References
    ----------
    Ely M.R., Cheuvront S.N., Roberts W.O., Montain S.J. (2007) Impact of weather on
    marathon-running performance. Med Sci Sports Exerc 39(3):487-493.
    Knechtle B. et al. (2019) Boston Marathon 1897-2018, PMC6406844 (men, +113 s/degC).
    """
    wbgt = wbgt_bom(temperature_c, dew_point_c, relative_humidity=relative_humidity)
    fraction = elite_slowdown(wbgt) * ability_multiplier(finish_time_s)
    notes = [
        f"heat: WBGT {wbgt:.1f} degC (estimated from temperature and humidity, sun and wind "
        f"ignored) slows a {format_hms(finish_time_s)} runner by {100 * fraction:.1f} % "
        "(Ely et al. 2007; a population effect applied to one runner)"
    ]
    extrapolated = wbgt > WBGT_DATA_MAX_C
    if extrapolated:
        notes.append(
            f"heat: WBGT {wbgt:.1f} degC is beyond the published range (25 degC): extrapolated"
        )
    return HeatSlowdown(
        fraction=fraction,
        band_fraction=SLOWDOWN_BAND_RELATIVE * fraction,
        wbgt_c=wbgt,
        extrapolated=extrapolated,
        notes=tuple(notes),
    )


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def calibration_wbgt_c() -> tuple[float, float]:
    """WBGT (degC) of Boston 2014 and Chicago 2023 from the weather in the module docstring."""
    boston = wbgt_bom(BOSTON_2014_WEATHER[0], relative_humidity=BOSTON_2014_WEATHER[1])
    chicago = wbgt_bom(CHICAGO_2023_WEATHER[0], relative_humidity=CHICAGO_2023_WEATHER[1])
    return boston, chicago


def heat_logit_slope() -> float:
    """FMF log-odds per degC of WBGT: half the Boston 2014 - Chicago 2023 difference per degC.

    The two races differ in course (Boston's downhill first half) and field as well as heat,
    and the sun-blind WBGT under-reads sunny Boston against cloudy Chicago, so the whole
    difference is an upper bound on the heat effect and none of it the lower one; the estimate
    is the middle, and :func:`heat_risk_logit_shift` widens the band by the same amount.
    """
    boston, chicago = calibration_wbgt_c()
    full = (_logit(FMF_BOSTON_2014) - _logit(FMF_CHICAGO_2023)) / (boston - chicago)
    return 0.5 * full


def heat_risk_logit_shift(
    temperature_c: float,
    dew_point_c: float | None = None,
    *,
    reference_wbgt_c: float = WBGT_OPTIMUM_C,
    relative_humidity: float = DEFAULT_RELATIVE_HUMIDITY,
) -> HeatRiskShift:
    """Shift of the final-mile-failure log-odds for racing in this heat.

    ``shift = slope * (max(WBGT, 7.5) - max(reference, 7.5))`` with ``slope`` from
    :func:`heat_logit_slope` (about 0.09 per degC WBGT). ``reference_wbgt_c`` is the WBGT the
    risk model's base rate stands for (default: the optimum, i.e. the shift from ideal
    weather). This transfers a between-race (population) difference to one runner: an
    assumption, not a calibration. The band widens by ``|shift|`` each side, so it spans
    "none of the race difference was heat" to "all of it was".

    Parameters
    ----------
    temperature_c, dew_point_c, relative_humidity
        Race air temperature and dew point (degC), or relative humidity (0-1): see
        :func:`wbgt_bom`.
    reference_wbgt_c
        WBGT (degC) at which the shift is zero.

    Returns
    -------
    HeatRiskShift
        ``logit_shift``, ``band_logit``, ``wbgt_c`` and ``notes``.

    References
    ----------
    FMF rates: Boston 2014 24.8 %, Chicago 2023 11.3 % (finishline README, chip splits in
    ../shared/splits). Race weather: see the module docstring.
    """
    wbgt = wbgt_bom(temperature_c, dew_point_c, relative_humidity=relative_humidity)
    excess = max(wbgt, WBGT_OPTIMUM_C) - max(float(reference_wbgt_c), WBGT_OPTIMUM_C)
    shift = heat_logit_slope() * excess
    note = (
        f"heat: WBGT {wbgt:.1f} degC shifts the final-mile risk by {shift:+.2f} log-odds "
        "(half the Boston 2014 - Chicago 2023 difference per degC; a between-race effect "
        "applied to one runner)"
    )
    return HeatRiskShift(logit_shift=shift, band_logit=abs(shift), wbgt_c=wbgt, notes=(note,))
