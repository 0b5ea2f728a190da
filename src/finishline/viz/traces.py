"""Shared pieces of every figure: display reduction of a track, trace builders, axis helpers.

Nothing here decides anything about the race: the helpers reduce a 1 Hz track to what a screen
can show (:func:`downsample_by_distance`, one point per few tens of metres), convert units for
display, and build the traces, reference lines, markers and notes that the figure families
(:mod:`~finishline.viz.pace`, :mod:`~finishline.viz.heart`, :mod:`~finishline.viz.fatigue_risk`,
:mod:`~finishline.viz.route`, :mod:`~finishline.viz.training`, :mod:`~finishline.viz.squad`)
share. Every hover label carries its unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finishline.viz.spec import FigureSpec, expand
from finishline.viz.theme import (
    COLORS,
    FEET_PER_METRE,
    METERS_PER_UNIT,
    TEMPLATE,
    Unit,
    pace_strings,
    unit_label,
)

#: Below this speed (m/s) a point is a stop, not a pace: drawn as a gap.
MIN_PACE_SPEED_MPS = 0.8
#: Points per line a figure is reduced to (a screen is at most ~1,000 px wide).
DISPLAY_POINTS = 1000
#: Longest line (characters) of text drawn inside a plot: fits a 400 px phone screen.
WRAP_CHARS = 40


# --------------------------------------------------------------------------- display data


def _binned_mean(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    sums = np.add.reduceat(np.where(finite, values, 0.0), starts)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def downsample_by_distance(track: pd.DataFrame, step_m: float, columns: list[str]) -> pd.DataFrame:
    """Means of ``columns`` over consecutive ``step_m`` bins of ``distance_m`` (NaN-aware).

    Samples where the runner is not ``moving`` (when that column exists) are left out of the
    means of every column but ``altitude_m`` and ``elapsed_s``, so that a stop does not drag
    the pace of its bin.

    Parameters
    ----------
    track
        The 1 Hz track (needs ``distance_m``, m).
    step_m
        Bin width (m of distance).
    columns
        Columns to average (missing ones are left out).

    Returns
    -------
    DataFrame
        One row per non-empty bin: ``distance_m`` (bin mean, m) and the averaged columns.
    """
    if track.empty or "distance_m" not in track:
        return pd.DataFrame(columns=["distance_m"])
    distance = track["distance_m"].to_numpy(dtype="float64")
    keep = np.isfinite(distance)
    if not keep.any():
        return pd.DataFrame(columns=["distance_m"])
    sub = track.loc[keep]
    distance = np.maximum.accumulate(distance[keep])
    bins = np.floor(distance / step_m).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    moving = (
        sub["moving"].to_numpy(dtype=bool) if "moving" in sub else np.ones(len(sub), dtype=bool)
    )
    out: dict[str, np.ndarray] = {"distance_m": _binned_mean(distance, starts)}
    for col in columns:
        if col in sub:
            values = sub[col].to_numpy(dtype="float64", na_value=np.nan)
            if col not in ("altitude_m", "elapsed_s"):
                values = np.where(moving, values, np.nan)
            out[col] = _binned_mean(values, starts)
    return pd.DataFrame(out)


def display_step(track: pd.DataFrame, points: int = DISPLAY_POINTS) -> float:
    """Display bin (m): at least 10 m, coarse enough for about ``points`` points per line."""
    if "distance_m" not in track or not len(track):
        return 10.0
    total = float(np.nanmax(track["distance_m"]))
    return max(10.0, total / points) if np.isfinite(total) else 10.0


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling mean over ``window`` points (for display)."""
    if window <= 1 or values.size == 0:
        return values
    return (
        pd.Series(values)
        .rolling(window, center=True, min_periods=max(1, window // 3))
        .mean()
        .to_numpy()
    )


def compact(values: Any) -> np.ndarray:
    """A float32 copy for display: half the bytes of float64 in the page, no visible change."""
    return np.asarray(values, dtype="float64").astype(np.float32)


def pace_from_speed(speed_mps: np.ndarray, unit: Unit) -> np.ndarray:
    """Display pace (s per km or mile) of speeds (m/s); NaN (a gap) below a walking stop."""
    speed = np.asarray(speed_mps, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(speed >= MIN_PACE_SPEED_MPS, METERS_PER_UNIT[unit] / speed, np.nan)


def per_unit(seconds_per_km: float | None, unit: Unit) -> float:
    """A pace in s/km as s per ``unit`` (NaN when unknown)."""
    if seconds_per_km is None or not np.isfinite(seconds_per_km):
        return float("nan")
    return float(seconds_per_km) * METERS_PER_UNIT[unit] / 1000.0


def pace_range(
    *paces: np.ndarray, percentiles: tuple[float, float] = (1, 99)
) -> tuple[float, float]:
    """Pace axis range: the given percentiles, so a water-station stop does not set the scale."""
    values = np.concatenate([np.asarray(p, dtype="float64").ravel() for p in paces])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 240.0, 480.0
    lo, hi = np.percentile(values, list(percentiles))
    return float(lo), float(max(hi, lo + 30.0))


def has_data(frame: pd.DataFrame | None, column: str) -> bool:
    """True when ``frame`` has ``column`` with at least one value."""
    return frame is not None and column in frame and bool(frame[column].notna().any())


# --------------------------------------------------------------------------- figures, traces


def new_figure(title: str, height: int = 420) -> FigureSpec:
    """An empty figure on the finishline template."""
    return FigureSpec({"template": TEMPLATE, "title": {"text": title}, "height": height})


def stacked_panels(
    title: str, rows: int, height: int, row_heights: list[float] | None = None
) -> FigureSpec:
    """``rows`` panels stacked on one shared x axis (``make_subplots(rows, 1,
    shared_xaxes=True)``)."""
    fig = FigureSpec.stacked(rows, 0.05 if rows > 2 else 0.07, row_heights)
    fig.update_layout(template=TEMPLATE, title={"text": title}, height=height)
    return fig


def unavailable_figure(title: str, reason: str, height: int = 240) -> FigureSpec:
    """A figure that says, in words, why there is nothing to draw."""
    fig = new_figure(title, height=height)
    fig.add_annotation(
        text="<br>".join(wrap_text(f"Not available: {reason}")),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": "#555555"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(hovermode=False, meta={"available": False})
    return fig


def line(x: Any, y: Any, name: str, color: str, hover: str, **options: Any) -> dict:
    """A line trace; ``hover`` is the value part of its hover label (with its unit), e.g.
    ``"%{y:.0f} bpm"``."""
    style = {"color": color, "width": options.pop("width", 1.5)}
    if "dash" in options:
        style["dash"] = options.pop("dash")
    return {
        "type": "scatter",
        "x": compact(x) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else x,
        "y": compact(y) if isinstance(y, np.ndarray | pd.Series) else y,
        "name": name,
        "mode": options.pop("mode", "lines"),
        "line": style,
        "hovertemplate": f"{name} {hover}<extra></extra>",
        **expand(options),
    }


def pace_line(
    x: np.ndarray, pace: np.ndarray, name: str, color: str, unit: Unit, **options
) -> dict:
    """A pace line (s per unit on a reversed axis), hover in ``m:ss /km`` or ``/mi``."""
    return line(
        x,
        pace,
        name,
        color,
        f"%{{customdata}} /{unit_label(unit)}",
        customdata=pace_strings(pace),
        **options,
    )


def legend_key(name: str, color: str, symbol: str = "square") -> dict:
    """A legend entry with no data (for shaded areas, which have no legend of their own)."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "name": name,
        "marker": {"symbol": symbol, "size": 12, "color": color},
        "hoverinfo": "skip",
    }


def reference_line(
    fig: FigureSpec, y: float, text: str, *, color: str = COLORS["reference"], **options: Any
) -> None:
    """A horizontal reference line labelled in the plot (``position``: where the label goes)."""
    position = options.pop("position", "top right")
    fig.add_hline(
        y=y,
        line={"color": color, "width": 1.2, "dash": options.pop("dash", "solid")},
        annotation_text=text,
        annotation_position=position,
        annotation_font={"size": 11, "color": color},
        annotation_bgcolor="rgba(255,255,255,0.85)",
        **options,
    )


def mark_onset(fig: FigureSpec, x_onset: float, rows: int, text: str, x_max: float) -> None:
    """A dashed line through every panel at ``x_onset`` and its label above the first one,
    anchored away from the nearer edge (centred in the middle third) so that a phone screen
    does not cut it off."""
    for row in range(1, rows + 1):
        fig.add_vline(
            x=x_onset,
            line={"color": COLORS["marker"], "dash": "dash", "width": 1.5},
            row=row,
            col=1,
        )
    share = x_onset / x_max if x_max > 0 else 0.5
    anchor = "left" if share < 0.3 else "right" if share > 0.7 else "center"
    fig.add_annotation(
        x=x_onset,
        y=1.0,
        xref="x",
        yref="paper",
        yanchor="bottom",
        text=text,
        xanchor=anchor,
        showarrow=False,
        font={"color": COLORS["marker"], "size": 12},
        bgcolor="rgba(255,255,255,0.85)",
    )


def colorbar_below(title: str, tickvals: list[float], ticktext: list[str], y: float) -> dict:
    """A horizontal colour bar under the plot (beside it, a bar takes a third of a phone)."""
    return {
        "orientation": "h",
        "title": {"text": title, "side": "top"},
        "tickvals": tickvals,
        "ticktext": ticktext,
        "thickness": 10,
        "len": 0.8,
        "x": 0.5,
        "xanchor": "center",
        "y": y,
        "yanchor": "top",
    }


def distance_axis(fig: FigureSpec, unit: Unit, x_min: float, x_max: float, rows: int = 1) -> None:
    """The shared distance axis: range, title on the bottom panel, ``20.05 km`` hover header.

    An explicit range: plotly's autorange also makes room for the text of data-anchored
    annotations, which widened the axis to 0-65 km on a narrow screen.
    """
    u = unit_label(unit)
    fig.update_xaxes(range=[x_min, x_max], unifiedhovertitle={"text": f"%{{x:.2f}} {u}"})
    bottom = {"row": rows, "col": 1} if rows > 1 else {}
    fig.update_xaxes(title_text=f"distance ({u})", **bottom)


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (up to and including the first ``. `` or the end)."""
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def wrap_text(text: str, width: int = WRAP_CHARS) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters at spaces (a longer word
    stays whole on its own line)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def note_box(fig: FigureSpec, lines: list[str], *, left: bool = True, y: float = 0.98) -> None:
    """A boxed note in a top corner of the plot (lines already wrapped)."""
    fig.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0.01 if left else 0.99,
        y=y,
        xanchor="left" if left else "right",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": 11},
        bgcolor="rgba(255,255,255,0.88)",
        bordercolor="#BBBBBB",
        borderwidth=1,
    )


def elevation_panel(
    fig: FigureSpec, x: np.ndarray, altitude_m: np.ndarray, unit: Unit, row: int = 2
) -> None:
    """The elevation profile (m, or ft with miles) as a filled line in panel ``row``, its axis
    padded by at least 5 units."""
    elev_unit, factor = ("m", 1.0) if unit == "km" else ("ft", FEET_PER_METRE)
    alt = np.asarray(altitude_m, dtype=float) * factor
    trace = line(
        x,
        alt,
        "elevation",
        COLORS["elevation"],
        f"%{{y:.0f}} {elev_unit}",
        width=1,
        fill="tozeroy",
        fillcolor="rgba(140,140,140,0.25)",
    )
    fig.add_trace(trace, row=row, col=1)
    lo, hi = float(np.nanmin(alt)), float(np.nanmax(alt))
    pad = max(5.0, 0.1 * (hi - lo))
    fig.update_yaxes(
        title_text=f"elevation ({elev_unit})", range=[lo - pad, hi + pad], row=row, col=1
    )
