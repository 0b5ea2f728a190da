"""Side by side: finishline.read vs gpxpy / tcxreader on the long GPX and TCX files.

For each file: best-of-N wall time (all readers in this one process, interleaved) and peak
memory growth of one read. Memory is measured in a forked child as the growth of its peak RSS
(``resource.getrusage(...).ru_maxrss`` minus the RSS at the fork), which counts libxml2's C
allocations too (tracemalloc sees only Python's). The baselines build the same columns
(time, lat, lon, altitude, heart rate, cadence, distance) into a DataFrame, as a user of those
libraries would.

Run::

    .venv/bin/python bench/read_xml.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import finishline
from finishline.geo import cumulative_distance_m

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = [
    "gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx",
    "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx",
    "gpx/ggps__NewRiver50k2015__nosport_50.4km.gpx",
    "tcx/ggps__NewRiver50k2015__run_50.1km.tcx",
    "gpx/ggps__activity_17191864852-slow-10k__run_10.0km.gpx",
    "tcx/ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
    "gpx/ggps__longrun23k__run_23.8km.gpx",
    "tcx/ggps__longrun23k__run_23.4km.tcx",
    "tcx/sweatpy__activity_4801048867__ride_36.3km.tcx",
]


def gpxpy_frame(path: Path) -> pd.DataFrame:
    """gpxpy: parse, then one row per point with the extension fields, then distance."""
    import gpxpy

    with path.open(encoding="utf-8-sig") as fh:
        doc = gpxpy.parse(fh)
    rows = []
    for trk in doc.tracks:
        for seg in trk.segments:
            for p in seg.points:
                ext = {}
                for e in p.extensions:
                    for child in e.iter():
                        ext[child.tag.rpartition("}")[2]] = child.text
                rows.append(
                    (p.time, p.latitude, p.longitude, p.elevation, ext.get("hr"), ext.get("cad"))
                )
    df = pd.DataFrame(rows, columns=["time", "lat", "lon", "ele", "hr", "cad"])
    df["hr"] = pd.to_numeric(df["hr"])
    df["cad"] = pd.to_numeric(df["cad"])
    df["distance"] = cumulative_distance_m(df["lat"].to_numpy(), df["lon"].to_numpy())
    return df.set_index("time")


def tcxreader_frame(path: Path) -> pd.DataFrame:
    """tcxreader: read, then one row per trackpoint object."""
    from tcxreader.tcxreader import TCXReader

    ex = TCXReader().read(str(path))
    rows = [
        (
            t.time,
            t.latitude,
            t.longitude,
            t.elevation,
            t.hr_value,
            t.cadence,
            t.distance,
            (t.tpx_ext or {}).get("Speed"),
        )
        for t in ex.trackpoints
    ]
    cols = ["time", "lat", "lon", "ele", "hr", "cad", "distance", "speed"]
    return pd.DataFrame(rows, columns=cols).set_index("time")


def best_time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_memory_mib(fn: Callable[[], object]) -> float:
    """Peak RSS growth (MiB) of one call, measured in a forked child."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        gc.collect()
        before = _rss_kib()
        fn()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        os.write(write_fd, str(max(peak - before, 0)).encode())
        os._exit(0)
    os.close(write_fd)
    data = os.read(read_fd, 64)
    os.close(read_fd)
    os.waitpid(pid, 0)
    return int(data or b"0") / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="best of N runs (default 7)")
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    header = (
        f"{'file':52s} {'pts':>5s} {'finishline':>10s} {'baseline':>19s} {'ratio':>6s}"
        f" {'fl MiB':>7s} {'base MiB':>8s}"
    )
    print(f"best of {args.repeat}; memory = peak RSS growth of one read")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(header)
    print("-" * len(header))
    for name in FILES:
        path = CORPUS / name
        if not path.exists():
            print(f"{name}: missing")
            continue
        base_name, base_fn = (
            ("gpxpy", gpxpy_frame) if name.endswith(".gpx") else ("tcxreader", tcxreader_frame)
        )
        act = finishline.read(path)  # warm imports and caches for both sides
        base = base_fn(path)
        assert len(base) >= len(act.samples) * 0.95, "the baseline read the same points"
        t_fl = best_time(lambda p=path: finishline.read(p), args.repeat)
        t_base = best_time(lambda p=path, f=base_fn: f(p), args.repeat)
        m_fl = peak_memory_mib(lambda p=path: finishline.read(p))
        m_base = peak_memory_mib(lambda p=path, f=base_fn: f(p))
        print(
            f"{path.name[:52]:52s} {len(act.samples):5d} {t_fl * 1e3:8.1f}ms "
            f"{base_name:>9s} {t_base * 1e3:7.1f}ms {t_base / t_fl:5.1f}x"
            f" {m_fl:7.1f} {m_base:8.1f}"
        )
    print("ratio = baseline time / finishline time (higher is better for finishline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
