"""Classify a run, and check that exit-0 output stays within physical ranges.

Classes, in the order of the report table:

``ok``
    Exit 0 and strict JSON (``json.loads`` refusing NaN/Infinity) within physical ranges.
``clean_error``
    Exit 2 and a one-line ``finishline: error: ...`` message (warnings before it allowed).
``two_line``
    A message that spills onto a second line (libxml2 text carries newlines).
``internal``
    Exit 3: an exception other than FinishlineError reached the CLI's last line of defence.
``memory``
    A MemoryError (or numpy's "Unable to allocate") under the address-space cap.
``timeout``
    Over the time limit.
``crash``
    A traceback, a signal or another exit code.
``out_of_range``
    Exit 0 but the JSON is not strict or a value is physically impossible.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any, NamedTuple

from fuzz.runner import RunResult

CLASSES = (
    "ok",
    "clean_error",
    "two_line",
    "internal",
    "memory",
    "timeout",
    "crash",
    "out_of_range",
)
#: Classes that fail the bounded test.
FAILURES = ("two_line", "internal", "memory", "timeout", "crash", "out_of_range")

#: Physical bounds used by the checks (kept independent of finishline.definitions on purpose:
#: the harness judges the library, it does not share its thresholds).
HR_BPM = (25.0, 250.0)
MAX_SPEED_MPS = 100.0
MAX_SPAN_S = 7 * 86_400.0
MAX_DISTANCE_M = MAX_SPEED_MPS * MAX_SPAN_S
MAX_MEAN_INTERVAL_S = 3600.0
PACE_RATIO = (0.2, 50.0)


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_json(text: str) -> Any:
    """Parse JSON refusing NaN, Infinity and -Infinity."""
    return json.loads(text, parse_constant=_reject_constant)


def _walk(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, obj


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _key(path: str) -> str:
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def check_values(obj: Any) -> list[str]:
    """Problems found in any finishline JSON by key names (units are in the names)."""
    problems = []
    for path, value in _walk(obj):
        x = _number(value)
        if x is None:
            continue
        key = _key(path)
        if not math.isfinite(x):
            problems.append(f"{path} = {value} (not finite)")
        elif ("hr" in key and key.endswith("bpm") and not key.startswith(("low", "high"))) or (
            path.endswith("_hr_bpm.value") or key in ("avg_hr", "max_hr")
        ):
            if not HR_BPM[0] <= x <= HR_BPM[1]:
                problems.append(f"{path} = {x:g} bpm (outside {HR_BPM[0]:g}-{HR_BPM[1]:g})")
        elif key.endswith("_mps") or path.endswith("_mps.value"):
            if not 0.0 <= x <= MAX_SPEED_MPS:
                problems.append(f"{path} = {x:g} m/s")
        elif key.startswith("pace_s_per") or key.endswith("pace_s_per_km"):
            if x < 1000.0 / MAX_SPEED_MPS:
                problems.append(f"{path} = {x:g} s/km (faster than {MAX_SPEED_MPS:g} m/s)")
        elif key in ("p_fail", "p_lo", "p_hi", "p_splits", "p_splits_lo", "p_splits_hi"):
            if not 0.0 <= x <= 1.0:
                problems.append(f"{path} = {x:g} (probability outside [0, 1])")
        elif key in ("fraction", "glycogen_used_fraction", "cs_fraction_of_time"):
            if not 0.0 <= x <= 1.0 + 1e-9:
                problems.append(f"{path} = {x:g} (fraction outside [0, 1])")
        elif key in ("pace_ratio", "gap_pace_ratio", "final_mile_pace_ratio"):
            if not PACE_RATIO[0] <= x <= PACE_RATIO[1]:
                problems.append(f"{path} = {x:g} (pace ratio outside {PACE_RATIO})")
        elif key in (
            "elapsed_s",
            "timer_s",
            "moving_s",
            "device_timer_s",
            "time_s",
            "stop_s",
            "walk_s",
            "duration_s",
            "moving_time_s",
        ):
            if not 0.0 <= x <= MAX_SPAN_S:
                problems.append(f"{path} = {x:g} s (outside 0-{MAX_SPAN_S:g})")
        elif key in ("distance_m", "elev_gain_m", "elev_loss_m", "ascent_m", "start_m", "end_m"):
            if not 0.0 <= x <= MAX_DISTANCE_M:
                problems.append(f"{path} = {x:g} m")
    return problems


def check_summary(obj: Any) -> list[str]:
    """Problems in ``finishline summary --json`` output."""
    if not isinstance(obj, dict):
        return ["summary JSON is not an object"]
    problems = check_values(obj)
    elapsed, n = _number(obj.get("elapsed_s")), _number(obj.get("n_samples"))
    distance, timer = _number(obj.get("distance_m")), _number(obj.get("timer_s"))
    if elapsed is not None and n is not None and n >= 1 and elapsed > n * MAX_MEAN_INTERVAL_S:
        problems.append(f"elapsed {elapsed:g} s from {n:g} samples (a sample per hour or rarer)")
    if elapsed is not None and distance is not None and distance > MAX_SPEED_MPS * elapsed + 1000:
        problems.append(f"distance {distance:g} m in {elapsed:g} s")
    if elapsed is not None and timer is not None and timer > elapsed * 1.5 + 600:
        problems.append(f"timer {timer:g} s longer than elapsed {elapsed:g} s")
    ascent = _number(obj.get("ascent_m"))
    if ascent is not None and distance is not None and ascent > distance + 1000:
        problems.append(f"ascent {ascent:g} m over {distance:g} m")
    return problems


def check_analysis(obj: Any) -> list[str]:
    """Problems in ``finishline analyze --json`` output."""
    if not isinstance(obj, dict) or not isinstance(obj.get("summary"), dict):
        return ["analysis JSON has no summary object"]
    problems = check_values(obj)
    s = obj["summary"]
    elapsed, moving = _number(s.get("elapsed_s")), _number(s.get("moving_s"))
    distance = _number(s.get("distance_m"))
    if elapsed is not None and moving is not None and moving > elapsed + 1.0:
        problems.append(f"moving {moving:g} s longer than elapsed {elapsed:g} s")
    if elapsed is not None and distance is not None and distance > MAX_SPEED_MPS * elapsed + 1000:
        problems.append(f"distance {distance:g} m in {elapsed:g} s")
    return problems


def _message_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


class Verdict(NamedTuple):
    """A run's class, a one-line detail, and every problem found (one per line of detail)."""

    cls: str
    detail: str
    problems: tuple[str, ...] = ()


def classify(result: RunResult, command: str) -> Verdict:
    """The :class:`Verdict` on one run of ``command`` (``summary``, ``analyze`` or ``html``)."""
    cls, detail, problems = _classify(result, command)
    return Verdict(cls, detail, tuple(problems) if problems else (detail,) if detail else ())


def _classify(result: RunResult, command: str) -> tuple[str, str, list[str]]:
    lines = _message_lines(result.stderr)
    last = lines[-1] if lines else ""
    if result.timed_out:
        return "timeout", f"over the limit after {result.seconds:.1f} s", []
    if "MemoryError" in result.stderr or "Unable to allocate" in result.stderr:
        return "memory", last[:300], []
    if result.signal is not None:
        return "crash", f"killed by signal {result.signal}; {last[:200]}", []
    if "Traceback (most recent call last)" in result.stderr:
        return "crash", last[:300], []
    stray = [line for line in lines if not line.startswith("finishline: ")]
    if result.exit_code == 3:
        return "internal", last[:300], []
    if stray:
        return "two_line", " | ".join(lines)[:300], []
    if result.exit_code == 2:
        errors = [line for line in lines if line.startswith("finishline: error: ")]
        if len(errors) == 1:
            return "clean_error", errors[0][:300], []
        return "two_line", " | ".join(lines)[:300], []
    if result.exit_code != 0:
        return "crash", f"exit {result.exit_code}: {last[:200]}", []
    if command == "html":
        return "ok", "", []
    try:
        obj = strict_json(result.stdout)
    except ValueError as exc:
        return "out_of_range", f"not strict JSON: {exc}"[:300], []
    problems = check_summary(obj) if command == "summary" else check_analysis(obj)
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return "out_of_range", "; ".join(problems[:3]) + more, problems
    return "ok", "", []
