"""The race report: one self-contained HTML file (summary card, figures, splits table).

plotly.js is embedded inline once, so the file opens offline with no CDN, web font or any
other network request. Stable hooks for tests and scripts:

- each figure sits in ``<section class="fl-figure" data-figure="NAME">``;
- summary numbers are in elements with ids ``fl-date``, ``fl-distance``, ``fl-elapsed``,
  ``fl-moving``, ``fl-pace``, ``fl-avg-hr``, ``fl-verdict``, each carrying the raw value in
  ``data-value`` (metres, seconds, s per unit, bpm);
- the splits table is ``<table id="fl-splits">``.
"""

from __future__ import annotations

import html
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from finishline.results import RaceAnalysis
from finishline.viz.race import (
    SCORE_NAMES,
    fatigue_figure,
    final_mile_figure,
    heart_rate_figure,
    pace_elevation_figure,
    risk_figure,
    route_figure,
    splits_figure,
)
from finishline.viz.theme import (
    FONT_FAMILY,
    METERS_PER_UNIT,
    Unit,
    check_unit,
    format_duration,
    format_pace,
    unit_label,
)

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


def _fatigue_scores(analysis: RaceAnalysis) -> pd.DataFrame:
    """The index and the ``score_*`` components of the per-km fatigue state (the raw state
    columns, in mixed units, would crowd the components panel).

    A component the analysis left out of the index (its input was estimated from the race
    itself) is labelled so on its row rather than shown as a measurement.
    """
    fatigue = analysis.fatigue.per_km
    if fatigue.empty:
        return fatigue
    keep = [c for c in fatigue.columns if c == "fatigue_index" or str(c).startswith("score_")]
    labels = {
        f"score_{name}": f"score_{SCORE_NAMES.get(f'score_{name}', name)} (assumed, not in index)"
        for name in analysis.fatigue.assumed
    }
    return fatigue[keep].rename(columns=labels)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def summary_numbers(analysis: RaceAnalysis) -> dict[str, Any]:
    """The summary card's numbers, all from ``analysis.summary`` and ``analysis.final_mile``.

    Returns
    -------
    dict
        ``start_local`` (Timestamp), ``distance_m``, ``elapsed_s``, ``moving_s``,
        ``pace_s_per_km`` (clock pace: elapsed time over distance), ``avg_hr_bpm``,
        ``reference_pace_s_per_km`` (clock pace over the race's reference window).
    """
    s = analysis.summary
    return {
        "start_local": s.start_time_local or s.start_time,
        "distance_m": _finite(s.distance_m),
        "elapsed_s": _finite(s.elapsed_s),
        "moving_s": _finite(s.moving_s),
        "pace_s_per_km": _finite(s.pace_s_per_km),
        "avg_hr_bpm": _finite(s.avg_hr_bpm),
        "reference_pace_s_per_km": _finite(analysis.final_mile.reference_pace_s_per_km),
    }


def race_figures(analysis: RaceAnalysis, unit: Unit = "km") -> dict[str, go.Figure]:
    """Every figure of the race report, by name, in display order."""
    unit = check_unit(unit)
    track = analysis.track
    ref = _finite(analysis.final_mile.reference_pace_s_per_km)
    final_mile = analysis.final_mile.to_json()
    splits = analysis.splits_km if unit == "km" else analysis.splits_mile
    risk = analysis.risk.table.copy()
    risk.attrs.update(notes=analysis.risk.notes)
    return {
        "pace": pace_elevation_figure(track, unit),
        "splits": splits_figure(splits, unit, reference_pace_s_per_km=ref),
        "heart": heart_rate_figure(
            track,
            unit,
            decoupling=analysis.decoupling,
            onset_m=_finite(analysis.decoupling.onset_m),
        ),
        "final_mile": final_mile_figure(
            track, unit, final_mile=final_mile, reference_pace_s_per_km=ref
        ),
        "risk": risk_figure(risk, final_mile=final_mile, verdict=analysis.verdict, unit=unit),
        "fatigue": fatigue_figure(
            _fatigue_scores(analysis), onset_km=_finite(analysis.fatigue.onset_km), unit=unit
        ),
        "route": route_figure(track, unit),
    }


def splits_table_html(splits: pd.DataFrame | None, unit: Unit = "km") -> str:
    """The splits as an HTML table (``id="fl-splits"``), one row per split."""
    if splits is None or splits.empty:
        return '<p class="fl-note">No splits.</p>'
    u = unit_label(unit)
    pace_col = "pace_s_per_km" if unit == "km" else "pace_s_per_mile"
    gap_scale = METERS_PER_UNIT[unit] / 1000.0
    header = (
        f"<tr><th>{u}</th><th>distance ({u})</th><th>time</th><th>pace (/{u})</th>"
        f"<th>GAP (/{u})</th><th>climb (m)</th><th>descent (m)</th><th>HR (bpm)</th>"
        "<th>cadence (spm)</th></tr>"
    )

    def cell(value: Any, fmt: str) -> str:
        number = _finite(value)
        return "-" if number is None else format(number, fmt)

    rows = []
    for rec in splits.to_dict("records"):
        gap = _finite(rec.get("gap_pace_s_per_km"))
        partial = bool(rec.get("partial", False))
        rows.append(
            f"<tr{' class=fl-partial' if partial else ''}>"
            f"<td>{int(rec['split'])}{'*' if partial else ''}</td>"
            f"<td>{cell(rec.get('distance_m', np.nan) / METERS_PER_UNIT[unit], '.2f')}</td>"
            f"<td>{format_duration(_finite(rec.get('time_s')))}</td>"
            f"<td>{format_pace(_finite(rec.get(pace_col)))}</td>"
            f"<td>{format_pace(None if gap is None else gap * gap_scale)}</td>"
            f"<td>{cell(rec.get('elev_gain_m'), '.0f')}</td>"
            f"<td>{cell(rec.get('elev_loss_m'), '.0f')}</td>"
            f"<td>{cell(rec.get('avg_hr_bpm'), '.0f')}</td>"
            f"<td>{cell(rec.get('avg_cadence_spm'), '.0f')}</td></tr>"
        )
    note = (
        '<p class="fl-note">* partial split</p>' if splits.get("partial", pd.Series()).any() else ""
    )
    return (
        f'<table id="fl-splits"><thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>{note}'
    )


def stat_html(ident: str, label: str, text: str, value: Any) -> str:
    """One summary number: ``text`` shown under ``label``, the raw ``value`` in ``data-value``."""
    raw = "" if value is None else html.escape(str(value), quote=True)
    return (
        f'<div class="fl-stat"><div class="fl-label">{html.escape(label)}</div>'
        f'<div class="fl-value" id="{ident}" data-value="{raw}">{html.escape(text)}</div></div>'
    )


def _summary_card(analysis: RaceAnalysis, unit: Unit) -> str:
    n = summary_numbers(analysis)
    scale = METERS_PER_UNIT[unit]
    start = n["start_local"]
    date_text = "-" if start is None else start.strftime("%Y-%m-%d %H:%M")
    if start is not None and str(start.tzinfo) == "UTC":
        date_text += " UTC"  # the file gives no local offset
    dist = n["distance_m"]
    pace_unit = None if n["pace_s_per_km"] is None else n["pace_s_per_km"] * scale / 1000.0
    ref_unit = (
        None
        if n["reference_pace_s_per_km"] is None
        else n["reference_pace_s_per_km"] * scale / 1000.0
    )
    verdict = analysis.verdict
    failed = analysis.final_mile.failed
    stats = "".join(
        [
            stat_html("fl-date", "start", date_text, None if start is None else start.isoformat()),
            stat_html(
                "fl-distance",
                "distance",
                "-" if dist is None else f"{dist / scale:.2f} {unit_label(unit)}",
                dist,
            ),
            stat_html("fl-elapsed", "time", format_duration(n["elapsed_s"]), n["elapsed_s"]),
            stat_html("fl-moving", "moving time", format_duration(n["moving_s"]), n["moving_s"]),
            stat_html("fl-pace", "average pace", format_pace(pace_unit, unit), pace_unit),
            stat_html(
                "fl-reference",
                f"{analysis.final_mile.reference} pace",
                format_pace(ref_unit, unit),
                ref_unit,
            ),
            stat_html(
                "fl-avg-hr",
                "avg heart rate",
                "-" if n["avg_hr_bpm"] is None else f"{n['avg_hr_bpm']:.0f} bpm",
                n["avg_hr_bpm"],
            ),
        ]
    )
    cls = "fl-verdict fl-failed" if failed else "fl-verdict"
    return (
        f'<section class="fl-card"><div class="fl-stats">{stats}</div>'
        f'<p class="{cls}" id="fl-verdict" data-failed="{str(failed).lower()}">'
        f"{html.escape(verdict)}</p></section>"
    )


REPORT_CSS = f"""
body {{ font-family: {FONT_FAMILY}; color: #222; margin: 0; background: #F6F6F4; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 16px 20px 40px; }}
h1 {{ font-size: 22px; margin: 8px 0 4px; }}
.fl-sub {{ color: #555; margin: 0 0 14px; font-size: 14px; }}
.fl-card, .fl-figure, .fl-table {{ background: #fff; border: 1px solid #E2E2E2;
  border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; }}
.fl-stats {{ display: flex; flex-wrap: wrap; gap: 10px 28px; }}
.fl-label {{ font-size: 12px; color: #666; text-transform: uppercase; letter-spacing: .04em; }}
.fl-value {{ font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }}
.fl-verdict {{ margin: 12px 0 2px; padding: 8px 12px; border-left: 5px solid #0072B2;
  background: #EEF5FA; font-size: 16px; }}
.fl-verdict.fl-failed {{ border-left-color: #D55E00; background: #FBEFE6; }}
table {{ border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums;
  font-size: 13px; }}
th, td {{ padding: 4px 8px; text-align: right; border-bottom: 1px solid #EEE; }}
th {{ background: #FAFAFA; position: sticky; top: 0; }}
tr.fl-partial td {{ color: #666; font-style: italic; }}
.fl-note {{ color: #666; font-size: 12px; }}
h2 {{ font-size: 17px; margin: 2px 0 6px; }}
h2.fl-fig-title {{ font-size: 16px; font-weight: 600; line-height: 1.3; }}
.fl-figure .js-plotly-plot {{ width: 100%; }}
.fl-scroll {{ overflow-x: auto; -webkit-overflow-scrolling: touch; }}
.fl-scroll table {{ min-width: 560px; }}
#fl-predictions td:nth-child(-n+2), #fl-predictions th:nth-child(-n+2),
#fl-predictions td:last-child, #fl-predictions th:last-child {{ text-align: left; }}
@media (max-width: 600px) {{
  main {{ padding: 8px 6px 24px; }}
  .fl-card, .fl-figure, .fl-table {{ padding: 8px 6px; border-radius: 6px; }}
  .fl-stats {{ gap: 8px 18px; }}
  .fl-value {{ font-size: 18px; }}
  .fl-verdict {{ font-size: 14px; }}
  h1 {{ font-size: 19px; overflow-wrap: anywhere; }}
}}
"""


def figure_section(key: str, fig: go.Figure, include_plotlyjs: bool = False) -> str:
    """One figure as ``<section class="fl-figure" data-figure=KEY>``, its title as an HTML
    heading (which wraps on a phone, where a Plotly title is cut off) and the plot below it."""
    title = fig.layout.title.text or ""
    fig = go.Figure(fig)  # a copy: the caller's figure keeps its title
    fig.update_layout(title={"text": None}, margin={"t": 36})
    div = fig.to_html(
        full_html=False,
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        div_id=f"fl-fig-{key}",
        config=_PLOTLY_CONFIG,
    )
    heading = f'<h2 class="fl-fig-title">{html.escape(title)}</h2>' if title else ""
    return f'<section class="fl-figure" data-figure="{key}">{heading}{div}</section>'


def race_report_html(analysis: RaceAnalysis, unit: Unit = "km", title: str | None = None) -> str:
    """The whole race report as one self-contained HTML string (plotly.js inline, no network).

    Parameters
    ----------
    analysis
        A :class:`finishline.analysis.RaceAnalysis` (or any object with its fields).
    unit
        ``"km"`` or ``"mile"`` for every distance and pace.
    title
        Page title; default from the source file name.
    """
    unit = check_unit(unit)
    figures = race_figures(analysis, unit)
    meta = analysis.activity.meta
    source = meta.source_path
    name = Path(source).name if source else "race"
    title = title or f"Race report: {name}"
    parts = [
        figure_section(key, fig, include_plotlyjs=i == 0)
        for i, (key, fig) in enumerate(figures.items())
    ]
    sub = " | ".join(
        x for x in (analysis.race.label, name, meta.device, f"units: {unit_label(unit)}") if x
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{REPORT_CSS}</style></head><body><main>"
        f'<h1>{html.escape(title)}</h1><p class="fl-sub">{html.escape(sub)}</p>'
        f"{_summary_card(analysis, unit)}{''.join(parts)}"
        f'<section class="fl-table"><h2>Splits</h2>'
        '<div class="fl-scroll">'
        f"{splits_table_html(analysis.splits_km if unit == 'km' else analysis.splits_mile, unit)}"
        "</div></section></main></body></html>\n"
    )


def write_race_report(
    analysis: RaceAnalysis, path: str | PathLike[str], unit: Unit = "km", title: str | None = None
) -> Path:
    """Write :func:`race_report_html` to ``path`` (parent folders created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(race_report_html(analysis, unit, title), encoding="utf-8")
    return out
