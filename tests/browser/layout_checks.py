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

#: No two texts of a figure on each other: tick labels of one axis, axis titles, annotations,
#: the legend and colour bars (each against the others; 1 px slack). Ticks of different axes
#: may meet at a corner, so only same-axis tick pairs are compared.
TEXT_OVERLAPS = """() => {
    const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
        && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const problems = [];
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const key = plot.closest('[data-figure]')?.dataset.figure ?? plot.id;
        const items = [];
        const add = (el, kind, group) => {
            if (kind !== 'colorbar' && el.closest('.colorbar')) return;
            const box = el.getBoundingClientRect();
            const text = el.textContent.trim();
            if (box.width > 0 && box.height > 0 && text) items.push({box, kind, group, text});
        };
        for (const g of plot.querySelectorAll('g[class$="tick"]')) {
            const axis = g.getAttribute('class').replace(/tick$/, '');
            for (const t of g.querySelectorAll('text')) add(t, 'tick', axis);
        }
        for (const t of plot.querySelectorAll('.infolayer text[class$="title"]')) {
            add(t, 'title', t.getAttribute('class').replace(/title$/, ''));
        }
        plot.querySelectorAll('.annotation-text-g').forEach((a, i) => add(a, 'annotation', i));
        plot.querySelectorAll('.legend .traces').forEach((a, i) => add(a, 'legend', i));
        plot.querySelectorAll('.colorbar .cbtitle, .colorbar .cbaxis text')
            .forEach((a, i) => add(a, 'colorbar', i));
        for (let i = 0; i < items.length; i++) {
            for (let j = i + 1; j < items.length; j++) {
                const a = items[i], b = items[j];
                const sameKind = a.kind === b.kind;
                // ticks of different axes and texts of one colour bar are laid out by plotly
                if (sameKind && a.kind === 'tick' && a.group !== b.group) continue;
                if (sameKind && a.kind === 'colorbar') continue;
                if (a.kind === 'title' && b.kind === 'tick' && a.group !== b.group) continue;
                if (b.kind === 'title' && a.kind === 'tick' && a.group !== b.group) continue;
                if (hit(a.box, b.box)) {
                    problems.push(`${key}: ${a.kind} "${a.text.slice(0, 30)}" on ${b.kind} "${b.text.slice(0, 30)}"`);
                }
            }
        }
    }
    return problems;
}"""

#: Width (px) of every drawn figure and of its narrowest plot area (the data's drawing area,
#: without tick labels and titles; 0 for a "not available" note with no axes).
FIGURE_WIDTHS = """() => [...document.querySelectorAll('.fl-figure')].map(s => {
    const areas = [...s.querySelectorAll('.draglayer .nsewdrag')]
        .map(d => d.getBoundingClientRect().width);
    return [s.dataset.figure, s.querySelector('.main-svg')?.getBoundingClientRect().width ?? 0,
            areas.length ? Math.min(...areas) : 0];
})"""

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

#: The page's render script has drawn every figure.
ALL_DRAWN = "() => document.body && document.body.dataset.drawn === 'true'"


def layout_problems(page) -> list[str]:
    """All geometry problems of the page as drawn."""
    return [
        *page.evaluate(TITLE_TICK_OVERLAPS),
        *page.evaluate(TEXT_OVERLAPS),
        *page.evaluate(OUTSIDE_FIGURE),
        *page.evaluate(PAGE_OVERFLOW),
    ]
