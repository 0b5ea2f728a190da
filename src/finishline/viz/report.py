"""The race report: one self-contained HTML page of a :class:`~finishline.results.RaceAnalysis`.

Everything on the page comes from the analysis: the race label, the warnings (reader damage,
repairs, estimated athlete values), the summary numbers, the reference pace and its window,
the final-mile outcome, the stops, the fatigue state and the risk timeline. The page shell is
:mod:`finishline.viz.page`. Stable hooks (besides the shell's):

- summary numbers in elements with ids ``fl-date``, ``fl-distance``, ``fl-elapsed``,
  ``fl-moving``, ``fl-pace``, ``fl-reference``, ``fl-avg-hr``, each with the raw value in
  ``data-value`` (metres, seconds, s per unit, bpm); the verdict is ``#fl-verdict`` with
  ``data-outcome`` (held/slowed/failed/unknown) and ``data-failed``;
- the splits table is ``<table id="fl-splits">``, the athlete values ``<table id="fl-athlete">``;
- with running power: a ``power`` column in the splits table, the ``power_curve`` figure and
  the tile ``fl-pw-hr`` (Pw:HR beside Pa:HR, fractions in ``data-value``/``data-pa-hr``).
"""

from __future__ import annotations

import html
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finishline.results import RaceAnalysis
from finishline.viz.fatigue_risk import fatigue_figure, risk_figure
from finishline.viz.heart import heart_rate_figure
from finishline.viz.pace import final_mile_figure, pace_elevation_figure, splits_figure
from finishline.viz.page import figure_section, page_html, warnings_banner
from finishline.viz.power import power_curve_figure
from finishline.viz.route import route_figure
from finishline.viz.spec import FigureSpec
from finishline.viz.tables import (
    athlete_section_html,
    finite,
    splits_table_html,
    stat_html,
)
from finishline.viz.theme import (
    METERS_PER_UNIT,
    Unit,
    check_unit,
    format_duration,
    format_pace,
    unit_label,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go


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
        "distance_m": finite(s.distance_m),
        "elapsed_s": finite(s.elapsed_s),
        "moving_s": finite(s.moving_s),
        "pace_s_per_km": finite(s.pace_s_per_km),
        "avg_hr_bpm": finite(s.avg_hr_bpm),
        "reference_pace_s_per_km": finite(analysis.final_mile.reference_pace_s_per_km),
    }


def race_figure_specs(analysis: RaceAnalysis, unit: Unit = "km") -> dict[str, FigureSpec]:
    """Every figure of the race report as a :class:`~finishline.viz.spec.FigureSpec`, by
    name, in display order (what the page writes; :func:`race_figures` validates them)."""
    unit = check_unit(unit)
    track, fm = analysis.track, analysis.final_mile
    splits = analysis.splits_km if unit == "km" else analysis.splits_mile
    reference = finite(fm.reference_pace_s_per_km)
    if reference is None:  # no reference window (a short run): compare with the average pace
        reference, label = finite(analysis.summary.pace_s_per_km), "average pace"
    else:
        label = f"{fm.reference} reference"
    figures = {
        "pace": pace_elevation_figure.spec(track, unit, final_mile=fm),
        "splits": splits_figure.spec(
            splits,
            unit,
            reference_pace_s_per_km=reference,
            reference_label=label,
            finish_m=fm.finish_m,
        ),
        "heart": heart_rate_figure.spec(
            track, unit, decoupling=analysis.decoupling, efficiency=analysis.fatigue.per_km
        ),
        "final_mile": final_mile_figure.spec(track, unit, final_mile=fm, stops=analysis.stops),
        "risk": risk_figure.spec(analysis.risk, final_mile=fm, verdict=analysis.verdict, unit=unit),
        "fatigue": fatigue_figure.spec(analysis.fatigue, unit=unit),
        "route": route_figure.spec(track, unit),
    }
    if analysis.power_curve.empty:  # only a file with running power gets the figure
        return figures
    power = power_curve_figure.spec(
        analysis.power_curve, source=analysis.activity.meta.power_source
    )
    keys = list(figures)
    at = keys.index("heart") + 1
    return (
        {k: figures[k] for k in keys[:at]}
        | {"power_curve": power}
        | {k: figures[k] for k in keys[at:]}
    )


def race_figures(analysis: RaceAnalysis, unit: Unit = "km") -> dict[str, go.Figure]:
    """Every figure of the race report, by name, in display order."""
    return {k: spec.to_figure() for k, spec in race_figure_specs(analysis, unit).items()}


def decoupling_tile(analysis: RaceAnalysis) -> str:
    """Pw:HR beside Pa:HR (``id="fl-pw-hr"``), or "" when the run has no Pw:HR (no power, no
    heart rate, or too short)."""
    dec = analysis.decoupling
    pw, pa = finite(dec.pw_hr), finite(dec.pa_hr)
    if pw is None:
        return ""
    pa_text = "-" if pa is None else f"{100 * pa:.1f} %"
    tile = stat_html("fl-pw-hr", "decoupling Pw:HR / Pa:HR", f"{100 * pw:.1f} % / {pa_text}", pw)
    return tile.replace('id="fl-pw-hr"', f'id="fl-pw-hr" data-pa-hr="{"" if pa is None else pa}"')


def _summary_card(analysis: RaceAnalysis, unit: Unit) -> str:
    n = summary_numbers(analysis)
    scale = METERS_PER_UNIT[unit]
    start = n["start_local"]
    date_text = "-" if start is None else start.strftime("%Y-%m-%d %H:%M")
    if start is not None and str(start.tzinfo) == "UTC":
        date_text += " UTC"  # the file gives no local offset
    dist = n["distance_m"]
    pace = None if n["pace_s_per_km"] is None else n["pace_s_per_km"] * scale / 1000.0
    ref = n["reference_pace_s_per_km"]
    ref = None if ref is None else ref * scale / 1000.0
    hr = n["avg_hr_bpm"]
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
            stat_html("fl-pace", "average pace", format_pace(pace, unit), pace),
            stat_html(
                "fl-reference", f"{analysis.final_mile.reference} pace", format_pace(ref, unit), ref
            ),
            stat_html("fl-avg-hr", "avg heart rate", "-" if hr is None else f"{hr:.0f} bpm", hr),
            decoupling_tile(analysis),
        ]
    )
    fm = analysis.final_mile
    return (
        f'<section class="fl-card"><div class="fl-stats">{stats}</div>'
        f'<p class="fl-verdict fl-{fm.outcome}" id="fl-verdict" data-outcome="{fm.outcome}" '
        f'data-failed="{str(fm.failed).lower()}">{html.escape(analysis.verdict)}</p></section>'
    )


def _plan_section(analysis: RaceAnalysis) -> str:
    """The race against its plan (``analyze(..., plan=)``): a figure of the time banked or
    lost per split; nothing without a plan."""
    comparison = analysis.plan_vs_actual
    if comparison.empty:
        return ""
    from finishline.viz.plan_figures import plan_vs_actual_figure

    return figure_section("plan_vs_actual", plan_vs_actual_figure.spec(comparison))


def race_report_html(analysis: RaceAnalysis, unit: Unit = "km", title: str | None = None) -> str:
    """The whole race report as one self-contained HTML string (plotly.js inline, no network).

    Parameters
    ----------
    analysis
        What :func:`finishline.analyze` returned.
    unit
        ``"km"`` or ``"mile"`` for every distance and pace.
    title
        Page title; default from the source file name.
    """
    unit = check_unit(unit)
    meta = analysis.activity.meta
    name = Path(meta.source_path).name if meta.source_path else "race"
    race = analysis.race
    race_text = race.label + (" (distance given)" if race.source == "given" else "")
    subtitle = " | ".join(
        x for x in (race_text, name, meta.device, f"units: {unit_label(unit)}") if x
    )
    figures = race_figure_specs(analysis, unit)
    splits = analysis.splits_km if unit == "km" else analysis.splits_mile
    body = [
        warnings_banner(analysis.warnings),
        _summary_card(analysis, unit),
        *(figure_section(key, spec) for key, spec in figures.items()),
        f'<section class="fl-table"><h2>Splits</h2>{splits_table_html(splits, unit)}</section>',
        _plan_section(analysis),
        athlete_section_html(analysis.athlete),
    ]
    return page_html(title or f"Race report: {name}", body, subtitle=subtitle)


def write_race_report(
    analysis: RaceAnalysis, path: str | PathLike[str], unit: Unit = "km", title: str | None = None
) -> Path:
    """Write :func:`race_report_html` to ``path`` (parent folders created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(race_report_html(analysis, unit, title), encoding="utf-8")
    return out
