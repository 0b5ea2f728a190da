"""Time ``finishline.analyze`` on a marathon file, stage by stage.

Usage::

    .venv/bin/python bench/analyze.py [FILE] [--repeat N]

Decoding is timed separately (``read``); the pipeline total excludes it and includes every
stage of ``analyze``: clean, splits, efforts, zones, decoupling, stops, final mile, fatigue
state, the risk timeline (chip-split model at every km + physiological adjustment) and the
verdict. The target is under
0.5 s for a 4-hour 1 Hz marathon (the Polar marathon: 16,337 records at 1 Hz, 4:32).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import finishline
from finishline.analysis import analyze

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared/corpus/fit/polarri__outdoor_marathon_Polar__run_43.1km.fit"
)
TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        activity = finishline.read(args.file)
        read_s = time.perf_counter() - t0
        analyze(activity)  # warm-up (imports, caches)
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = analyze(activity)
            runs.append((time.perf_counter() - t0, result.stage_times))
    totals = [r[0] for r in runs]
    best = min(runs, key=lambda r: r[0])
    print(f"file      {Path(args.file).name}")
    print(f"samples   {len(activity.samples)} -> track {len(result.track)} rows (1 Hz)")
    print(f"read      {read_s:.3f} s (decoding, excluded from the pipeline)")
    print("stage      median_s   best-run_s")
    for stage in best[1]:
        med = statistics.median(r[1][stage] for r in runs)
        print(f"{stage:<10} {med:9.4f}   {best[1][stage]:9.4f}")
    med_total = statistics.median(totals)
    print(f"pipeline  median {med_total:.3f} s, best {min(totals):.3f} s over {args.repeat} runs")
    verdict = "OK" if med_total < TARGET_S else "SLOW"
    print(f"target    < {TARGET_S} s: {verdict} ({med_total / TARGET_S:.2f} of the budget)")


if __name__ == "__main__":
    main()
