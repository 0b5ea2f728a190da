"""The squad (team) report: a sortable team table, two team figures, one section per athlete.

Self-contained HTML: plotly.js is inlined once, the table sorts with a few lines of inline
JavaScript, nothing loads from the network. Figure functions return ``go.Figure`` and never
write files; :func:`squad_report_html` assembles them. Athlete sections reuse the season
figures of :mod:`finishline.viz.training`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from finishline.training.results import SeasonAnalysis, SquadAnalysis
from finishline.viz.theme import COLORS, OKABE_ITO, TEMPLATE_NAME, format_duration
from finishline.viz.training import (
    critical_speed_figure,
    load_form_figure,
    predictions_figure,
    weekly_volume_figure,
)

#: Team-table columns: (table column, header, kind); kind picks the cell format.
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", "athlete", "name"),
    ("runs", "runs", "int"),
    ("last_run", "last run", "date"),
    ("weekly_km", "km/week (4 wk)", "float1"),
    ("ctl", "CTL fitness", "float0"),
    ("atl", "ATL fatigue", "float0"),
    ("tsb", "TSB form", "signed0"),
    ("acwr", "ACWR", "float2"),
    ("readiness_pct", "marathon shape %", "float0"),
    ("long_runs", "long runs (70 d)", "int"),
    ("critical_speed_mps", "CS m/s", "float2"),
    ("d_prime_m", "D' m", "float0"),
    ("predicted_marathon_s", "predicted marathon", "marathon"),
    ("goal_marathon_s", "goal", "duration"),
    ("p_fail", "final-mile risk", "risk"),
    ("flags", "flags", "flags"),
)


def athlete_anchor(name: str, index: int) -> str:
    """HTML id of an athlete's section (unique through ``index``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "athlete"
    return f"athlete-{index}-{slug}"


def _finite(value: Any) -> bool:
    try:
        return value is not None and bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def marathon_figure(table: pd.DataFrame) -> go.Figure:
    """Predicted marathon (VDOT, with band) and goal per athlete, fastest at the top."""
    fig = go.Figure(layout={"template": TEMPLATE_NAME})
    rows = table[table["predicted_marathon_s"].map(_finite)].sort_values(
        "predicted_marathon_s", ascending=False
    )
    hours = rows["predicted_marathon_s"] / 3600.0
    fig.add_scatter(
        x=hours,
        y=rows["name"],
        mode="markers",
        name="predicted (VDOT)",
        marker={"color": COLORS["pace"], "size": 10},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": rows["predicted_marathon_high_s"] / 3600.0 - hours,
            "arrayminus": hours - rows["predicted_marathon_low_s"] / 3600.0,
            "color": COLORS["pace"],
        },
        customdata=np.stack(
            [
                [format_duration(v) for v in rows["predicted_marathon_s"]],
                [format_duration(v) for v in rows["predicted_marathon_low_s"]],
                [format_duration(v) for v in rows["predicted_marathon_high_s"]],
            ],
            axis=-1,
        )
        if len(rows)
        else None,
        hovertemplate="%{y}: %{customdata[0]} (%{customdata[1]} – %{customdata[2]})"
        "<extra>predicted</extra>",
    )
    goals = rows[rows["goal_marathon_s"].map(_finite)]
    if len(goals):
        fig.add_scatter(
            x=goals["goal_marathon_s"] / 3600.0,
            y=goals["name"],
            mode="markers",
            name="goal",
            marker={"color": COLORS["risk"], "symbol": "diamond-open", "size": 12},
            customdata=[format_duration(v) for v in goals["goal_marathon_s"]],
            hovertemplate="%{y}: goal %{customdata}<extra></extra>",
        )
    fig.update_layout(
        title="Predicted marathon and goal",
        xaxis_title="marathon time (h)",
        hovermode="closest",
        height=max(260, 70 + 38 * len(rows)),
    )
    return fig


def form_figure(table: pd.DataFrame) -> go.Figure:
    """Fitness (CTL) and fatigue (ATL) bars with form (TSB) markers, one group per athlete."""
    fig = go.Figure(layout={"template": TEMPLATE_NAME})
    rows = table[table["ctl"].map(_finite)]
    fig.add_bar(x=rows["name"], y=rows["ctl"], name="CTL (fitness)", marker_color=OKABE_ITO["blue"])
    fig.add_bar(
        x=rows["name"], y=rows["atl"], name="ATL (fatigue)", marker_color=OKABE_ITO["vermillion"]
    )
    fig.add_scatter(
        x=rows["name"],
        y=rows["tsb"],
        mode="markers",
        name="TSB (form)",
        marker={
            "color": OKABE_ITO["bluish_green"],
            "size": 13,
            "symbol": "diamond",
            "line": {"color": "white", "width": 1},
        },
    )
    fig.update_layout(
        title="Fitness, fatigue and form on each athlete's last day",
        yaxis_title="load (TRIMP / pace load)",
        barmode="group",
        hovermode="x unified",
    )
    return fig


def _cell(row: Mapping[str, Any], column: str, kind: str, anchor: str) -> str:
    value = row.get(column)
    sort_key: Any = value if _finite(value) else ""
    if kind == "name":
        text = f"<a href='#{anchor}'>{html.escape(str(value))}</a>"
        sort_key = str(value).lower()
    elif kind == "flags":
        flags = list(value or [])
        text = "<br>".join(html.escape(f) for f in flags)
        sort_key = len(flags)
    elif kind == "date":
        ok = value is not None and not pd.isna(value)
        text = pd.Timestamp(value).strftime("%Y-%m-%d") if ok else "-"
        sort_key = pd.Timestamp(value).timestamp() if ok else ""
    elif not _finite(value):
        text = "-"
    elif kind == "int":
        text = f"{int(value)}"
    elif kind.startswith("float"):
        text = f"{float(value):.{kind[-1]}f}"
    elif kind == "signed0":
        text = f"{float(value):+.0f}"
    elif kind == "duration":
        text = format_duration(float(value))
    elif kind == "marathon":
        text = (
            f"{format_duration(value)} <small>({format_duration(row['predicted_marathon_low_s'])}"
            f" – {format_duration(row['predicted_marathon_high_s'])})</small>"
        )
    elif kind == "risk":
        basis = "at goal" if row.get("risk_pace") == "goal" else "at predicted"
        text = (
            f"{float(value):.1%} <small>({float(row['p_fail_lo']):.1%}–"
            f"{float(row['p_fail_hi']):.1%}, {basis} {format_duration(row['risk_time_s'])})</small>"
        )
    else:
        text = html.escape(str(value))
    return f"<td data-sort='{html.escape(str(sort_key))}'>{text}</td>"


def team_table_html(table: pd.DataFrame, anchors: Mapping[str, str]) -> str:
    """The team table as HTML; headers sort the rows (see :data:`SORT_SCRIPT`)."""
    head = "".join(
        f"<th title='sort by {html.escape(label)}'>{html.escape(label)}</th>"
        for _, label, _ in TABLE_COLUMNS
    )
    body = "".join(
        "<tr>"
        + "".join(_cell(row, col, kind, anchors[row["name"]]) for col, _, kind in TABLE_COLUMNS)
        + "</tr>"
        for row in table.to_dict(orient="records")
    )
    return f"<table class='sortable'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


#: Click a header to sort by it (numbers as numbers, empty cells last); click again to reverse.
SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], asc = th.dataset.order !== 'asc';
      table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = asc ? 'asc' : 'desc';
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
        if (x === '' || y === '') { return (x === '') - (y === ''); }
        var nx = Number(x), ny = Number(y);
        var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
    "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
    "table.sortable th{cursor:pointer;user-select:none;background:#f4f4f4}"
    "th[data-order=asc]::after{content:' \\25B2'}th[data-order=desc]::after{content:' \\25BC'}"
    "small{color:#666}section{border-top:2px solid #ccc;margin-top:2em}"
    "nav a{margin-right:1em}"
)


def _plain_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(r.get(c) if r.get(c) is not None else ''))}</td>"
            for c in columns
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def athlete_section(
    name: str,
    season: Mapping[str, Any],
    analysis: SeasonAnalysis | None,
    row: Mapping[str, Any],
    anchor: str,
) -> tuple[str, list[go.Figure]]:
    """An athlete's section (HTML before the figures) and the season figures to append;
    ``season`` is the athlete's JSON entry, ``analysis`` the season (None without one)."""
    title = f"<h2 id='{anchor}'>{html.escape(name)}</h2>"
    folder = html.escape(str(season.get("folder") or ""))
    if analysis is None:
        return (
            f"{title}<p>{folder}: no season ({html.escape(str(season['error']))}); "
            f"{len(season.get('skipped', []))} files skipped.</p>",
            [],
        )
    cs = season["critical_speed"]
    cs_text = (
        f"CS {cs['critical_speed_mps']:.2f} m/s, D' {cs['d_prime_m']:.0f} m (R² {cs['r2']:.3f})"
        if cs.get("valid")
        else f"no valid critical-speed fit ({html.escape(str(cs.get('reason') or ''))})"
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
    flags = "".join(f"<li>{html.escape(f)}</li>" for f in row.get("flags") or [])
    text = (
        f"{title}<p>{folder}: {len(season['activities'])} runs analysed, "
        f"{len(season['skipped'])} files skipped. {cs_text}.</p>"
        + (f"<ul>{flags}</ul>" if flags else "")
        + _plain_table(predictions, ["race", "method", "time", "band"])
    )
    figures = [load_form_figure(analysis.load), weekly_volume_figure(analysis.weekly)]
    if not analysis.cs_trend.empty:
        figures.append(critical_speed_figure(analysis.cs_trend))
    if not analysis.prediction_trend.empty:
        figures.append(predictions_figure(analysis.prediction_trend))
    return text, figures


def squad_report_html(result: SquadAnalysis) -> str:
    """The squad report of :func:`~finishline.training.squad.analyze_squad` as one
    self-contained HTML page."""
    table = result.table
    seasons = result.to_json()["athletes"]
    anchors = {name: athlete_anchor(name, i) for i, name in enumerate(seasons)}
    rows = {r["name"]: r for r in table.to_dict(orient="records")}
    plotly_included = False

    def render(fig: go.Figure) -> str:
        nonlocal plotly_included
        part = pio.to_html(fig, full_html=False, include_plotlyjs=not plotly_included)
        plotly_included = True
        return part

    skipped = result.skipped
    n_runs = sum(len(s.activities) for s in result.seasons.values())
    parts = [
        f"<h1>Squad report: {len(seasons)} athletes</h1>",
        f"<p>{result.n_files} files: {n_runs} runs analysed, {len(skipped)} skipped. "
        "Load and form are each athlete's last day in the data; the final-mile risk is at "
        "the goal time where one is set, else at the predicted time. Click a column header "
        "to sort.</p>",
        "<nav>"
        + "".join(f"<a href='#{anchors[n]}'>{html.escape(n)}</a>" for n in seasons)
        + "</nav>",
        team_table_html(table, anchors),
        render(marathon_figure(table)),
        render(form_figure(table)),
    ]
    for name, season in seasons.items():
        analysis = result.seasons.get(name)
        text, figures = athlete_section(name, season, analysis, rows.get(name, {}), anchors[name])
        parts.append("<section>" + text + "".join(render(f) for f in figures) + "</section>")
    if len(skipped):
        records = skipped.astype(object).where(skipped.notna(), None).to_dict(orient="records")
        parts.append(
            "<section><h2>Skipped files</h2>"
            + _plain_table(records, ["athlete", "file", "reason", "detail"])
            + "</section>"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Squad report</title>"
        f"<style>{STYLE}</style></head><body>"
        + "".join(parts)
        + f"<script>{SORT_SCRIPT}</script></body></html>"
    )
