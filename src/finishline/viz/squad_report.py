"""The squad page: a sortable team table, two team figures, one section per athlete.

Built from a :class:`~finishline.training.results.SquadAnalysis` (typed, no JSON) on the page
shell of :mod:`finishline.viz.page`: plotly.js once, the table sorts with a few lines of
inline JavaScript, nothing loads from the network. Each athlete's section shows the season
figures of :mod:`finishline.viz.training`, the predictions and the athlete values used, with
the estimated ones listed in the page's "Read this first" banner (``#fl-warnings``). The team
table is ``<table id="fl-team" class="fl-sortable">``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from finishline.training.results import SeasonAnalysis, SquadAnalysis
from finishline.viz.page import figure_section, page_html, warnings_banner
from finishline.viz.squad import form_figure, marathon_figure
from finishline.viz.tables import (
    SORT_SCRIPT,
    Cell,
    athlete_table_html,
    finite,
    html_table,
)
from finishline.viz.theme import format_duration
from finishline.viz.training_report import (
    estimate_lines,
    predictions_table_html,
    season_figure_specs,
    skipped_table_html,
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
    ("critical_power_w", "CP W", "float0"),
    ("predicted_marathon_s", "predicted marathon", "marathon"),
    ("goal_marathon_s", "goal", "duration"),
    ("p_fail", "final-mile risk", "risk"),
    ("flags", "flags", "flags"),
)


def athlete_anchor(name: str, index: int) -> str:
    """HTML id of an athlete's section (unique through ``index``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "athlete"
    return f"athlete-{index}-{slug}"


def _number_cell(value: float, kind: str) -> str:
    if kind == "int":
        return f"{int(value)}"
    if kind == "signed0":
        return f"{value:+.0f}"
    if kind == "duration":
        return format_duration(value)
    return f"{value:.{kind[-1]}f}"


def team_cell(row: Mapping[str, Any], column: str, kind: str, anchor: str) -> Cell:
    """One team-table cell: its markup and the value it sorts by."""
    value = row.get(column)
    number = finite(value)
    if kind == "name":
        return Cell(f"<a href='#{anchor}'>{html.escape(str(value))}</a>", str(value).lower())
    if kind == "flags":
        flags = list(value or [])
        return Cell("<br>".join(html.escape(f) for f in flags), len(flags))
    if kind == "date":
        if value is None or pd.isna(value):
            return Cell("-")
        stamp = pd.Timestamp(value)
        return Cell(f"{stamp:%Y-%m-%d}", stamp.timestamp())
    if number is None:
        return Cell("-")
    if kind == "marathon":
        band = (
            f"{format_duration(row['predicted_marathon_low_s'])} to "
            f"{format_duration(row['predicted_marathon_high_s'])}"
        )
        return Cell(f"{format_duration(number)} <small>({band})</small>", number)
    if kind == "risk":
        basis = "at goal" if row.get("risk_pace") == "goal" else "at predicted"
        detail = (
            f"{float(row['p_fail_lo']):.0%} to {float(row['p_fail_hi']):.0%}, "
            f"{basis} {format_duration(row['risk_time_s'])}"
        )
        return Cell(f"{number:.0%} <small>({html.escape(detail)})</small>", number)
    return Cell(_number_cell(number, kind), number)


def team_table_html(table: pd.DataFrame, anchors: Mapping[str, str]) -> str:
    """The team table; its headers sort the rows (critical power only when an athlete has it)."""
    shown = [
        (col, label, kind)
        for col, label, kind in TABLE_COLUMNS
        if col != "critical_power_w" or (col in table and table[col].notna().any())
    ]
    rows = [
        {col: team_cell(row, col, kind, anchors[row["name"]]) for col, _, kind in shown}
        for row in table.to_dict(orient="records")
    ]
    columns = [(col, label) for col, label, _ in shown]
    return html_table(rows, columns, ident="fl-team", sortable=True, text_columns=("name", "flags"))


def athlete_section(name: str, anchor: str, result: SquadAnalysis, row: Mapping[str, Any]) -> str:
    """An athlete's section: runs and fit in words, flags, season figures, predictions and the
    athlete values used."""
    season: SeasonAnalysis | None = result.seasons.get(name)
    folder = html.escape(str(result.folders.get(name) or ""))
    skipped = result.skipped[result.skipped["athlete"] == name] if len(result.skipped) else []
    head = '<section class="fl-athlete">' + f"<h2 id='{anchor}'>{html.escape(name)}</h2>"
    if season is None:
        return (
            f"{head}<p>{folder}: no season ({html.escape(result.errors.get(name, ''))}); "
            f"{len(skipped)} files skipped.</p>{athlete_table_html(result.athletes[name], f'fl-athlete-{anchor}')}"
            "</section>"
        )
    cs = season.critical_speed
    cs_text = (
        f"CS {cs.critical_speed_mps:.2f} m/s, D' {cs.d_prime_m:.0f} m (R² {cs.r2:.3f})"
        if cs.valid
        else f"no valid critical-speed fit ({cs.reason})"
    )
    flags = "".join(f"<li>{html.escape(f)}</li>" for f in row.get("flags") or [])
    figures = season_figure_specs(season, shade_rejected=False)
    return (
        f"{head}<p>{folder}: {len(season.activities)} runs analysed, {len(season.skipped)} files "
        f"skipped. {html.escape(cs_text)}.</p>"
        + (f"<ul>{flags}</ul>" if flags else "")
        + "".join(figure_section(f"{anchor}-{key}", fig) for key, fig in figures.items())
        + "<h3>Race predictions</h3>"
        + predictions_table_html(season, ident=None)
        + "<h3>Athlete values used</h3>"
        + athlete_table_html(season.athlete, f"fl-athlete-{anchor}")
        + "</section>"
    )


def squad_report_html(result: SquadAnalysis) -> str:
    """The squad report of :func:`~finishline.training.squad.analyze_squad` as one
    self-contained HTML page."""
    names = list(result.athletes)
    anchors = {name: athlete_anchor(name, i) for i, name in enumerate(names)}
    rows = {r["name"]: r for r in result.table.to_dict(orient="records")}
    n_runs = sum(len(s.activities) for s in result.seasons.values())
    estimates = [
        f"{name}: {line}"
        for name in names
        for line in estimate_lines(
            result.seasons[name].athlete if name in result.seasons else result.athletes[name]
        )
    ]
    body = [
        warnings_banner(estimates),
        '<section class="fl-card"><p>Load and form are each athlete\'s last day in the data; '
        "the final-mile risk is at the goal time where one is set, else at the predicted time. "
        "Click a column header to sort.</p>"
        + "<nav>"
        + "".join(f"<a href='#{anchors[n]}'>{html.escape(n)}</a>" for n in names)
        + "</nav>"
        + team_table_html(result.table, anchors)
        + "</section>",
        figure_section("marathon", marathon_figure.spec(result.table)),
        figure_section("form", form_figure.spec(result.table)),
        *(athlete_section(n, anchors[n], result, rows.get(n, {})) for n in names),
    ]
    if len(result.skipped):
        body.append(
            '<section class="fl-table"><h2>Skipped files</h2>'
            f"{skipped_table_html(result.skipped, ('athlete', 'file', 'reason', 'detail'))}</section>"
        )
    subtitle = f"{result.n_files} files: {n_runs} runs analysed, {len(result.skipped)} skipped"
    return page_html(
        f"Squad report: {len(names)} athletes", body, subtitle=subtitle, scripts=[SORT_SCRIPT]
    )
