"""finishline: marathon training and race-finish analytics.

Public face (re-exports only, loaded on first use so that ``import finishline`` and the
command line start fast)::

    import finishline
    act = finishline.read("race.fit")             # FIT / GPX / TCX, plain or .gz
    race = finishline.analyze("race.fit", age=45)  # RaceAnalysis
    season = finishline.analyze_season(finishline.read_many("exports/"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finishline.lazy import lazy_exports

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "Activity": "finishline.activity",
    "ActivityMeta": "finishline.activity",
    "Athlete": "finishline.athlete",
    "load_athlete": "finishline.athlete",
    "FinishlineError": "finishline.errors",
    "FinishlineWarning": "finishline.errors",
    "read": "finishline.io",
    "read_bytes": "finishline.io",
    "read_all": "finishline.io",
    "analyze": "finishline.analysis",
    "RaceAnalysis": "finishline.results",
    "summarize": "finishline.summary",
    "read_many": "finishline.training.batch",
    "analyze_season": "finishline.training.season",
    "SeasonAnalysis": "finishline.training.results",
    "SquadAnalysis": "finishline.training.results",
    "read_squad": "finishline.training.squad",
    "analyze_squad": "finishline.training.squad",
    "plan": "finishline.plan",
}

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
    "analyze_squad",
    "load_athlete",
    "plan",
    "read",
    "read_all",
    "read_bytes",
    "read_many",
    "read_squad",
    "summarize",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from finishline.activity import Activity, ActivityMeta
    from finishline.analysis import analyze
    from finishline.athlete import Athlete, load_athlete
    from finishline.errors import FinishlineError, FinishlineWarning
    from finishline.io import read, read_all, read_bytes
    from finishline.results import RaceAnalysis
    from finishline.summary import summarize
    from finishline.training.batch import read_many
    from finishline.training.results import SeasonAnalysis, SquadAnalysis
    from finishline.training.season import analyze_season
    from finishline.training.squad import analyze_squad, read_squad
