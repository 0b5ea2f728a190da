"""Running power on the corpus's running files that have it (native FIT power, a Stryd developer
field, TCX ``Watts``): split power against the raw samples, the power curve against a
brute-force rolling mean, and plausible critical power from a season of those runs."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_path, inventory

import finishline
from finishline.analysis import analyze
from finishline.metrics.efforts import counted_seconds
from finishline.training.batch import read_many
from finishline.training.critical_power import CP_RANGE_W, W_PRIME_RANGE_J
from finishline.training.season import analyze_season

pytestmark = pytest.mark.real

#: The corpus's runs with power (INVENTORY ``has_power``), checked by the first test below.
POWER_RUNS = (
    "bad/fitparse__developer-types-sample__run_6.8km.fit",
    "bad/tormoder__mornindew-broken__run_16.8km.fit",
    "tcx/ggps__activity_17075053124_lorimer_avinger__run_8.0km.tcx",
    "tcx/ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
)
#: Two runs of one athlete (the same Forerunner 265S, 2025): a small season.
ONE_ATHLETE = POWER_RUNS[2:]


def _analyze(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(corpus_path(name))


def test_every_running_file_with_power_is_covered() -> None:
    corpus_path(POWER_RUNS[0])
    runs = {
        name
        for name, row in inventory().items()
        if row["has_power"] == "yes" and row["sport"].lower().startswith("run")
    }
    assert runs == set(POWER_RUNS)


@pytest.mark.parametrize("name", POWER_RUNS)
def test_split_power_is_the_raw_samples_mean(name: str) -> None:
    race = _analyze(name)
    raw = race.activity.samples["power_w"]
    assert raw.notna().sum() > 1000
    t_raw = (raw.index - race.track.index[0]).total_seconds().to_numpy()
    # a raw sample counts where the clean track was moving at that second
    second = np.clip(np.floor(t_raw).astype(int), 0, len(race.track) - 1)
    moving = race.track["moving"].to_numpy()[second] & raw.notna().to_numpy()
    checked = 0
    for table in (race.splits_km, race.splits_mile):
        for row in table[~table["partial"]].itertuples():
            inside = moving & (t_raw >= row.start_s) & (t_raw < row.end_s)
            if inside.sum() < 0.9 * row.moving_s:  # sparse records: no 1 Hz truth here
                continue
            expected = float(raw.to_numpy()[inside].mean())
            assert row.avg_power_w == pytest.approx(expected, rel=2e-3), row.split
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("name", POWER_RUNS)
def test_power_curve_is_the_brute_force_rolling_best(name: str) -> None:
    race = _analyze(name)
    curve = race.power_curve
    power = pd.Series(race.track["power_w"].to_numpy()[counted_seconds(race.track)])
    assert curve["duration_s"].iloc[0] == 1 and curve["duration_s"].iloc[-1] == len(power)
    for duration, best in zip(curve["duration_s"], curve["power_w"], strict=True):
        brute = power.rolling(int(duration), min_periods=int(duration)).mean().max()
        assert best == pytest.approx(brute, rel=1e-9), duration
    assert 100.0 < curve["power_w"].iloc[-1] < curve["power_w"].iloc[0] < 1500.0


@pytest.mark.parametrize("name", POWER_RUNS)
def test_power_is_reported_in_json_and_pw_hr_is_plausible(name: str) -> None:
    race = _analyze(name)
    out = race.to_json()
    assert out["power_source"] == race.activity.meta.power_source
    assert len(out["power_curve"]) == len(race.power_curve) > 20
    assert all(row["avg_power_w"] is not None for row in out["splits"][:-1])
    dec = race.decoupling
    assert out["decoupling"]["pw_hr"] == pytest.approx(dec.pw_hr)
    # power and speed drift together on flat runs: Pw:HR within 5 points of Pa:HR
    assert abs(dec.pw_hr - dec.pa_hr) < 0.05
    assert 0.8 < dec.pw_ef_first_w_per_bpm < 2.5


def _season(tmp_path: Path, names: tuple[str, ...]):
    for name in names:
        shutil.copy(corpus_path(name), tmp_path / Path(name).name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze_season(read_many(tmp_path, progress=False))


@pytest.mark.parametrize(
    "names", [ONE_ATHLETE, *((n,) for n in POWER_RUNS)], ids=["one-athlete", "1", "2", "3", "4"]
)
def test_critical_power_of_real_runs_is_plausible(tmp_path: Path, names: tuple[str, ...]) -> None:
    season = _season(tmp_path, names)
    fit = season.critical_power
    envelope = season.power_envelope.set_index("duration_s")["power_w"]
    if not fit.valid:
        assert fit.reason, "a rejected fit says why"
        return
    assert CP_RANGE_W[0] <= fit.critical_power_w <= CP_RANGE_W[1]
    assert W_PRIME_RANGE_J[0] <= fit.w_prime_j <= W_PRIME_RANGE_J[1]
    assert fit.r2 >= 0.95
    # CP lies below every 2-15 min best and above the 1-h best's floor of steady runs
    assert (envelope.loc[120.0:900.0] > fit.critical_power_w).all()
    assert fit.critical_power_w > 0.9 * envelope.loc[envelope.index.max()]
    # the season's average power of its runs sits below CP + W'/t of a run's whole length
    acts = season.activities
    assert (acts["avg_power_w"] < fit.critical_power_w + fit.w_prime_j / acts["moving_s"]).all()


def test_developer_power_season_reads_its_source(tmp_path: Path) -> None:
    season = _season(tmp_path, (POWER_RUNS[1],))
    assert season.activities["power_source"].tolist() == ["developer: Stryd Power"]
    assert np.isfinite(season.activities["pw_hr_decoupling"]).all()
    assert finishline.read(corpus_path(POWER_RUNS[1])).meta.power_source == "developer: Stryd Power"


@pytest.mark.parametrize("name", POWER_RUNS)
def test_race_report_of_a_power_run_shows_power(name: str) -> None:
    from finishline.viz.report import race_report_html

    race = _analyze(name)
    html = race_report_html(race)
    assert 'data-figure="power_curve"' in html and "<th>power (W)</th>" in html
    assert 'id="fl-pw-hr"' in html
    assert not re.search(r"nan ?W|>nan<", html)


@pytest.mark.parametrize("name", ONE_ATHLETE)
def test_tcx_watts_are_native_power(name: str) -> None:
    act = finishline.read(corpus_path(name))
    assert act.samples["power_w"].notna().any() and act.meta.power_source == "native"
