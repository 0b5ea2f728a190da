"""Assemble the HTML training dashboard (self-contained: plotly.js inlined, no network).

Same look and hooks as the race report (:mod:`finishline.viz.report`): figures in
``<section class="fl-figure" data-figure=NAME>``; summary numbers in elements with ids
``fl-runs``, ``fl-cs`` (m/s), ``fl-d-prime`` (m), ``fl-marathon`` (s, VDOT method),
``fl-shape`` (%), ``fl-durability`` (0-1), ``fl-risk`` (0-1), each with the raw value in
``data-value``; the prediction table is ``<table id="fl-predictions">``.
"""

from __future__ import annotations

import html
from typing import Any

from finishline.training.results import SeasonAnalysis
from finishline.viz.report import REPORT_CSS, figure_section, stat_html
from finishline.viz.theme import format_duration, format_pace
from finishline.viz.training import (
    critical_speed_figure,
    load_form_figure,
    predictions_figure,
    weekly_volume_figure,
)

_RACE_NAMES = {"5k": "5 km", "10k": "10 km", "half": "half marathon", "marathon": "marathon"}
_METHOD_NAMES = {"riegel": "Riegel", "vdot": "VDOT", "critical_speed": "critical speed"}


def _table(rows: list[dict[str, Any]], columns: list[str], ident: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    id_attr = f' id="{ident}"' if ident else ""
    return (
        f'<div class="fl-scroll"><table{id_attr}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _marathon(season: dict[str, Any]) -> dict[str, Any] | None:
    races = season["predictions"]["races"]
    return next((p for p in races if p["race"] == "marathon" and p["method"] == "vdot"), None)


def _summary_card(season: dict[str, Any]) -> str:
    cs = season["critical_speed"]
    valid = bool(cs.get("valid"))
    cs_mps = cs["critical_speed_mps"] if valid else None
    stats = [
        stat_html("fl-runs", "runs", str(len(season["activities"])), len(season["activities"])),
        stat_html(
            "fl-cs",
            "critical speed",
            f"{cs_mps:.2f} m/s ({format_pace(1000.0 / cs_mps, 'km')})" if cs_mps else "-",
            cs_mps,
        ),
        stat_html(
            "fl-d-prime",
            "D'",
            f"{cs['d_prime_m']:.0f} m" if valid else "-",
            cs["d_prime_m"] if valid else None,
        ),
    ]
    marathon = _marathon(season)
    if marathon:
        stats.append(
            stat_html(
                "fl-marathon",
                "predicted marathon",
                format_duration(marathon["time_s"]),
                marathon["time_s"],
            )
        )
    readiness = season["readiness"]
    shape = readiness.get("marathon_shape")
    if shape:
        stats.append(
            stat_html(
                "fl-shape", "marathon shape", f"{shape['shape_pct']:.0f} %", shape["shape_pct"]
            )
        )
    durability = readiness.get("durability")
    if durability and durability.get("durability") is not None:
        stats.append(
            stat_html(
                "fl-durability",
                "durability",
                f"{durability['durability']:.2f}",
                durability["durability"],
            )
        )
    risk = readiness.get("pre_race_risk")
    if risk:
        stats.append(
            stat_html("fl-risk", "final-mile risk", f"{risk['p_fail']:.0%}", risk["p_fail"])
        )
    return f'<section class="fl-card"><div class="fl-stats">{"".join(stats)}</div>'


def _readiness_lines(season: dict[str, Any]) -> list[str]:
    """Readiness in words, with what is missing and why."""
    cs = season["critical_speed"]
    readiness = season["readiness"]
    lines = []
    if cs.get("valid"):
        lines.append(
            f"Critical speed {cs['critical_speed_mps']:.2f} m/s "
            f"({format_pace(1000.0 / cs['critical_speed_mps'], 'km')}), D' {cs['d_prime_m']:.0f} m, "
            f"R² {cs['r2']:.4f}, from the best efforts of the last {cs['window_days']} days."
        )
    else:
        lines.append(f"No valid critical-speed fit: {cs.get('reason') or 'too few efforts'}.")
    shape = readiness.get("marathon_shape")
    if shape:
        lines.append(
            f"Marathon shape {shape['shape_pct']:.0f} %: volume {shape['volume_pct']:.0f} % "
            f"({shape['weekly_km']:.1f} km/week against a target of "
            f"{shape['weekly_target_km']:.0f}), long runs {shape['long_run_pct']:.0f} % "
            f"({shape['long_runs']} run(s) near the {shape['long_run_target_km']:.0f} km target)."
        )
    durability = readiness.get("durability")
    if durability and durability.get("durability") is not None:
        lines.append(
            f"Durability {durability['durability']:.2f} (1 = no drift): median Pa:HR decoupling "
            f"{100 * durability['decoupling_median']:.1f} % over {durability['n_runs']} long run(s)."
        )
    risk = readiness.get("pre_race_risk")
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
    return [f"<p>{html.escape(line)}</p>" for line in lines]


def training_report_html(analysis: SeasonAnalysis) -> str:
    """The training dashboard of :func:`finishline.training.season.analyze_season` as HTML."""
    season = analysis.to_json()
    figures = {
        "load": load_form_figure(analysis.load),
        "weekly": weekly_volume_figure(analysis.weekly),
        "critical_speed": critical_speed_figure(analysis.cs_trend),
        "predictions": predictions_figure(analysis.prediction_trend, analysis.cs_trend),
    }
    parts = [
        figure_section(key, fig, include_plotlyjs=i == 0)
        for i, (key, fig) in enumerate(figures.items())
    ]
    predictions = [
        {
            "race": _RACE_NAMES.get(p["race"], p["race"]),
            "method": _METHOD_NAMES.get(p["method"], p["method"]),
            "time": format_duration(p["time_s"]),
            "range": f"{format_duration(p['low_s'])} to {format_duration(p['high_s'])}",
            "from": p.get("basis", ""),
        }
        for p in season["predictions"]["races"]
    ]
    name = html.escape(analysis.athlete.name or "athlete")
    skipped = season["skipped"]
    sub = f"{len(season['activities'])} runs analysed, {len(skipped)} files skipped"
    card = _summary_card(season) + "".join(_readiness_lines(season)) + "</section>"
    tables = (
        '<section class="fl-table"><h2>Race predictions</h2>'
        + _table(predictions, ["race", "method", "time", "range", "from"], "fl-predictions")
        + "</section>"
    )
    if skipped:
        tables += (
            '<section class="fl-table"><h2>Skipped files</h2>'
            + _table(skipped, ["file", "reason", "detail"])
            + "</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Training report: {name}</title><style>{REPORT_CSS}</style></head><body><main>"
        f'<h1>Training report: {name}</h1><p class="fl-sub">{html.escape(sub)}</p>'
        + card
        + "".join(parts)
        + tables
        + "</main></body></html>\n"
    )
