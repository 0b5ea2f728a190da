"""Side-by-side FIT decoding benchmark: finishline against Garmin's FIT SDK, fitparse and
fitdecode, on marathon-length and longer files.

For every file, in one process, it prints the best-of-N and the median wall time and CPU time
of:

- the walk+gather floor: walking the message headers (``fit_walk.walk``, the CRC included)
  and gathering the record messages' bytes into a (records x bytes) matrix: what any decoder
  of this file must do before it decodes a field;
- ``finishline.read(path)``: the full Activity (the fast engine, the default), and two of its
  parts: ``fit_fast.decode`` (the message tables) and ``make_activity`` (the schema checks of
  :mod:`finishline.activity` on the finished tables);
- garmin-fit-sdk, fitparse and fitdecode each building the same record table (a DataFrame of
  the ``record`` messages);

then the bar: ``finishline.read`` at least 25x faster than garmin-fit-sdk and at most 2x the
floor (by CPU time, the robust figure on a shared machine; wall time is printed beside it). The
floor, the read and its parts run in turn, one run each per round, and the floor ratio is of
their CPU-time medians; the machine's load average is printed with each file.
Finally the user's wait: a fresh ``python -c "import finishline; finishline.read(PATH)"`` from
process start to exit, against ``python -c pass``.

A 24 h ultra file at 1 Hz is generated from the Polar marathon's record layout: its real record
messages are repeated with increasing timestamps, under a correct header and CRC.

Usage::

    .venv/bin/python bench/decode.py [--repeat N] [--slow-repeat N] [--quick] [--no-wait]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import fitdecode
import numpy as np
import pandas as pd
from fitparse import FitFile
from fitparse.utils import FitParseError
from garmin_fit_sdk import Decoder, Stream

import finishline
from finishline.activity import ActivityMeta, make_activity
from finishline.io import fit_fast
from finishline.io.fit import activity_from_messages
from finishline.io.fit_crc import crc16
from finishline.io.fit_walk import Definition, walk

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = [
    "fit/polarri__outdoor_marathon_Polar__run_43.1km.fit",
    "fit/fitparse__garmin-edge-500-activity__ride_92.6km.fit",
    "bad/fitparse__coros-pace-2-cycling-misaligned-fields__ride_32.1km.fit",
    "bad/fitparse__activity-large-fenxi2-multisport__multisport_69.8km.fit",
]
ULTRA_SECONDS = 24 * 3600


def fitparse_records(path: Path) -> pd.DataFrame:
    """fitparse's record table (the records before the point where it stops, if it does)."""
    rows = []
    try:
        for m in FitFile(str(path)).get_messages("record"):
            rows.append({f.name: f.value for f in m.fields})
    except FitParseError:  # the COROS file: a one-byte uint32 field
        pass
    return pd.DataFrame(rows)


def fitdecode_records(path: Path) -> pd.DataFrame:
    """fitdecode's record table (the records before the point where it stops, if it does)."""
    rows = []
    warnings.filterwarnings("ignore", message="invalid field size", module="fitdecode")
    try:
        with fitdecode.FitReader(str(path)) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                    rows.append({f.name: f.value for f in frame.fields})
    except fitdecode.FitError:
        pass
    return pd.DataFrame(rows)


def garmin_sdk_records(path: Path) -> pd.DataFrame:
    messages, _errors = Decoder(Stream.from_byte_array(path.read_bytes())).read()
    return pd.DataFrame(messages.get("record_mesgs", []))


def walk_and_gather(data: bytes) -> list[np.ndarray]:
    """The floor: every message header walked, the record messages' bytes gathered."""
    result = walk(data)
    buf = np.frombuffer(data, dtype=np.uint8)
    return [
        buf[d.offsets[:, None] + np.arange(d.size, dtype=np.int64)]
        for d in result.definitions
        if d.name == "record" and d.rows.size
    ]


def _definition_bytes(definition: Definition, local: int) -> bytes:
    endian = ">" if definition.big_endian else "<"
    out = struct.pack(endian + "BBBHB", 0x40 | local, 0, int(definition.big_endian),
                      definition.global_num, len(definition.fields))  # fmt: skip
    for spec in definition.fields:
        type_byte = spec.base.number | (0x80 if spec.base.size > 1 else 0)
        out += struct.pack("3B", spec.num, spec.nbytes, type_byte)
    return out


def write_ultra(template: Path, out_path: Path, seconds: int = ULTRA_SECONDS) -> None:
    """A 1 Hz file of ``seconds`` records repeating the template's real record messages."""
    data = template.read_bytes()
    result = walk(data)
    file_id = next(d for d in result.definitions if d.name == "file_id" and d.rows.size)
    records = max((d for d in result.definitions if d.name == "record"), key=lambda d: d.rows.size)
    if any(s.dev is not None for s in records.fields + file_id.fields):
        raise ValueError("template with developer fields is not supported")
    if sum(s.nbytes for s in records.fields) != records.size:
        raise ValueError("template record layout with skipped fields is not supported")
    ts = next(s for s in records.fields if s.num == 253)
    buf = np.frombuffer(data, dtype=np.uint8)
    rec = buf[records.offsets[:, None] + np.arange(records.size)]
    rec = rec[np.arange(seconds) % rec.shape[0]].copy()
    stamps = (1_000_000_000 + np.arange(seconds)).astype(">u4" if records.big_endian else "<u4")
    rec[:, ts.offset : ts.offset + 4] = stamps.view(np.uint8).reshape(-1, 4)
    msgs = np.empty((seconds, records.size + 1), dtype=np.uint8)
    msgs[:, 0] = 1  # local message 1
    msgs[:, 1:] = rec
    body = _definition_bytes(file_id, 0) + bytes([0])
    body += data[file_id.offsets[0] : file_id.offsets[0] + file_id.size]
    body += _definition_bytes(records, 1) + msgs.tobytes()
    head = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    head += struct.pack("<H", crc16(head))
    out_path.write_bytes(head + body + struct.pack("<H", crc16(head + body)))


def timings(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    """Best and median wall and CPU time (s) of ``repeat`` runs in this process."""
    return interleaved({"": fn}, repeat)[""]


def interleaved(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, dict]:
    """:func:`timings` of several cases run in turn (``repeat`` rounds of one run each), so a
    busy moment of a shared machine slows them all alike."""
    walls: dict[str, list[float]] = {label: [] for label in cases}
    cpus: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(repeat):
        for label, fn in cases.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls[label].append(time.perf_counter() - w0)
            cpus[label].append(time.process_time() - c0)
    return {
        label: {
            "wall": min(walls[label]),
            "wall_median": statistics.median(walls[label]),
            "cpu": min(cpus[label]),
            "cpu_median": statistics.median(cpus[label]),
        }
        for label in cases
    }


def load() -> str:
    """The machine's load average (1, 5, 15 min): the benchmark shares it with others."""
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_file(path: Path, repeat: int, slow_repeat: int) -> dict[str, float]:
    data = path.read_bytes()
    n_records = len(fit_fast.decode(data).columns("record")["_file"])
    counts = {
        "garmin-fit-sdk": len(garmin_sdk_records(path)),
        "fitparse": len(fitparse_records(path)),
        "fitdecode": len(fitdecode_records(path)),
    }
    print(f"\n{path.name}  ({len(data) / 1e6:.2f} MB, {n_records} records)")
    print("  records read: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    msgs = fit_fast.decode(data)
    activity = activity_from_messages(msgs, str(path))
    tables = (activity.samples.drop(columns="elapsed_s"), activity.laps, activity.sessions)

    def schema_only() -> object:  # activity.py's make_activity on the finished tables
        return make_activity(tables[0], ActivityMeta(), laps=tables[1], sessions=tables[2],
                             events=activity.events)  # fmt: skip

    print(f"  {load()} before the runs")
    fast: dict[str, Callable[[], object]] = {
        "floor: walk + gather records": lambda: walk_and_gather(data),
        "finishline.read (Activity)": lambda: finishline.read(path),
        "  of which fit_fast.decode": lambda: fit_fast.decode(data),
        "  of which make_activity": schema_only,
    }
    slow: dict[str, Callable[[], object]] = {
        "garmin-fit-sdk record table": lambda: garmin_sdk_records(path),
        "fitparse record table": lambda: fitparse_records(path),
        "fitdecode record table": lambda: fitdecode_records(path),
    }
    results = interleaved(fast, repeat) | interleaved(slow, slow_repeat)
    sdk = results["garmin-fit-sdk record table"]
    print(
        f"  {'':30s} {'best wall':>10s} {'median':>9s} {'best cpu':>10s} {'median':>9s} "
        f"{'SDK/x cpu':>9s}"
    )
    for label, r in results.items():
        print(
            f"  {label:30s} {r['wall'] * 1e3:8.1f}ms {r['wall_median'] * 1e3:7.1f}ms "
            f"{r['cpu'] * 1e3:8.1f}ms {r['cpu_median'] * 1e3:7.1f}ms "
            f"{sdk['cpu'] / r['cpu']:8.1f}x"
        )
    read, floor = results["finishline.read (Activity)"], results["floor: walk + gather records"]
    faster = sdk["cpu"] / read["cpu"]
    # the floor and the read ran in turn: their CPU-time medians met the same moments
    over_floor = read["cpu_median"] / floor["cpu_median"]
    print(
        f"  read vs SDK: {faster:.1f}x faster (bar >= 25x: {'PASS' if faster >= 25 else 'FAIL'});"
        f" read vs floor: {over_floor:.2f}x by CPU medians (bar <= 2x: "
        f"{'PASS' if over_floor <= 2 else 'FAIL'}), {read['cpu'] / floor['cpu']:.2f}x best to best"
        f"; by wall time {sdk['wall'] / read['wall']:.1f}x and {read['wall'] / floor['wall']:.2f}x"
        f"  ({load()})"
    )
    return {"faster": faster, "over_floor": over_floor}


def user_wait(path: Path, repeat: int) -> None:
    """A fresh interpreter reading ``path``, from process start to exit, against ``pass``."""
    read = [sys.executable, "-c", f"import finishline; finishline.read({str(path)!r})"]
    bare = [sys.executable, "-c", "pass"]
    import_only = [sys.executable, "-c", "import finishline"]
    waits: dict[str, list[float]] = {"python -c pass": [], "import finishline": [], "read": []}
    for _ in range(repeat):  # interleaved, so a busy moment hits all three alike
        for label, cmd in (("python -c pass", bare), ("import finishline", import_only),
                           ("read", read)):  # fmt: skip
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            waits[label].append(time.perf_counter() - start)
    print(f"\nuser's wait for {path.name} (fresh process, {repeat} runs, median / best):")
    for label, values in waits.items():
        print(f"  {label:20s} {statistics.median(values):6.2f} s / {min(values):6.2f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of the fast paths")
    parser.add_argument("--slow-repeat", type=int, default=3, help="runs of the slow libraries")
    parser.add_argument("--quick", action="store_true", help="the marathon and the ultra only")
    parser.add_argument("--no-wait", action="store_true", help="skip the fresh-process runs")
    args = parser.parse_args(argv)
    files = [CORPUS / f for f in (FILES[:1] if args.quick else FILES)]
    with tempfile.TemporaryDirectory() as tmp:
        ultra = Path(tmp) / "ultra_24h_1hz.fit"
        write_ultra(files[0], ultra)
        for path in [*files, ultra]:
            bench_file(path, args.repeat, args.slow_repeat)
        if not args.no_wait:
            user_wait(files[0], max(3, args.slow_repeat))


if __name__ == "__main__":
    main()
