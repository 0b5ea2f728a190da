"""Heat: WBGT, the slowdown (Ely et al. 2007) and the final-mile risk shift, against their sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from corpus import SPLITS, require_shared

from finishline.errors import InputDataError
from finishline.plan import heat_risk_logit_shift, heat_slowdown, wbgt_bom
from finishline.plan.conditions import ability_multiplier, elite_slowdown

#: Ely et al. (2007) abstract: top-three men, % slower than the course record per WBGT quartile.
ELY_QUARTILE_MID_C = (7.5, 12.5, 17.5, 22.5)
ELY_PCT_OFF_RECORD = (1.7, 2.5, 3.3, 4.5)


def bom_wbgt(t_c: float, rh: float) -> float:
    """The BoM approximation written out from its published form."""
    e = rh * 6.105 * np.exp(17.27 * t_c / (237.7 + t_c))
    return 0.567 * t_c + 0.393 * e + 3.94


def ely_relative(wbgt_c: float) -> float:
    """Ely's top-men slowdown against the coolest quartile, read linearly between quartiles."""
    rel = [(1 + p / 100) / (1 + ELY_PCT_OFF_RECORD[0] / 100) - 1 for p in ELY_PCT_OFF_RECORD]
    mids = np.array(ELY_QUARTILE_MID_C)
    if wbgt_c <= mids[-1]:
        return float(np.interp(wbgt_c, mids, rel))
    return rel[-1] + (wbgt_c - mids[-1]) * (rel[-1] - rel[-2]) / (mids[-1] - mids[-2])


def test_wbgt_is_the_bom_approximation() -> None:
    for t_c, rh in ((5.0, 0.9), (15.0, 0.6), (25.0, 0.4), (32.0, 0.7)):
        assert wbgt_bom(t_c, relative_humidity=rh) == pytest.approx(bom_wbgt(t_c, rh), abs=1e-9)
    # a dew point equal to the air temperature is saturated air
    assert wbgt_bom(20.0, 20.0) == pytest.approx(bom_wbgt(20.0, 1.0))
    # a higher dew point (more humid) is more heat stress
    assert wbgt_bom(25.0, 20.0) > wbgt_bom(25.0, 10.0)


def test_impossible_weather_is_refused() -> None:
    with pytest.raises(InputDataError, match="dew point"):
        wbgt_bom(10.0, 15.0)
    with pytest.raises(InputDataError, match="outside"):
        wbgt_bom(80.0)
    with pytest.raises(InputDataError, match="humidity"):
        wbgt_bom(20.0, relative_humidity=60.0)


def test_the_elite_curve_reproduces_ely_2007() -> None:
    for wbgt, target in zip(ELY_QUARTILE_MID_C, map(ely_relative, ELY_QUARTILE_MID_C), strict=True):
        assert elite_slowdown(wbgt) == pytest.approx(target, abs=0.001)  # within 0.1 point


def test_no_penalty_in_cool_weather() -> None:
    cold = heat_slowdown(2.0, finish_time_s=14400)
    assert cold.wbgt_c <= 7.5
    assert cold.fraction == 0.0 and cold.band_fraction == 0.0
    assert heat_risk_logit_shift(2.0).logit_shift == 0.0


def test_slower_runners_and_hotter_days_slow_more() -> None:
    times = [7800, 9000, 10800, 12600, 14400, 18000]
    by_time = [heat_slowdown(20.0, 12.0, finish_time_s=t).fraction for t in times]
    assert np.all(np.diff(by_time) > 0)
    by_temp = [heat_slowdown(t, finish_time_s=12600).fraction for t in (8, 12, 16, 20, 24, 28)]
    assert np.all(np.diff(by_temp) > 0)
    assert ability_multiplier(7800) == 1.0


def test_ability_anchor_read_from_ely_figure() -> None:
    """fellrnr.com's reading of Ely's figure: a 2:40 runner at WBGT 15 degC slows about 3 %."""
    assert elite_slowdown(15.0) * ability_multiplier(2 * 3600 + 40 * 60) == pytest.approx(
        0.03, abs=0.005
    )


@pytest.mark.real
def test_ability_anchor_boston_all_finishers() -> None:
    """Knechtle et al. (2019): +1 degC air cost male Boston finishers 113 s on average.

    Checked for the median man of Boston 2014 in our chip data, at Boston's average race-day
    temperature (63 degF, 17 degC, WJLA 2014), with the default humidity: within 25 %.
    """
    require_shared(SPLITS)
    boston = pd.read_csv(SPLITS / "boston_2014.csv")
    men = boston[(boston["gender"] == "M") & ~boston["bib"].astype(str).str.startswith("W")]
    median_s = float(pd.to_numeric(men["official"], errors="coerce").median() * 60)
    assert 3 * 3600 < median_s < 4 * 3600

    def finish(t_c: float) -> float:
        return median_s * heat_slowdown(t_c, finish_time_s=median_s).fraction

    per_degree = finish(17.5) - finish(16.5)
    assert per_degree == pytest.approx(113.0, rel=0.25)


def test_25_degrees_costs_more_than_10_by_the_cited_amounts() -> None:
    goal = 3.5 * 3600
    cool, hot = heat_slowdown(10.0, finish_time_s=goal), heat_slowdown(25.0, finish_time_s=goal)
    w10, w25 = bom_wbgt(10.0, 0.6), bom_wbgt(25.0, 0.6)
    assert (cool.wbgt_c, hot.wbgt_c) == pytest.approx((w10, w25))
    multiplier = 1 + 6.0 * (goal / 7800 - 1)
    expected = multiplier * (ely_relative(w25) - ely_relative(w10))
    assert hot.fraction - cool.fraction == pytest.approx(expected, abs=multiplier * 0.0015)
    assert hot.fraction - cool.fraction > 0.10  # over 20 minutes on a 3:30 goal
    assert hot.band_fraction == pytest.approx(0.5 * hot.fraction)

    # risk: half the Boston 2014 (24.8 %) - Chicago 2023 (11.3 %) log-odds gap per degC WBGT
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    slope = 0.5 * (logit(0.248) - logit(0.113)) / (bom_wbgt(16.7, 0.6) - bom_wbgt(10.0, 0.586))
    r_cool, r_hot = heat_risk_logit_shift(10.0), heat_risk_logit_shift(25.0)
    assert r_hot.logit_shift - r_cool.logit_shift == pytest.approx(slope * (w25 - w10), rel=1e-9)
    assert r_hot.logit_shift > r_cool.logit_shift > 0
    assert r_hot.band_logit == pytest.approx(abs(r_hot.logit_shift))


def test_risk_shift_is_zero_at_its_reference() -> None:
    chicago = heat_risk_logit_shift(10.0, relative_humidity=0.586)
    same = heat_risk_logit_shift(10.0, relative_humidity=0.586, reference_wbgt_c=chicago.wbgt_c)
    assert same.logit_shift == pytest.approx(0.0, abs=1e-12)
    cooler = heat_risk_logit_shift(6.0, reference_wbgt_c=chicago.wbgt_c)
    assert cooler.logit_shift < 0  # cooler than the reference race lowers the risk


def test_each_result_says_it_transfers_a_population_effect() -> None:
    assert "one runner" in heat_slowdown(22.0).notes[0]
    assert "one runner" in heat_risk_logit_shift(22.0).notes[0]
    beyond = heat_slowdown(34.0, 28.0)
    assert beyond.extrapolated and "beyond the published range" in beyond.notes[-1]
    assert not heat_slowdown(15.0).extrapolated
