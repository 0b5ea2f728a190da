"""Time ``finishline.analyze`` on the two sample marathons, stage by stage, and the user's wait.

Usage::

    .venv/bin/python bench/analyze.py [FILE ...] [--repeat N] [--cli-repeat M]

For each file (default: ``sample_runs/PolarMarathon.fit``, 16,337 records at 1 Hz over 4:32,
and ``sample_runs/TwinCitiesMarathon2014.tcx``, smart recording every ~7 s): the decode time
(``finishline.read``), every stage of ``analyze`` (its ``stage_times``: clean, splits,
efforts, zones, decoupling, stops, final mile, fatigue, risk, verdict, summary), the pipeline
total after decoding against the 0.15 s target, the two budgets of the numpy rewrite measured
alone (fatigue state < 30 ms; best efforts + speed curve < 10 ms, as ``analyze`` calls them
and in one call), and the user's wait for
``finishline analyze FILE --json OUT`` as a subprocess (process start to exit) against
``python -c pass``. Runs are interleaved (every file and command once per round) and medians
reported, with CPU time (``time.process_time``; the child's user + system time for the
subprocesses) beside wall time and the machine's load average: on a shared machine wall time
includes waiting for a core, CPU time much less so. A calibration line (CPU time of a running
sum over 16,384 doubles) shows how slow this machine's cores are at the time of the run, to
compare runs taken under different loads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from wait import child_times, compile_sources, finishline_command

import finishline
from finishline.analysis import analyze
from finishline.athlete import Athlete, for_race
from finishline.definitions import detect_race
from finishline.fatigue import fatigue_state
from finishline.metrics.efforts import best_efforts, best_efforts_and_speed_curve, speed_curve

SAMPLE_RUNS = Path(__file__).resolve().parents[1] / "sample_runs"
DEFAULT_FILES = (SAMPLE_RUNS / "PolarMarathon.fit", SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx")
#: The pipeline after decoding (s).
TARGET_S = 0.15
#: Budgets of the fatigue state and of best efforts + speed curve (s).
FATIGUE_BUDGET_S = 0.030
EFFORTS_BUDGET_S = 0.010


def timed(run: Callable[[], object]) -> tuple[float, float, object]:
    """Wall and CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure(files: list[Path], repeat: int) -> dict[Path, dict[str, list]]:
    """Interleaved in-process runs: decode, analyze (stages), and the two budgets alone."""
    samples: dict[Path, dict[str, list]] = {f: {} for f in files}
    loaded = {}
    for path in files:  # warm-up: imports, caches, the first decode
        activity = finishline.read(path)
        result = analyze(activity)
        athlete = for_race(Athlete(), result.track)
        race = detect_race(float(result.track["distance_m"].iloc[-1]))
        loaded[path] = (result.track, athlete, race)
    for _ in range(repeat):
        for path in files:
            track, athlete, race = loaded[path]
            out = samples[path]
            wall, cpu, activity = timed(lambda p=path: finishline.read(p))
            out.setdefault("read", []).append((wall, cpu))
            wall, cpu, result = timed(lambda a=activity: analyze(a))
            out.setdefault("pipeline", []).append((wall, cpu))
            out.setdefault("stages", []).append(result.stage_times)
            out["rows"] = [(len(activity.samples), len(result.track))]
            wall, cpu, _ = timed(lambda t=track, a=athlete, r=race: fatigue_state(t, a, r))
            out.setdefault("fatigue_state", []).append((wall, cpu))
            wall, cpu, _ = timed(lambda t=track: (best_efforts(t), speed_curve(t)))
            out.setdefault("efforts_curve", []).append((wall, cpu))
            wall, cpu, _ = timed(lambda t=track: best_efforts_and_speed_curve(t))
            out.setdefault("efforts_together", []).append((wall, cpu))
    return samples


def measure_cli(files: list[Path], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Interleaved subprocess runs of ``python -c pass`` and ``finishline analyze``."""
    runs: dict[str, list[tuple[float, float]]] = {"python -c pass": []}
    command = finishline_command()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "analysis.json")
        child_times(command + ["analyze", str(files[0]), "--json", out])  # warm the file cache
        for _ in range(repeat):
            runs["python -c pass"].append(child_times([sys.executable, "-c", "pass"]))
            for path in files:
                key = f"finishline analyze {path.name} --json OUT"
                runs.setdefault(key, []).append(
                    child_times(command + ["analyze", str(path), "--json", out])
                )
    return runs


def calibration_us(rounds: int = 2000) -> float:
    """Median CPU microseconds of ``np.cumsum`` over 16,384 doubles."""
    values = np.random.default_rng(0).random(16_384)
    times = []
    for _ in range(rounds):
        start = time.process_time()
        np.cumsum(values)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1e6


def report(files: list[Path], samples: dict, cli: dict, repeat: int, cli_repeat: int) -> None:
    def wall_cpu(pairs: list[tuple[float, float]]) -> tuple[float, float]:
        return median([p[0] for p in pairs]), median([p[1] for p in pairs])

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs; medians of {repeat} "
        f"interleaved runs ({cli_repeat} for the subprocesses); wall and CPU time"
    )
    print(f"calibration: np.cumsum over 16,384 doubles takes {calibration_us():.1f} us of CPU")
    for path in files:
        s = samples[path]
        records, rows = s["rows"][0]
        print(f"\n{path.name}: {records} records -> {rows} track rows (1 Hz)")
        print(f"  {'':<28}{'wall':>10}{'cpu':>10}")
        wall, cpu = wall_cpu(s["read"])
        print(f"  {'decode (read)':<28}{wall:>9.4f}s{cpu:>9.4f}s")
        for stage in s["stages"][0]:
            wall = median([st[stage] for st in s["stages"]])
            print(f"  {'stage ' + stage:<28}{wall:>9.4f}s{'':>10}")
        wall, cpu = wall_cpu(s["pipeline"])
        verdict = "OK" if wall < TARGET_S else "SLOW"
        print(
            f"  {'pipeline after decoding':<28}{wall:>9.4f}s{cpu:>9.4f}s   target < {TARGET_S} s "
            f"(wall): {verdict}"
        )
        for key, label, budget in (
            ("fatigue_state", "fatigue_state alone", FATIGUE_BUDGET_S),
            ("efforts_curve", "best_efforts + speed_curve", EFFORTS_BUDGET_S),
            ("efforts_together", "best_efforts_and_speed_curve", EFFORTS_BUDGET_S),
        ):
            wall, cpu = wall_cpu(s[key])
            least = min(p[1] for p in s[key])
            print(
                f"  {label:<28}{wall:>9.4f}s{cpu:>9.4f}s   budget < {budget * 1e3:.0f} ms "
                f"(least cpu {least * 1e3:.1f} ms)"
            )
    if cli:
        base_wall, base_cpu = wall_cpu(cli["python -c pass"])
        print("\nthe user's wait (process start to exit)")
        print(f"  {'':<52}{'wall':>9}{'cpu':>9}{'wall - python':>15}")
        for key, pairs in cli.items():
            wall, cpu = wall_cpu(pairs)
            extra = f"{wall - base_wall:>14.3f}s" if key != "python -c pass" else ""
            print(f"  {key:<52}{wall:>8.3f}s{cpu:>8.3f}s{extra}")


def main() -> None:
    compile_sources()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--repeat", type=int, default=9, help="in-process rounds")
    parser.add_argument("--cli-repeat", type=int, default=5, help="subprocess rounds (0: none)")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = measure(args.files, args.repeat)
    cli = measure_cli(args.files, args.cli_repeat) if args.cli_repeat > 0 else {}
    report(args.files, samples, cli, args.repeat, args.cli_repeat)


if __name__ == "__main__":
    main()
