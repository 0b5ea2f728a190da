"""The route of one race, coloured by pace, without map tiles or network.

Positions are projected to distances east and north of the start (a local equirectangular
projection, exact enough over a marathon's few tens of km), so the axes read in km or miles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import (
    COLORS,
    METERS_PER_UNIT,
    ROUTE_PACE_SCALE,
    Unit,
    check_unit,
    pace_strings,
    pace_ticks,
    unit_label,
)
from finishline.viz.traces import (
    colorbar_below,
    compact,
    has_data,
    new_figure,
    pace_from_speed,
    smooth,
    unavailable_figure,
)

#: Mean Earth radius (m), IUGG.
EARTH_RADIUS_M = 6_371_008.8


def _east_north(lat: np.ndarray, lon: np.ndarray, unit: Unit) -> tuple[np.ndarray, np.ndarray]:
    """Distances east and north of the first position, in ``unit``."""
    scale = EARTH_RADIUS_M / METERS_PER_UNIT[unit]
    east = np.deg2rad(lon - lon[0]) * np.cos(np.deg2rad(lat[0])) * scale
    return east, np.deg2rad(lat - lat[0]) * scale


def _pace_marker(pace: np.ndarray, unit: Unit) -> dict[str, Any]:
    """Marker colours on the pace scale, centred on the runner's typical pace so that walk
    breaks at aid stations saturate rather than stretch the scale."""
    typical = float(np.nanmedian(pace))
    lo, hi = 0.85 * typical, 1.25 * typical
    tickvals, ticktext = pace_ticks(lo, hi, max_ticks=6)
    return {
        "size": 5,
        "color": np.clip(pace, lo, hi).astype(np.float32),
        "colorscale": ROUTE_PACE_SCALE,
        "cmin": lo,
        "cmax": hi,
        "colorbar": colorbar_below(f"pace (min/{unit_label(unit)})", tickvals, ticktext, -0.15),
    }


def _end_marker(name: str, x: float, y: float, symbol: str, color: str) -> dict:
    """The start or finish of the route: a labelled marker."""
    return dict(
        type="scatter",
        x=[x],
        y=[y],
        mode="markers+text",
        marker={
            "size": 12,
            "symbol": symbol,
            "color": color,
            "line": {"color": "white", "width": 1.5},
        },
        text=[name],
        textposition="top center",
        name=name,
        hoverinfo="skip",
        showlegend=False,
    )


@returns_figure
def route_figure(track: pd.DataFrame, unit: Unit = "km", *, max_points: int = 500) -> FigureSpec:
    """The route from latitude/longitude, coloured by pace, on equal-aspect axes.

    Parameters
    ----------
    track
        1 Hz track with ``lat_deg``, ``lon_deg`` (WGS84), ``speed_mps``, ``distance_m``.
    unit
        Axis unit and pace unit.
    max_points
        Display at most this many positions (every n-th sample).
    """
    unit = check_unit(unit)
    title = "Route, coloured by pace"
    if not (has_data(track, "lat_deg") and has_data(track, "lon_deg")):
        return unavailable_figure(title, "the file has no GPS positions")
    pos = track.loc[track["lat_deg"].notna() & track["lon_deg"].notna()]
    stride = max(1, int(np.ceil(len(pos) / max_points)))
    east, north = _east_north(
        pos["lat_deg"].to_numpy(dtype="float64"), pos["lon_deg"].to_numpy(dtype="float64"), unit
    )
    sel = slice(None, None, stride)
    x, y = compact(east[sel]), compact(north[sel])
    u = unit_label(unit)
    fig = new_figure(title, height=560)
    fig.add_trace(
        dict(
            type="scatter",
            x=x,
            y=y,
            mode="lines",
            line={"color": "#CCCCCC", "width": 5},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    marker: dict[str, Any] = {"size": 5, "color": COLORS["pace"]}
    dist = pos["distance_m"].to_numpy(dtype="float64")[sel] / METERS_PER_UNIT[unit]
    customdata = np.column_stack(
        [[f"{d:.2f}" for d in dist], np.full(dist.size, "-", dtype=object)]
    )
    if has_data(pos, "speed_mps"):
        # ~30 s mean: colour the trend, not each stride
        speed = smooth(pos["speed_mps"].to_numpy(dtype="float64"), max(stride, 30))
        pace = pace_from_speed(speed, unit)[sel]
        if np.isfinite(pace).any():
            marker = _pace_marker(pace, unit)
            customdata[:, 1] = pace_strings(pace)
    fig.add_trace(
        dict(
            type="scatter",
            x=x,
            y=y,
            mode="markers",
            marker=marker,
            customdata=customdata,
            hovertemplate=f"at %{{customdata[0]}} {u}<br>pace %{{customdata[1]}} /{u}<extra></extra>",
            showlegend=False,
        )
    )
    for name, i, symbol, color in (
        ("start", 0, "circle", "#009E73"),
        ("finish", -1, "square", "#000000"),
    ):
        fig.add_trace(_end_marker(name, float(east[i]), float(north[i]), symbol, color))
    fig.update_xaxes(title_text=f"east of start ({u})", constrain="domain")
    fig.update_yaxes(title_text=f"north of start ({u})", scaleanchor="x", scaleratio=1.0)
    fig.update_layout(hovermode="closest")
    return fig
