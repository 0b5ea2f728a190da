"""Benchmark ``finishline train`` where users wait: cold and cached, on a large folder.

Usage::

    python bench/train.py [--files 2000] [--set DIR] [--repeat 3] [--cold-split]

Builds a set of ``--files`` activity files by copying the real corpus runs (GPX/TCX/FIT,
every file ``read_many`` analyses as a run) round after round, each round's copies moved by a
whole number of weeks (every timestamp in the file: GPX/TCX dates rewritten, FIT date_time
fields shifted and the CRC recomputed), so that no file is a byte-duplicate of another and
each copy is another run of one long season. ``--set DIR`` keeps the set between runs.

Then it times what the user waits for, as a subprocess from process start to exit (wall and
CPU time of the process and its workers): ``finishline train DIR --cache C --json OUT`` cold
(empty cache) and cached (the rerun), against ``python -c pass``; medians of ``--repeat``
interleaved runs. It prints the in-process split of a cached run (discover, hash, read,
season, JSON; ``--cold-split`` adds a cold one) and times the duplicate sweep over 20,000
records. The machine's load average is printed with every figure: timings on a shared
machine are noisy, CPU times less so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import struct
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wait import child_times, compile_sources, finishline_command, load

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
WEEK_S = 7 * 86_400

#: FIT date_time fields shifted besides field 253 (timestamp): global message -> field numbers.
_FIT_TIME_FIELDS = {0: (4,), 18: (2,), 19: (2,), 34: (5,), 101: (2,)}
#: FIT times below this are relative (seconds since device power-on), not dates.
_FIT_MIN_ABSOLUTE = 0x10000000
_ISO_DATE = re.compile(rb"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?=T\d{2}:\d{2})")


def shift_fit(data: bytes, seconds: int) -> bytes:
    """A FIT file with every absolute date_time moved by ``seconds`` (a multiple of 32, so
    compressed-timestamp headers stay valid) and each chained file's CRC recomputed."""
    from finishline.io.fit_crc import crc16

    if seconds % 32:
        raise ValueError("FIT shifts must be a multiple of 32 s")
    buf = bytearray(data)
    pos = 0
    while pos + 12 <= len(buf) and buf[pos + 8 : pos + 12] == b".FIT":
        header = buf[pos]
        end = pos + header + struct.unpack_from("<I", buf, pos + 4)[0]
        if end + 2 > len(buf):
            break
        _shift_fit_records(buf, pos + header, end, seconds)
        struct.pack_into("<H", buf, end, crc16(bytes(buf[pos:end])))
        pos = end + 2
    return bytes(buf)


def _shift_fit_records(buf: bytearray, p: int, end: int, seconds: int) -> None:
    layouts: dict[int, tuple[str, int, list[int]]] = {}
    while p < end:
        head = buf[p]
        p += 1
        if head & 0x80:  # compressed timestamp header
            local = (head >> 5) & 0x3
        elif head & 0x40:  # definition message
            endian = ">" if buf[p + 1] else "<"
            global_num = struct.unpack_from(endian + "H", buf, p + 2)[0]
            n_fields, p = buf[p + 4], p + 5
            time_fields = (253, *_FIT_TIME_FIELDS.get(global_num, ()))
            offsets, size = [], 0
            for k in range(n_fields):
                number, field_size = buf[p + 3 * k], buf[p + 3 * k + 1]
                if field_size == 4 and number in time_fields:
                    offsets.append(size)
                size += field_size
            p += 3 * n_fields
            if head & 0x20:  # developer fields
                n_dev, p = buf[p], p + 1
                size += sum(buf[p + 3 * k + 1] for k in range(n_dev))
                p += 3 * n_dev
            layouts[head & 0x0F] = (endian, size, offsets)
            continue
        else:
            local = head & 0x0F
        endian, size, offsets = layouts[local]
        for offset in offsets:
            value = struct.unpack_from(endian + "I", buf, p + offset)[0]
            if _FIT_MIN_ABSOLUTE <= value < 0xFFFFFFFF:
                struct.pack_into(endian + "I", buf, p + offset, value + seconds)
        p += size


def shift_xml(data: bytes, days: int) -> bytes:
    """A GPX/TCX file with the date of every ISO 8601 timestamp moved by ``days``."""
    import datetime as dt

    memo: dict[bytes, bytes] = {}

    def moved(match: re.Match[bytes]) -> bytes:
        text = match.group(0)
        if text not in memo:
            day = dt.date(*(int(g) for g in match.groups())) + dt.timedelta(days=days)
            memo[text] = day.isoformat().encode()
        return memo[text]

    return _ISO_DATE.sub(moved, data)


def shifted_copy(source: Path, target: Path, weeks: int) -> None:
    """Copy ``source`` to ``target`` with every timestamp ``weeks`` weeks later."""
    data = source.read_bytes()
    if source.suffix.lower() == ".fit":
        data = shift_fit(data, weeks * WEEK_S)
    else:
        data = shift_xml(data, weeks * 7)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def corpus_runs(cache: Path) -> list[Path]:
    """Every corpus file under fit/, gpx/, tcx/ that ``read_many`` analyses as a run."""
    from finishline.training.batch import read_many

    batch = read_many(
        [CORPUS / "fit", CORPUS / "gpx", CORPUS / "tcx"], cache_dir=cache, progress=False
    )
    return sorted(Path(f) for f in batch.activities["file"])


def build_set(folder: Path, n_files: int, cache: Path) -> dict[str, Any]:
    """Fill ``folder`` with ``n_files`` shifted copies of the corpus runs (kept if present)."""
    stamp = folder / ".bench-set.json"
    if stamp.exists() and json.loads(stamp.read_text())["files"] == n_files:
        return json.loads(stamp.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    runs = corpus_runs(cache)
    for k in range(n_files):
        source = runs[k % len(runs)]
        weeks = 1 + k // len(runs)
        shifted_copy(source, folder / f"r{weeks:03d}" / f"{k:05d}_{source.name}", weeks)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    info = {"files": n_files, "bytes": size, "sources": len(runs)}
    stamp.write_text(json.dumps(info))
    return info


def train_argv(folder: Path, cache: Path, out: Path) -> list[str]:
    return [*finishline_command(), "train", str(folder), "--cache", str(cache), "--json", str(out)]


def stage(name: str, func: Callable[[], Any], times: dict[str, tuple[float, float]]) -> Any:
    """Run ``func``; record its (wall, CPU) seconds under ``name``."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
    return out


def in_process_split(folder: Path, cache: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per stage of one run in this process: imports, discover, hash
    (path index), read (cache hits and the pool), assemble (duplicates, tables), season,
    JSON (``to_json`` and the text)."""
    times: dict[str, tuple[float, float]] = {}

    def imports() -> Any:
        import pyarrow.ipc  # noqa: F401

        from finishline.jsonable import jsonable
        from finishline.training import batch
        from finishline.training.cache import content_hashes
        from finishline.training.dispatch import run_batch
        from finishline.training.season import analyze_season

        return jsonable, batch, content_hashes, run_batch, analyze_season

    jsonable, batch, content_hashes, run_batch, analyze_season = stage("imports", imports, times)
    files, hints = stage("discover", lambda: batch.discover(folder), times)
    files = [os.path.abspath(f) for f in files]
    hashes = stage("hash", lambda: content_hashes(files, str(cache)), times)
    records = stage(
        "read", lambda: run_batch(files, str(cache), hints, progress=False, hashes=hashes), times
    )
    result = stage("assemble", lambda: batch.assemble(records, [str(folder)]), times)
    season = stage("season", lambda: analyze_season(result), times)
    stage("JSON", lambda: json.dumps(jsonable(season.to_json()), indent=2), times)
    return times


def duplicate_sweep_s(n: int = 20_000) -> float:
    """Seconds to mark duplicates among ``n`` records (plus one same-start twin)."""
    import pandas as pd

    from finishline.training.batch import mark_duplicates

    base = pd.Timestamp("2020-01-01T06:00:00Z")
    records = [
        {
            "file": f"r{i:05d}.gpx",
            "sha256": f"{i:064x}",
            "status": "ok",
            "start_time": (base + pd.Timedelta(hours=7 * i)).isoformat(),
            "sport": "running",
            "format": "gpx",
        }
        for i in range(n)
    ]
    t0 = time.perf_counter()
    mark_duplicates(records)
    return time.perf_counter() - t0


def main() -> None:
    compile_sources()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--set", type=Path, help="keep the built set in this folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold-split", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="finishline-bench-") as tmp:
        work = Path(tmp)
        folder = args.set or work / "set"
        info = build_set(folder, args.files, work / "select-cache")
        print(
            f"set: {info['files']} files, {info['bytes'] / 1e6:.0f} MB, "
            f"copies of {info['sources']} corpus runs ({folder})"
        )
        runs: dict[str, list[tuple[float, float]]] = {
            "python -c pass": [],
            "cold": [],
            "cached": [],
        }
        loads = []
        for k in range(args.repeat):
            cache, out = work / f"cache{k}", work / f"season{k}.json"
            runs["python -c pass"].append(child_times([sys.executable, "-c", "pass"]))
            loads.append(load())
            runs["cold"].append(child_times(train_argv(folder, cache, out)))
            loads.append(load())
            runs["cached"].append(child_times(train_argv(folder, cache, out)))
            loads.append(load())
            print(
                f"  round {k + 1}: cold {runs['cold'][-1][0]:.2f} s "
                f"(CPU {runs['cold'][-1][1]:.1f} s), cached {runs['cached'][-1][0]:.2f} s "
                f"(CPU {runs['cached'][-1][1]:.2f} s); {loads[-1]}"
            )
            if k < args.repeat - 1:
                shutil.rmtree(cache)
        n_runs = len(json.loads((work / "season0.json").read_text())["activities"])
        print(f"finishline train DIR --cache C --json OUT ({n_runs} runs in the season):")
        medians = {}
        for name, values in runs.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            medians[name] = wall
            print(f"  {name:15s} wall {wall:7.2f} s   CPU {cpu:7.2f} s   (median of {len(values)})")
        print(f"  cold / cached   {medians['cold'] / medians['cached']:7.1f} x")
        print(f"  loads during the runs: {'; '.join(loads)}")
        cache = work / f"cache{args.repeat - 1}"
        splits = {"cached": in_process_split(folder, cache)}
        if args.cold_split:
            splits["cold"] = in_process_split(folder, work / "cold-split-cache")
        for name, times in splits.items():
            parts = ", ".join(f"{k} {w:.3f} ({c:.3f})" for k, (w, c) in times.items())
            total_wall = sum(w for w, _ in times.values())
            total_cpu = sum(c for _, c in times.values())
            print(
                f"in-process {name} run, wall (CPU) s: {parts}; "
                f"total {total_wall:.2f} ({total_cpu:.2f}); {load()}"
            )
        sweep = statistics.median(duplicate_sweep_s() for _ in range(3))
        print(f"duplicate sweep over 20,000 records: {sweep:.3f} s (median of 3); {load()}")


if __name__ == "__main__":
    main()
