"""The one page shell of every report (race, season, squad): head, CSS, plotly.js once, figures.

A page is self-contained HTML: no CDN, web font or any other network request. The head holds
the viewport tag and the CSS; the body holds the sections the caller gives, in order; at its
end come plotly.js (once, :func:`plotly_bundle`) and one script that draws every figure with
the same Plotly config. Figures are embedded as JSON in
``<script type="application/json" class="fl-fig-data">`` beside their empty ``<div>``, so the
text of the page shows before the library is parsed.

Stable hooks for tests and scripts:

- each figure sits in ``<section class="fl-figure" data-figure="NAME">``;
- a page with things the reader must know first has ``<section id="fl-warnings">`` with one
  ``<li>`` per item;
- ``window.flFirstViewMs`` is when the figures of the first screen had drawn and
  ``window.flDrawnMs`` when every figure had (ms since navigation start); then
  ``document.body.dataset.drawn == "true"``; ``window.flFigureMs`` maps each plot's id to the
  time its drawing took (ms).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from finishline.viz.spec import FigureSpec
from finishline.viz.theme import FONT_FAMILY

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: The plotly.js partial bundle committed as package data (see ``viz/vendor/README.md``).
BUNDLE_FILE = "plotly-finishline-4.1.1.min.js"
BUNDLE_VERSION = "4.1.1"

#: One Plotly config for every figure of every page.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

#: Draws the figures in view first, then the others one at a time (the browser paints and
#: answers between them); records when the first screen and when every figure had drawn.
RENDER_SCRIPT = """
(function () {
  var config = %s;
  var items = Array.prototype.slice.call(document.querySelectorAll('script.fl-fig-data'));
  function target(data) { return document.getElementById(data.dataset.target); }
  window.flFigureMs = {};
  function draw(data) {
    var start = performance.now(), fig = JSON.parse(data.textContent);
    return Plotly.newPlot(target(data), fig.data, fig.layout, config).then(function (plot) {
      window.flFigureMs[data.dataset.target] = performance.now() - start;
      return plot;
    });
  }
  function inView(data) {
    var box = target(data).getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }
  function later(data) {
    return function () {
      return new Promise(function (done) { setTimeout(function () { done(draw(data)); }, 0); });
    };
  }
  var first = items.filter(inView), rest = items.filter(function (d) { return !inView(d); });
  Promise.all(first.map(draw)).then(function () {
    window.flFirstViewMs = performance.now();
    return rest.reduce(function (chain, data) { return chain.then(later(data)); },
                       Promise.resolve());
  }).then(function () {
    window.flDrawnMs = performance.now();
    document.body.dataset.drawn = 'true';
  });
})();
"""

PAGE_CSS = f"""
* {{ box-sizing: border-box; }}
body {{ font-family: {FONT_FAMILY}; color: #222; margin: 0; background: #F6F6F4; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 16px 20px 40px; }}
h1 {{ font-size: 22px; margin: 8px 0 4px; overflow-wrap: anywhere; }}
h2 {{ font-size: 17px; margin: 2px 0 6px; }}
h3 {{ font-size: 15px; margin: 10px 0 4px; }}
.fl-sub {{ color: #555; margin: 0 0 14px; font-size: 14px; }}
.fl-card, .fl-figure, .fl-table, .fl-athlete {{ background: #fff; border: 1px solid #E2E2E2;
  border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; }}
.fl-warnings {{ background: #FFF7E0; border: 1px solid #E69F00; border-left: 6px solid #E69F00;
  border-radius: 8px; padding: 10px 16px; margin: 0 0 16px; }}
.fl-warnings h2 {{ margin: 0 0 4px; }}
.fl-warnings ul {{ margin: 4px 0; padding-left: 20px; }}
.fl-warnings li {{ margin: 2px 0; }}
.fl-stats {{ display: flex; flex-wrap: wrap; gap: 10px 28px; }}
.fl-label {{ font-size: 12px; color: #666; text-transform: uppercase; letter-spacing: .04em; }}
.fl-value {{ font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }}
.fl-verdict {{ margin: 12px 0 2px; padding: 8px 12px; border-left: 5px solid #0072B2;
  background: #EEF5FA; font-size: 16px; }}
.fl-verdict.fl-failed {{ border-left-color: #D55E00; background: #FBEFE6; }}
.fl-verdict.fl-slowed {{ border-left-color: #E69F00; background: #FFF7E0; }}
table {{ border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums;
  font-size: 13px; }}
th, td {{ padding: 4px 8px; text-align: right; border-bottom: 1px solid #EEE;
  vertical-align: top; }}
th {{ background: #FAFAFA; position: sticky; top: 0; }}
td.fl-text, th.fl-text {{ text-align: left; }}
tr.fl-partial td {{ color: #666; font-style: italic; }}
td.fl-estimated, td.fl-default {{ color: #8A5A00; font-weight: 600; }}
table.fl-sortable th {{ cursor: pointer; user-select: none; }}
th[data-order=asc]::after {{ content: ' \\25B2'; }}
th[data-order=desc]::after {{ content: ' \\25BC'; }}
small {{ color: #666; }}
.fl-note {{ color: #666; font-size: 12px; }}
h2.fl-fig-title {{ font-size: 16px; font-weight: 600; line-height: 1.3; }}
.fl-plot {{ width: 100%; }}
.fl-scroll {{ overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }}
.fl-scroll table {{ min-width: 520px; }}
.fl-scroll table.fl-narrow {{ min-width: 0; }}
nav {{ display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0 0 12px; }}
details summary {{ cursor: pointer; color: #555; font-size: 13px; }}
@media (max-width: 600px) {{
  main {{ padding: 8px 6px 24px; }}
  .fl-card, .fl-figure, .fl-table, .fl-athlete, .fl-warnings {{ padding: 8px 6px;
    border-radius: 6px; }}
  .fl-stats {{ gap: 8px 18px; }}
  .fl-value {{ font-size: 18px; }}
  .fl-verdict {{ font-size: 14px; }}
  h1 {{ font-size: 19px; }}
}}
"""


def _major(version: str) -> str:
    return version.split(".", 1)[0]


@cache
def plotly_bundle() -> str:
    """The plotly.js source to inline: the committed partial bundle (scatter, bar and heatmap
    traces; 1.18 MB instead of 4.8 MB) when the installed plotly.py ships plotly.js of the same
    major version, else plotly.py's full bundle (always compatible with its JSON)."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    if _major(get_plotlyjs_version()) == _major(BUNDLE_VERSION):
        bundle = resources.files("finishline.viz").joinpath("vendor", BUNDLE_FILE)
        return bundle.read_text(encoding="utf-8")
    return get_plotlyjs()


def _script_json(text: str) -> str:
    """JSON made safe inside a ``<script>`` element (no ``</script>`` or comment opener)."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _page_layout(layout: dict) -> dict:
    """The layout drawn in the page: no title or subtitle text (they are HTML headings) and a
    36 px top margin; the figure's own layout is left as it was."""
    out = dict(layout)
    title = {k: v for k, v in layout.get("title", {}).items() if k != "text"}
    if "subtitle" in title:
        title["subtitle"] = {k: v for k, v in title["subtitle"].items() if k != "text"}
    out["title"] = title
    out["margin"] = layout.get("margin", {}) | {"t": 36}
    return out


def figure_json(fig: go.Figure | FigureSpec) -> tuple[str, dict]:
    """The JSON the page draws of ``fig`` (as ``plotly.io.to_json``, without title and
    subtitle text, 36 px top margin) and the figure's own layout (dict)."""
    if isinstance(fig, FigureSpec):
        text = fig.to_json(_page_layout(fig.layout))
        if text is not None:
            return text, fig.layout
        fig = fig.to_figure()  # dates or pandas objects: Plotly's encoder writes them
    import plotly.io as pio

    data = fig.to_dict()  # one copy, changed and written without validating it again
    layout = data["layout"]
    data["layout"] = _page_layout(layout)
    return pio.to_json(data, validate=False), layout


def figure_section(key: str, fig: go.Figure | FigureSpec) -> str:
    """One figure as ``<section class="fl-figure" data-figure=KEY>``: its title as an HTML
    heading and its subtitle as a note under it (both wrap on a phone, where Plotly's are cut
    off), an empty plot ``<div>`` and the figure's JSON, drawn by the page's render script.
    ``fig`` is a ``go.Figure`` or, cheaper, the :class:`~finishline.viz.spec.FigureSpec` of a
    figure function (its ``.spec``)."""
    text, layout = figure_json(fig)
    data = _script_json(text)
    title = layout.get("title", {}).get("text") or ""
    subtitle = layout.get("title", {}).get("subtitle", {}).get("text") or ""
    heading = f'<h2 class="fl-fig-title">{html.escape(title)}</h2>' if title else ""
    if subtitle:
        heading += f'<p class="fl-note fl-fig-note">{html.escape(subtitle)}</p>'
    target = f"fl-fig-{key}"
    # the plot's height is reserved: the page does not jump as figures draw
    height = f' style="height:{int(layout["height"])}px"' if layout.get("height") else ""
    return (
        f'<section class="fl-figure" data-figure="{html.escape(key)}">{heading}'
        f'<div class="fl-plot" id="{target}"{height}></div>'
        f'<script type="application/json" class="fl-fig-data" data-target="{target}">'
        f"{data}</script></section>"
    )


def warnings_banner(items: Iterable[str], heading: str = "Read this first") -> str:
    """``<section id="fl-warnings">``: what the reader must know before trusting the page
    (damaged file, repairs, estimated values), one ``<li>`` each; empty string for none."""
    lines = "".join(f"<li>{html.escape(item)}</li>" for item in items if item)
    if not lines:
        return ""
    return (
        f'<section class="fl-warnings" id="fl-warnings" role="note">'
        f"<h2>{html.escape(heading)}</h2><ul>{lines}</ul></section>"
    )


def page_html(
    title: str, body: Iterable[str], *, subtitle: str = "", scripts: Iterable[str] = ()
) -> str:
    """A whole report page.

    Parameters
    ----------
    title
        ``<title>`` and ``<h1>`` text.
    body
        HTML sections in display order (figures from :func:`figure_section`).
    subtitle
        One line under the heading.
    scripts
        Extra inline JavaScript run after the figures are set up (e.g. table sorting).
    """
    import json

    sub = f'<p class="fl-sub">{html.escape(subtitle)}</p>' if subtitle else ""
    extra = "".join(f"<script>{s}</script>" for s in scripts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{sub}{''.join(body)}</main>"
        f"<script>{plotly_bundle()}</script>"
        f"<script>{RENDER_SCRIPT % json.dumps(PLOTLY_CONFIG)}</script>{extra}"
        "</body></html>\n"
    )
