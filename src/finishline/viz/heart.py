"""The heart figure of one race: heart rate, cadence, efficiency and Pa:HR decoupling.

Stretches where the heart rate was masked as a sensor artefact (dropouts, optical start-up,
cadence lock-in: :mod:`finishline.hr_artefacts`) are shaded grey on the heart-rate panel.

Heart rate and cadence are the clean track, reduced for display. Efficiency is the analysis'
per-km efficiency factor (:class:`~finishline.fatigue.state.FatigueState` ``per_km``
``efficiency_m_per_beat``) and decoupling its cumulative Pa:HR curve and onset
(:class:`~finishline.metrics.decoupling.Decoupling`): drawn, not recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from finishline.breaks import LONG_STOP
from finishline.definitions import DECOUPLING_LIMIT
from finishline.metrics.decoupling import Decoupling
from finishline.stretches import bounds
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import COLORS, METERS_PER_UNIT, Unit, check_unit, unit_label
from finishline.viz.traces import (
    display_step,
    distance_axis,
    downsample_by_distance,
    has_data,
    line,
    mark_onset,
    smooth,
    stacked_panels,
    unavailable_figure,
)


@dataclass(frozen=True)
class _Panel:
    name: str
    x: np.ndarray
    y: np.ndarray
    axis: str
    color: str
    hover: str
    robust_range: bool = False


def _panels(
    track: pd.DataFrame,
    unit: Unit,
    decoupling: Decoupling | None,
    efficiency: pd.DataFrame | None,
    smooth_m: float,
) -> list[_Panel]:
    scale = METERS_PER_UNIT[unit]
    step = display_step(track)
    binned = downsample_by_distance(track, step, ["heart_rate_bpm", "cadence_spm"])
    window = max(1, int(round(smooth_m / step)))
    x = binned["distance_m"].to_numpy() / scale
    panels = []
    if has_data(binned, "heart_rate_bpm"):
        hr = smooth(binned["heart_rate_bpm"].to_numpy(), window)
        panels.append(
            _Panel(
                "heart rate",
                x,
                hr,
                "heart rate<br>(bpm)",
                COLORS["heart_rate"],
                "%{y:.0f} bpm",
                True,
            )
        )
    if has_data(binned, "cadence_spm"):
        cad = smooth(binned["cadence_spm"].to_numpy(), window)
        panels.append(
            _Panel(
                "cadence", x, cad, "cadence<br>(steps/min)", COLORS["cadence"], "%{y:.0f} steps/min"
            )
        )
    if efficiency is not None and has_data(efficiency, "efficiency_m_per_beat"):
        ef = efficiency["efficiency_m_per_beat"].to_numpy(dtype="float64")
        at = efficiency["distance_end_m"].to_numpy(dtype="float64") / scale
        hover = "%{y:.2f} m per beat (km to here)"
        panels.append(
            _Panel(
                "efficiency", at, ef, "efficiency<br>(m/beat)", COLORS["efficiency"], hover, True
            )
        )
    if decoupling is not None and has_data(decoupling.curve, "pa_hr"):
        curve = decoupling.curve
        panels.append(
            _Panel(
                "decoupling",
                curve["distance_m"].to_numpy(dtype="float64") / scale,
                100.0 * curve["pa_hr"].to_numpy(dtype="float64"),
                "Pa:HR<br>decoupling (%)",
                COLORS["reference"],
                "%{y:.1f} % since 5 km",
            )
        )
    return panels


#: Masked stretches shorter than this (s) are not shaded; closer than MERGE_M (m) are merged.
SHADE_MIN_S, SHADE_MERGE_M = 10, 200.0


def masked_stretches_m(track: pd.DataFrame) -> list[tuple[float, float]]:
    """(start, end) distances (m) of the heart-rate stretches masked as sensor artefacts
    (``hr_artefact``: :mod:`finishline.hr_artefacts`) lasting at least :data:`SHADE_MIN_S`,
    with stretches closer than :data:`SHADE_MERGE_M` merged."""
    if "hr_artefact" not in track or "distance_m" not in track:
        return []
    starts, ends = bounds(track["hr_artefact"].to_numpy(bool), SHADE_MIN_S)
    dist = track["distance_m"].to_numpy(float)
    out: list[tuple[float, float]] = []
    for a, b in zip(dist[starts], dist[ends - 1], strict=True):
        if out and a - out[-1][1] < SHADE_MERGE_M:
            out[-1] = (out[-1][0], float(b))
        else:
            out.append((float(a), float(b)))
    return out


def shade_masked_heart_rate(fig: FigureSpec, track: pd.DataFrame, unit: Unit) -> list[str]:
    """Grey bands on the heart-rate panel (row 1) where the heart rate was masked; the
    subtitle sentence that explains them (none without a band)."""
    scale = METERS_PER_UNIT[unit]
    stretches = masked_stretches_m(track)
    for a, b in stretches:
        fig.add_vrect(
            x0=a / scale,
            x1=max(b, a + 50.0) / scale,
            fillcolor="#9e9e9e",
            opacity=0.25,
            line_width=0,
            row=1,
            col=1,
        )
    # said once, in the subtitle: an annotation on a band collides with others
    return ["Grey bands: heart rate masked as a sensor artefact."] if stretches else []


@returns_figure
def heart_rate_figure(
    track: pd.DataFrame,
    unit: Unit = "km",
    *,
    decoupling: Decoupling | None = None,
    efficiency: pd.DataFrame | None = None,
    smooth_m: float = 150.0,
) -> FigureSpec:
    """Heart rate, cadence, efficiency and decoupling over distance, onset marked.

    Parameters
    ----------
    track
        1 Hz track with ``distance_m``, ``heart_rate_bpm`` (artefacts already NaN),
        ``cadence_spm``.
    unit
        ``"km"`` or ``"mile"``.
    decoupling
        The analysis' decoupling: its ``curve`` (``distance_m``, ``pa_hr`` fraction) is the
        last panel and its ``onset_m`` a marker across all panels.
    efficiency
        The fatigue state's per-km frame (``distance_end_m``, ``efficiency_m_per_beat``).
    smooth_m
        Display smoothing (m) of heart rate and cadence.

    References
    ----------
    Friel J. / TrainingPeaks: efficiency factor and Pa:HR decoupling (science.md section 2.3).
    """
    unit = check_unit(unit)
    title = "Heart rate, cadence and efficiency"
    if not has_data(track, "distance_m"):
        return unavailable_figure(title, "the file has no distance")
    panels = _panels(track, unit, decoupling, efficiency, smooth_m)
    if not panels:
        return unavailable_figure(title, "the file has no heart rate or cadence")
    fig = stacked_panels(title, len(panels), 170 * len(panels) + 90)
    notes = []
    if not has_data(track, "heart_rate_bpm"):
        notes.append("The file has no heart rate: no efficiency or decoupling to show.")
    elif decoupling is not None and decoupling.judged_to_m is not None:
        to = decoupling.judged_to_m / METERS_PER_UNIT[unit]
        notes.append(
            f"Efficiency and Pa:HR end at {to:.1f} {unit_label(unit)}: {LONG_STOP} follows, "
            "and what comes after is not judged."
        )
    for row, panel in enumerate(panels, start=1):
        fig.add_trace(line(panel.x, panel.y, panel.name, panel.color, panel.hover), row=row, col=1)
        fig.update_yaxes(title_text=panel.axis, row=row, col=1)
        finite = panel.y[np.isfinite(panel.y)]
        if panel.robust_range and finite.size:
            # the first minutes (HR still rising) would otherwise set the scale
            lo, hi = np.percentile(finite, [2, 99.5])
            pad = 0.08 * (hi - lo) + 1e-6
            fig.update_yaxes(range=[lo - pad, hi + pad], row=row, col=1)
    if panels[-1].name == "decoupling":
        limit = 100.0 * DECOUPLING_LIMIT
        finite = panels[-1].y[np.isfinite(panels[-1].y)]
        top = max(limit + 2.0, float(finite.max()) + 1.0) if finite.size else limit + 2.0
        bottom = min(-2.0, float(finite.min()) - 1.0) if finite.size else -2.0
        row = len(panels)
        fig.update_yaxes(range=[bottom, top], row=row, col=1)
        fig.add_hline(
            y=limit,
            line={"color": COLORS["reference"], "dash": "dot", "width": 1},
            annotation_text=f"{limit:.0f} %: drift threshold",
            annotation_position="top left",
            annotation_font={"size": 11, "color": "#555555"},
            row=row,
            col=1,
        )
    if panels[0].name == "heart rate":
        notes = shade_masked_heart_rate(fig, track, unit) + notes
    if notes:
        fig.update_layout(title={"subtitle": {"text": " ".join(notes)}})
    x_max = max(float(np.nanmax(p.x)) for p in panels)
    onset = decoupling.onset_m if decoupling is not None else float("nan")
    if np.isfinite(onset):
        x_onset = onset / METERS_PER_UNIT[unit]
        text = f"Pa:HR >= {100 * DECOUPLING_LIMIT:.0f} % from {x_onset:.1f} {unit_label(unit)}"
        mark_onset(fig, x_onset, len(panels), text, x_max)
    distance_axis(fig, unit, 0.0, x_max, rows=len(panels))
    fig.update_layout(showlegend=False)
    return fig
