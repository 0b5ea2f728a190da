"""D' balance against critical speed: Skiba's differential W'bal ported to running.

Above critical speed (CS) the runner spends the finite distance reserve D' at the rate
``v - CS`` (m/s, i.e. metres of D' per second). Below CS the spent part recovers
exponentially (Skiba et al. 2015, differential form, written for power and unit-consistent
for speed)::

    above CS:  D'bal(t + dt) = D'bal(t) - (v - CS) * dt
    below CS:  D' - D'bal(t + dt) = (D' - D'bal(t)) * exp(-(CS - v) * dt / D')

D'bal can go below 0 when CS or D' are underestimated; it is reported unclipped so that
this stays visible. In a marathon, run below CS, D'bal stays near full and ``v_GAP / CS`` is
the main signal; D'bal matters for surges and hills.

References
----------
Skiba P. F., Fulford J., Clarke D. C., Vanhatalo A., Jones A. M. (2015) differential W'bal
model; Skiba et al. (2012) integral form. Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports
Exerc* 52:2637 (CS from running logs; marathons at 84.8 +/- 13.6 % CS). Kordi et al. (2019)
and the 3-min all-out test (D' ~ 120-200 m). science.md section 2.2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.definitions import DEFAULT_D_PRIME_M
from finishline.fatigue.reference import TrackArrays

#: Trailing window (s) smoothing speed before D' accounting: 1-s GPS/footpod spikes would
#: otherwise spend D' that no real surge spent; real surges last longer than this.
SPEED_SMOOTH_S = 30.0

#: Block size in log-decay units for the vectorised recurrence (keeps exp() finite).
_LOG_BLOCK = 300.0


def d_prime_balance(
    speed_mps: np.ndarray | pd.Series,
    step_s: np.ndarray | pd.Series,
    critical_speed_mps: float,
    d_prime_m: float = DEFAULT_D_PRIME_M,
    initial_balance_m: float | None = None,
) -> np.ndarray:
    """D' balance (m) after each sample, by Skiba's differential model on speed.

    Parameters
    ----------
    speed_mps
        Speed held during each step (m/s); grade-adjusted speed for running. NaN steps leave
        the balance unchanged. A stopped runner (speed 0) recovers at the full ``CS`` rate.
    step_s
        Duration of each step (s).
    critical_speed_mps
        Critical speed CS (m/s).
    d_prime_m
        D', the distance that can be run above CS (m).
    initial_balance_m
        Balance before the first step (m); ``d_prime_m`` (full) by default.

    Returns
    -------
    numpy.ndarray
        D'bal in m after each step (can be negative; see the module notes).

    Notes
    -----
    The recurrence ``deficit_k = a_k * deficit_(k-1) + b_k`` with ``a_k = 1, b_k = (v-CS) dt``
    above CS and ``a_k = exp(-(CS-v) dt / D'), b_k = 0`` below is solved in closed form with
    cumulative sums of ``log a`` (no Python loop over samples), in blocks whose cumulative
    decay stays within ``exp(300)`` so the arithmetic cannot overflow.

    References
    ----------
    Skiba et al. (2015) differential W'bal; science.md section 2.2.
    """
    v = np.asarray(speed_mps, dtype="float64")
    dt = np.asarray(step_s, dtype="float64")
    cs, dp = float(critical_speed_mps), float(d_prime_m)
    start = dp if initial_balance_m is None else float(initial_balance_m)
    valid = np.isfinite(v) & np.isfinite(dt)
    excess = np.where(valid, v - cs, 0.0)
    spend = np.where(excess > 0, excess * dt, 0.0)
    log_decay = np.where(excess < 0, excess * dt / dp, 0.0)  # <= 0
    deficit = np.empty_like(v)
    carry = dp - start
    cum = np.cumsum(log_decay)
    lo = 0
    n = v.size
    while lo < n:
        base = cum[lo - 1] if lo else 0.0
        # Extend the block while the decay inside it stays within exp(-_LOG_BLOCK).
        hi = int(np.searchsorted(-(cum - base), _LOG_BLOCK, side="right"))
        hi = max(hi, lo + 1)
        rel = cum[lo:hi] - base  # cumulative log decay inside the block, <= 0
        contrib = np.cumsum(spend[lo:hi] * np.exp(-rel))
        deficit[lo:hi] = np.exp(rel) * (carry + contrib)
        carry = deficit[hi - 1]
        lo = hi
    return dp - deficit


def d_prime_state(
    track: pd.DataFrame,
    critical_speed_mps: float,
    d_prime_m: float = DEFAULT_D_PRIME_M,
    smooth_s: float = SPEED_SMOOTH_S,
) -> pd.DataFrame:
    """Per-second D' state of a race: balance, fraction spent and intensity relative to CS.

    Parameters
    ----------
    track
        1 Hz track (``gap_speed_mps`` or ``speed_mps``, ``elapsed_s``, ``moving``).
    critical_speed_mps
        CS (m/s), e.g. from training history (:mod:`finishline.training.critical_speed`).
    d_prime_m
        D' (m).
    smooth_s
        Trailing window (s) of moving time over which speed is averaged before the D'
        accounting (default 30 s; 0 or less uses the raw 1 Hz speed).

    Returns
    -------
    pandas.DataFrame
        ``d_prime_balance_m`` (m), ``d_prime_spent`` (``1 - D'bal/D'``, fraction) and
        ``cs_fraction`` (grade-adjusted speed over CS; NaN while stopped).

    References
    ----------
    Skiba et al. (2015); Smyth & Muniz-Pumares (2020); science.md section 2.2.
    """
    columns = d_prime_state_of(TrackArrays(track), critical_speed_mps, d_prime_m, smooth_s)
    return pd.DataFrame(columns, index=track.index)


def d_prime_state_of(
    arrays: TrackArrays,
    critical_speed_mps: float,
    d_prime_m: float = DEFAULT_D_PRIME_M,
    smooth_s: float = SPEED_SMOOTH_S,
) -> dict[str, np.ndarray]:
    """:func:`d_prime_state` on a track's arrays."""
    if not np.isfinite(critical_speed_mps) or critical_speed_mps <= 0:
        names = ("d_prime_balance_m", "d_prime_spent", "cs_fraction")
        return {name: np.full(arrays.size, np.nan) for name in names}
    speed = arrays.effort_speed
    moving = arrays.moving_s > 0
    if smooth_s > 0:
        smooth = arrays.trailing_mean(speed, arrays.moving_s, smooth_s)
        speed = np.where(np.isnan(speed), np.nan, smooth)
    # While stopped the runner recovers at speed 0 for the whole pause.
    held = np.where(moving, speed, 0.0)
    elapsed = arrays.column("elapsed_s")
    if np.count_nonzero(~np.isnan(elapsed)) > 1:
        dt = np.clip(np.nan_to_num(np.diff(elapsed, prepend=np.nan), nan=0.0), 0.0, None)
    else:
        dt = arrays.step_s
    balance = d_prime_balance(held, dt, critical_speed_mps, d_prime_m)
    return {
        "d_prime_balance_m": balance,
        "d_prime_spent": 1.0 - balance / d_prime_m,
        "cs_fraction": np.where(moving, speed / critical_speed_mps, np.nan),
    }
