"""Side by side: finishline.read vs gpxpy / tcxreader on the corpus GPX and TCX files.

For each file, in one process and interleaved (finishline, baseline, finishline, ...): the best
and the median wall time of N reads, and their ratio (baseline / finishline, higher is better
for finishline); the ratio of median CPU (process) times too, steadier on a shared machine. The baselines build the same columns (time, lat, lon, altitude, heart rate,
cadence, distance) into a DataFrame, as a user of those libraries would.

Memory: peak RSS growth of one read, measured in a forked child
(``resource.getrusage(...).ru_maxrss`` minus the RSS at the fork), which counts libxml2's and
numpy's C allocations too (tracemalloc sees only Python's).

The user's wait: a fresh interpreter from process start to exit,
``python -c "import finishline; finishline.read(P)"``, against ``python -c pass`` (the
interpreter alone) and ``python -c "import finishline"`` (the imports).

A large GPX (``--large-mb``, 200 MB by default) is generated in a temporary directory by
repeating the Twin Cities marathon's points with increasing times, for the memory bar: peak
RSS growth within 4 x its size + 300 MB.

Run::

    .venv/bin/python bench/read_xml.py [--repeat 9] [--large-mb 200] [--quick]

The machine may be shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import finishline
from finishline.geo import cumulative_distance_m
from finishline.io.xml_compiled import PURE_PYTHON_ENV, compiled, scanner_status

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
#: The marathons and ultras (the bar), then shorter files.
FILES = [
    "gpx/ggps__TwinCitiesMarathon2014__nosport_42.7km.gpx",
    "tcx/ggps__TwinCitiesMarathon2014__run_42.6km.tcx",
    "gpx/ggps__NewRiver50k2015__nosport_50.4km.gpx",
    "tcx/ggps__NewRiver50k2015__run_50.1km.tcx",
    "gpx/ggps__longrun23k__run_23.8km.gpx",
    "tcx/ggps__longrun23k__run_23.4km.tcx",
    "gpx/ggps__activity_17191864852-slow-10k__run_10.0km.gpx",
    "tcx/ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
    "tcx/sweatpy__activity_4801048867__ride_36.3km.tcx",
    "gpx/sweatpy__activity_4801048867__ride_36.3km.gpx",
]
BAR_FILES = FILES[:4]


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


def interleaved(
    fns: list[Callable[[], object]], repeat: int
) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU times of ``repeat`` calls of each of ``fns``, in turn (GC run before each).

    Returns the wall times and the CPU (process) times, one list per function: on a shared
    machine the CPU time is the steadier of the two.
    """
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - start)
            cpu[k].append(time.process_time() - start_cpu)
    return wall, cpu


def read_numpy_path(path: Path) -> object:
    """``finishline.read`` with the compiled scanner switched off (what users without it get)."""
    os.environ[PURE_PYTHON_ENV] = "1"
    try:
        return finishline.read(path)
    finally:
        del os.environ[PURE_PYTHON_ENV]


_IN_A_ROW = """
import resource, statistics, sys, time
import finishline
path, repeat = sys.argv[1], int(sys.argv[2])
finishline.read(path)
cpu = []
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(repeat):
    start = time.process_time()
    finishline.read(path)
    cpu.append(time.process_time() - start)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(statistics.median(cpu) * 1e3, faults / repeat)
"""


def reads_in_a_row(path: Path, repeat: int) -> tuple[float, float]:
    """Median CPU time (ms) and mean minor page faults of ``repeat`` reads in a row, in a fresh
    interpreter that reads nothing else (as a batch reads its files).

    Memory the allocator maps afresh for every read shows up here as page faults (kernel
    time, in the CPU time); the interleaved ratios do not see them, the baselines'
    allocations between reads leaving the allocator holding more memory.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    out = subprocess.run(
        [sys.executable, "-c", _IN_A_ROW, str(path), str(repeat)],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


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


def process_wait(code: str, repeat: int) -> float:
    """Median wall time (s) of a fresh interpreter running ``code``, start to exit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def make_large_gpx(directory: Path, megabytes: float) -> Path:
    """A GPX of about ``megabytes`` MB: the Twin Cities points repeated with increasing times,
    two a second (at one a second 200 MB would span two weeks, which the reader refuses)."""
    source = finishline.read(CORPUS / FILES[0]).samples
    lat = source["lat_deg"].tolist()
    lon = source["lon_deg"].tolist()
    ele = source["altitude_m"].tolist()
    hr = source["heart_rate_bpm"].fillna(0).astype(int).tolist()
    start = pd.Timestamp("2014-10-05T13:07:53Z")
    path = directory / f"large_{megabytes:.0f}MB.gpx"
    target = int(megabytes * 1e6)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
            'xmlns="http://www.topografix.com/GPX/1/1" '
            'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
            "  <trk>\n    <name>large</name>\n    <trkseg>\n"
        )
        second = 0
        while out.tell() < target:
            chunk = []
            for i in range(len(lat)):
                stamp = start + pd.Timedelta(seconds=second)
                moment = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
                second += 0.5  # 2 Hz: 200 MB stays within the 7 days any activity can span
                chunk.append(
                    f'      <trkpt lon="{lon[i]!r}" lat="{lat[i]!r}">\n'
                    f"        <ele>{ele[i]!r}</ele>\n        <time>{moment}</time>\n"
                    "        <extensions>\n          <gpxtpx:TrackPointExtension>\n"
                    f"            <gpxtpx:hr>{hr[i]}</gpxtpx:hr>\n"
                    "          </gpxtpx:TrackPointExtension>\n        </extensions>\n"
                    "      </trkpt>\n"
                )
            out.write("".join(chunk))
        out.write("    </trkseg>\n  </trk>\n</gpx>\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="reads per reader and file")
    parser.add_argument("--large-mb", type=float, default=200, help="size of the generated GPX")
    parser.add_argument("--quick", action="store_true", help="the four bar files only")
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
    print(f"XML scanner: {scanner_status()}")
    print(
        f"{args.repeat} interleaved reads each (compiled, numpy path, baseline); times in ms "
        "(best / median wall); ratio = baseline / finishline of the median CPU (process) time, "
        "steadier than wall time on a shared machine; memory = peak RSS growth of one read"
    )
    has_compiled = compiled() is not None
    header = (
        f"{'file':40s} {'pts':>5s} | {'compiled':>11s} | {'numpy path':>11s} | "
        f"{'baseline':>21s} | {'ratio':>6s} {'numpy':>6s} | {'fl MiB':>6s} {'base MiB':>8s}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[str, tuple[float, float, float]] = {}
    for name in FILES[:4] if args.quick else FILES:
        path = CORPUS / name
        if not path.exists():
            print(f"{name}: missing")
            continue
        base_name, base_fn = (
            ("gpxpy", gpxpy_frame) if name.endswith(".gpx") else ("tcxreader", tcxreader_frame)
        )
        act = finishline.read(path)  # warm imports and caches for both sides
        read_numpy_path(path)
        base = base_fn(path)
        assert len(base) >= len(act.samples) * 0.9, "the baseline read the same points"
        fns = [
            lambda p=path: finishline.read(p),
            lambda p=path: read_numpy_path(p),
            lambda p=path, f=base_fn: f(p),
        ]
        wall, cpu = interleaved(fns, args.repeat)
        m_fl = peak_memory_mib(lambda p=path: finishline.read(p))
        m_base = peak_memory_mib(lambda p=path, f=base_fn: f(p))
        med_cpu = [statistics.median(c) for c in cpu]
        med_wall = [statistics.median(w) for w in wall]
        ratio, numpy_ratio = med_cpu[2] / med_cpu[0], med_cpu[2] / med_cpu[1]
        ratios[name] = (ratio, numpy_ratio, med_wall[2] / med_wall[0])
        cells = [f"{min(w) * 1e3:5.1f} {m * 1e3:5.1f}" for w, m in zip(wall, med_wall, strict=True)]
        print(
            f"{path.name[:40]:40s} {len(act.samples):5d} | {cells[0]} | {cells[1]} | "
            f"{base_name:>9s} {cells[2]} | {ratio:5.1f}x {numpy_ratio:5.1f}x"
            f" | {m_fl:6.1f} {m_base:8.1f}"
        )
    for name in BAR_FILES:
        if name in ratios:
            goal = 20 if name.endswith(".gpx") else 10
            ratio, numpy_ratio, wall_ratio = ratios[name]
            verdict = "meets" if ratio >= goal and has_compiled else "BELOW"
            print(
                f"  bar {goal:>2d}x: {Path(name).name[:46]:46s} cpu {ratio:5.1f}x (wall "
                f"{wall_ratio:5.1f}x) {verdict}; numpy path {numpy_ratio:5.1f}x"
            )
    if not has_compiled:
        print("  (the compiled scanner is not in use: both columns read with numpy)")
    for name in BAR_FILES if ratios else ():
        cpu_ms, faults = reads_in_a_row(CORPUS / name, args.repeat)
        print(
            f"  {Path(name).name[:46]:46s} read {args.repeat} times in a row (no other reader "
            f"between): median CPU {cpu_ms:5.1f} ms, {faults:5.0f} page faults a read"
        )

    print("\nthe user's wait (fresh interpreter, start to exit, median of 5):")
    marathon = CORPUS / FILES[0]
    bare = process_wait("pass", 5)
    imports = process_wait("import finishline", 5)
    reading = process_wait(f"import finishline; finishline.read({str(marathon)!r})", 5)
    print(f"  python -c pass                      {bare * 1e3:7.0f} ms")
    print(f"  python -c 'import finishline'       {imports * 1e3:7.0f} ms")
    print(f"  ... + finishline.read(marathon GPX) {reading * 1e3:7.0f} ms")

    if args.large_mb > 0:
        with tempfile.TemporaryDirectory() as tmp:
            large = make_large_gpx(Path(tmp), args.large_mb)
            size_mb = large.stat().st_size / 2**20
            gc.collect()
            start = time.perf_counter()
            act = finishline.read(large)
            elapsed = time.perf_counter() - start
            n = len(act.samples)
            del act
            peak = peak_memory_mib(lambda: finishline.read(large))
            bound = 4 * size_mb + 300
            print(
                f"\nlarge GPX: {size_mb:.0f} MiB, {n} points: read in {elapsed:.1f} s; peak RSS "
                f"growth {peak:.0f} MiB (bar: 4 x size + 300 = {bound:.0f} MiB: "
                f"{'meets' if peak <= bound else 'ABOVE'})"
            )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
