"""Pace figures of one race: pace and GAP with elevation, split bars, the final mile up close.

Each function takes the track (a plain frame) and the analysis results it draws
(:class:`~finishline.metrics.final_mile.FinalMile`, the splits and stops frames) and returns a
``go.Figure``. The reference pace, its window, the final mile, its outcome and the walking and
stopped stretches all come from the analysis; nothing here decides what they are. Pace axes
read ``m:ss`` per km or mile and are reversed so that faster is up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from plotly.colors import sample_colorscale

from finishline.definitions import FMF_PACE_RATIO
from finishline.metrics.final_mile import FinalMile
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import (
    COLORS,
    METERS_PER_UNIT,
    PACE_RATIO_SCALE,
    Unit,
    check_unit,
    format_pace,
    pace_axis,
    pace_strings,
    unit_label,
)
from finishline.viz.traces import (
    colorbar_below,
    display_step,
    distance_axis,
    downsample_by_distance,
    elevation_panel,
    has_data,
    legend_key,
    line,
    new_figure,
    pace_from_speed,
    pace_line,
    pace_range,
    per_unit,
    reference_line,
    smooth,
    stacked_panels,
    unavailable_figure,
)

#: Pace ratio range of the split colour scale (faster/slower than reference by 15 %).
RATIO_RANGE = (0.85, 1.15)
#: Shading of walking and stopped stretches.
WALK_FILL = "rgba(230,159,0,0.28)"
STOP_FILL = "rgba(204,121,167,0.35)"


@returns_figure
def pace_elevation_figure(
    track: pd.DataFrame,
    unit: Unit = "km",
    *,
    final_mile: FinalMile | None = None,
    smooth_m: float = 400.0,
) -> FigureSpec:
    """Pace and grade-adjusted pace (GAP) over distance, with the elevation profile beneath.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m`` (m), ``speed_mps`` and ``gap_speed_mps`` (m/s),
        ``altitude_m`` (m), ``moving`` (bool).
    unit
        ``"km"`` or ``"mile"``: distance axis and pace per km or per mile; elevation in metres
        for km and in feet for miles.
    final_mile
        The analysis' final-mile facts: its reference pace and window label are drawn as a line.
    smooth_m
        Centred rolling mean over this distance (m) on the binned speeds, for readability.
    """
    unit = check_unit(unit)
    title = "Pace and grade-adjusted pace over the course"
    if not has_data(track, "distance_m") or not has_data(track, "speed_mps"):
        return unavailable_figure(title, "the file has no distance or speed")
    step = display_step(track)
    binned = downsample_by_distance(track, step, ["speed_mps", "gap_speed_mps", "altitude_m"])
    window = max(1, int(round(smooth_m / step)))
    x = binned["distance_m"].to_numpy() / METERS_PER_UNIT[unit]
    pace = pace_from_speed(smooth(binned["speed_mps"].to_numpy(), window), unit)
    has_gap = has_data(binned, "gap_speed_mps")
    gap = (
        pace_from_speed(smooth(binned["gap_speed_mps"].to_numpy(), window), unit)
        if has_gap
        else pace
    )
    fig = stacked_panels(title, 2, 480, row_heights=[0.7, 0.3])
    if has_gap:
        # beneath the pace and lighter: GAP swings with every bump of the elevation data
        trace = pace_line(x, gap, "GAP", COLORS["gap"], unit, width=1.2, opacity=0.75)
        fig.add_trace(trace, row=1, col=1)
    fig.add_trace(pace_line(x, pace, "pace", COLORS["pace"], unit, width=1.6), row=1, col=1)
    if final_mile is not None:
        ref = per_unit(final_mile.reference_pace_s_per_km, unit)
        if np.isfinite(ref):
            text = f"{final_mile.reference} reference {format_pace(ref, unit)}"
            reference_line(fig, ref, text, dash="dash", row=1, col=1)
    fig.update_yaxes(pace_axis(*pace_range(pace, gap, percentiles=(2, 98)), unit), row=1, col=1)
    if has_data(binned, "altitude_m"):
        elevation_panel(fig, x, binned["altitude_m"].to_numpy(), unit)
    else:
        fig.add_annotation(
            text="no elevation in this file",
            xref="x2 domain",
            yref="y2 domain",
            x=0.5,
            y=0.5,
            showarrow=False,
        )
        fig.update_yaxes(visible=False, row=2, col=1)
    end = float(np.nanmax(x))
    if final_mile is not None and _after_finish(final_mile.finish_m, end * METERS_PER_UNIT[unit]):
        fig.add_vrect(
            x0=final_mile.finish_m / METERS_PER_UNIT[unit],
            x1=end,
            row=1,
            fillcolor=AFTER_FINISH_FILL,
            line_width=0,
            layer="below",
            annotation_text="after the finish",
            annotation_position="top right",
        )
    distance_axis(fig, unit, 0.0, end, rows=2)
    return fig


#: Fill of what a file holds after the race's finish (a walk-off, a cool-down): not the race.
AFTER_FINISH_FILL = "rgba(140, 140, 140, 0.15)"
#: Bar colour of a split after the race's finish.
AFTER_FINISH_BAR = "#BDBDBD"


def _after_finish(finish_m: float | None, end_m: float) -> bool:
    """Whether the drawing goes on past the race's finish (``finish_m``) by 50 m or more."""
    return finish_m is not None and np.isfinite(finish_m) and end_m - finish_m >= 50.0


def _ratio_colors(ratio: np.ndarray) -> list[str]:
    """Colours of pace ratios on :data:`PACE_RATIO_SCALE`, clipped to :data:`RATIO_RANGE`."""
    lo, hi = RATIO_RANGE
    pos = np.clip((np.nan_to_num(ratio, nan=1.0) - lo) / (hi - lo), 0.0, 1.0)
    return sample_colorscale(PACE_RATIO_SCALE, [float(v) for v in pos], colortype="rgb")


def _ratio_key(x: float, y: float) -> dict:
    """The colour key of the split bars: an invisible point carrying a colour bar."""
    return {
        "type": "scatter",
        "x": [x, x],
        "y": [y, y],
        "mode": "markers",
        "marker": {
            # drawn as "% faster": faster to the right, like up on the reversed pace axis
            "color": [-15.0, 15.0],
            "colorscale": [[1.0 - p, c] for p, c in reversed(PACE_RATIO_SCALE)],
            "cmin": -15.0,
            "cmax": 15.0,
            "opacity": 0,
            "colorbar": colorbar_below(
                "split vs reference",
                [-15, -10, -5, 0, 5, 10, 15],
                ["15 % slower", "", "", "reference", "", "", "15 % faster"],
                -0.25,
            ),
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _split_hover(
    splits: pd.DataFrame, pace: np.ndarray, ratio: np.ndarray, unit: Unit
) -> np.ndarray:
    """Hover values of the split bars: pace, % vs reference, heart rate, length (with units)."""
    u = unit_label(unit)
    partial = splits.get("partial", pd.Series(False, index=splits.index)).to_numpy(dtype=bool)
    dist = splits["distance_m"].to_numpy(dtype="float64") / METERS_PER_UNIT[unit]
    hr = splits.get("avg_hr_bpm", pd.Series(np.nan, index=splits.index)).to_numpy(float)
    return np.column_stack(
        [
            pace_strings(pace),
            [f"{100 * (r - 1):+.1f} % vs reference" if np.isfinite(r) else "-" for r in ratio],
            [f"{h:.0f} bpm" if np.isfinite(h) else "-" for h in hr],
            [
                f"{d:.2f} {u}" + (" (partial)" if p else "")
                for d, p in zip(dist, partial, strict=True)
            ],
        ]
    )


@returns_figure
def splits_figure(
    splits: pd.DataFrame,
    unit: Unit = "km",
    *,
    reference_pace_s_per_km: float | None = None,
    reference_label: str = "reference",
    finish_m: float | None = None,
) -> FigureSpec:
    """Split paces as bars from a reference pace, coloured by how far from it they are.

    A bar rises above the reference line for a split faster than the reference and hangs below
    it for a slower one (the pace axis is reversed). Colour runs from blue (faster) through
    grey (on reference) to vermillion (slower), capped at +/-15 %. A partial last split is
    drawn lighter. Splits that reach 50 m or more past ``finish_m`` (the race's finish,
    :attr:`~finishline.metrics.final_mile.FinalMile.finish_m`: a walk-off or cool-down the
    file holds after it), whose pace is not the race's, are plain grey, in a band labelled
    "after the finish".

    Parameters
    ----------
    splits
        Per-km or per-mile splits: ``split``, ``distance_m``, ``pace_s_per_km`` /
        ``pace_s_per_mile``, ``partial``; optional ``avg_hr_bpm``.
    unit
        Which pace column to draw; it should match the splits given.
    reference_pace_s_per_km
        The analysis' reference pace (s/km), or another pace of the analysis to compare with.
    reference_label
        What the reference is, in words ("5-20 km reference", "average pace").
    finish_m
        Where the race ended (m); None: the splits are all race.
    """
    unit = check_unit(unit)
    u = unit_label(unit)
    title = f"Splits per {u} against your {reference_label}"
    pace_col = "pace_s_per_km" if unit == "km" else "pace_s_per_mile"
    ref = per_unit(reference_pace_s_per_km, unit)
    if splits is None or splits.empty or pace_col not in splits or not np.isfinite(ref):
        return unavailable_figure(title, "no splits or no reference pace")
    pace = splits[pace_col].to_numpy(dtype="float64")
    ratio = pace / ref
    number = splits["split"].to_numpy(dtype="int64")
    partial = splits.get("partial", pd.Series(False, index=splits.index)).to_numpy(dtype=bool)
    customdata = _split_hover(splits, pace, ratio, unit)
    ends_m = np.cumsum(splits["distance_m"].to_numpy(dtype="float64"))
    after = np.zeros(len(splits), bool)
    if _after_finish(finish_m, float(ends_m[-1])):  # a split that holds 50 m past the finish
        after = ends_m - finish_m >= 50.0
    colors = np.where(after, AFTER_FINISH_BAR, np.array(_ratio_colors(ratio), dtype=object))
    customdata[after, 1] = "holds time after the finish: not the race's pace"
    fig = new_figure(f"{title} ({format_pace(ref, unit)})", height=460)
    fig.add_trace(
        {
            "type": "bar",
            "x": number,
            "y": pace - ref,
            "base": ref,
            "name": "split",
            "marker": {
                "color": colors.tolist(),
                "line": {"width": 0},
                "opacity": np.where(partial, 0.45, 1.0),
            },
            "customdata": customdata,
            "hovertemplate": (
                f"{u} %{{x}}: %{{customdata[3]}}<br>pace %{{customdata[0]}} /{u}"
                " (%{customdata[1]})<br>heart rate %{customdata[2]}<extra></extra>"
            ),
        }
    )
    fig.add_trace(_ratio_key(float(number[0]), ref))
    fig.add_hline(y=ref, line={"color": COLORS["reference"], "width": 1.2})
    if after.any():
        fig.add_vrect(
            x0=float(number[after][0]) - 0.5,
            x1=float(number.max()) + 0.6,
            fillcolor=AFTER_FINISH_FILL,
            line_width=0,
            layer="below",
            annotation_text="after the finish",
            annotation_position="top right",
        )
    finite = pace[np.isfinite(pace)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (ref, ref + 60)
    fig.update_yaxes(pace_axis(min(lo, ref), max(hi, ref), unit))
    last_m = float(splits["distance_m"].iloc[-1])
    note = f", lighter: partial {last_m / METERS_PER_UNIT[unit]:.2f} {u}" if partial[-1] else ""
    fig.update_xaxes(
        title_text=f"split ({u}{note})",
        range=[0.4, float(number.max()) + 0.6],
        tickformat="d",
        tickangle=0,
    )
    fig.update_layout(hovermode="closest", showlegend=False, bargap=0.15)
    return fig


def _shade_stops(fig: FigureSpec, stops: pd.DataFrame | None, from_m: float, unit: Unit) -> None:
    """Shade the analysis' walking and stopped stretches from ``from_m`` on (a stop covers
    almost no distance: it is drawn at least 30 m wide to be seen)."""
    if stops is None or stops.empty:
        return
    scale = METERS_PER_UNIT[unit]
    for kind, fill, name in (("walk", WALK_FILL, "walking"), ("stop", STOP_FILL, "stopped")):
        rows = stops[(stops["kind"] == kind) & (stops["start_m"] + stops["distance_m"] >= from_m)]
        for start_m, length_m in zip(rows["start_m"], rows["distance_m"], strict=True):
            x0 = max(float(start_m), from_m) / scale
            x1 = (float(start_m) + max(float(length_m), 30.0)) / scale
            fig.add_vrect(x0=x0, x1=x1, fillcolor=fill, line_width=0, layer="below")
        if len(rows):
            fig.add_trace(legend_key(name, fill))


def _reference_and_failure_lines(fig: FigureSpec, ref: float, window: str, unit: Unit) -> float:
    """The reference pace and the failure line (reference x 1.25), labelled; returns the
    failure line's pace (s per unit)."""
    threshold = ref * FMF_PACE_RATIO
    text = f"{window} reference {format_pace(ref, unit)}"
    reference_line(fig, ref, text, position="top left")
    reference_line(
        fig,
        threshold,
        f"failure line +{100 * (FMF_PACE_RATIO - 1):.0f} % ({format_pace(threshold, unit)})",
        color=COLORS["risk"],
        dash="dash",
        position="bottom left",
    )
    return threshold


@returns_figure
def final_mile_figure(
    track: pd.DataFrame,
    unit: Unit = "km",
    *,
    final_mile: FinalMile,
    stops: pd.DataFrame | None = None,
    context_m: float = 1600.0,
    smooth_m: float = 60.0,
) -> FigureSpec:
    """The last mile up close, against the runner's reference pace.

    Draws the pace over the final mile and ``context_m`` before it, the reference pace, the
    failure line (reference x 1.25), the final mile's average pace, and shades the walking and
    stopped stretches of the analysis' stops table. The title states the analysis' outcome.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m``, ``speed_mps``.
    unit
        ``"km"`` or ``"mile"``.
    final_mile
        :class:`~finishline.metrics.final_mile.FinalMile` of the analysis.
    stops
        The analysis' stops and walks (``kind`` walk/stop, ``start_m``, ``distance_m``).

    References
    ----------
    science.md section 4: final-mile failure = final mile >= 25 % slower than the reference
    pace, or >= 60 s walking/stopped in it.
    """
    unit = check_unit(unit)
    title = "The last mile against your reference pace"
    if not has_data(track, "distance_m") or not has_data(track, "speed_mps"):
        return unavailable_figure(title, "the file has no distance or speed")
    if not np.isfinite(final_mile.pace_ratio):
        why = final_mile.note or "the run is too short for a final mile and a reference"
        return unavailable_figure(title, why)
    scale = METERS_PER_UNIT[unit]
    start_m, end_m = final_mile.start_m, final_mile.start_m + final_mile.segment_m
    window = track[track["distance_m"] >= start_m - context_m]
    if np.isfinite(final_mile.finish_m):  # not the walk past the finish with the watch running
        window = window[window["distance_m"] <= final_mile.finish_m]
    binned = downsample_by_distance(window, 10.0, ["speed_mps"])
    x = binned["distance_m"].to_numpy() / scale
    pace = pace_from_speed(smooth(binned["speed_mps"].to_numpy(), int(smooth_m / 10.0)), unit)
    ref = per_unit(final_mile.reference_pace_s_per_km, unit)
    mile_pace = per_unit(final_mile.pace_s_per_km, unit)
    off_pace_s = final_mile.walk_s + final_mile.stop_s
    # a mile can fail on walking alone: the seconds say why a small slowdown "failed"
    walked = f", {off_pace_s:.0f} s walking or stopped" if off_pace_s > 0 else ""
    fig = new_figure(
        f"{title}: {format_pace(mile_pace, unit)}, {final_mile.slowdown_pct:+.0f} % vs "
        f"{final_mile.reference}{walked} ({final_mile.outcome})",
        height=440,
    )
    _shade_stops(fig, stops, start_m - context_m, unit)
    fig.add_vrect(
        x0=start_m / scale,
        x1=end_m / scale,
        fillcolor="rgba(86,180,233,0.10)",
        line_width=0,
        layer="below",
        annotation_text="final mile",
        annotation_position="top left",
    )
    fig.add_trace(pace_line(x, pace, "pace", COLORS["pace"], unit, width=2))
    threshold = _reference_and_failure_lines(fig, ref, final_mile.reference, unit)
    fig.add_trace(
        line(
            [start_m / scale, end_m / scale],
            [mile_pace, mile_pace],
            "final-mile average",
            COLORS["gap"],
            f"{format_pace(mile_pace, unit)}",
            width=3,
        )
    )
    lo, hi = pace_range(pace)
    fig.update_yaxes(pace_axis(min(lo, ref, mile_pace), max(hi, threshold, mile_pace), unit))
    distance_axis(fig, unit, float(np.nanmin(x)), end_m / scale)
    return fig
