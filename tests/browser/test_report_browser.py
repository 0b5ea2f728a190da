"""Race reports in headless Chromium at 1400 and 400 px: offline, light, fast, readable.

Pages: the Polar marathon (FIT), Twin Cities (TCX), a half marathon and a 50 km ultra from the
shared corpus, and the Polar marathon cut at 40 % of its bytes (a damaged file). Every
request other than ``file://`` is aborted; a console error or warning, a page error, a blocked
request, overlapping texts, a figure narrower than 300 px (or whose plot area is squeezed), or
anything wider than the screen fails. Full-page screenshots go to the test's tmp dir. Needs
``/usr/bin/chromium``: skipped with a reason when missing, failed under ``CI=true``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from chromium import load_times, open_offline
from corpus import CORPUS, SAMPLE_RUNS, require_shared
from layout_checks import DRAWN_COUNTS, FIGURE_WIDTHS, layout_problems

from finishline.viz.theme import format_duration

pytestmark = pytest.mark.browser

#: Page-size and load-time bars of a race report: the first screen drawn within 1.5 s of the
#: page's own main-thread CPU time (wall-clock time on this shared 2-core machine measures the
#: other processes as well: it is printed, not asserted), every figure within 2.5 s.
MAX_BYTES = 2_000_000
MAX_FIRST_VIEW_CPU_MS = 1500.0
MAX_DRAWN_CPU_MS = 2500.0
#: A figure's narrowest plot area must keep this share of the figure's width.
MIN_PLOT_SHARE = 0.6
#: Phrases in which "marathon" may appear on the page of a race that is not one.
ABOUT_THE_MODEL = ("half marathon", "marathon model", "of a marathon", "marathon chip splits")

CASES = {
    "marathon_fit": (SAMPLE_RUNS / "PolarMarathon.fit", False),
    "marathon_tcx": (SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx", False),
    "half": (CORPUS / "fit/polarri__outdoor_halfmarathon_Polar__run_21.5km.fit", True),
    "ultra": (CORPUS / "tcx/ggps__NewRiver50k2015__run_50.1km.tcx", True),
    "damaged": (None, False),
}


def _case(name: str, width: int | None = None):
    marks = [pytest.mark.real] if CASES[name][1] else []
    values = (name,) if width is None else (name, width)
    return pytest.param(*values, marks=marks, id=name if width is None else f"{name}-{width}")


def _find_all(text: str, word: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(word), text)]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory):
    """name -> (analysis, report path), built once per module on first use."""
    from finishline.analysis import analyze
    from finishline.viz.report import write_race_report

    root = tmp_path_factory.mktemp("race_reports")
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            path, shared = CASES[name]
            if name == "damaged":
                data = (SAMPLE_RUNS / "PolarMarathon.fit").read_bytes()
                path = root / "PolarMarathon_cut40.fit"
                path.write_bytes(data[: int(0.4 * len(data))])
            elif shared:
                require_shared(path)
            with warnings.catch_warnings():  # estimates; the damaged file's truncation
                warnings.simplefilter("ignore")
                analysis = analyze(path)
            cache[name] = (analysis, write_race_report(analysis, root / f"{name}.html"))
        return cache[name]

    return get


@pytest.mark.parametrize(("name", "width"), [_case(n, w) for n in CASES for w in (1400, 400)])
def test_race_report_in_chromium(name: str, width: int, browser, reports, tmp_path: Path):
    analysis, html_path = reports(name)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html_path.read_text(), flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']https?://""", markup), "external resource"
    assert "<link" not in markup and "@import" not in markup

    problems: list[str] = []
    page = open_offline(browser, html_path, width, problems)
    page.screenshot(path=str(tmp_path / f"{name}_{width}.png"), full_page=True)
    problems.extend(layout_problems(page))
    drawn = page.evaluate(DRAWN_COUNTS)
    assert len(drawn) == 7 and all(n > 0 for n in drawn), drawn
    for key, figure_px, plot_px in page.evaluate(FIGURE_WIDTHS):
        assert 300 <= figure_px <= width, (key, figure_px)
        # the route keeps equal axes: a north-south course is narrow by nature
        if key != "route":
            assert plot_px == 0 or plot_px >= MIN_PLOT_SHARE * figure_px, (key, plot_px)

    s = analysis.summary
    distance = page.locator("#fl-distance")
    assert float(distance.get_attribute("data-value")) == pytest.approx(s.distance_m)
    assert distance.inner_text() == f"{s.distance_m / 1000:.2f} km"
    assert page.locator("#fl-elapsed").inner_text() == format_duration(s.elapsed_s)
    verdict = page.locator("#fl-verdict")
    assert verdict.inner_text() == analysis.verdict
    assert verdict.get_attribute("data-outcome") == analysis.final_mile.outcome
    assert page.locator("#fl-splits tbody tr").count() == len(analysis.splits_km)
    assert page.locator(".fl-sub").inner_text().startswith(analysis.race.label)

    text = page.locator("main").inner_text().lower()
    if not analysis.race.is_marathon:
        text = text.replace(Path(analysis.activity.meta.source_path).name.lower(), "")
        for phrase in ABOUT_THE_MODEL:
            text = text.replace(phrase, "")
        said = [text[max(0, i - 60) : i + 30] for i in _find_all(text, "marathon")]
        assert not said, f"{analysis.race.label} page says marathon: {said}"
    page.close()
    assert not problems, problems


@pytest.mark.parametrize("name", [_case(n) for n in CASES])
def test_warnings_and_athlete_values_at_the_top(name: str, browser, reports) -> None:
    """Every analysis warning is one item of the banner above the summary card; every
    estimated athlete value is in the banner and marked in the athlete table."""
    analysis, html_path = reports(name)
    page = open_offline(browser, html_path, 400, [])
    banner = page.locator("#fl-warnings")
    assert banner.locator("h2").inner_text() == "Read this first"
    assert banner.locator("li").all_inner_texts() == analysis.warnings
    assert banner.bounding_box()["y"] < page.locator(".fl-card").bounding_box()["y"]
    for value, _, source, rule in analysis.athlete.estimates():
        row = page.locator(f"#fl-athlete tr.fl-source-{source}", has_text=rule)
        assert row.count() == 1, value
        if source == "estimated":
            assert analysis.athlete.describe(value) in analysis.warnings
    page.close()


def test_damaged_file_says_so_first(browser, reports) -> None:
    analysis, html_path = reports("damaged")
    damage = analysis.activity.meta.warnings
    assert damage, "the cut file must carry the reader's warning"
    page = open_offline(browser, html_path, 400, [])
    items = page.locator("#fl-warnings li").all_inner_texts()
    assert items[: len(damage)] == damage
    # the reader of a phone sees the damage without scrolling
    assert page.locator("#fl-warnings li").first.bounding_box()["y"] < 900
    page.close()


@pytest.mark.parametrize("name", [_case(n) for n in CASES])
def test_race_report_is_light_and_fast(name: str, browser, reports) -> None:
    """Under 2 MB; opens fast (medians of 3, at 1400 and 400 px; see the bars above)."""
    _, html_path = reports(name)
    size = html_path.stat().st_size
    assert size < MAX_BYTES, size
    for width in (1400, 400):
        times = load_times(browser, html_path, width)
        print(f"{name} {width}px: {size / 1e6:.2f} MB, {times}")
        assert times["first_view_cpu_ms"] < MAX_FIRST_VIEW_CPU_MS, (width, times)
        assert times["drawn_cpu_ms"] < MAX_DRAWN_CPU_MS, (width, times)


#: Hover over the middle of a figure's first plot area; the hover label's text.
HOVER_TEXT = """async (key) => {
    const drag = document.querySelector(`[data-figure=${key}] .draglayer .nsewdrag`);
    const box = drag.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    drag.dispatchEvent(new MouseEvent('mousemove', {clientX: x, clientY: y, bubbles: true}));
    await new Promise(done => setTimeout(done, 300));
    return document.querySelector(`[data-figure=${key}] .hoverlayer`).textContent;
}"""


@pytest.mark.parametrize(("unit", "label"), [("km", "km"), ("mile", "mi")])
def test_hover_labels_carry_units(unit: str, label: str, browser, reports, tmp_path: Path):
    """The hover header reads "20.05 km" (two decimals and the unit), and each value its unit."""
    from finishline.viz.report import write_race_report

    analysis, _ = reports("marathon_tcx")
    html_path = write_race_report(analysis, tmp_path / f"report_{unit}.html", unit=unit)
    problems: list[str] = []
    page = open_offline(browser, html_path, 400, problems)
    problems.extend(layout_problems(page))
    for key, value_unit in (("pace", f"/{label}"), ("heart", "bpm"), ("final_mile", f"/{label}")):
        page.locator(f"[data-figure={key}]").scroll_into_view_if_needed()
        text = page.evaluate(HOVER_TEXT, key)
        assert re.search(rf"\d+\.\d\d {label}", text), (key, text)
        assert value_unit in text, (key, text)
    page.close()
    assert not problems, problems
