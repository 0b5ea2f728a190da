"""Page sizes and load times of the reports: race (marathon FIT and TCX, half, ultra, a damaged
FIT), season and squad pages, opened in headless Chromium at 1400 and 400 px.

Usage: ``.venv/bin/python bench/report.py [--runs N] [--no-browser]``

For each page it prints the build time, the size (and how much of it is plotly.js), and the
medians over N fresh page loads of: wall-clock time until the first screen's figures and until
every figure had drawn, and the page's main-thread CPU time until then (Chrome's ThreadTime).
On a shared machine the wall-clock times include the other processes; say so when quoting
them. The half, the ultra and the season/squad pages need ``../shared``; they are left out
(with a line saying so) when it is absent. The browser part needs ``/usr/bin/chromium`` and
playwright (``make browser``).
"""

from __future__ import annotations

import argparse
import shutil
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
    args = parser.parse_args()
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
