"""Figures as plain data (:mod:`finishline.viz.spec`) against Plotly itself: the subplot grid,
the axis-spanning lines and bands, the page's JSON, and the public functions' figures."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from corpus import CORPUS, SAMPLE_RUNS, require_shared
from plotly.subplots import make_subplots

from finishline.analysis import analyze
from finishline.viz import theme
from finishline.viz.report import race_figure_specs
from finishline.viz.spec import FigureSpec, encode, subplot_domains

#: Two runs of one athlete with running power (a Forerunner 265S, 2025).
POWER_RUNS = (
    "ggps__activity_17075053124_lorimer_avinger__run_8.0km.tcx",
    "ggps__activity_17191864852-slow-10k__run_10.0km.tcx",
)


def _plotly(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def _ours(spec: FigureSpec) -> dict:
    text = spec.to_json()
    assert text is not None
    return json.loads(text)


@pytest.mark.parametrize(
    ("rows", "spacing", "heights"),
    [(2, 0.07, [0.7, 0.3]), (2, 0.07, [0.45, 0.55]), (4, 0.05, None), (3, 0.05, [1, 2, 3])],
)
def test_stacked_grid_is_make_subplots(rows, spacing, heights) -> None:
    expected = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=spacing, row_heights=heights
    ).to_dict()["layout"]
    expected.pop("template")
    assert FigureSpec.stacked(rows, spacing, heights).layout == expected
    assert len(subplot_domains(rows, spacing, heights)) == rows


def _draw_lines(fig, rows: int | None) -> None:
    """The same calls on a go.Figure or a FigureSpec."""
    trace = {"type": "scatter", "x": [0.0, 1.0], "y": [1.0, 2.0]}
    for row in range(1, (rows or 0) + 1):
        fig.add_trace(trace, row=row, col=1)
    if not rows:
        fig.add_trace(trace)
    row = rows if rows else None
    fig.add_hline(y=1.5, line={"color": "#000000", "dash": "dot"}, row=row, col=1)
    for position in ("top left", "top right", "bottom left", "bottom right"):
        fig.add_hline(
            y=1.2,
            line={"width": 1},
            annotation_text=position,
            annotation_position=position,
            annotation_font={"size": 11},
            annotation_bgcolor="white",
            row=row,
            col=1,
        )
    fig.add_vline(x=0.5, line={"dash": "dash"}, row=1 if rows else None, col=1)
    fig.add_vline(x=0.6, line={"dash": "dash"})  # every panel of a grid
    fig.add_vrect(x0=0.2, x1=0.3, fillcolor="grey", line_width=0, layer="below")
    fig.add_vrect(x0=0.4, x1=0.45, annotation_text="band", annotation_position="top left")


@pytest.mark.parametrize("rows", [None, 2, 3])
def test_spanning_lines_and_bands_are_plotlys(rows) -> None:
    if rows:
        fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.05)
        spec = FigureSpec.stacked(rows, 0.05)
    else:
        fig, spec = go.Figure(), FigureSpec()
    _draw_lines(fig, rows)
    _draw_lines(spec, rows)
    expected = fig.to_dict()["layout"]
    assert spec.layout["shapes"] == expected["shapes"]
    assert spec.layout["annotations"] == expected["annotations"]


def test_a_line_in_an_empty_panel_is_left_out_as_plotly_does() -> None:
    fig = make_subplots(rows=2, cols=1)
    spec = FigureSpec.stacked(2, 0.07)
    for f in (fig, spec):
        f.add_trace({"type": "scatter", "x": [0], "y": [0]}, row=1, col=1)
        f.add_hline(y=1.0, row=2, col=1)
    assert "shapes" not in spec.layout
    assert not fig.layout.shapes


def test_encode_writes_what_plotly_writes() -> None:
    spec = FigureSpec({"template": theme.TEMPLATE, "title": {"text": "<b>a/b</b>"}})
    spec.add_trace(
        {
            "type": "bar",
            "x": np.arange(1, 300, dtype=np.int64),
            "y": np.linspace(0, 1, 299).astype(np.float32),
            "customdata": np.array(["5:01", "-"] * 149 + ["x"], dtype=object),
            "marker": {"opacity": np.where(np.arange(299) > 3, 1.0, 0.5)},
        }
    )
    spec.add_trace({"type": "heatmap", "z": np.ones((3, 4), dtype=np.float32).T, "x": [np.nan]})
    spec.update_layout(yaxis={"range": np.array([1.0, 2.0]), "tickvals": [np.float64(1.5)]})
    text = spec.to_json()
    assert text is not None and "<" not in text and "NaN" not in text
    assert json.loads(text) == _plotly(spec.to_figure())


def test_dates_are_written_as_plotly_writes_them() -> None:
    import pandas as pd

    naive = pd.date_range("2024-01-01 10:30", periods=3, freq="D")
    spec = FigureSpec({"template": theme.TEMPLATE})
    spec.add_trace({"type": "scatter", "x": naive, "y": pd.Series([1.0, np.nan, 3.0])})
    spec.add_trace({"type": "bar", "x": naive.tz_localize("UTC"), "y": pd.Series(["a", "b", "c"])})
    spec.add_vrect(x0=naive[0] - pd.Timedelta(days=3.5), x1=naive[1], fillcolor="grey")
    spec.update_xaxes(range=[naive[0], pd.NaT])
    assert json.loads(spec.to_json()) == _plotly(spec.to_figure())


def test_a_value_the_encoder_does_not_know_goes_through_plotly() -> None:
    import pandas as pd

    spec = FigureSpec().add_trace({"type": "scatter", "x": [0, 1], "y": [1, 2]})
    spec.update_layout(meta={"span": pd.Timedelta(days=1)})
    assert spec.to_json() is None
    with pytest.raises(TypeError):
        encode({"x": object()})


def test_template_name_registers_the_template() -> None:
    name = theme.TEMPLATE_NAME
    assert name in pio.templates
    fig = go.Figure(layout={"template": name})
    assert fig.to_dict()["layout"]["template"] == theme.TEMPLATE


@pytest.fixture(scope="module", params=["TwinCitiesMarathon2014.tcx", "PolarMarathon.fit"])
def specs(request) -> dict[str, FigureSpec]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyze(SAMPLE_RUNS / request.param)
    return race_figure_specs(analysis, "km") | {
        f"{k}_mile": v for k, v in race_figure_specs(analysis, "mile").items()
    }


def test_race_page_json_is_the_validated_figures_json(specs) -> None:
    """The page writes each figure without Plotly's validation: what it writes must be what
    the validated ``go.Figure`` (the public functions' return) serialises to."""
    for name, spec in specs.items():
        assert _ours(spec) == _plotly(spec.to_figure()), name


@pytest.fixture(scope="module")
def season_specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FigureSpec]:
    """The figures of a squad page: two athletes sharing 20 runpandas sessions (dates as x,
    pandas columns as data, rejected CS weeks as bands), and a season of two runs with
    running power (the power envelope with its CP fit)."""
    from finishline.training.squad import analyze_squad, read_squad
    from finishline.viz.squad import form_figure, marathon_figure
    from finishline.viz.training_report import season_figure_specs

    require_shared(CORPUS)
    root = tmp_path_factory.mktemp("squad")
    sessions = sorted((CORPUS / "gpx").glob("runpandas__session_*.gpx"))[:20]
    power = [CORPUS / "tcx" / name for name in POWER_RUNS]
    for i, path in enumerate([*sessions, *power]):
        folder = root / ("power" if path in power else ("alice", "bob")[i % 2])
        folder.mkdir(exist_ok=True)
        shutil.copy(path, folder / path.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze_squad(read_squad(root, progress=False, workers=1))
    specs = {"marathon": marathon_figure.spec(result.table), "form": form_figure.spec(result.table)}
    for name, season in result.seasons.items():
        specs |= {f"{name}-{k}": v for k, v in season_figure_specs(season).items()}
    assert "power-power_curve" in specs
    return specs


@pytest.mark.real
def test_season_and_squad_page_json_is_the_validated_figures_json(season_specs) -> None:
    for name, spec in season_specs.items():
        assert spec.to_json() is not None, f"{name} fell back to Plotly's encoder"
        assert _ours(spec) == _plotly(spec.to_figure()), name


@pytest.mark.parametrize("unit", ["km", "mile"])
def test_plan_page_json_is_the_validated_figures_json(unit: str, tmp_path) -> None:
    """The plan's figure and the race against its plan (a 3:30 plan from the course's GPX)."""
    import finishline
    from finishline.viz.plan_figures import plan_vs_actual_figure
    from finishline.viz.plan_report import plan_figure

    plan = finishline.plan(SAMPLE_RUNS / "TwinCitiesMarathon2014.gpx", goal_s=12600, unit=unit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        race = analyze(
            SAMPLE_RUNS / "TwinCitiesMarathon2014.tcx",
            plan=plan.write_json(tmp_path / "plan.json"),
        )
    for spec in (plan_figure.spec(plan), plan_vs_actual_figure.spec(race.plan_vs_actual)):
        assert spec.to_json() is not None
        assert _ours(spec) == _plotly(spec.to_figure())
