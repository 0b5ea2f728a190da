"""The season page: a :class:`~finishline.training.results.SeasonAnalysis` as self-contained HTML.

Same shell and hooks as the race report (:mod:`finishline.viz.page`): figures in
``<section class="fl-figure" data-figure=NAME>``; summary numbers in elements with ids
``fl-runs``, ``fl-cs`` (m/s), ``fl-d-prime`` (m), ``fl-marathon`` (s, VDOT method),
``fl-shape`` (%), ``fl-durability`` (0-1), ``fl-risk`` (0-1), and, when some run has running
power, ``fl-cp`` (W) and ``fl-w-prime`` (J), each with the raw value in ``data-value`` (the
``power_curve`` figure then shows the season's power envelope with the CP model); the prediction table is ``<table id="fl-predictions">``, the athlete values
``<table id="fl-athlete">``; estimated athlete values are listed in ``#fl-warnings``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from finishline.athlete import Athlete
from finishline.training.results import SeasonAnalysis
from finishline.viz.page import figure_section, page_html, warnings_banner
from finishline.viz.power import power_curve_figure
from finishline.viz.spec import FigureSpec
from finishline.viz.tables import athlete_section_html, finite, html_table, stat_html
from finishline.viz.theme import format_duration, format_pace
from finishline.viz.training import (
    critical_speed_figure,
    load_form_figure,
    predictions_figure,
    weekly_volume_figure,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

RACE_NAMES = {"5k": "5 km", "10k": "10 km", "half": "half marathon", "marathon": "marathon"}
METHOD_NAMES = {"riegel": "Riegel", "vdot": "VDOT", "critical_speed": "critical speed"}


def season_figure_specs(
    season: SeasonAnalysis, *, shade_rejected: bool = True
) -> dict[str, FigureSpec]:
    """The season's figures as :class:`~finishline.viz.spec.FigureSpec` by name, in display
    order (a figure with no data says so; the power envelope only when some run has running
    power): what the pages write; :func:`season_figures` validates them."""
    figures = {
        "load": load_form_figure.spec(season.load),
        "weekly": weekly_volume_figure.spec(season.weekly),
        "critical_speed": critical_speed_figure.spec(season.cs_trend),
    }
    if has_power(season):
        figures["power_curve"] = power_curve_figure.spec(
            season.power_envelope,
            critical_power=season.critical_power,
            title=f"Best power, last {season.athlete.cs_window_days} days",
        )
    figures["predictions"] = predictions_figure.spec(
        season.prediction_trend, season.cs_trend if shade_rejected else None
    )
    return figures


def season_figures(season: SeasonAnalysis, *, shade_rejected: bool = True) -> dict[str, go.Figure]:
    """The season's figures by name, in display order (a figure with no data says so; the
    power envelope only when some run has running power)."""
    specs = season_figure_specs(season, shade_rejected=shade_rejected)
    return {key: spec.to_figure() for key, spec in specs.items()}


def has_power(season: SeasonAnalysis) -> bool:
    """True when some run of the season has running power (a power curve)."""
    return not season.power_envelope.empty or season.critical_power.valid


def estimate_lines(athlete: Athlete) -> list[str]:
    """Every estimated athlete value in words ("max heart rate estimated: 183 bpm (rule)")."""
    return [
        athlete.describe(name)
        for name, _, source, _ in athlete.estimates()
        if source == "estimated"
    ]


def predictions_table_html(season: SeasonAnalysis, ident: str | None = "fl-predictions") -> str:
    """The race predictions, one row per race and method, times as ``h:mm:ss``."""
    rows = [
        {
            "race": RACE_NAMES.get(p["race"], p["race"]),
            "method": METHOD_NAMES.get(p["method"], p["method"]),
            "time": format_duration(p["time_s"]),
            "range": f"{format_duration(p['low_s'])} to {format_duration(p['high_s'])}",
            "from": p.get("basis", ""),
        }
        for p in season.predictions.to_dict("records")
    ]
    columns = [
        ("race", "race"),
        ("method", "method"),
        ("time", "time"),
        ("range", "range"),
        ("from", "from"),
    ]
    return html_table(rows, columns, ident=ident, text_columns=("race", "method", "from"))


def _stats(season: SeasonAnalysis) -> str:
    cs = season.critical_speed
    cs_mps = finite(cs.critical_speed_mps) if cs.valid else None
    d_prime = finite(cs.d_prime_m) if cs.valid else None
    stats = [
        stat_html("fl-runs", "runs", str(len(season.activities)), len(season.activities)),
        stat_html(
            "fl-cs",
            "critical speed",
            f"{cs_mps:.2f} m/s ({format_pace(1000.0 / cs_mps, 'km')})" if cs_mps else "-",
            cs_mps,
        ),
        stat_html("fl-d-prime", "D'", "-" if d_prime is None else f"{d_prime:.0f} m", d_prime),
    ]
    if has_power(season):
        cp = season.critical_power
        cp_w = finite(cp.critical_power_w) if cp.valid else None
        w_prime = finite(cp.w_prime_j) if cp.valid else None
        stats.append(
            stat_html("fl-cp", "critical power", "-" if cp_w is None else f"{cp_w:.0f} W", cp_w)
        )
        stats.append(
            stat_html(
                "fl-w-prime", "W'", "-" if w_prime is None else f"{w_prime / 1000:.1f} kJ", w_prime
            )
        )
    marathon = season.marathon_prediction("vdot")
    if marathon:
        time_s = marathon["time_s"]
        stats.append(
            stat_html("fl-marathon", "predicted marathon", format_duration(time_s), time_s)
        )
    readiness = season.readiness
    shape = readiness.marathon_shape
    if shape:
        pct = shape["shape_pct"]
        stats.append(stat_html("fl-shape", "marathon shape", f"{pct:.0f} %", pct))
    durability = finite(readiness.durability.get("durability"))
    if durability is not None:
        stats.append(stat_html("fl-durability", "durability", f"{durability:.2f}", durability))
    risk = readiness.pre_race_risk
    if risk:
        stats.append(
            stat_html("fl-risk", "final-mile risk", f"{risk['p_fail']:.0%}", risk["p_fail"])
        )
    return f'<div class="fl-stats">{"".join(stats)}</div>'


def readiness_lines(season: SeasonAnalysis) -> list[str]:
    """Readiness in words, with what is missing and why."""
    cs = season.critical_speed
    readiness = season.readiness
    if cs.valid:
        lines = [
            f"Critical speed {cs.critical_speed_mps:.2f} m/s "
            f"({format_pace(1000.0 / cs.critical_speed_mps, 'km')}), D' {cs.d_prime_m:.0f} m, "
            f"R² {cs.r2:.4f}, from the best efforts of the last "
            f"{season.athlete.cs_window_days} days."
        ]
    else:
        lines = [f"No valid critical-speed fit: {cs.reason or 'too few efforts'}."]
    cp = season.critical_power
    if cp.valid:
        lines.append(
            f"Critical power {cp.critical_power_w:.0f} W, W' {cp.w_prime_j / 1000:.1f} kJ, "
            f"R² {cp.r2:.4f}, from the best running power of the same days (the runner's CP "
            "only if those days hold near all-out efforts of 2-15 min)."
        )
    elif has_power(season):
        lines.append(f"No valid critical-power fit: {cp.reason or 'too few efforts'}.")
    shape = readiness.marathon_shape
    if shape:
        lines.append(
            f"Marathon shape {shape['shape_pct']:.0f} %: volume {shape['volume_pct']:.0f} % "
            f"({shape['weekly_km']:.1f} km/week against a target of "
            f"{shape['weekly_target_km']:.0f}), long runs {shape['long_run_pct']:.0f} % "
            f"({shape['long_runs']} run(s) near the {shape['long_run_target_km']:.0f} km target)."
        )
    durability = readiness.durability
    if finite(durability.get("durability")) is not None:
        lines.append(
            f"Durability {durability['durability']:.2f} (1 = no drift): median Pa:HR decoupling "
            f"{100 * durability['decoupling_median']:.1f} % over {durability['n_runs']} long run(s)."
        )
    risk = readiness.pre_race_risk
    if risk:
        lines.append(
            f"Goal {format_duration(risk['goal_time_s'])} against a predicted "
            f"{format_duration(risk['predicted_time_s'])}: chance of final-mile failure "
            f"{risk['p_fail']:.0%} ({risk['p_lo']:.0%} to {risk['p_hi']:.0%})."
        )
    else:
        lines.append(
            "No pre-race final-mile risk: set goal_marathon_s in the athlete config "
            "(--athlete-config) to get one."
        )
    return lines


def skipped_table_html(
    skipped: Any, columns: tuple[str, ...] = ("file", "reason", "detail")
) -> str:
    """Files not analysed, with the reason."""
    rows = skipped.astype(object).where(skipped.notna(), None).to_dict("records")
    return html_table(rows, [(c, c) for c in columns], text_columns=columns)


def _period(season: SeasonAnalysis) -> str:
    if season.load.empty:
        return ""
    first, last = season.load.index.min(), season.load.index.max()
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


def training_report_html(analysis: SeasonAnalysis) -> str:
    """The season page of :func:`finishline.training.season.analyze_season` as HTML."""
    name = analysis.athlete.name or "athlete"
    n_runs, n_skipped = len(analysis.activities), len(analysis.skipped)
    subtitle = " | ".join(
        x for x in (f"{n_runs} runs analysed, {n_skipped} files skipped", _period(analysis)) if x
    )
    card = (
        f'<section class="fl-card">{_stats(analysis)}'
        + "".join(f"<p>{html.escape(line)}</p>" for line in readiness_lines(analysis))
        + "</section>"
    )
    body = [
        warnings_banner(estimate_lines(analysis.athlete)),
        card,
        *(figure_section(key, spec) for key, spec in season_figure_specs(analysis).items()),
        '<section class="fl-table"><h2>Race predictions</h2>'
        f"{predictions_table_html(analysis)}</section>",
    ]
    if n_skipped:
        body.append(
            '<section class="fl-table"><h2>Skipped files</h2>'
            f"{skipped_table_html(analysis.skipped)}</section>"
        )
    body.append(athlete_section_html(analysis.athlete))
    return page_html(f"Training report: {name}", body, subtitle=subtitle)
