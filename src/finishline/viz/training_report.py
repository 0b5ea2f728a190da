"""Assemble the HTML training report (self-contained: plotly.js inlined, no network)."""

from __future__ import annotations

import html
from typing import Any

import plotly.io as pio

from finishline.viz.theme import format_duration
from finishline.viz.training import (
    critical_speed_figure,
    load_form_figure,
    predictions_figure,
    weekly_volume_figure,
)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def training_report_html(season: dict[str, Any]) -> str:
    """The training report of :func:`finishline.training.season.analyze_season` as HTML."""
    frames = season["frames"]
    figures = [
        load_form_figure(frames["load"]),
        weekly_volume_figure(frames["weekly"]),
        critical_speed_figure(frames["cs_trend"]),
        predictions_figure(frames["prediction_trend"]),
    ]
    parts = [
        pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0))
        for i, fig in enumerate(figures)
    ]
    cs = season["critical_speed"]
    cs_text = (
        f"CS {cs['critical_speed_mps']:.2f} m/s, D' {cs['d_prime_m']:.0f} m, R² {cs['r2']:.4f}"
        if cs.get("valid")
        else f"no valid critical-speed fit ({html.escape(cs.get('reason') or '')})"
    )
    predictions = [
        {
            "race": p["race"],
            "method": p["method"],
            "time": format_duration(p["time_s"]),
            "band": f"{format_duration(p['low_s'])} – {format_duration(p['high_s'])}",
        }
        for p in season["predictions"]["races"]
    ]
    readiness = season["readiness"]
    shape = readiness.get("marathon_shape") or {}
    risk = readiness.get("pre_race_risk")
    lines = [
        f"<p>{len(season['activities'])} runs analysed, {len(season['skipped'])} files skipped.</p>",
        f"<p>{cs_text}</p>",
        _table(predictions, ["race", "method", "time", "band"]),
    ]
    if shape:
        lines.append(
            f"<p>Marathon shape {shape['shape_pct']:.0f} % (volume {shape['volume_pct']:.0f} %, "
            f"long runs {shape['long_run_pct']:.0f} %; {shape['weekly_km']:.1f} km/week vs "
            f"target {shape['weekly_target_km']:.0f}).</p>"
        )
    if risk:
        lines.append(
            f"<p>Goal {format_duration(risk['goal_time_s'])} vs predicted "
            f"{format_duration(risk['predicted_time_s'])}: P(final-mile failure) "
            f"{risk['p_fail']:.1%} ({risk['p_lo']:.1%}–{risk['p_hi']:.1%}).</p>"
        )
    skipped = season["skipped"]
    if skipped:
        lines.append("<h2>Skipped files</h2>" + _table(skipped, ["file", "reason", "detail"]))
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;"
        "border-bottom:1px solid #ddd;text-align:left}"
    )
    name = html.escape(str(season.get("athlete", {}).get("name", "athlete")))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Training report: {name}</title>"
        f"<style>{style}</style></head><body><h1>Training report: {name}</h1>"
        + "".join(lines)
        + "".join(parts)
        + "</body></html>"
    )
