"""Training dashboard figures: load and form, weekly volume, CS trend, predictions over time.

Each function takes the frames of :func:`finishline.training.season.analyze_season` and
returns a ``go.Figure``; nothing here writes files (assembly is in
:mod:`finishline.viz.training_report`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from finishline.viz.theme import OKABE_ITO, TEMPLATE_NAME, format_duration


def load_form_figure(load: pd.DataFrame) -> go.Figure:
    """Daily load (bars), CTL (fitness), ATL (fatigue) and TSB (form) over the season."""
    fig = go.Figure(layout={"template": TEMPLATE_NAME})
    fig.add_bar(x=load.index, y=load["load"], name="daily load", marker_color="#BBBBBB")
    fig.add_scatter(
        x=load.index,
        y=load["ctl"],
        name="CTL (fitness)",
        line={"color": OKABE_ITO["blue"], "width": 2.5},
    )
    fig.add_scatter(
        x=load.index,
        y=load["atl"],
        name="ATL (fatigue)",
        line={"color": OKABE_ITO["vermillion"], "width": 1.5},
    )
    fig.add_scatter(
        x=load.index,
        y=load["tsb"],
        name="TSB (form)",
        line={"color": OKABE_ITO["bluish_green"], "dash": "dot"},
    )
    fig.update_layout(title="Training load and form", yaxis_title="load (TRIMP / pace load)")
    return fig


def weekly_volume_figure(weekly: pd.DataFrame) -> go.Figure:
    """Weekly distance (bars) with the longest run of each week (markers)."""
    fig = go.Figure(layout={"template": TEMPLATE_NAME})
    fig.add_bar(
        x=weekly.index,
        y=weekly["distance_km"],
        name="weekly distance (km)",
        marker_color=OKABE_ITO["sky_blue"],
    )
    fig.add_scatter(
        x=weekly.index,
        y=weekly["longest_km"],
        name="longest run (km)",
        mode="markers",
        marker={"color": OKABE_ITO["orange"], "size": 8},
    )
    fig.update_layout(title="Weekly volume", yaxis_title="km")
    return fig


def critical_speed_figure(cs_trend: pd.DataFrame) -> go.Figure:
    """Critical speed (m/s) and D' (m) refitted weekly; rejected fits are left out."""
    valid = cs_trend[cs_trend["valid"].astype(bool)] if not cs_trend.empty else cs_trend
    fig = go.Figure(layout={"template": TEMPLATE_NAME})
    fig.add_scatter(
        x=valid.index,
        y=valid["critical_speed_mps"],
        name="CS (m/s)",
        mode="lines+markers",
        line={"color": OKABE_ITO["blue"]},
    )
    fig.add_scatter(
        x=valid.index,
        y=valid["d_prime_m"],
        name="D' (m)",
        yaxis="y2",
        mode="lines+markers",
        line={"color": OKABE_ITO["reddish_purple"], "dash": "dot"},
    )
    fig.update_layout(
        title="Critical speed and D' (rolling window)",
        yaxis_title="CS (m/s)",
        yaxis2={"title": "D' (m)", "overlaying": "y", "side": "right", "showgrid": False},
    )
    return fig


def predictions_figure(trend: pd.DataFrame) -> go.Figure:
    """Predicted marathon time over the season (VDOT and CS methods), hover as h:mm:ss."""
    fig = go.Figure(layout={"template": TEMPLATE_NAME})
    for col, name, color in (
        ("marathon_vdot_s", "VDOT", OKABE_ITO["blue"]),
        ("marathon_cs_s", "critical speed", OKABE_ITO["vermillion"]),
    ):
        if trend.empty or col not in trend:
            continue
        hours = trend[col].astype(float) / 3600.0
        fig.add_scatter(
            x=trend.index,
            y=hours,
            name=name,
            mode="lines+markers",
            line={"color": color},
            text=[format_duration(v) for v in trend[col].astype(float)],
            hovertemplate="%{text}",
        )
    fig.update_layout(title="Predicted marathon time", yaxis_title="hours")
    return fig
