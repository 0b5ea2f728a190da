"""What the race report costs to build, and the reports' page sizes and load times in a browser.

Usage: ``.venv/bin/python bench/report.py [--repeat N] [--runs N] [--no-browser] [--build-only]``

First the build cost (issue 15), each number the median of ``--repeat`` fresh processes run
interleaved: the import of :mod:`finishline.viz.report` (after :mod:`finishline.analysis`,
which the command imports anyway), ``race_report_html`` on the Twin Cities marathon cold (first
call of a process) and warm (CPU and wall), and the user's wait for ``finishline analyze
MARATHON --json OUT --html OUT`` from process start to exit, beside ``--json OUT`` alone and
``python -c pass``. Run ``python -m compileall -q src`` first where bytecode is not written
(``PYTHONDONTWRITEBYTECODE``): a user's install has it.

Then the pages: race (marathon FIT and TCX, half, ultra, a damaged FIT), season and squad,
opened in headless Chromium at 1400 and 400 px. For each page it prints the build time, the size (and how much of it is plotly.js), and the
medians over N fresh page loads of: wall-clock time until the first screen's figures and until
every figure had drawn, and the page's main-thread CPU time until then (Chrome's ThreadTime).
On a shared machine the wall-clock times include the other processes; say so when quoting
them. The half, the ultra and the season/squad pages need ``../shared``; they are left out
(with a line saying so) when it is absent. The browser part needs ``/usr/bin/chromium`` and
playwright (``make browser``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO / "tests" / "browser"))

RACES = {
    "marathon FIT": REPO / "sample_runs" / "PolarMarathon.fit",
    "marathon TCX": REPO / "sample_runs" / "TwinCitiesMarathon2014.tcx",
    "half": SHARED / "fit" / "polarri__outdoor_halfmarathon_Polar__run_21.5km.fit",
    "ultra": SHARED / "tcx" / "ggps__NewRiver50k2015__run_50.1km.tcx",
}


#: One process: the report module's import, then race_report_html cold and five times warm.
_IN_PROCESS = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
from finishline.analysis import analyze
t0, c0 = time.perf_counter(), time.process_time()
from finishline.viz.report import race_report_html
out = {"import_s": time.perf_counter() - t0, "import_cpu_s": time.process_time() - c0}
analysis = analyze(sys.argv[1])
for run in range(6):
    t0, c0 = time.perf_counter(), time.process_time()
    race_report_html(analysis)
    out[f"wall_{run}"], out[f"cpu_{run}"] = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps(out))
"""


def _child(cmd: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one child process, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done.stdout


def build_cost(repeat: int) -> None:
    """Print the report's import and build times and the analyze command's wait (medians)."""
    source = str(RACES["marathon TCX"])
    with tempfile.TemporaryDirectory() as tmp:
        out_json, out_html = str(Path(tmp) / "a.json"), str(Path(tmp) / "a.html")
        cli = [
            sys.executable,
            "-c",
            "import sys; from finishline.cli import main; sys.exit(main())",
        ]
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "analyze --json": [*cli, "analyze", source, "--json", out_json],
            "analyze --json --html": [
                *cli,
                "analyze",
                source,
                "--json",
                out_json,
                "--html",
                out_html,
            ],
        }
        walls: dict[str, list[float]] = {k: [] for k in cases}
        cpus: dict[str, list[float]] = {k: [] for k in cases}
        inside: list[dict[str, float]] = []
        for _ in range(repeat):  # interleaved: every case once per round
            for name, cmd in cases.items():
                wall, cpu, _ = _child(cmd)
                walls[name].append(wall)
                cpus[name].append(cpu)
            inside.append(json.loads(_child([sys.executable, "-c", _IN_PROCESS, source])[2]))

    def med(key: str) -> float:
        return statistics.median(run[key] for run in inside)

    warm_cpu = [statistics.median(run[f"cpu_{i}"] for i in range(1, 6)) for run in inside]
    warm_wall = [statistics.median(run[f"wall_{i}"] for i in range(1, 6)) for run in inside]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {repeat}")
    print(
        f"import finishline.viz.report   {med('import_s'):.3f} s wall, "
        f"{med('import_cpu_s'):.3f} s CPU (bar < 0.1 s)"
    )
    print(f"race_report_html cold         {med('wall_0'):.3f} s wall, {med('cpu_0'):.3f} s CPU")
    print(
        f"race_report_html warm         {statistics.median(warm_wall):.3f} s wall, "
        f"{statistics.median(warm_cpu):.3f} s CPU (bar < 0.15 s CPU)"
    )
    base = statistics.median(walls["python -c pass"])
    print(f"{'process start to exit':30} {'wall s':>8} {'CPU s':>8} {'wall - pass':>12}")
    for name in cases:
        w, c = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:30} {w:8.3f} {c:8.3f} {w - base:12.3f}")
    html_part = statistics.median(walls["analyze --json --html"]) - statistics.median(
        walls["analyze --json"]
    )
    total = statistics.median(walls["analyze --json --html"])
    verdict = "met" if total < 1.0 else "NOT met"
    print(
        f"the HTML adds {html_part:.3f} s; analyze --json --html {total:.3f} s (goal < 1.0 s: "
        f"{verdict})\n"
    )


def race_page(source: Path, out: Path) -> Path:
    from finishline.analysis import analyze
    from finishline.viz.report import write_race_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyze(source)
    return write_race_report(analysis, out)


def damaged_page(root: Path) -> Path:
    data = RACES["marathon FIT"].read_bytes()
    cut = root / "PolarMarathon_cut40.fit"
    cut.write_bytes(data[: int(0.4 * len(data))])
    return race_page(cut, root / "damaged.html")


def training_pages(root: Path) -> dict[str, Path]:
    """The season page of the 68 runpandas sessions and a squad of two athletes sharing them."""
    from finishline.cli import main

    sessions = sorted((SHARED / "gpx").glob("runpandas__session_*.gpx"))
    for i, path in enumerate(sessions):
        for folder in (root / "season", root / "team" / ("alice" if i % 2 else "bob")):
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / path.name)
    pages = {"season": root / "season.html", "squad": root / "squad.html"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args in (["season"], ["team", "--squad"]):
            html = pages["season" if len(args) == 1 else "squad"]
            out = ["--html", str(html), "--json", str(html.with_suffix(".json"))]
            main(["train", str(root / args[0]), *args[1:], *out])
    return pages


def build_pages(root: Path) -> dict[str, Path]:
    builders: dict[str, Callable[[], Path]] = {
        name: (lambda s=source, n=name: race_page(s, root / f"{n.replace(' ', '_')}.html"))
        for name, source in RACES.items()
    }
    builders["damaged FIT (40 %)"] = lambda: damaged_page(root)
    pages: dict[str, Path] = {}
    for name, build in builders.items():
        if name in ("half", "ultra") and not SHARED.exists():
            print(f"{name}: left out ({SHARED} not found)")
            continue
        t0 = time.perf_counter()
        pages[name] = build()
        print(f"built {name:<20} {time.perf_counter() - t0:6.1f} s")
    if SHARED.exists():
        t0 = time.perf_counter()
        pages |= training_pages(root)
        print(f"built season + squad         {time.perf_counter() - t0:6.1f} s")
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="page loads per width (median)")
    parser.add_argument("--no-browser", action="store_true", help="sizes only")
    parser.add_argument("--repeat", type=int, default=7, help="processes per build-cost row")
    parser.add_argument("--build-only", action="store_true", help="the build cost only")
    args = parser.parse_args()
    build_cost(args.repeat)
    if args.build_only:
        return
    from finishline.viz.page import plotly_bundle

    bundle = len(plotly_bundle().encode("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        pages = build_pages(Path(tmp))
        print(f"\nplotly.js inline: {bundle / 1e6:.2f} MB per page")
        print(f"{'page':<20} {'MB':>5}  width  first view ms (cpu)  all drawn ms (cpu)")
        if args.no_browser:
            for name, path in pages.items():
                print(f"{name:<20} {path.stat().st_size / 1e6:5.2f}")
            return
        from chromium import ARGS, CHROMIUM, load_times
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            for name, path in pages.items():
                for width in (1400, 400):
                    t = load_times(browser, path, width, runs=args.runs)
                    print(
                        f"{name:<20} {path.stat().st_size / 1e6:5.2f}  {width:5d}"
                        f"  {t['first_view_ms']:8.0f} ({t['first_view_cpu_ms']:5.0f})"
                        f"  {t['drawn_ms']:10.0f} ({t['drawn_cpu_ms']:5.0f})"
                    )
            browser.close()


if __name__ == "__main__":
    main()
