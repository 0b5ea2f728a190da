"""Season figures: load and form, weekly volume, critical speed trend, predicted marathon.

Each function takes frames of a :class:`~finishline.training.results.SeasonAnalysis` and
returns a ``go.Figure``; nothing here writes files (assembly is in
:mod:`finishline.viz.training_report`). The charts open on the recent training block (the last
:data:`RECENT_DAYS` days with data); older runs stay in the figure, reachable by zooming out or
panning. Weeks where the critical-speed fit was rejected are shaded with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finishline.stretches import bounds
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import OKABE_ITO, duration_axis, format_duration, pace_strings
from finishline.viz.traces import line, new_figure, stacked_panels, unavailable_figure

#: The charts open on this many days before the last data point (about six months).
RECENT_DAYS = 183
_REJECTED_FILL = "rgba(153,153,153,0.15)"
_DAY_HOVER = {"text": "%{x|%a %d %b %Y}"}


def recent_range(
    dates: pd.Index, days: int = RECENT_DAYS, period_days: int = 1
) -> list[pd.Timestamp] | None:
    """The x range of a season chart: the last ``days`` days with data, 5 days' margin.

    ``period_days`` is what one point covers (7 for a week labelled by its first day): the
    range reaches the end of the last period. An explicit range also stops plotly's autorange
    from making room for the text of data-anchored annotations, which on a phone widened the
    axis by a year.
    """
    if not len(dates):
        return None
    last = dates.max() + pd.Timedelta(days=period_days - 1)
    pad = pd.Timedelta(days=5)
    return [max(dates.min(), last - pd.Timedelta(days=days)) - pad, last + pad]


def _date_axis(fig: FigureSpec, dates: pd.Index, header: dict | None = None, period_days: int = 1):
    fig.update_xaxes(
        range=recent_range(dates, period_days=period_days), unifiedhovertitle=header or _DAY_HOVER
    )


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
    starts, ends = bounds(~cs_trend["valid"].astype(bool).to_numpy())
    reasons = cs_trend.get("reason", pd.Series("", index=cs_trend.index)).astype(str).to_numpy()
    return [
        (cs_trend.index[a], cs_trend.index[b - 1], reasons[a])
        for a, b in zip(starts, ends, strict=True)
    ]


def _shade_rejected(fig: FigureSpec, cs_trend: pd.DataFrame) -> None:
    """Shade the weeks whose CS fit was rejected; the reasons go in the subtitle (an
    annotation inside the plot collides with the axis labels on a phone)."""
    spans = rejected_spans(cs_trend)
    for start, end, _ in spans:
        fig.add_vrect(
            x0=start - pd.Timedelta(days=3.5),
            x1=end + pd.Timedelta(days=3.5),
            fillcolor=_REJECTED_FILL,
            line_width=0,
            layer="below",
        )
    if spans:
        reasons = list(dict.fromkeys(r for _, _, r in spans if r))
        shown = "; ".join(reasons[:2]) + ("; ..." if len(reasons) > 2 else "")
        text = "Shaded: weeks whose CS fit was rejected" + (f" ({shown})" if shown else "")
        fig.update_layout(title={"subtitle": {"text": text}})


@returns_figure
def load_form_figure(load: pd.DataFrame) -> FigureSpec:
    """Daily load (bars, top) and CTL (fitness), ATL (fatigue), TSB (form) below it.

    Two panels: on one axis the daily bars (up to ~200) flattened the three curves (~0-50)
    into the bottom fifth of the plot.

    References
    ----------
    Banister impulse-response model and TRIMP; CTL/ATL as 42- and 7-day exponentially
    weighted averages, TSB = CTL - ATL (science.md section 2.4).
    """
    title = "Training load and form (load: TRIMP, or pace load without HR)"
    if load.empty:
        return unavailable_figure(title, "no training load")
    fig = stacked_panels(title, 2, 460, row_heights=[0.35, 0.65])
    fig.add_bar(
        x=load.index,
        y=load["load"].to_numpy(dtype=np.float32),
        name="daily load",
        marker_color="#999999",
        hovertemplate="daily load %{y:.0f}<extra></extra>",
        row=1,
        col=1,
    )
    for col, name, color, width, dash in (
        ("ctl", "CTL (fitness)", OKABE_ITO["blue"], 2.5, "solid"),
        ("atl", "ATL (fatigue)", OKABE_ITO["vermillion"], 1.5, "solid"),
        ("tsb", "TSB (form)", OKABE_ITO["bluish_green"], 1.5, "dot"),
    ):
        trace = line(
            load.index, load[col].to_numpy(), name, color, "%{y:.1f}", width=width, dash=dash
        )
        fig.add_trace(trace, row=2, col=1)
    fig.add_hline(y=0.0, line={"color": "#777777", "width": 1}, row=2, col=1)
    fig.update_yaxes(title_text="daily load", row=1, col=1)
    fig.update_yaxes(title_text="CTL, ATL, TSB", row=2, col=1)
    _date_axis(fig, load.index)
    fig.update_layout(bargap=0.0)
    return fig


@returns_figure
def weekly_volume_figure(weekly: pd.DataFrame) -> FigureSpec:
    """Weekly distance (bars) with the longest run of each week (markers; none for an empty
    week rather than a marker at zero)."""
    title = "Weekly volume"
    if weekly.empty:
        return unavailable_figure(title, "no runs")
    fig = new_figure(title, height=380)
    fig.add_bar(
        x=weekly.index,
        y=weekly["distance_km"].to_numpy(dtype=np.float32),
        name="weekly distance",
        marker_color=OKABE_ITO["sky_blue"],
        hovertemplate="weekly distance %{y:.1f} km<extra></extra>",
    )
    longest = weekly["longest_km"].astype(float).where(weekly["longest_km"] > 0).to_numpy()
    fig.add_trace(
        line(
            weekly.index,
            longest,
            "longest run",
            OKABE_ITO["orange"],
            "%{y:.1f} km",
            mode="markers",
            marker={
                "color": OKABE_ITO["orange"],
                "size": 8,
                "line": {"color": "white", "width": 1},
            },
        )
    )
    fig.update_yaxes(title_text="distance (km)", rangemode="tozero")
    _date_axis(fig, weekly.index, {"text": "week of %{x|%d %b %Y}"}, period_days=7)
    fig.update_layout(hovermode="x unified")
    return fig


@returns_figure
def critical_speed_figure(cs_trend: pd.DataFrame) -> FigureSpec:
    """Critical speed (m/s, hover also as pace) and D' (m) refitted weekly.

    Rejected fits are gaps in the lines, their weeks shaded with the reason.

    References
    ----------
    Smyth B., Muniz-Pumares D. (2020). Calculation of critical speed from raw training data
    in recreational marathon runners. *Med Sci Sports Exerc* 52:2637 (d = CS t + D', D'
    outside 50-500 m rejected; science.md section 2.2).
    """
    title = "Critical speed and D' (rolling window)"
    if cs_trend.empty:
        return unavailable_figure(title, "no critical-speed fit")
    fig = new_figure(title, height=400)
    valid = cs_trend["valid"].astype(bool)
    cs = cs_trend["critical_speed_mps"].astype(float).where(valid).to_numpy()
    d_prime = cs_trend["d_prime_m"].astype(float).where(valid).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = pace_strings(1000.0 / cs)
    cs_hover = "%{y:.2f} m/s (%{customdata} /km)"
    fig.add_trace(
        line(
            cs_trend.index,
            cs,
            "CS",
            OKABE_ITO["blue"],
            cs_hover,
            mode="lines+markers",
            customdata=pace,
        )
    )
    fig.add_trace(
        line(
            cs_trend.index,
            d_prime,
            "D'",
            OKABE_ITO["reddish_purple"],
            "%{y:.0f} m",
            mode="lines+markers",
            dash="dot",
            yaxis="y2",
        )
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
            "automargin": True,
            "tickmode": "auto",  # not synced to the CS ticks: D' gets round numbers
        },
    )
    _date_axis(fig, cs_trend.index, {"text": "week of %{x|%d %b %Y}"})
    return fig


@returns_figure
def predictions_figure(trend: pd.DataFrame, cs_trend: pd.DataFrame | None = None) -> FigureSpec:
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
    title = "Predicted marathon time"
    columns = [c for c in ("marathon_vdot_s", "marathon_cs_s") if c in trend]
    if trend.empty or not columns:
        return unavailable_figure(title, "no prediction")
    fig = new_figure(title, height=380)
    names = {"marathon_vdot_s": ("VDOT", "blue"), "marathon_cs_s": ("critical speed", "vermillion")}
    for col in columns:
        name, color = names[col]
        values = trend[col].astype(float).to_numpy()
        text = np.array([format_duration(v) for v in values], dtype=object)
        fig.add_trace(
            line(
                trend.index,
                values,
                name,
                OKABE_ITO[color],
                "%{customdata}",
                mode="lines+markers",
                customdata=text,
            )
        )
    if cs_trend is not None:
        _shade_rejected(fig, cs_trend)
    recent = trend.loc[trend.index >= recent_range(trend.index)[0], columns].to_numpy(dtype=float)
    finite = recent[np.isfinite(recent)]
    if finite.size:
        fig.update_yaxes(
            duration_axis(float(finite.min()), float(finite.max()), "marathon time (h:mm)")
        )
    _date_axis(fig, trend.index, {"text": "week of %{x|%d %b %Y}"})
    fig.update_layout(hovermode="x unified")
    return fig
