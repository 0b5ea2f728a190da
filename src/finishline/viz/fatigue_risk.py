"""Fatigue and risk figures of one race: the fatigue index with its component heatmap, and the
final-mile risk timeline.

Both draw what the analysis holds: :class:`~finishline.fatigue.state.FatigueState` (``per_km``
scores and index, ``onset_km``, the ``assumed`` components kept out of the index) and
:class:`~finishline.results.RiskTimeline` (probabilities, band, calibration label, notes).
"""

from __future__ import annotations

import numpy as np

from finishline.fatigue.composite import ONSET_THRESHOLD
from finishline.fatigue.state import FatigueState
from finishline.metrics.final_mile import FinalMile
from finishline.results import RiskTimeline
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import COLORS, METERS_PER_UNIT, Unit, check_unit, unit_label
from finishline.viz.traces import (
    colorbar_below,
    distance_axis,
    first_sentence,
    line,
    mark_onset,
    new_figure,
    note_box,
    reference_line,
    stacked_panels,
    unavailable_figure,
    wrap_text,
)

#: Plain names of the fatigue score components (``score_*`` columns of the fatigue state).
SCORE_NAMES = {
    "pace": "pace fade",
    "cardiac": "cardiac drift",
    "gait": "gait change",
    "d_prime": "D' spent",
    "glycogen": "glycogen",
}
_SCORE_SCALE = [[0.0, "#FFFFFF"], [0.5, "#F2B380"], [1.0, COLORS["risk"]]]


def _score_heatmap(fig: FigureSpec, fatigue: FatigueState, x: np.ndarray, unit: Unit) -> None:
    """The 0-1 component scores as a heatmap, one row per signal, one column per km (five
    overlaid lines were unreadable). A component left out of the index because its input was
    estimated from the race itself is labelled "(assumed)"."""
    per_km = fatigue.per_km
    columns = [c for c in per_km.columns if str(c).startswith("score_") and per_km[c].notna().any()]
    keys = [c.removeprefix("score_") for c in columns]
    names = [
        SCORE_NAMES.get(k, k.replace("_", " ")) + ("<br>(assumed)" if k in fatigue.assumed else "")
        for k in keys
    ]
    status = [
        "assumed input: not in the index" if k in fatigue.assumed else "in the index" for k in keys
    ]
    z = per_km[columns].to_numpy(dtype="float64").T
    fig.add_trace(
        dict(
            type="heatmap",
            x=x,
            y=names,
            z=np.clip(z, 0.0, 1.0).astype(np.float32),
            zmin=0.0,
            zmax=1.0,
            colorscale=_SCORE_SCALE,
            xgap=1,
            ygap=2,
            name="component scores",
            customdata=np.repeat(np.array(status, dtype=object)[:, None], x.size, axis=1),
            colorbar=colorbar_below("score", [0, 0.5, 1], ["0 none", "0.5", "1 strong"], -0.2),
            hovertemplate="%{y}: %{z:.2f} at %{x:.1f} "
            + unit_label(unit)
            + " (%{customdata})<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(showgrid=False, autorange="reversed", row=2, col=1)


@returns_figure
def fatigue_figure(fatigue: FatigueState | None, *, unit: Unit = "km") -> FigureSpec:
    """The composite fatigue index per km above the heatmap of its component scores.

    Parameters
    ----------
    fatigue
        The analysis' fatigue state: ``per_km`` (``distance_end_m``, ``fatigue_index``,
        ``score_*``), ``onset_km`` and ``assumed``.
    unit
        Distance axis unit.

    References
    ----------
    science.md section 5 (state features); :mod:`finishline.fatigue.composite` (index, onset
    rule: index >= 0.4 for 3 km or more).
    """
    unit = check_unit(unit)
    title = "Fatigue along the race"
    if fatigue is None or fatigue.empty or "fatigue_index" not in fatigue.per_km:
        return unavailable_figure(title, "fatigue was not computed for this run")
    per_km = fatigue.per_km
    x = per_km["distance_end_m"].to_numpy(dtype="float64") / METERS_PER_UNIT[unit]
    fig = stacked_panels(title, 2, 520, row_heights=[0.45, 0.55])
    index = line(
        x,
        per_km["fatigue_index"].to_numpy(dtype="float64"),
        "fatigue index",
        COLORS["fatigue"],
        "%{y:.2f} (0 fresh - 1 spent)",
        width=2.5,
        mode="lines+markers",
        fill="tozeroy",
        fillcolor="rgba(0,0,0,0.08)",
    )
    fig.add_trace(index, row=1, col=1)
    reference_line(
        fig, ONSET_THRESHOLD, "onset level", color=COLORS["marker"], dash="dot", row=1, col=1
    )
    fig.update_yaxes(
        title_text="fatigue index<br>(0 fresh - 1 spent)", range=[0, 1.05], row=1, col=1
    )
    _score_heatmap(fig, fatigue, x, unit)
    x_max = float(np.nanmax(x))
    if np.isfinite(fatigue.onset_km):
        x_onset = fatigue.onset_km * 1000.0 / METERS_PER_UNIT[unit]
        mark_onset(fig, x_onset, 2, f"fatigue from {x_onset:.1f} {unit_label(unit)}", x_max)
    distance_axis(fig, unit, 0.0, x_max + 0.5, rows=2)
    fig.update_layout(showlegend=False)
    return fig


def _risk_subtitle(risk: RiskTimeline) -> str:
    """What a reader must know about the numbers: a transferred model and the notes."""
    transferred = risk.calibration.startswith("transferred")
    parts = [risk.calibration] if transferred else []
    for note in risk.notes:  # a note that repeats the label keeps only what it adds
        if transferred and note.startswith(risk.calibration + ": "):
            note = note[len(risk.calibration) + 2 :]
        parts.append(note)
    return ". ".join(p[:1].upper() + p[1:] for p in parts) + ("." if parts else "")


@returns_figure
def risk_figure(
    risk: RiskTimeline | None,
    *,
    final_mile: FinalMile | None = None,
    verdict: str | None = None,
    unit: Unit = "km",
) -> FigureSpec:
    """Final-mile failure risk along the race, with its band, the verdict and the outcome.

    Parameters
    ----------
    risk
        The analysis' risk timeline (``table`` with ``km``, ``p_fail``, ``p_lo``, ``p_hi``;
        ``calibration``; ``notes``). A transferred calibration and the notes are the figure's
        subtitle.
    final_mile
        The observed final mile, stated in the note box when there is no verdict.
    verdict
        The verdict in words; its first sentence (which states the final mile) is the note.
    unit
        Distance axis unit.
    """
    unit = check_unit(unit)
    title = "Final-mile failure risk as the race went on"
    if risk is None or risk.empty:
        reason = "; ".join(risk.notes) if risk is not None and risk.notes else "no risk estimate"
        fig = unavailable_figure(title, reason)
        fig.update_layout(title={"subtitle": {"text": _risk_subtitle(risk)}} if risk else {})
        return fig
    table = risk.table
    x = table["km"].to_numpy(dtype="float64") * 1000.0 / METERS_PER_UNIT[unit]
    p, lo, hi = (100.0 * table[c].to_numpy(dtype="float64") for c in ("p_fail", "p_lo", "p_hi"))
    fig = new_figure(title, height=420)
    fig.update_layout(title={"subtitle": {"text": _risk_subtitle(risk)}})
    band = dict(
        type="scatter",
        x=np.r_[x, x[::-1]],
        y=np.r_[hi, lo[::-1]].astype(np.float32),
        fill="toself",
        fillcolor="rgba(213,94,0,0.18)",
        line={"width": 0},
        name="90 % band",
        hoverinfo="skip",
    )
    fig.add_trace(band)
    fig.add_trace(
        line(
            x,
            p,
            "risk",
            COLORS["risk"],
            "%{y:.0f} % (band %{customdata[0]:.0f}-%{customdata[1]:.0f} %)",
            width=2.2,
            mode="lines+markers",
            customdata=np.column_stack([lo, hi]).astype(np.float32),
        )
    )
    lines = [f"<b>{t}</b>" for t in wrap_text(first_sentence(verdict))] if verdict else []
    if not verdict and final_mile is not None and np.isfinite(final_mile.pace_ratio):
        # the verdict's first sentence already states the final mile
        lines += wrap_text(
            f"Observed: final mile {final_mile.slowdown_pct:+.0f} % vs the "
            f"{final_mile.reference} pace ({final_mile.outcome})"
        )
    if lines:
        # the box goes in the top corner above the lower half of the band
        half = x <= np.nanmedian(x)
        left = np.nanmax(hi[half], initial=0.0) <= np.nanmax(hi[~half], initial=0.0)
        note_box(fig, lines, left=bool(left))
    u = unit_label(unit)
    fig.update_yaxes(title_text="risk of final-mile failure (%)", range=[0, 100], ticksuffix=" %")
    fig.update_xaxes(
        title_text=f"checkpoint ({u})",
        unifiedhovertitle={"text": f"at %{{x:.1f}} {u}"},
        range=[min(0.0, float(x.min())), float(x.max()) + 1.0],
    )
    fig.update_layout(hovermode="x unified", showlegend=False)
    return fig
