"""Results show themselves: a one-line repr, a notebook card, tables out as CSV/Parquet."""

from __future__ import annotations

import html
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from corpus import SAMPLE_RUNS
from synthetic import make_run

import finishline
from finishline.errors import FinishlineError, InputDataError


@pytest.fixture(scope="module")
def race():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return finishline.analyze(make_run(np.full(7000, 3.1)))


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    folder = tmp_path_factory.mktemp("season")
    for name in ("Slow10k.gpx", "GarminRun5.8km.fit", "Fenix2Run9km.fit"):
        shutil.copy(SAMPLE_RUNS / name, folder / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return finishline.analyze_season(finishline.read_many(folder, progress=False))


def test_race_repr_is_one_short_line(race):
    text = repr(race)
    assert (
        text.startswith("RaceAnalysis(half marathon, 21.70 km")
        and "\n" not in text
        and len(text) < 200
    )
    assert f"final mile {race.final_mile.outcome}" in text


def test_race_card_holds_the_verdict_and_tables(race):
    card = race._repr_html_()
    assert html.escape(race.verdict) in card
    assert "<table" in card and "final-mile risk" in card
    assert "<script" not in card and len(card) < 20_000


def test_tables_export(race, season, tmp_path):
    pd.testing.assert_frame_equal(race.to_frame(), race.splits_km)
    back = pd.read_csv(race.to_csv(tmp_path / "splits.csv"), index_col=0)
    assert len(back) == len(race.splits_km)
    risk = pd.read_parquet(race.to_parquet(tmp_path / "risk.parquet", "risk"))
    np.testing.assert_allclose(risk["p_fail"], race.risk.table["p_fail"])
    assert len(season.to_frame("load")) == len(season.load)
    with pytest.raises(InputDataError, match="no table"):
        race.to_frame("nope")
    assert issubclass(InputDataError, FinishlineError)


def test_season_repr_and_card(season):
    assert repr(season).startswith("SeasonAnalysis(athlete: runs 3 analysed")
    card = season._repr_html_()
    assert "finishline season" in card and "max heart rate estimated" in card


def test_public_api_from_the_top_level():
    for name in ("read", "read_many", "analyze", "analyze_season", "Athlete", "read_squad"):
        assert callable(getattr(finishline, name)), name
    assert "analyze" in dir(finishline)
    with pytest.raises(AttributeError):
        finishline.no_such_thing  # noqa: B018
