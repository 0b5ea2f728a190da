"""The runner: one :class:`Athlete` with every value and where it came from.

Every analysis (a race, a season, a squad) uses one :class:`Athlete`. Each value carries its
provenance: ``given`` (an argument or a command-line option), ``config`` (an athlete file),
``estimated`` (from the data, by a named rule) or ``default`` (a documented assumption).
Reports show which values were estimated; the fatigue and risk models leave out a signal
whose input would only be assumed (see :meth:`Athlete.is_known`).

The rules that fill a missing value live here, once:

* **max HR** (:func:`for_race`): Tanaka ``208 - 0.7 x age`` when the age is known (never below
  the run's observed peak); else, for runs of at least 90 min, ``max(observed peak, mean moving
  HR / 0.88)`` (a marathon peak is far below max HR); shorter runs: the observed peak (99.5th
  percentile of clean HR). For a season (:func:`for_season`): Tanaka when the age is known,
  never below the season's highest recorded HR; else that highest HR.
* **rest HR**: 50 bpm, **body mass** 70 kg, **carbohydrate intake** 0 g/h, **D'** 150 m
  (defaults, :mod:`finishline.definitions`).
* **critical speed** for a race: the mean grade-adjusted race speed / 0.848 (Smyth &
  Muniz-Pumares 2020) - circular for the race's own CS signals, which are then left out.

Sex is ``"M"`` or ``"F"`` (or unknown, ``None``) everywhere; common spellings are accepted.

References
----------
Tanaka H., Monahan K. D., Seals D. R. (2001) *J Am Coll Cardiol* 37:153-156. Smyth B.,
Muniz-Pumares D. (2020) *Med Sci Sports Exerc* 52:2637. Rapoport B. I. (2010) *PLoS Comput
Biol* 6:e1000960 (70 kg worked example).
"""

from __future__ import annotations

import json
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finishline import definitions as d
from finishline.breaks import race_start
from finishline.errors import EstimateWarning, InputDataError
from finishline.metrics.zones import estimate_max_hr

#: The athlete's values: name -> (unit, meaning). Settings (windows, time constants) are not here.
VALUES: dict[str, tuple[str, str]] = {
    "name": ("", "name shown in reports"),
    "sex": ("", "'M' or 'F' (risk model, Banister TRIMP)"),
    "age": ("years", "age (max-HR estimate, risk model)"),
    "max_hr_bpm": ("1/min", "max heart rate"),
    "rest_hr_bpm": ("1/min", "resting heart rate"),
    "critical_speed_mps": ("m/s", "critical speed"),
    "d_prime_m": ("m", "D' (distance that can be run above critical speed)"),
    "body_mass_kg": ("kg", "body mass (glycogen model)"),
    "carbs_g_per_h": ("g/h", "carbohydrate taken during a race (glycogen model)"),
    "threshold_speed_mps": ("m/s", "threshold speed for pace-based load"),
    "goal_marathon_s": ("s", "goal marathon time (pre-race risk)"),
    "weekly_target_km": ("km", "weekly volume target (marathon shape)"),
    "long_run_target_km": ("km", "long-run length target (marathon shape)"),
}
#: Old configuration key names still accepted.
ALIASES = {"hr_max_bpm": "max_hr_bpm", "hr_rest_bpm": "rest_hr_bpm", "gender": "sex"}
#: Provenance labels, most trustworthy first.
SOURCES = ("given", "config", "estimated", "default")


@dataclass(frozen=True)
class Provenance:
    """Where a value came from: ``source`` (one of :data:`SOURCES`) and the ``rule`` used."""

    source: str
    rule: str = ""


def normalize_sex(sex: object) -> str | None:
    """``"M"``, ``"F"`` or None from common spellings (m/male/man, f/female/woman/w)."""
    if sex is None:
        return None
    key = str(sex).strip().lower()
    if key in ("m", "male", "man"):
        return "M"
    if key in ("f", "female", "woman", "w"):
        return "F"
    return None


@dataclass(frozen=True)
class Athlete:
    """One runner's values, each with its provenance.

    Parameters
    ----------
    name, sex, age, max_hr_bpm, rest_hr_bpm, critical_speed_mps, d_prime_m, body_mass_kg,
    carbs_g_per_h, threshold_speed_mps, goal_marathon_s, weekly_target_km, long_run_target_km
        The values of :data:`VALUES` (units in the names); ``None`` when unknown.
    long_run_km
        Settings of the season analysis: a run of at least this many km is a long run (18).
    ctl_days, atl_days
        Time constants (days) of fitness and fatigue (42 and 7; Banister, science.md 2.4).
    cs_window_days
        Days of training over which critical speed is fitted (84).
    provenance
        Value name -> :class:`Provenance`; build athletes with :meth:`given`,
        :func:`load_athlete` and the estimate functions rather than by hand.

    Examples
    --------
    >>> runner = Athlete.given(sex="female", age=41, max_hr_bpm=182)
    >>> runner.sex, runner.source("max_hr_bpm")
    ('F', 'given')
    """

    name: str | None = None
    sex: str | None = None
    age: float | None = None
    max_hr_bpm: float | None = None
    rest_hr_bpm: float | None = None
    critical_speed_mps: float | None = None
    d_prime_m: float | None = None
    body_mass_kg: float | None = None
    carbs_g_per_h: float | None = None
    threshold_speed_mps: float | None = None
    goal_marathon_s: float | None = None
    weekly_target_km: float | None = None
    long_run_target_km: float | None = None
    long_run_km: float = 18.0
    ctl_days: float = 42.0
    atl_days: float = 7.0
    cs_window_days: int = 84
    provenance: Mapping[str, Provenance] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sex", normalize_sex(self.sex))

    @classmethod
    def given(cls, **values: Any) -> Athlete:
        """An athlete whose non-``None`` values were given by the caller."""
        return cls().with_values("given", **values)

    def with_values(self, source: str, rule: str = "", **values: Any) -> Athlete:
        """A copy with ``values`` set (``None`` values are ignored) and marked ``source``."""
        known = {f.name for f in fields(self)} - {"provenance"}
        values = {ALIASES.get(k, k): v for k, v in values.items() if v is not None}
        unknown = set(values) - known
        if unknown:
            raise InputDataError(f"unknown athlete values: {', '.join(sorted(unknown))}")
        provenance = dict(self.provenance)
        for name in values:
            if name in VALUES:
                provenance[name] = Provenance(source, rule)
        return replace(self, **values, provenance=provenance)

    def merged(self, other: Athlete) -> Athlete:
        """``self`` with every value ``other`` has (and its provenance) taking precedence."""
        values = {n: getattr(other, n) for n in other.provenance if getattr(other, n) is not None}
        provenance = dict(self.provenance) | {n: other.provenance[n] for n in values}
        return replace(self, **values, provenance=provenance)

    def source(self, name: str) -> str | None:
        """``given``, ``config``, ``estimated``, ``default``, or None for a missing value."""
        entry = self.provenance.get(name)
        return entry.source if entry is not None and getattr(self, name) is not None else None

    def rule(self, name: str) -> str:
        """How an estimated or default value was obtained ("" otherwise)."""
        entry = self.provenance.get(name)
        return entry.rule if entry is not None else ""

    def is_known(self, name: str) -> bool:
        """True when the value was given or configured (measured, not assumed)."""
        return self.source(name) in ("given", "config")

    def finite(self, name: str) -> float | None:
        """The value as a float, or None when missing or not finite."""
        value = getattr(self, name)
        if value is None:
            return None
        value = float(value)
        return value if np.isfinite(value) else None

    @property
    def max_hr_known(self) -> bool:
        """Max HR was given, or follows from a given age (Tanaka): the HR intensity is measured."""
        return self.is_known("max_hr_bpm") or self.is_known("age")

    def estimates(self) -> list[tuple[str, Any, str, str]]:
        """``(name, value, source, rule)`` of every estimated or default value."""
        out = []
        for name in VALUES:
            source = self.source(name)
            if source in ("estimated", "default"):
                out.append((name, getattr(self, name), source, self.rule(name)))
        return out

    def describe(self, name: str) -> str:
        """One value in words with its provenance, e.g. "max heart rate estimated: 183 bpm
        (Tanaka 208 - 0.7 x age ...)"."""
        unit, meaning = VALUES[name]
        value = getattr(self, name)
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        unit = {"1/min": "bpm"}.get(unit, unit)
        rule = f" ({self.rule(name)})" if self.rule(name) else ""
        return f"{meaning} {self.source(name)}: {shown} {unit}".rstrip() + rule

    def to_json(self) -> dict[str, dict[str, Any]]:
        """``{name: {"value", "source"[, "rule"]}}`` for every value the athlete has."""
        from finishline.jsonable import jsonable

        out: dict[str, dict[str, Any]] = {}
        for name in VALUES:
            value = getattr(self, name)
            if value is None or name not in self.provenance:
                continue
            entry: dict[str, Any] = {"value": jsonable(value), "source": self.source(name)}
            if self.rule(name):
                entry["rule"] = self.rule(name)
            out[name] = entry
        return out


def load_athlete(path: str | PathLike[str] | None, base: Athlete | None = None) -> Athlete:
    """Read an athlete file (``.toml`` or ``.json``); its values are marked ``config``.

    Keys the file leaves out keep their value from ``base`` (e.g. squad-wide defaults). Accepted
    keys: the fields of :class:`Athlete` (``hr_max_bpm``/``hr_rest_bpm`` as aliases).

    Raises
    ------
    InputDataError
        Unreadable file, unknown keys, or a sex that is neither male nor female.
    """
    base = base or Athlete()
    if path is None:
        return base
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputDataError(f"cannot read athlete config ({reason})", p) from exc
    if not isinstance(data, dict):
        raise InputDataError("an athlete config must be a table of keys", p)
    data = {ALIASES.get(k, k): v for k, v in data.items()}
    known = {f.name for f in fields(Athlete)} - {"provenance"}
    unknown = set(data) - known
    if unknown:
        raise InputDataError(f"unknown athlete config keys: {', '.join(sorted(unknown))}", p)
    if "sex" in data and normalize_sex(data["sex"]) is None:
        raise InputDataError("sex must be 'M'/'male' or 'F'/'female'", p)
    for key, value in data.items():
        if key not in ("name", "sex") and not _is_number(value):
            raise InputDataError(f"{key} must be a number, got {value!r}", p)
    return base.with_values("config", **data)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


# --- estimates ---------------------------------------------------------------------------


def _warn(athlete: Athlete, names: tuple[str, ...], extra: Mapping[str, str]) -> None:
    for name, value, _, _ in athlete.estimates():
        if name in names and value is not None and np.isfinite(value):
            hint = extra.get(name, "")
            warnings.warn(athlete.describe(name) + hint, EstimateWarning, stacklevel=3)


def race_max_hr_bpm(track: pd.DataFrame, age: float | None = None) -> tuple[float, str]:
    """Max HR (bpm) for a race when none is given, and the rule used (module docstring).

    Returns NaN and a reason when the track has no heart rate.
    """
    peak = estimate_max_hr(track["heart_rate_bpm"].to_numpy(float))
    if not np.isfinite(peak):
        return float("nan"), "no heart rate in the file"
    if age is not None and np.isfinite(age):
        tanaka = d.tanaka_max_hr_bpm(age)
        return max(tanaka, peak), "Tanaka 208 - 0.7 x age (not below the observed peak)"
    # the run's own time: from when the runner set off (a wait in the start pen is not run)
    duration = float(track["elapsed_s"].iloc[-1] - track["elapsed_s"].iloc[race_start(track)])
    if duration >= d.LONG_RACE_S:
        all_hr = track["heart_rate_bpm"].to_numpy(float)
        moving = track["moving"].to_numpy(bool) & np.isfinite(all_hr)
        mean = float(all_hr[moving].mean()) if moving.any() else float("nan")
        race_rule = mean / d.RACE_HR_FRACTION_OF_MAX if np.isfinite(mean) else peak
        return (
            max(peak, race_rule),
            f"max(observed peak, mean moving HR / {d.RACE_HR_FRACTION_OF_MAX}) for a run >= 90 min",
        )
    return peak, f"observed peak ({d.PEAK_HR_PERCENTILE:g}th percentile of clean HR)"


def race_critical_speed_mps(track: pd.DataFrame) -> float:
    """Critical speed (m/s) estimated from a race: mean moving GAP speed / 0.848.

    References
    ----------
    Smyth B., Muniz-Pumares D. (2020) *Med Sci Sports Exerc* 52:2637 (marathons at 84.8 % CS).
    """
    gap = track["gap_speed_mps"].to_numpy(float)
    moving = track["moving"].to_numpy(bool) & np.isfinite(gap) & (gap > 0)
    if not moving.any():
        return float("nan")
    return float(gap[moving].mean() / d.MARATHON_FRACTION_OF_CS)


def _defaults(athlete: Athlete) -> Athlete:
    """Fill the documented defaults (rest HR, body mass, carbohydrate, D')."""
    rules = {
        "rest_hr_bpm": (d.DEFAULT_REST_HR_BPM, "typical resting heart rate of a trained runner"),
        "body_mass_kg": (d.DEFAULT_BODY_MASS_KG, "Rapoport (2010) worked example"),
        "carbs_g_per_h": (
            d.DEFAULT_CARBS_G_PER_H,
            "no carbohydrate intake assumed (pessimistic for the glycogen margin)",
        ),
        "d_prime_m": (d.DEFAULT_D_PRIME_M, "mid-range of the published 120-200 m"),
    }
    for name, (value, rule) in rules.items():
        if getattr(athlete, name) is None:
            athlete = athlete.with_values("default", rule, **{name: value})
    return athlete


def for_race(athlete: Athlete | None, track: pd.DataFrame, *, warn: bool = True) -> Athlete:
    """The athlete with every value a race analysis needs, estimated or defaulted when missing.

    With ``warn``, one :class:`~finishline.errors.EstimateWarning` per estimate the models use
    (max HR, rest HR, critical speed) when the track has the data they apply to.
    """
    athlete = athlete or Athlete()
    if athlete.max_hr_bpm is None:
        value, rule = race_max_hr_bpm(track, athlete.finite("age"))
        if np.isfinite(value):
            athlete = athlete.with_values("estimated", rule, max_hr_bpm=value)
    if athlete.critical_speed_mps is None:
        cs = race_critical_speed_mps(track)
        if np.isfinite(cs):
            rule = (
                f"mean grade-adjusted race speed / {d.MARATHON_FRACTION_OF_CS} "
                "(Smyth & Muniz-Pumares 2020)"
            )
            athlete = athlete.with_values("estimated", rule, critical_speed_mps=cs)
    athlete = _defaults(athlete)
    if warn:
        has_hr = bool(np.isfinite(track["heart_rate_bpm"].to_numpy(float)).any())
        names = ("critical_speed_mps",) + (("max_hr_bpm", "rest_hr_bpm") if has_hr else ())
        _warn(
            athlete,
            names,
            {
                "max_hr_bpm": "; give max_hr_bpm (--max-hr) or age (--age)",
                "rest_hr_bpm": "; give rest_hr_bpm (--rest-hr)",
                "critical_speed_mps": "; give critical_speed_mps (--critical-speed) for the "
                "%CS risk terms",
            },
        )
    return athlete


def for_season(athlete: Athlete | None, season_peak_hr_bpm: float, *, warn: bool = True) -> Athlete:
    """The athlete with the values a season analysis needs (module docstring).

    Parameters
    ----------
    athlete
        What is known.
    season_peak_hr_bpm
        The highest heart rate recorded in the season's runs (bpm), NaN without HR.
    """
    athlete = athlete or Athlete()
    if athlete.max_hr_bpm is None:
        peak = float(season_peak_hr_bpm)
        age = athlete.finite("age")
        if age is not None:
            value = max(d.tanaka_max_hr_bpm(age), peak) if np.isfinite(peak) else None
            value = value or d.tanaka_max_hr_bpm(age)
            rule = "Tanaka 208 - 0.7 x age (not below the season's highest HR)"
        else:
            value, rule = peak, "the season's highest recorded heart rate"
        if value is not None and np.isfinite(value):
            athlete = athlete.with_values("estimated", rule, max_hr_bpm=value)
    athlete = _defaults(athlete)
    if warn:
        _warn(athlete, ("max_hr_bpm", "rest_hr_bpm"), {})
    return athlete
