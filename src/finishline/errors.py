"""The finishline exception and warning family.

Every error finishline raises on bad input is a :class:`FinishlineError`; callers catch the
base class. Each message names the file (when there is one) and says what is wrong.

Hierarchy::

    FinishlineError
    ├── FileFormatError        the bytes are not a readable FIT/GPX/TCX file
    │   ├── CorruptFileError   a header, definition or record is broken beyond recovery
    │   └── UnsafeFileError    refused for safety (entity expansion, oversize)
    ├── NotAnActivityError     a valid file that holds no activity (settings, workout, ...)
    ├── EmptyActivityError     an activity file with no usable samples
    ├── AnalysisError          the data cannot support the requested analysis
    └── InputDataError         tabular input (chip results, configs) is malformed

Warnings for recoverable oddities (a truncated file, a bad CRC) use :class:`FinishlineWarning`.
"""

from __future__ import annotations

from os import PathLike


class FinishlineError(Exception):
    """Base class for every error finishline raises on bad input.

    Parameters
    ----------
    message
        What is wrong, in words a runner can act on.
    path
        The file the problem is in, when there is one.
    """

    def __init__(self, message: str, path: str | PathLike[str] | None = None) -> None:
        self.path = None if path is None else str(path)
        self.reason = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class FileFormatError(FinishlineError):
    """The file is not a readable FIT, GPX or TCX file."""


class CorruptFileError(FileFormatError):
    """The file is damaged beyond what can be recovered."""


class UnsafeFileError(FileFormatError):
    """The file was refused for safety: entity expansion, external entities, or oversize."""


class NotAnActivityError(FinishlineError):
    """The file is valid but holds no activity (settings, workout, monitoring, course...)."""


class EmptyActivityError(FinishlineError):
    """The file is an activity but holds no usable samples."""


class AnalysisError(FinishlineError):
    """The activity cannot support the requested analysis (e.g. no distance at all)."""


class InputDataError(FinishlineError):
    """Tabular input (chip results, athlete configuration) is malformed."""


class FinishlineWarning(UserWarning):
    """A recoverable oddity: a truncated file, a bad CRC, an estimated parameter."""


class TruncatedFileWarning(FinishlineWarning):
    """The file ends early; the records before the break were kept."""


class EstimateWarning(FinishlineWarning):
    """A parameter was estimated from the data rather than given."""
