"""Training dashboard figures: load and form, weekly volume, CS trend, predictions over time.

Each function takes the frames of :func:`finishline.training.season.analyze_season` and
returns a ``go.Figure``; nothing here writes files (assembly is in
:mod:`finishline.viz.training_report`). Weeks where the critical-speed fit was rejected are
shaded with the reason in the CS and prediction figures, so a gap or a jump there reads as what
it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from finishline.viz.race import wrap_text
from finishline.viz.theme import OKABE_ITO, TEMPLATE_NAME, format_duration, pace_strings

_REJECTED_FILL = "rgba(153,153,153,0.15)"


def _figure(title: str, height: int = 380) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE_NAME, title={"text": title}, height=height)
    return fig


def rejected_spans(cs_trend: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """Runs of consecutive rows of ``cs_trend`` whose fit is not ``valid``.

    Returns
    -------
    list of (start, end, reason)
        ``start`` and ``end`` are the first and last rejected dates of each run (inclusive);
        ``reason`` is the rejection reason of the run's first row.
    """
    if cs_trend.empty or "valid" not in cs_trend:
        return []
    bad = ~cs_trend["valid"].astype(bool).to_numpy()
    edges = np.flatnonzero(np.diff(np.r_[0, bad.astype(np.int8), 0]))
    reasons = cs_trend.get("reason", pd.Series("", index=cs_trend.index)).astype(str).to_numpy()
    return [
        (cs_trend.index[a], cs_trend.index[b - 1], reasons[a])
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]


def _shade_rejected(fig: go.Figure, cs_trend: pd.DataFrame) -> None:
    for start, end, reason in rejected_spans(cs_trend):
        fig.add_vrect(
            x0=start - pd.Timedelta(days=3.5),
            x1=end + pd.Timedelta(days=3.5),
            fillcolor=_REJECTED_FILL,
            line_width=0,
            layer="below",
            annotation_text="<br>".join(
                wrap_text(f"CS fit rejected: {reason}" if reason else "CS fit rejected", 20)
            ),
            annotation_position="top left",
            annotation_font={"size": 11, "color": "#555555"},
        )


def _date_range(fig: go.Figure, dates: pd.Index) -> None:
    """An explicit date range with 5 days' margin: plotly's autorange also makes room for the
    text of data-anchored annotations, which on a phone widened the axis by a year."""
    if len(dates):
        pad = pd.Timedelta(days=5)
        fig.update_xaxes(range=[dates.min() - pad, dates.max() + pad])


def load_form_figure(load: pd.DataFrame) -> go.Figure:
    """Daily load (bars, top) and CTL (fitness), ATL (fatigue), TSB (form) below it.

    Two panels: on one axis the daily bars (up to ~200) flattened the three curves (~0-50)
    into the bottom fifth of the plot.

    References
    ----------
    Banister impulse-response model and TRIMP; CTL/ATL as 42- and 7-day exponentially
    weighted averages, TSB = CTL - ATL (science.md section 2.4).
    """
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.35, 0.65], vertical_spacing=0.06
    )
    fig.add_bar(
        x=load.index,
        y=load["load"],
        name="daily load",
        marker_color="#999999",
        hovertemplate="load %{y:.0f}<extra></extra>",
        row=1,
        col=1,
    )
    for col, name, style in (
        ("ctl", "CTL (fitness)", {"color": OKABE_ITO["blue"], "width": 2.5}),
        ("atl", "ATL (fatigue)", {"color": OKABE_ITO["vermillion"], "width": 1.5}),
        ("tsb", "TSB (form)", {"color": OKABE_ITO["bluish_green"], "width": 1.5, "dash": "dot"}),
    ):
        fig.add_scatter(
            x=load.index,
            y=load[col],
            name=name,
            mode="lines",
            line=style,
            hovertemplate=f"{name} %{{y:.1f}}<extra></extra>",
            row=2,
            col=1,
        )
    fig.add_hline(y=0.0, line={"color": "#777777", "width": 1}, row=2, col=1)
    fig.update_yaxes(title_text="daily load", row=1, col=1)
    fig.update_yaxes(title_text="CTL, ATL, TSB", row=2, col=1)
    fig.update_layout(
        template=TEMPLATE_NAME,
        title={"text": "Training load and form (load: TRIMP, or pace load without HR)"},
        height=460,
        bargap=0.0,
    )
    return fig


def weekly_volume_figure(weekly: pd.DataFrame) -> go.Figure:
    """Weekly distance (bars) with the longest run of each week (markers; none for an empty
    week rather than a marker at zero)."""
    fig = _figure("Weekly volume")
    fig.add_bar(
        x=weekly.index,
        y=weekly["distance_km"],
        name="weekly distance",
        marker_color=OKABE_ITO["sky_blue"],
        hovertemplate="week of %{x|%d %b %Y}: %{y:.1f} km<extra></extra>",
    )
    longest = weekly["longest_km"].astype(float).where(weekly["longest_km"] > 0)
    fig.add_scatter(
        x=weekly.index,
        y=longest,
        name="longest run",
        mode="markers",
        marker={"color": OKABE_ITO["orange"], "size": 8, "line": {"color": "white", "width": 1}},
        hovertemplate="longest run %{y:.1f} km<extra></extra>",
    )
    fig.update_yaxes(title_text="distance (km)", rangemode="tozero")
    return fig


def critical_speed_figure(cs_trend: pd.DataFrame) -> go.Figure:
    """Critical speed (m/s, hover also as pace) and D' (m) refitted weekly.

    Rejected fits are gaps in the lines, their weeks shaded with the reason.

    References
    ----------
    Smyth B., Muniz-Pumares D. (2020). Calculation of critical speed from raw training data
    in recreational marathon runners. *Med Sci Sports Exerc* 52:2637 (d = CS t + D', D'
    outside 50-500 m rejected; science.md section 2.2).
    """
    fig = _figure("Critical speed and D' (rolling window)", height=400)
    if cs_trend.empty:
        fig.add_annotation(
            text="Not available: no critical-speed fit",
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
        )
        return fig
    valid = cs_trend["valid"].astype(bool)
    cs = cs_trend["critical_speed_mps"].astype(float).where(valid)
    d_prime = cs_trend["d_prime_m"].astype(float).where(valid)
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = pace_strings(1000.0 / cs.to_numpy())
    fig.add_scatter(
        x=cs_trend.index,
        y=cs,
        name="CS",
        mode="lines+markers",
        line={"color": OKABE_ITO["blue"]},
        customdata=pace,
        hovertemplate="CS %{y:.2f} m/s (%{customdata} /km)<extra></extra>",
    )
    fig.add_scatter(
        x=cs_trend.index,
        y=d_prime,
        name="D'",
        yaxis="y2",
        mode="lines+markers",
        line={"color": OKABE_ITO["reddish_purple"], "dash": "dot"},
        hovertemplate="D' %{y:.0f} m<extra></extra>",
    )
    _shade_rejected(fig, cs_trend)
    fig.update_layout(
        yaxis={"title": {"text": "critical speed (m/s)"}},
        yaxis2={
            "title": {"text": "D' (m)"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickmode": "auto",  # not synced to the CS ticks: D' gets round numbers
        },
    )
    _date_range(fig, cs_trend.index)
    return fig


def _hm_ticks(lo_s: float, hi_s: float) -> tuple[list[float], list[str]]:
    """Tick positions (h) and ``h:mm`` labels on round 5-60 min steps over a range of seconds."""
    span = hi_s - lo_s
    step = next((m * 60 for m in (5, 10, 15, 20, 30, 60) if span / (m * 60) <= 6), 3600)
    first = np.ceil(lo_s / step) * step
    values = np.arange(first, hi_s + 1e-9, step)
    labels = [f"{int(v) // 3600}:{int(v) % 3600 // 60:02d}" for v in values]
    return [float(v) / 3600.0 for v in values], labels


def predictions_figure(trend: pd.DataFrame, cs_trend: pd.DataFrame | None = None) -> go.Figure:
    """Predicted marathon time over the season (VDOT and CS methods), axis and hover in h:mm.

    Parameters
    ----------
    trend
        ``marathon_vdot_s`` and ``marathon_cs_s`` (s) by date.
    cs_trend
        When given, weeks with a rejected CS fit are shaded with the reason.

    References
    ----------
    Daniels-Gilbert VDOT; marathons at ~84.8 % of CS (Smyth & Muniz-Pumares 2020);
    science.md sections 2.2 and 2.5.
    """
    fig = _figure("Predicted marathon time", height=380)
    seconds = []
    for col, name, color in (
        ("marathon_vdot_s", "VDOT", OKABE_ITO["blue"]),
        ("marathon_cs_s", "critical speed", OKABE_ITO["vermillion"]),
    ):
        if trend.empty or col not in trend:
            continue
        values = trend[col].astype(float)
        seconds.append(values.to_numpy())
        fig.add_scatter(
            x=trend.index,
            y=values / 3600.0,
            name=name,
            mode="lines+markers",
            line={"color": color},
            text=[format_duration(v) for v in values],
            hovertemplate=f"{name}: %{{text}}<extra></extra>",
        )
    if cs_trend is not None:
        _shade_rejected(fig, cs_trend)
    finite = np.concatenate(seconds) if seconds else np.array([])
    finite = finite[np.isfinite(finite)]
    if finite.size:
        pad = max(300.0, 0.05 * (finite.max() - finite.min()))
        lo, hi = finite.min() - pad, finite.max() + pad
        tickvals, ticktext = _hm_ticks(lo, hi)
        fig.update_yaxes(range=[lo / 3600.0, hi / 3600.0], tickvals=tickvals, ticktext=ticktext)
    fig.update_yaxes(title_text="marathon time (h:mm)")
    _date_range(fig, trend.index)
    return fig
