"""Squad figures: predicted marathon against goal per athlete, and each athlete's form.

Each function takes the team table of a :class:`~finishline.training.results.SquadAnalysis`
(one row per athlete, :data:`finishline.training.team.SQUAD_COLUMNS`) and returns a
``go.Figure``; assembly is in :mod:`finishline.viz.squad_report`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import COLORS, OKABE_ITO, duration_axis, format_duration
from finishline.viz.traces import new_figure, unavailable_figure


def _finite_rows(table: pd.DataFrame, column: str) -> pd.DataFrame:
    values = pd.to_numeric(table[column], errors="coerce")
    return table[np.isfinite(values.to_numpy(dtype=float))]


@returns_figure
def marathon_figure(table: pd.DataFrame) -> FigureSpec:
    """Predicted marathon (VDOT, with its band) and goal per athlete, fastest at the top; the
    time axis reads ``h:mm``."""
    title = "Predicted marathon and goal"
    rows = _finite_rows(table, "predicted_marathon_s").sort_values(
        "predicted_marathon_s", ascending=False
    )
    if rows.empty:
        return unavailable_figure(title, "no athlete has a marathon prediction")
    fig = new_figure(title, height=max(260, 110 + 40 * len(rows)))
    pred = rows["predicted_marathon_s"].to_numpy(dtype=float)
    low = rows["predicted_marathon_low_s"].to_numpy(dtype=float)
    high = rows["predicted_marathon_high_s"].to_numpy(dtype=float)
    fig.add_scatter(
        x=pred,
        y=rows["name"],
        mode="markers",
        name="predicted (VDOT)",
        marker={"color": COLORS["pace"], "size": 10},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": high - pred,
            "arrayminus": pred - low,
            "color": COLORS["pace"],
        },
        customdata=np.column_stack(
            [[format_duration(v) for v in values] for values in (pred, low, high)]
        ),
        hovertemplate="%{y}: predicted %{customdata[0]} (%{customdata[1]} to %{customdata[2]})"
        "<extra></extra>",
    )
    goals = _finite_rows(rows, "goal_marathon_s")
    seconds = [low, high]
    if len(goals):
        goal = goals["goal_marathon_s"].to_numpy(dtype=float)
        seconds.append(goal)
        fig.add_scatter(
            x=goal,
            y=goals["name"],
            mode="markers",
            name="goal",
            marker={"color": COLORS["risk"], "symbol": "diamond-open", "size": 12},
            customdata=[format_duration(v) for v in goal],
            hovertemplate="%{y}: goal %{customdata}<extra></extra>",
        )
    finite = np.concatenate(seconds)
    finite = finite[np.isfinite(finite)]
    fig.update_xaxes(
        duration_axis(float(finite.min()), float(finite.max()), "marathon time (h:mm)")
    )
    fig.update_layout(hovermode="closest")
    return fig


@returns_figure
def form_figure(table: pd.DataFrame) -> FigureSpec:
    """Fitness (CTL) and fatigue (ATL) bars with form (TSB) markers, one group per athlete,
    on each athlete's last day in the data."""
    title = "Fitness, fatigue and form on each athlete's last day"
    rows = _finite_rows(table, "ctl")
    if rows.empty:
        return unavailable_figure(title, "no athlete has a training load")
    fig = new_figure(title, height=380)
    names = rows["name"]
    for column, name, color in (
        ("ctl", "CTL (fitness)", OKABE_ITO["blue"]),
        ("atl", "ATL (fatigue)", OKABE_ITO["vermillion"]),
    ):
        fig.add_bar(
            x=names,
            y=rows[column].to_numpy(dtype=float),
            name=name,
            marker_color=color,
            hovertemplate=f"{name} %{{y:.0f}}<extra></extra>",
        )
    fig.add_scatter(
        x=names,
        y=rows["tsb"].to_numpy(dtype=float),
        mode="markers",
        name="TSB (form)",
        marker={
            "color": OKABE_ITO["bluish_green"],
            "size": 13,
            "symbol": "diamond",
            "line": {"color": "white", "width": 1},
        },
        hovertemplate="TSB (form) %{y:+.0f}<extra></extra>",
    )
    fig.update_yaxes(title_text="load (TRIMP / pace load)")
    fig.update_xaxes(tickangle=0)
    fig.update_layout(barmode="group", hovermode="x unified")
    return fig
