"""Time the race report on a 4-hour 1 Hz marathon: each figure, the HTML, the file size.

Usage: ``.venv/bin/python bench/report.py [FILE]`` (default: a synthetic 4:00:00 marathon with
HR, cadence, altitude and GPS at 1 Hz, analysed by :func:`finishline.analysis.analyze`).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from finishline.activity import ActivityMeta, make_activity
from finishline.analysis import analyze
from finishline.viz.report import race_figures, race_report_html, write_race_report

MARATHON_M = 42195.0
DURATION_S = 4 * 3600


def synthetic_marathon() -> object:
    """A 4:00:00 marathon at 1 Hz: even pace with a late fade, hills, HR drift, a GPS loop."""
    t = np.arange(DURATION_S + 1, dtype="float64")
    rng = np.random.default_rng(7)
    shape = 1.0 + 0.12 * np.clip((t - 0.7 * DURATION_S) / (0.3 * DURATION_S), 0, 1)
    speed = 1.0 / shape
    speed *= MARATHON_M / speed.sum()
    speed += rng.normal(0, 0.05, t.size)
    dist = np.cumsum(speed) - speed[0]
    angle = dist / MARATHON_M * 2 * np.pi
    samples = pd.DataFrame(
        {
            "distance_m": dist,
            "speed_mps": speed,
            "altitude_m": 250 + 20 * np.sin(dist / 3000 * 2 * np.pi),
            "heart_rate_bpm": np.linspace(145, 168, t.size) + rng.normal(0, 1.5, t.size),
            "cadence_spm": np.linspace(172, 162, t.size) + rng.normal(0, 1.0, t.size),
            "lat_deg": 44.95 + 0.05 * np.sin(angle),
            "lon_deg": -93.2 + 0.07 * (1 - np.cos(angle)),
        },
        index=pd.date_range("2024-10-06 13:00", periods=t.size, freq="1s", tz="UTC"),
    )
    return make_activity(samples, ActivityMeta(format="fit", sport="running"))


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else None
    activity = synthetic_marathon() if source is None else source
    t0 = time.perf_counter()
    analysis = analyze(activity)
    t_analyze = time.perf_counter() - t0
    print(f"input: {source or 'synthetic 4:00:00 marathon, 1 Hz'} ({len(analysis.track)} s)")
    print(f"analyze (not part of the report):   {t_analyze * 1000:8.1f} ms")

    race_figures(analysis)  # warm-up: imports, template
    t0 = time.perf_counter()
    figures = race_figures(analysis)
    t_figures = time.perf_counter() - t0
    print(f"all figures:                         {t_figures * 1000:8.1f} ms")
    for name, fig in figures.items():
        points = sum(len(tr.x) if tr.x is not None else 0 for tr in fig.data)
        print(f"  {name:<12} {len(fig.to_json()) / 1024:8.1f} KiB JSON  {points:6d} points")

    t0 = time.perf_counter()
    html = race_report_html(analysis)
    t_html = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = write_race_report(analysis, Path(tmp) / "report.html")
        t_write = time.perf_counter() - t0
        size = path.stat().st_size
    from plotly.offline import get_plotlyjs

    js = len(get_plotlyjs().encode("utf-8"))
    print(f"race_report_html (figures + HTML):   {t_html * 1000:8.1f} ms")
    print(f"write_race_report (to disk):         {t_write * 1000:8.1f} ms")
    print(
        f"report size: {size / 1e6:.2f} MB ({js / 1e6:.2f} MB plotly.js inline, "
        f"{(size - js) / 1e3:.0f} kB figures, table and markup); html chars {len(html)}"
    )


if __name__ == "__main__":
    main()
