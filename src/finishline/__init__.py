"""finishline: marathon training and race-finish analytics.

Public face (re-exports only)::

    import finishline
    act = finishline.read("race.fit")             # FIT / GPX / TCX, plain or .gz
    race = finishline.analyze("race.fit", age=45)  # RaceAnalysis
    season = finishline.analyze_season(finishline.read_many("exports/"))
"""

from finishline.activity import Activity, ActivityMeta
from finishline.analysis import analyze
from finishline.athlete import Athlete, load_athlete
from finishline.errors import FinishlineError, FinishlineWarning
from finishline.io import read, read_bytes
from finishline.results import RaceAnalysis
from finishline.summary import summarize
from finishline.training.batch import read_many
from finishline.training.results import SeasonAnalysis, SquadAnalysis
from finishline.training.season import analyze_season

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "ActivityMeta",
    "Athlete",
    "FinishlineError",
    "FinishlineWarning",
    "RaceAnalysis",
    "SeasonAnalysis",
    "SquadAnalysis",
    "analyze",
    "analyze_season",
    "load_athlete",
    "read",
    "read_bytes",
    "read_many",
    "summarize",
]
