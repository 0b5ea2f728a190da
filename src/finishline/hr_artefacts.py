"""Heart-rate artefacts: values a heart did not produce, found and masked before any use.

Four kinds, each a documented rule (bpm, seconds):

- **out of range**: below 30 or above 230 bpm (a strap reading 0 between beats).
- **spikes**: more than 25 bpm from the 21-s running median.
- **dropouts and optical start-up**: the heart rate sits far below what the runner's pace and
  the surrounding heart rate imply. The run's own HR-speed relation (a least-squares line over
  moving seconds) gives the heart rate expected at each second's speed; the residual (HR minus
  expected) is compared with its running median over the surrounding 20 min. A stretch of at
  least 10 s, while moving, whose residual is more than 25 bpm below that median is a
  dropout: an optical sensor that lost contact (the half marathon read 67-105 bpm for minutes
  at 6:30-7:00/km between stretches of 183-189 bpm) or one still finding the pulse in the first
  minutes. A real heart slowing down does so with the pace, which the expected HR follows.
- **cadence lock-in**: for at least 60 s the HR sits within 3 bpm of the step cadence *and*
  follows its ups and downs (the spread of HR - cadence under half the spread of cadence), which
  an optical sensor does when it locks onto the arm swing.

Masked values become NaN in the track's ``heart_rate_bpm`` (the raw value stays in
``heart_rate_raw_bpm``), so cardiac drift, decoupling, zones, the fatigue index and the risk
never see them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.stretches import at_least

#: Plausible heart rate (bpm) for the out-of-range rule.
HR_MIN_BPM, HR_MAX_BPM = 30.0, 230.0
#: Spike rule: distance (bpm) from the running median over SPIKE_WINDOW_S.
SPIKE_BPM, SPIKE_WINDOW_S = 25.0, 21
#: Dropout rule: residual this far (bpm) below its running median over DROPOUT_WINDOW_S.
DROPOUT_BPM, DROPOUT_WINDOW_S, DROPOUT_MIN_S = 25.0, 1201, 10
#: Lock-in rule: closeness (bpm) and the shortest lock (s).
LOCK_BPM, LOCK_MIN_S = 3.0, 60


def expected_hr(
    heart_rate_bpm: np.ndarray, speed_mps: np.ndarray, moving: np.ndarray
) -> np.ndarray:
    """Heart rate (bpm) the run's own HR-speed line gives at each second's speed.

    A least-squares line of HR on speed over moving seconds with both (slope kept >= 0); NaN
    when fewer than 120 such seconds exist.
    """
    hr = np.asarray(heart_rate_bpm, float)
    v = np.asarray(speed_mps, float)
    ok = np.asarray(moving, bool) & np.isfinite(hr) & np.isfinite(v)
    if ok.sum() < 120 or np.ptp(v[ok]) <= 0:
        return np.full(hr.size, np.nanmedian(hr[ok]) if ok.any() else np.nan)
    vo, ho = v[ok], hr[ok]
    slope = max(float(np.mean((vo - vo.mean()) * (ho - ho.mean())) / np.var(vo)), 0.0)
    return ho.mean() + slope * (v - vo.mean())


def dropouts(heart_rate_bpm: np.ndarray, speed_mps: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """True on seconds of a heart-rate dropout or optical start-up (module rules)."""
    hr = np.asarray(heart_rate_bpm, float)
    residual = pd.Series(hr - expected_hr(hr, speed_mps, moving))
    baseline = residual.rolling(DROPOUT_WINDOW_S, center=True, min_periods=60).median()
    low = (residual - baseline < -DROPOUT_BPM).to_numpy(bool) & np.asarray(moving, bool)
    return at_least(low, DROPOUT_MIN_S)


def flag_hr_artefacts(
    heart_rate_bpm: np.ndarray,
    cadence_spm: np.ndarray,
    speed_mps: np.ndarray | None = None,
    moving: np.ndarray | None = None,
    lock_min_s: int = LOCK_MIN_S,
) -> np.ndarray:
    """True where the heart rate is an artefact (module rules); dropouts need speed and moving."""
    hr = pd.Series(heart_rate_bpm, dtype=float)
    if not np.isfinite(hr.to_numpy()).any():  # no heart rate: nothing to mask (every rule is False)
        return np.zeros(len(hr), bool)
    out_of_range = (hr < HR_MIN_BPM) | (hr > HR_MAX_BPM)
    valid = hr.where(~out_of_range)
    median = valid.rolling(SPIKE_WINDOW_S, center=True, min_periods=5).median()
    spike = (valid - median).abs() > SPIKE_BPM
    out = (out_of_range | spike).to_numpy(bool, copy=True)
    cad = np.asarray(cadence_spm, float)
    if (cad > 100).any():  # lock-in needs a step cadence above 100 spm somewhere
        out |= _locked(valid, pd.Series(cad), lock_min_s)
    if speed_mps is not None and moving is not None:
        out |= dropouts(valid.where(~spike).to_numpy(float), speed_mps, moving)
    return out


def _locked(valid: pd.Series, cad: pd.Series, lock_min_s: int) -> np.ndarray:
    """True on seconds of cadence lock-in (module rule): HR (bpm) within LOCK_BPM of the step
    cadence (spm) and following its ups and downs for at least ``lock_min_s`` (s)."""
    diff = valid - cad
    close = diff.abs().rolling(30, center=True, min_periods=20).mean() <= LOCK_BPM
    diff_sd = diff.rolling(30, center=True, min_periods=20).std()
    cad_sd = cad.rolling(30, center=True, min_periods=20).std()
    follows = (cad > 100) & close & (cad_sd > 0.5) & (diff_sd < 0.5 * cad_sd)
    core = pd.Series(at_least(follows.to_numpy(bool), lock_min_s).astype(float))
    # the 30-s windows blur the edges of a lock: extend it to the adjacent close samples
    near_core = core.rolling(31, center=True, min_periods=1).max().to_numpy() > 0
    return near_core & (diff.abs() <= LOCK_BPM).to_numpy(bool)
