"""finishline: marathon training and race-finish analytics.

Public face (re-exports only)::

    import finishline
    act = finishline.read("race.fit")          # FIT / GPX / TCX, plain or .gz
    finishline.summarize(act)                   # summary dict
"""

from finishline.activity import Activity, ActivityMeta
from finishline.analysis import RaceAnalysis, analyze
from finishline.errors import FinishlineError, FinishlineWarning
from finishline.io import read, read_bytes
from finishline.summary import summarize
from finishline.training.batch import read_many

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "ActivityMeta",
    "FinishlineError",
    "FinishlineWarning",
    "RaceAnalysis",
    "analyze",
    "read",
    "read_bytes",
    "read_many",
    "summarize",
]
