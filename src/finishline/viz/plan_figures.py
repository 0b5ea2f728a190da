"""The race against its plan: time banked or lost per split and in total.

:func:`plan_vs_actual_figure` draws a :class:`~finishline.plan.compare.PlanVsActual`: one bar
per split (time banked above zero, lost below) and the running total as a line, with the split
where the runner left the plan marked. It returns a ``go.Figure``; the race report places it.
"""

from __future__ import annotations

import numpy as np

from finishline.plan.compare import PlanVsActual
from finishline.viz.spec import FigureSpec, returns_figure
from finishline.viz.theme import OKABE_ITO, format_duration
from finishline.viz.traces import stacked_panels

#: Bar colours: banked (ahead of the plan) and lost.
BANKED_COLOR = OKABE_ITO["bluish_green"]
LOST_COLOR = OKABE_ITO["vermillion"]


def _signed(seconds: np.ndarray) -> list[str]:
    """``+0:12`` / ``-1:05`` labels of signed durations (s)."""
    return [
        "-" if not np.isfinite(s) else ("+" if s >= 0 else "-") + format_duration(abs(s))
        for s in seconds
    ]


@returns_figure
def plan_vs_actual_figure(comparison: PlanVsActual) -> FigureSpec:
    """Time banked (+) or lost (-) against the plan: in total (top) and per split (bottom)."""
    table = comparison.table
    unit = "km" if comparison.unit == "km" else "mi"
    fig = stacked_panels("Against the plan: time banked or lost", 2, 420, row_heights=[0.5, 0.5])
    fig.update_layout(title={"subtitle": {"text": comparison.sentence()}}, bargap=0.15)
    x = table["split"].to_numpy(dtype=float)
    split = table["banked_s"].to_numpy(dtype=float)
    total = table["banked_cumulative_s"].to_numpy(dtype=float)
    labels = table["label"].to_numpy(dtype=object)
    fig.add_trace(
        dict(
            type="scatter",
            x=x,
            y=total,
            name="in total",
            mode="lines+markers",
            line={"color": OKABE_ITO["black"], "width": 1.6},
            marker={"size": 4},
            customdata=np.c_[labels, _signed(total)],
            hovertemplate="after %{customdata[0]}: %{customdata[1]} in total<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        dict(
            type="bar",
            x=x,
            y=split,
            name=f"each {unit}",
            marker={"color": np.where(split >= 0, BANKED_COLOR, LOST_COLOR).tolist()},
            customdata=np.c_[labels, _signed(split)],
            hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    if comparison.left_plan_split is not None:
        fig.add_vline(
            x=comparison.left_plan_split - 0.5,
            line={"color": LOST_COLOR, "dash": "dash", "width": 1.2},
        )
        fig.add_annotation(
            x=comparison.left_plan_split - 0.5,
            y=0.0,  # inside the top panel, at its foot: clear of the legend above
            xref="x",
            yref="y domain",
            text=f"left the plan ({comparison.left_plan_label})",
            showarrow=False,
            xanchor="left" if comparison.left_plan_split < x.size / 2 else "right",
            yanchor="bottom",
            font={"size": 11, "color": LOST_COLOR},
            bgcolor="rgba(255,255,255,0.85)",
        )
    fig.update_yaxes(title_text="in total (s)", zeroline=True, zerolinecolor="#999", row=1, col=1)
    fig.update_yaxes(
        title_text=f"each {unit} (s)", zeroline=True, zerolinecolor="#999", row=2, col=1
    )
    fig.update_xaxes(range=[0.4, x.size + 0.6])
    fig.update_xaxes(title_text=f"split ({unit}); above 0: ahead of the plan", row=2, col=1)
    return fig
