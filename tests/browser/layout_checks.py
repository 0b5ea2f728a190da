"""Geometry checks run inside a drawn report page (shared by the browser tests).

Each check returns a list of problems in words (empty when the layout is clean), measured on
the SVG Plotly drew, so they hold whatever the fonts and screen width.
"""

from __future__ import annotations

#: Every axis title against every tick label of the same axis: no overlap (1 px slack).
TITLE_TICK_OVERLAPS = """() => {
    const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
        && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const problems = [];
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const key = plot.closest('[data-figure]')?.dataset.figure ?? plot.id;
        for (const title of plot.querySelectorAll('.infolayer text[class$="title"]')) {
            const m = title.getAttribute('class').match(/^([xy]\\d*)title$/);
            if (!m || !title.textContent.trim()) continue;
            const box = title.getBoundingClientRect();
            for (const tick of plot.querySelectorAll(`g.${m[1]}tick text`)) {
                if (tick.textContent.trim() && hit(box, tick.getBoundingClientRect())) {
                    problems.push(`${key}: "${title.textContent}" on tick "${tick.textContent}"`);
                }
            }
        }
    }
    return problems;
}"""

#: Every annotation, legend and colour bar inside its figure's drawing area.
OUTSIDE_FIGURE = """() => {
    const problems = [];
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const key = plot.closest('[data-figure]')?.dataset.figure ?? plot.id;
        const frame = plot.querySelector('.main-svg').getBoundingClientRect();
        const items = plot.querySelectorAll('.annotation, .legend, .colorbar');
        for (const item of items) {
            const b = item.getBoundingClientRect();
            if (b.width === 0) continue;
            if (b.left < frame.left - 1 || b.right > frame.right + 1
                || b.top < frame.top - 1 || b.bottom > frame.bottom + 1) {
                const text = item.textContent.slice(0, 40);
                problems.push(`${key}: ${item.getAttribute('class')} "${text}" leaves the figure`);
            }
        }
    }
    return problems;
}"""

#: Nothing on the page wider than the screen except inside a horizontal scroller.
PAGE_OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    return document.documentElement.scrollWidth > width + 1
        ? [`page is ${document.documentElement.scrollWidth} px wide on a ${width} px screen`]
        : [];
}"""

#: Number of drawn things (traces or notes) per figure.
DRAWN_COUNTS = """() => [...document.querySelectorAll('.fl-figure .js-plotly-plot')].map(p =>
    p.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm').length
    + p.querySelectorAll('.annotation').length)"""

ALL_DRAWN = """() => {
    const plots = [...document.querySelectorAll('.fl-figure .js-plotly-plot')];
    return plots.length > 0 && plots.every(p => p.querySelector('.main-svg'));
}"""


def layout_problems(page) -> list[str]:
    """All geometry problems of the page as drawn."""
    return [
        *page.evaluate(TITLE_TICK_OVERLAPS),
        *page.evaluate(OUTSIDE_FIGURE),
        *page.evaluate(PAGE_OVERFLOW),
    ]
