"""Figure functions for one race: each takes analysis results and options, returns a Figure.

Nothing here writes files or opens windows (assembly into a report is :mod:`finishline.viz.report`).
Every distance or pace figure takes ``unit="km"|"mile"``; pace axes read ``m:ss`` per km or mile
and are reversed so that faster is up. Long tracks are reduced for display to one point per
``step_m`` metres of distance (:func:`downsample_by_distance`), so a marathon figure carries a
few thousand points, not fifteen thousand.

Figures built from optional results (fatigue, risk, GPS) return a figure with a plain-language
"not available" note instead of raising when their input is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from finishline.definitions import (
    FINAL_SEGMENT_M,
    FMF_PACE_RATIO,
    REFERENCE_END_M,
    REFERENCE_START_M,
    WALK_SPEED_MPS,
)
from finishline.viz.theme import (
    COLORS,
    METERS_PER_UNIT,
    PACE_RATIO_SCALE,
    ROUTE_PACE_SCALE,
    SERIES_COLORS,
    TEMPLATE_NAME,
    Unit,
    check_unit,
    format_pace,
    pace_axis,
    pace_strings,
    pace_ticks,
    unit_label,
)

#: Below this speed (m/s) a point is a stop, not a pace: drawn as a gap.
MIN_PACE_SPEED_MPS = 0.8
FEET_PER_METER = 3.280839895


# --------------------------------------------------------------------------- data helpers


def downsample_by_distance(
    track: pd.DataFrame, step_m: float = 10.0, columns: list[str] | None = None
) -> pd.DataFrame:
    """Means of ``columns`` over consecutive ``step_m`` bins of ``distance_m`` (NaN-aware).

    Samples where the runner is not ``moving`` (when that column exists) are left out of the
    means of every column but ``altitude_m``, so that a stop does not drag the pace of its bin.

    Parameters
    ----------
    track
        The 1 Hz track (needs ``distance_m``, in m).
    step_m
        Bin width in metres of distance.
    columns
        Columns to average; default: every numeric column present.

    Returns
    -------
    DataFrame
        One row per non-empty bin: ``distance_m`` (bin mean, m), ``elapsed_s`` and the averaged
        columns.
    """
    if track.empty or "distance_m" not in track:
        return pd.DataFrame(columns=["distance_m"])
    distance = track["distance_m"].to_numpy(dtype="float64")
    keep = np.isfinite(distance)
    if not keep.any():
        return pd.DataFrame(columns=["distance_m"])
    sub = track.loc[keep]
    distance = np.maximum.accumulate(distance[keep])
    if columns is None:
        columns = [
            c
            for c in sub.columns
            if c != "distance_m"
            and pd.api.types.is_numeric_dtype(sub[c].dtype)
            and not pd.api.types.is_bool_dtype(sub[c].dtype)
        ]
    bins = np.floor(distance / step_m).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    moving = (
        sub["moving"].to_numpy(dtype=bool) if "moving" in sub else np.ones(len(sub), dtype=bool)
    )
    out: dict[str, np.ndarray] = {"distance_m": _binned_mean(distance, starts)}
    for col in columns:
        if col not in sub:
            continue
        values = sub[col].to_numpy(dtype="float64", na_value=np.nan)
        if col not in ("altitude_m", "elapsed_s"):
            values = np.where(moving, values, np.nan)
        out[col] = _binned_mean(values, starts)
    return pd.DataFrame(out)


def _binned_mean(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    sums = np.add.reduceat(np.where(finite, values, 0.0), starts)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or values.size == 0:
        return values
    return (
        pd.Series(values)
        .rolling(window, center=True, min_periods=max(1, window // 3))
        .mean()
        .to_numpy()
    )


def _display_step(track: pd.DataFrame, step_m: float | None) -> float:
    """10 m bins, coarser for very long tracks so a figure stays under ~6,000 points."""
    if step_m is not None:
        return float(step_m)
    total = float(np.nanmax(track["distance_m"])) if "distance_m" in track and len(track) else 0.0
    return max(10.0, total / 6000.0) if np.isfinite(total) else 10.0


def _pace(speed_mps: np.ndarray, unit: Unit) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(speed_mps >= MIN_PACE_SPEED_MPS, METERS_PER_UNIT[unit] / speed_mps, np.nan)


def _pace_range(
    *paces: np.ndarray, percentiles: tuple[float, float] = (1, 99)
) -> tuple[float, float]:
    """Pace axis range: the given percentiles, so a water-station stop does not set the scale."""
    values = np.concatenate([np.asarray(p, dtype="float64").ravel() for p in paces])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 240.0, 480.0
    lo, hi = np.percentile(values, list(percentiles))
    return float(lo), float(max(hi, lo + 30.0))


def _time_at_distance(track: pd.DataFrame, distance_m: float) -> float:
    """Elapsed time (s) at ``distance_m`` by linear interpolation along the track."""
    ok = track[["distance_m", "elapsed_s"]].dropna()
    if ok.empty:
        return float("nan")
    d = np.maximum.accumulate(ok["distance_m"].to_numpy(dtype="float64"))
    if distance_m < d[0] or distance_m > d[-1]:
        return float("nan")
    # first time the distance is reached: ignore stationary repeats
    first = np.r_[True, d[1:] > d[:-1]]
    return float(np.interp(distance_m, d[first], ok["elapsed_s"].to_numpy(dtype="float64")[first]))


def reference_pace(track: pd.DataFrame) -> float:
    """The runner's own reference pace (s/km): clock time from 5 to 20 km over 15 km.

    For a run shorter than 20 km, the clock pace over whatever part of 5-20 km exists, and for
    a run under 5 km, the whole-run clock pace.

    References
    ----------
    Smyth B. (2021). How recreational marathon runners hit the wall. *PLOS ONE* 16:e0251513
    (the 5-20 km reference window; science.md sections 1 and 4).
    """
    if track.empty or "distance_m" not in track or track["distance_m"].notna().sum() < 2:
        return float("nan")
    total = float(np.nanmax(track["distance_m"]))
    lo, hi = (REFERENCE_START_M, REFERENCE_END_M)
    if total < lo + 1000.0:
        lo, hi = 0.0, total
    hi = min(hi, total)
    t_lo, t_hi = _time_at_distance(track, lo), _time_at_distance(track, hi)
    if not (np.isfinite(t_lo) and np.isfinite(t_hi)) or hi <= lo:
        return float("nan")
    return (t_hi - t_lo) / (hi - lo) * 1000.0


def _new_figure(title: str, height: int = 420) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE_NAME, title={"text": title}, height=height)
    return fig


def unavailable_figure(title: str, reason: str, height: int = 260) -> go.Figure:
    """A figure that says, in words, why there is nothing to draw."""
    fig = _new_figure(title, height=height)
    fig.add_annotation(
        text=f"Not available: {reason}",
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": "#555555"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(hovermode=False, meta={"available": False})
    return fig


#: Longest line (characters) of text drawn inside a plot: fits a 420 px phone screen.
WRAP_CHARS = 40


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


def _has_data(track: pd.DataFrame | None, column: str) -> bool:
    return track is not None and column in track and bool(track[column].notna().any())


def _x_title(unit: Unit) -> str:
    return f"distance ({unit_label(unit)})"


# --------------------------------------------------------------------------- figures


def pace_elevation_figure(
    track: pd.DataFrame,
    unit: Unit = "km",
    *,
    step_m: float | None = None,
    smooth_m: float = 400.0,
) -> go.Figure:
    """Pace and grade-adjusted pace (GAP) over distance, with the elevation profile beneath.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m`` (m), ``speed_mps`` and ``gap_speed_mps`` (m/s),
        ``altitude_m`` (m), ``moving`` (bool).
    unit
        ``"km"`` or ``"mile"``: distance axis and pace per km or per mile; elevation is drawn
        in metres for km and in feet for miles.
    step_m
        Display bin (m); default 10 m (coarser beyond 60 km).
    smooth_m
        Centred rolling mean over this distance (m) on the binned speeds, for readability.
    """
    unit = check_unit(unit)
    title = "Pace and grade-adjusted pace over the course"
    if not _has_data(track, "distance_m") or not _has_data(track, "speed_mps"):
        return unavailable_figure(title, "the file has no distance or speed")
    step = _display_step(track, step_m)
    binned = downsample_by_distance(
        track, step, ["elapsed_s", "speed_mps", "gap_speed_mps", "altitude_m"]
    )
    window = max(1, int(round(smooth_m / step)))
    x = binned["distance_m"].to_numpy() / METERS_PER_UNIT[unit]
    pace = _pace(_smooth(binned["speed_mps"].to_numpy(), window), unit)
    has_gap = binned["gap_speed_mps"].notna().any()
    gap = _pace(_smooth(binned["gap_speed_mps"].to_numpy(), window), unit)
    has_alt = binned["altitude_m"].notna().any()

    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.06
    )
    per = f" /{unit_label(unit)}"
    if has_gap:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=gap,
                name="grade-adjusted pace",
                mode="lines",
                # beneath the pace and lighter: GAP swings with every bump of the elevation data
                line={"color": COLORS["gap"], "width": 1.2},
                opacity=0.75,
                customdata=pace_strings(gap),
                hovertemplate="GAP %{customdata}" + per + "<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=pace,
            name="pace",
            mode="lines",
            line={"color": COLORS["pace"], "width": 1.6},
            customdata=pace_strings(pace),
            hovertemplate="pace %{customdata}" + per + "<extra></extra>",
        ),
        row=1,
        col=1,
    )
    ref = reference_pace(track) * METERS_PER_UNIT[unit] / 1000.0
    if np.isfinite(ref):
        fig.add_hline(
            y=ref,
            line={"color": COLORS["reference"], "width": 1, "dash": "dash"},
            annotation_text=f"5-20 km reference {format_pace(ref, unit)}",
            annotation_position="top right",
            annotation_font_size=11,
            annotation_bgcolor="rgba(255,255,255,0.8)",
            row=1,
            col=1,
        )
    lo, hi = _pace_range(pace, gap if has_gap else pace, percentiles=(2, 98))
    fig.update_yaxes(pace_axis(lo, hi, unit), row=1, col=1)

    if has_alt:
        elev_unit = "m" if unit == "km" else "ft"
        scale = 1.0 if unit == "km" else FEET_PER_METER
        alt = binned["altitude_m"].to_numpy() * scale
        fig.add_trace(
            go.Scatter(
                x=x,
                y=alt,
                name="elevation",
                mode="lines",
                fill="tozeroy",
                line={"color": COLORS["elevation"], "width": 1},
                fillcolor="rgba(140,140,140,0.25)",
                hovertemplate="elevation %{y:.0f} " + elev_unit + "<extra></extra>",
            ),
            row=2,
            col=1,
        )
        finite = alt[np.isfinite(alt)]
        pad = max(5.0, 0.1 * (finite.max() - finite.min()))
        fig.update_yaxes(
            title_text=f"elevation ({elev_unit})",
            range=[finite.min() - pad, finite.max() + pad],
            row=2,
            col=1,
        )
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
    fig.update_xaxes(range=[0.0, float(np.nanmax(x))])
    fig.update_xaxes(title_text=_x_title(unit), hoverformat=".2f", row=2, col=1)
    fig.update_layout(template=TEMPLATE_NAME, title={"text": title}, height=480)
    return fig


def _decoupling_curve(decoupling: Any) -> pd.DataFrame | None:
    """The rolling decoupling curve as (distance_m, decoupling_pct), whatever its container."""
    curve = decoupling
    if isinstance(decoupling, Mapping):
        curve = decoupling.get("curve")
    elif hasattr(decoupling, "curve"):  # finishline.metrics.decoupling.Decoupling
        curve = decoupling.curve
    if not isinstance(curve, pd.DataFrame) or curve.empty:
        return None
    dist_col = next((c for c in ("distance_m", "km") if c in curve), None)
    pct_col = next(
        (c for c in ("decoupling_pct", "pa_hr_pct", "decoupling", "pa_hr") if c in curve), None
    )
    if dist_col is None and curve.index.name in ("distance_m", "km"):
        curve = curve.reset_index()
        dist_col = curve.columns[0]
    if dist_col is None or pct_col is None:
        return None
    dist = curve[dist_col].to_numpy(dtype="float64") * (1000.0 if dist_col == "km" else 1.0)
    pct = curve[pct_col].to_numpy(dtype="float64")
    if pct_col in ("decoupling", "pa_hr"):
        pct = pct * 100.0  # a fraction: show percent
    return pd.DataFrame({"distance_m": dist, "decoupling_pct": pct})


def heart_rate_figure(
    track: pd.DataFrame,
    unit: Unit = "km",
    *,
    decoupling: Any = None,
    onset_m: float | None = None,
    step_m: float | None = None,
    smooth_m: float = 150.0,
) -> go.Figure:
    """Heart rate, cadence and efficiency over distance, with the decoupling onset marked.

    Efficiency is the efficiency factor EF = GAP speed / HR expressed as metres per heartbeat
    (``gap_speed_mps * 60 / heart_rate_bpm``). A falling EF at steady GAP is cardiac drift.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m``, ``heart_rate_bpm`` (artefacts already NaN),
        ``cadence_spm``, ``gap_speed_mps`` (or ``speed_mps``).
    unit
        ``"km"`` or ``"mile"``.
    decoupling
        Optional rolling decoupling curve (DataFrame with ``distance_m`` and a percent column,
        or a mapping holding it under ``"curve"``); drawn in a fourth panel when given.
    onset_m
        Distance (m) where decoupling set in; a vertical marker across all panels.

    References
    ----------
    Friel J. / TrainingPeaks: efficiency factor and Pa:HR decoupling (science.md section 2.3).
    """
    unit = check_unit(unit)
    title = "Heart rate, cadence and efficiency"
    has_hr = _has_data(track, "heart_rate_bpm")
    has_cad = _has_data(track, "cadence_spm")
    if not _has_data(track, "distance_m") or not (has_hr or has_cad):
        return unavailable_figure(title, "the file has no heart rate or cadence")
    curve = _decoupling_curve(decoupling)
    step = _display_step(track, step_m)
    speed_col = "gap_speed_mps" if _has_data(track, "gap_speed_mps") else "speed_mps"
    binned = downsample_by_distance(track, step, ["heart_rate_bpm", "cadence_spm", speed_col])
    window = max(1, int(round(smooth_m / step)))
    x = binned["distance_m"].to_numpy() / METERS_PER_UNIT[unit]
    hr = _smooth(binned["heart_rate_bpm"].to_numpy(), window) if has_hr else None
    cad = _smooth(binned["cadence_spm"].to_numpy(), window) if has_cad else None
    ef = None
    if has_hr and speed_col in binned:
        with np.errstate(divide="ignore", invalid="ignore"):
            ef = _smooth(binned[speed_col].to_numpy(), window) * 60.0 / hr
        ef = np.where(np.isfinite(ef) & (ef > 0), ef, np.nan)

    panels: list[tuple[str, np.ndarray, str, str, str]] = []
    if hr is not None:
        panels.append(("heart rate", hr, "bpm", COLORS["heart_rate"], "%{y:.0f} bpm"))
    if cad is not None:
        panels.append(("cadence", cad, "steps/min", COLORS["cadence"], "%{y:.0f} steps/min"))
    if ef is not None:
        panels.append(("efficiency", ef, "m/beat", COLORS["efficiency"], "%{y:.2f} m per beat"))
    if curve is not None:
        panels.append(
            (
                "decoupling",
                curve["decoupling_pct"].to_numpy(),
                "%",
                COLORS["reference"],
                "%{y:.1f} %",
            )
        )
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.04)
    for row, (name, y, axis_unit, color, fmt) in enumerate(panels, start=1):
        xs = x
        if name == "decoupling" and curve is not None:
            xs = curve["distance_m"].to_numpy() / METERS_PER_UNIT[unit]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=y,
                name=name,
                mode="lines",
                line={"color": color, "width": 1.5},
                hovertemplate=f"{name} {fmt}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(title_text=f"{name}<br>({axis_unit})", row=row, col=1)
        finite = y[np.isfinite(y)]
        if name in ("efficiency", "heart rate") and finite.size:
            # the first minutes (HR still rising) would otherwise set the scale
            lo, hi = np.percentile(finite, [2, 99.5])
            pad = 0.08 * (hi - lo) + 1e-6
            fig.update_yaxes(range=[lo - pad, hi + pad], row=row, col=1)
        if name == "decoupling" and finite.size:
            fig.update_yaxes(
                range=[min(-2.0, finite.min() - 1), max(7.0, finite.max() + 1)], row=row, col=1
            )
            fig.add_annotation(
                text="5 %: drift threshold",
                x=0.0,  # the curve starts after its first window: the left end is free
                xref=f"x{row} domain" if row > 1 else "x domain",
                y=5.0,
                yref=f"y{row}" if row > 1 else "y",
                xanchor="left",
                yanchor="bottom",
                showarrow=False,
                font={"size": 11, "color": "#555555"},
            )
        if name == "decoupling":
            fig.add_hline(
                y=5.0,
                line={"color": COLORS["reference"], "dash": "dot", "width": 1},
                row=row,
                col=1,
            )
    if onset_m is not None and np.isfinite(onset_m):
        x_onset = onset_m / METERS_PER_UNIT[unit]
        _mark_onset(
            fig,
            x_onset,
            len(panels),
            f"Pa:HR decoupling >= 5 % from {x_onset:.1f} {unit_label(unit)}",
            float(np.nanmax(x)),
        )
    # an explicit range: autorange also makes room for the text of data-anchored annotations,
    # which widened the shared axis to 0-65 km on a narrow screen
    fig.update_xaxes(range=[0.0, float(np.nanmax(x))])
    fig.update_xaxes(title_text=_x_title(unit), hoverformat=".2f", row=len(panels), col=1)
    fig.update_layout(
        template=TEMPLATE_NAME,
        title={"text": title},
        height=170 * len(panels) + 90,
        showlegend=False,
    )
    return fig


def splits_figure(
    splits: pd.DataFrame,
    unit: Unit = "km",
    *,
    reference_pace_s_per_km: float | None = None,
) -> go.Figure:
    """Split paces as bars from the runner's reference pace, coloured by the pace ratio.

    A bar rises above the reference line for a split faster than the reference and hangs below
    it for a slower one (the pace axis is reversed). Colour runs from blue (faster) through
    grey (on reference) to vermillion (slower), capped at +/-15 %.

    Parameters
    ----------
    splits
        Per-km or per-mile splits: ``split``, ``distance_m``, ``time_s``, ``pace_s_per_km`` /
        ``pace_s_per_mile``, ``partial``; optional ``avg_hr_bpm``, ``elev_gain_m``.
    unit
        Which pace column to draw; it should match the splits given.
    reference_pace_s_per_km
        The 5-20 km reference (s/km); default: the median split pace.
    """
    unit = check_unit(unit)
    title = f"Splits per {unit_label(unit)} against your reference pace"
    pace_col = "pace_s_per_km" if unit == "km" else "pace_s_per_mile"
    if splits is None or splits.empty or pace_col not in splits:
        return unavailable_figure(title, "no splits")
    pace = splits[pace_col].to_numpy(dtype="float64")
    if reference_pace_s_per_km is not None and np.isfinite(reference_pace_s_per_km):
        ref = reference_pace_s_per_km * METERS_PER_UNIT[unit] / 1000.0
        ref_label = "5-20 km reference"
    else:
        ref = float(np.nanmedian(pace))
        ref_label = "median split"
    ratio = pace / ref
    partial = (
        splits["partial"].to_numpy(dtype=bool)
        if "partial" in splits
        else np.zeros(len(splits), dtype=bool)
    )
    dist = splits["distance_m"].to_numpy(dtype="float64") / METERS_PER_UNIT[unit]
    labels = [
        f"{int(s)}*" if p else f"{int(s)}"
        for s, p in zip(splits["split"].to_numpy(), partial, strict=True)
    ]
    partial_note = "".join(f", *partial: {d:.2f} {unit_label(unit)}" for d in dist[partial][-1:])
    hr = (
        splits["avg_hr_bpm"].to_numpy(dtype="float64")
        if "avg_hr_bpm" in splits
        else np.full(len(splits), np.nan)
    )
    hr_text = np.where(
        np.isfinite(hr), np.char.add(np.round(hr).astype("int64").astype(str), " bpm"), "-"
    )
    delta = (ratio - 1.0) * 100.0
    customdata = np.column_stack(
        [
            pace_strings(pace),
            np.array([f"{d:+.1f} %" if np.isfinite(d) else "-" for d in delta], dtype=object),
            hr_text.astype(object),
            np.array([f"{d:.2f}" for d in dist], dtype=object),
        ]
    )
    per = f"/{unit_label(unit)}"
    fig = _new_figure(title, height=420)
    fig.add_trace(
        go.Bar(
            x=labels,
            y=pace - ref,
            base=ref,
            name="split pace",
            marker={
                # colours mapped here: plotly.js 3 warns on numeric bar colours
                "color": _ratio_colors(ratio),
                "line": {"width": 0},
                "opacity": np.where(partial, 0.45, 1.0),
            },
            customdata=customdata,
            hovertemplate=(
                f"{unit_label(unit)} %{{x}}<br>pace %{{customdata[0]}} {per}"
                " (%{customdata[1]} vs ref)<br>HR %{customdata[2]}"
                f"<br>distance %{{customdata[3]}} {unit_label(unit)}<extra></extra>"
            ),
        )
    )
    # the colour key: an invisible scatter carrying the colour bar
    fig.add_trace(
        go.Scatter(
            x=[labels[0], labels[0]],
            y=[ref, ref],
            mode="markers",
            marker={
                # drawn as "% faster": faster at the top, like the reversed pace axis
                "color": [-15.0, 15.0],
                "colorscale": [[1.0 - p, c] for p, c in reversed(PACE_RATIO_SCALE)],
                "cmin": -15.0,
                "cmax": 15.0,
                "opacity": 0,
                # horizontal under the plot: a side bar took a third of a phone screen
                "colorbar": {
                    "orientation": "h",
                    "title": {"text": "split vs reference", "side": "top"},
                    "tickvals": [-15, -10, -5, 0, 5, 10, 15],
                    "ticktext": ["15 % slower", "", "", "reference", "", "", "15 % faster"],
                    "thickness": 10,
                    "len": 0.8,
                    "x": 0.5,
                    "xanchor": "center",
                    "y": -0.2,
                    "yanchor": "top",
                },
            },
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_hline(y=ref, line={"color": COLORS["reference"], "width": 1.2})
    fig.update_layout(title={"text": f"{title} ({ref_label} {format_pace(ref, unit)})"})
    finite = pace[np.isfinite(pace)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (ref, ref + 60)
    fig.update_yaxes(pace_axis(min(lo, ref), max(hi, ref), unit))
    fig.update_xaxes(
        title_text=f"split ({unit_label(unit)}{partial_note})", type="category", tickangle=0
    )
    fig.update_layout(hovermode="closest", showlegend=False, bargap=0.15, height=460)
    return fig


#: Pace ratio range of the split colour scale (faster/slower than reference by 15 %).
RATIO_RANGE = (0.85, 1.15)


def _ratio_colors(ratio: np.ndarray) -> list[str]:
    """Colours of pace ratios on :data:`PACE_RATIO_SCALE`, clipped to :data:`RATIO_RANGE`."""
    lo, hi = RATIO_RANGE
    pos = np.clip((np.nan_to_num(ratio, nan=1.0) - lo) / (hi - lo), 0.0, 1.0)
    return sample_colorscale(PACE_RATIO_SCALE, [float(v) for v in pos], colortype="rgb")


_FATIGUE_NON_COMPONENTS = {
    "km",
    "distance_m",
    "start_m",
    "end_m",
    "split",
    "fatigue_index",
    "elapsed_s",
    "time_s",
}


def fatigue_figure(
    fatigue: pd.DataFrame | None,
    *,
    onset_km: float | None = None,
    unit: Unit = "km",
    threshold: float | None = None,
) -> go.Figure:
    """The composite fatigue index per km above its components (each scaled 0-1 for shape).

    Parameters
    ----------
    fatigue
        Per-km frame: a ``km`` column (or index) and ``fatigue_index`` plus numeric component
        columns. ``None`` or empty gives a "not available" figure.
    onset_km
        Where fatigue set in (km); marked on both panels.
    unit
        Distance axis unit.
    threshold
        The onset threshold on the index, drawn as a dotted line when given.
    """
    unit = check_unit(unit)
    title = "Fatigue along the race"
    if fatigue is None or not isinstance(fatigue, pd.DataFrame) or fatigue.empty:
        return unavailable_figure(title, "fatigue was not computed for this run")
    frame = fatigue.copy()
    if "km" not in frame:
        frame = frame.reset_index()
        frame = frame.rename(columns={frame.columns[0]: "km"})
    km = frame["km"].to_numpy(dtype="float64")
    x = km * 1000.0 / METERS_PER_UNIT[unit]
    components = [
        c
        for c in frame.columns
        if c not in _FATIGUE_NON_COMPONENTS
        and pd.api.types.is_numeric_dtype(frame[c].dtype)
        and not pd.api.types.is_bool_dtype(frame[c].dtype)
        and frame[c].notna().any()
    ]
    has_index = "fatigue_index" in frame and frame["fatigue_index"].notna().any()
    rows = (1 if has_index else 0) + (1 if components else 0)
    if rows == 0:
        return unavailable_figure(title, "no fatigue components could be computed")
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        row_heights=[0.45, 0.55] if rows == 2 else [1.0],
    )
    row = 1
    if has_index:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=frame["fatigue_index"],
                name="fatigue index",
                mode="lines+markers",
                line={"color": COLORS["fatigue"], "width": 2.5},
                fill="tozeroy",
                fillcolor="rgba(0,0,0,0.08)",
                hovertemplate="fatigue index %{y:.2f}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(title_text="fatigue index<br>(0 fresh - 1 spent)", row=row, col=1)
        if threshold is not None:
            fig.add_hline(
                y=threshold, line={"dash": "dot", "color": COLORS["marker"]}, row=row, col=1
            )
        row += 1
    scores = bool(components) and all(str(c).startswith("score_") for c in components)
    if scores:
        _score_heatmap(fig, frame, components, x, unit, row)
    for i, col in enumerate([] if scores else components):
        raw = frame[col].to_numpy(dtype="float64")
        lo, hi = np.nanmin(raw), np.nanmax(raw)
        scaled = (raw - lo) / (hi - lo) if hi > lo else np.zeros_like(raw)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=scaled,
                name=col.replace("_", " "),
                mode="lines",
                line={"color": SERIES_COLORS[i % len(SERIES_COLORS)], "width": 1.6},
                customdata=raw,
                hovertemplate=f"{col} %{{customdata:.3g}}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    if components and not scores:
        fig.update_yaxes(title_text="components<br>(scaled 0-1)", row=row, col=1)
    if onset_km is not None and np.isfinite(onset_km):
        x_onset = onset_km * 1000.0 / METERS_PER_UNIT[unit]
        _mark_onset(
            fig,
            x_onset,
            rows,
            f"fatigue from {x_onset:.1f} {unit_label(unit)}",
            float(np.nanmax(x)),
        )
    fig.update_xaxes(range=[0.0, float(np.nanmax(x)) + 0.5])  # see heart_rate_figure
    fig.update_xaxes(title_text=_x_title(unit), row=rows, col=1)
    fig.update_layout(
        template=TEMPLATE_NAME,
        title={"text": title},
        height=(480 if scores else 520) if rows == 2 else 320,
        showlegend=not scores,
    )
    return fig


#: Plain names of the fatigue score components (``score_*`` columns of fatigue_state).
SCORE_NAMES = {
    "score_pace": "pace fade",
    "score_cardiac": "cardiac drift",
    "score_gait": "gait change",
    "score_d_prime": "D' spent",
    "score_glycogen": "glycogen",
}


def _score_heatmap(
    fig: go.Figure, frame: pd.DataFrame, components: list[str], x: np.ndarray, unit: Unit, row: int
) -> None:
    """The 0-1 component scores as a heatmap (one row per signal, one column per km): five
    overlaid lines were unreadable, and min-max scaling showed a 0.1 score as a full 1."""
    names = [SCORE_NAMES.get(c, c.removeprefix("score_").replace("_", " ")) for c in components]
    z = frame[components].to_numpy(dtype="float64").T
    fig.add_trace(
        go.Heatmap(
            x=x,
            y=names,
            z=np.clip(z, 0.0, 1.0),
            zmin=0.0,
            zmax=1.0,
            colorscale=[[0.0, "#FFFFFF"], [0.5, "#F2B380"], [1.0, COLORS["risk"]]],
            xgap=1,
            ygap=2,
            name="component scores",
            colorbar={
                "title": {"text": "score"},
                "tickvals": [0, 0.5, 1],
                "thickness": 10,
                "len": 0.5,
                "y": 0.0,
                "yanchor": "bottom",
            },
            hovertemplate="%{y} %{z:.2f} at %{x:.1f} " + unit_label(unit) + "<extra></extra>",
        ),
        row=row,
        col=1,
    )
    fig.update_yaxes(showgrid=False, autorange="reversed", row=row, col=1)


def risk_figure(
    risk: pd.DataFrame | None,
    *,
    final_mile: Mapping[str, Any] | None = None,
    verdict: str | None = None,
    unit: Unit = "km",
) -> go.Figure:
    """Final-mile failure risk along the race, with its uncertainty band and the verdict.

    Parameters
    ----------
    risk
        Per-km frame with ``km``, ``p_fail`` and, optionally, ``p_lo``/``p_hi`` (0-1).
    final_mile
        The observed final-mile facts (``pace_ratio``, ``failed``...), stated under the plot.
    verdict
        The verdict in words.
    unit
        Distance axis unit.
    """
    unit = check_unit(unit)
    title = "Final-mile failure risk as the race went on"
    if risk is None or not isinstance(risk, pd.DataFrame) or risk.empty or "p_fail" not in risk:
        return unavailable_figure(title, "no risk estimate for this run")
    frame = risk.copy()
    if "km" not in frame:
        frame = frame.reset_index().rename(columns={"index": "km"})
    x = frame["km"].to_numpy(dtype="float64") * 1000.0 / METERS_PER_UNIT[unit]
    p = frame["p_fail"].to_numpy(dtype="float64") * 100.0
    fig = _new_figure(title, height=400)
    if {"p_lo", "p_hi"} <= set(frame.columns):
        lo = frame["p_lo"].to_numpy(dtype="float64") * 100.0
        hi = frame["p_hi"].to_numpy(dtype="float64") * 100.0
        fig.add_trace(
            go.Scatter(
                x=np.r_[x, x[::-1]],
                y=np.r_[hi, lo[::-1]],
                fill="toself",
                fillcolor="rgba(213,94,0,0.18)",
                line={"width": 0},
                name="uncertainty band",
                hoverinfo="skip",
            )
        )
        custom = np.column_stack([lo, hi])
        hover = "risk %{y:.0f} % (range %{customdata[0]:.0f}-%{customdata[1]:.0f} %)"
    else:
        custom = None
        hover = "risk %{y:.0f} %"
    fig.add_trace(
        go.Scatter(
            x=x,
            y=p,
            name="risk of final-mile failure",
            mode="lines+markers",
            line={"color": COLORS["risk"], "width": 2.2},
            customdata=custom,
            hovertemplate=hover + f" at %{{x:.1f}} {unit_label(unit)}<extra></extra>",
        )
    )
    lines = []
    if verdict:
        # the figure states the headline; the whole verdict is in the report's summary card
        lines.extend(f"<b>{line}</b>" for line in wrap_text(first_sentence(verdict)))
    if final_mile:
        ratio = final_mile.get("pace_ratio")
        if ratio is not None and np.isfinite(ratio):
            failed = final_mile.get("failed")
            outcome = "failed" if failed else "held"
            lines.extend(
                wrap_text(
                    f"Observed: final mile {100 * (ratio - 1):+.0f} % vs reference pace"
                    f" (final mile {outcome})"
                )
            )
    if lines:
        # the box goes in the top corner over the lower half of the band
        upper = hi if {"p_lo", "p_hi"} <= set(frame.columns) else p
        half = x <= np.nanmedian(x)
        left = np.nanmax(upper[half], initial=0.0) <= np.nanmax(upper[~half], initial=0.0)
        fig.add_annotation(
            text="<br>".join(lines),
            xref="paper",
            yref="paper",
            x=0.01 if left else 0.99,
            y=0.98,
            xanchor="left" if left else "right",
            yanchor="top",
            align="left",
            showarrow=False,
            font={"size": 11},
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor="#BBBBBB",
            borderwidth=1,
        )
    fig.update_yaxes(title_text="risk of final-mile failure (%)", range=[0, 100], ticksuffix=" %")
    fig.update_xaxes(title_text=f"checkpoint ({unit_label(unit)})", hoverformat=".1f")
    fig.update_layout(hovermode="x unified", showlegend=False)
    return fig


def route_figure(track: pd.DataFrame, unit: Unit = "km", *, max_points: int = 2500) -> go.Figure:
    """The route drawn from latitude/longitude, coloured by pace, on equal-aspect axes.

    Positions are projected to distances east and north of the start (local equirectangular
    projection; exact enough over a marathon's few tens of km), so the axes read in km or miles
    and need no map tiles or network.

    Parameters
    ----------
    track
        1 Hz track with ``lat_deg``, ``lon_deg`` (WGS84), ``speed_mps``.
    unit
        Axis unit and pace unit.
    max_points
        Display at most this many positions (every n-th sample).
    """
    unit = check_unit(unit)
    title = "Route, coloured by pace"
    if not (_has_data(track, "lat_deg") and _has_data(track, "lon_deg")):
        return unavailable_figure(title, "the file has no GPS positions")
    pos = track.loc[
        track["lat_deg"].notna() & track["lon_deg"].notna(),
        [c for c in ("lat_deg", "lon_deg", "speed_mps", "distance_m") if c in track],
    ]
    stride = max(1, int(np.ceil(len(pos) / max_points)))
    speed_all = pos["speed_mps"].to_numpy(dtype="float64") if "speed_mps" in pos else None
    if speed_all is not None:
        speed_all = _smooth(speed_all, max(stride, 30))  # ~30 s: colour the trend, not strides
    sel = slice(None, None, stride)
    lat = pos["lat_deg"].to_numpy(dtype="float64")
    lon = pos["lon_deg"].to_numpy(dtype="float64")
    lat0, lon0 = lat[0], lon[0]
    earth_r = 6_371_008.8
    east = np.deg2rad(lon - lon0) * np.cos(np.deg2rad(lat0)) * earth_r / METERS_PER_UNIT[unit]
    north = np.deg2rad(lat - lat0) * earth_r / METERS_PER_UNIT[unit]
    fig = _new_figure(title, height=560)
    fig.add_trace(
        go.Scatter(
            x=east[sel],
            y=north[sel],
            mode="lines",
            line={"color": "#CCCCCC", "width": 5},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    marker: dict[str, Any] = {"size": 5, "color": COLORS["pace"]}
    customdata = None
    hover = "%{x:.2f}, %{y:.2f} " + unit_label(unit) + "<extra></extra>"
    if speed_all is not None and np.isfinite(speed_all).any():
        pace = _pace(speed_all, unit)[sel]
        # centred on the runner's typical pace: walk breaks at aid stations saturate, not scale
        typical = float(np.nanmedian(pace))
        lo, hi = 0.85 * typical, 1.25 * typical
        tickvals, ticktext = pace_ticks(lo, hi, max_ticks=6)
        marker = {
            "size": 5,
            "color": np.clip(pace, lo, hi),
            "colorscale": ROUTE_PACE_SCALE,
            "cmin": lo,
            "cmax": hi,
            # under the map: beside it, the bar took a third of a phone screen's width
            "colorbar": {
                "title": {"text": f"pace (min/{unit_label(unit)})", "side": "top"},
                "tickvals": tickvals,
                "ticktext": ticktext,
                "thickness": 10,
                "orientation": "h",
                "len": 0.8,
                "x": 0.5,
                "xanchor": "center",
                "y": -0.15,
                "yanchor": "top",
            },
        }
        dist = (
            pos["distance_m"].to_numpy(dtype="float64")[sel] / METERS_PER_UNIT[unit]
            if "distance_m" in pos
            else np.full(len(pace), np.nan)
        )
        customdata = np.column_stack([pace_strings(pace), np.round(dist, 2)])
        hover = (
            "at %{customdata[1]} "
            + unit_label(unit)
            + "<br>pace %{customdata[0]} /"
            + unit_label(unit)
            + "<extra></extra>"
        )
    fig.add_trace(
        go.Scatter(
            x=east[sel],
            y=north[sel],
            mode="markers",
            marker=marker,
            customdata=customdata,
            hovertemplate=hover,
            showlegend=False,
        )
    )
    for name, i, symbol, color in (
        ("start", 0, "circle", "#009E73"),
        ("finish", -1, "square", "#000000"),
    ):
        fig.add_trace(
            go.Scatter(
                x=[east[i]],
                y=[north[i]],
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
        )
    u = unit_label(unit)
    fig.update_xaxes(title_text=f"east of start ({u})", constrain="domain")
    fig.update_yaxes(title_text=f"north of start ({u})", scaleanchor="x", scaleratio=1.0)
    fig.update_layout(hovermode="closest")
    return fig


def final_mile_figure(
    track: pd.DataFrame,
    unit: Unit = "km",
    *,
    final_mile: Mapping[str, Any] | None = None,
    reference_pace_s_per_km: float | None = None,
    context_m: float = 1600.0,
    step_m: float = 10.0,
    smooth_m: float = 60.0,
) -> go.Figure:
    """The last mile up close, against the runner's 5-20 km reference pace.

    Draws the pace over the final mile and ``context_m`` before it, the reference pace, the
    failure threshold (reference x 1.25), the final mile's average pace, and shades walking.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m``, ``elapsed_s``, ``speed_mps``.
    unit
        ``"km"`` or ``"mile"``.
    final_mile
        Final-mile facts from the analysis (``pace_ratio``, ``failed``...), used in the title.
    reference_pace_s_per_km
        Reference pace (s/km); computed from the track (5-20 km clock pace) when not given.

    References
    ----------
    science.md section 4: final-mile failure = final mile >= 25 % slower than the 5-20 km
    reference pace.
    """
    unit = check_unit(unit)
    title = "The last mile against your reference pace"
    if not _has_data(track, "distance_m") or not _has_data(track, "speed_mps"):
        return unavailable_figure(title, "the file has no distance or speed")
    total = float(np.nanmax(track["distance_m"]))
    if total < FINAL_SEGMENT_M + 1000.0:
        return unavailable_figure(title, "the run is too short for a final mile")
    ref_km = reference_pace_s_per_km
    if ref_km is None or not np.isfinite(ref_km):
        ref_km = reference_pace(track)
    scale = METERS_PER_UNIT[unit] / 1000.0
    ref = ref_km * scale
    start_m = total - FINAL_SEGMENT_M
    window = track[track["distance_m"] >= start_m - context_m]
    binned = downsample_by_distance(window, step_m, ["elapsed_s", "speed_mps"])
    x = binned["distance_m"].to_numpy() / METERS_PER_UNIT[unit]
    pace = _pace(_smooth(binned["speed_mps"].to_numpy(), max(1, int(smooth_m / step_m))), unit)
    t_start, t_end = _time_at_distance(track, start_m), _time_at_distance(track, total)
    mile_pace = (t_end - t_start) / FINAL_SEGMENT_M * METERS_PER_UNIT[unit]
    ratio = mile_pace / ref if np.isfinite(ref) else float("nan")
    if final_mile and final_mile.get("pace_ratio") is not None:
        ratio = float(final_mile["pace_ratio"])

    fig = _new_figure(title, height=420)
    # walking: shade stretches below walking speed
    speed_raw = window["speed_mps"].to_numpy(dtype="float64")
    dist_raw = window["distance_m"].to_numpy(dtype="float64") / METERS_PER_UNIT[unit]
    walking = speed_raw < WALK_SPEED_MPS
    walk_fill = "rgba(230,159,0,0.25)"
    n_walks = 0
    if walking.any():
        edges = np.flatnonzero(np.diff(np.r_[0, walking.astype(np.int8), 0]))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            if b - a >= 10:  # at least 10 s below walking speed: not a noisy sample
                n_walks += 1
                fig.add_vrect(
                    x0=dist_raw[a],
                    x1=dist_raw[b - 1] + 0.005,
                    fillcolor=walk_fill,
                    line_width=0,
                    layer="below",
                )
    fig.add_vrect(
        x0=start_m / METERS_PER_UNIT[unit],
        x1=total / METERS_PER_UNIT[unit],
        fillcolor="rgba(86,180,233,0.10)",
        line_width=0,
        layer="below",
        annotation_text="final mile",
        annotation_position="top left",
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=pace,
            mode="lines",
            name="pace",
            line={"color": COLORS["pace"], "width": 2},
            customdata=pace_strings(pace),
            hovertemplate="pace %{customdata} /" + unit_label(unit) + "<extra></extra>",
        )
    )
    if n_walks:
        # a legend key for the shading (shapes have none)
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"walking (< {WALK_SPEED_MPS:.0f} m/s)",
                marker={"symbol": "square", "size": 12, "color": walk_fill},
                hoverinfo="skip",
            )
        )
    lo, hi = _pace_range(pace)
    if np.isfinite(ref):
        fig.add_hline(
            y=ref,
            line={"color": COLORS["reference"], "width": 1.2},
            annotation_text=f"reference {format_pace(ref, unit)}",
            annotation_position="bottom left",
            annotation_bgcolor="rgba(255,255,255,0.8)",
        )
        threshold = ref * FMF_PACE_RATIO
        fig.add_hline(
            y=threshold,
            line={"color": COLORS["risk"], "width": 1.2, "dash": "dash"},
            annotation_text=f"failure line +25 % ({format_pace(threshold, unit)})",
            annotation_position="bottom left",
            annotation_font_color=COLORS["risk"],
            annotation_bgcolor="rgba(255,255,255,0.8)",
        )
        lo, hi = min(lo, ref), max(hi, threshold)
    if np.isfinite(mile_pace):
        fig.add_trace(
            go.Scatter(
                x=[start_m / METERS_PER_UNIT[unit], total / METERS_PER_UNIT[unit]],
                y=[mile_pace, mile_pace],
                mode="lines",
                name="final-mile average",
                line={"color": COLORS["gap"], "width": 3},
                hovertemplate=f"final-mile average {format_pace(mile_pace, unit)}<extra></extra>",
            )
        )
        lo, hi = min(lo, mile_pace), max(hi, mile_pace)
    if np.isfinite(ratio):
        verdict = "failure" if ratio >= FMF_PACE_RATIO else "held"
        if final_mile and final_mile.get("failed") is not None:
            verdict = "failure" if final_mile["failed"] else "held"
        fig.update_layout(
            title={
                "text": f"{title}: {format_pace(mile_pace, unit)}, "
                f"{100 * (ratio - 1):+.0f} % vs reference ({verdict})"
            }
        )
    fig.update_yaxes(pace_axis(lo, hi, unit))
    fig.update_xaxes(
        title_text=_x_title(unit),
        hoverformat=".2f",
        range=[float(np.nanmin(x)), total / METERS_PER_UNIT[unit]],  # see heart_rate_figure
    )
    return fig


def _mark_onset(fig: go.Figure, x_onset: float, rows: int, text: str, x_max: float) -> None:
    """A dashed line through every panel at ``x_onset`` and its label above the first one.

    The label is written away from the nearer edge, so a phone screen does not cut it off.
    """
    for row in range(1, rows + 1):
        fig.add_vline(
            x=x_onset,
            line={"color": COLORS["marker"], "dash": "dash", "width": 1.5},
            row=row,
            col=1,
        )
    fig.add_annotation(
        x=x_onset,
        y=1.0,
        xref="x",
        yref="paper",
        yanchor="bottom",
        text=text,
        xanchor="right" if x_onset > 0.5 * x_max else "left",
        showarrow=False,
        font={"color": COLORS["marker"], "size": 12},
    )
