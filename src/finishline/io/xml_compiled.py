"""Which scanner reads GPX/TCX bytes: the optional compiled one, or numpy.

The compiled scanner (``finishline.io._xmlscan``, built from ``_xmlscan.c`` when a C compiler
is at hand at install time) computes in one C loop what several numpy passes compute; where
the input is unusual it hands back to the numpy path, so both give the same tables, metadata
and warnings. It is used when:

- it was built (``pip install`` builds it; without a compiler the package installs anyway);
- its :data:`VERSION` is the one this code expects, and in a source checkout its ``.so`` is
  not older than ``_xmlscan.c`` (a stale build is not used, with a warning saying so:
  ``make`` or ``python setup.py build_ext --inplace`` rebuilds it);
- the environment variable ``FINISHLINE_PURE_PYTHON`` is not ``1`` (read at every call, so
  that tests can run both paths in one process).

:func:`scanner_status` says which path reads and why.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from types import ModuleType

from finishline.errors import FinishlineWarning

#: The compiled module's ``VERSION`` this code was written for.
VERSION = 3

#: Environment variable that forces the numpy path when set to ``1``.
PURE_PYTHON_ENV = "FINISHLINE_PURE_PYTHON"


class StaleScannerWarning(FinishlineWarning):
    """The compiled scanner is out of date with its source and is not used."""


def _load() -> tuple[ModuleType | None, str]:
    try:
        from finishline.io import _xmlscan
    except ImportError:
        return None, "numpy (the compiled scanner is not built)"
    built = getattr(_xmlscan, "__file__", None)
    source = Path(__file__).with_name("_xmlscan.c")
    if getattr(_xmlscan, "VERSION", None) != VERSION:
        reason = f"its version {getattr(_xmlscan, 'VERSION', None)} is not {VERSION}"
    elif built and source.exists() and source.stat().st_mtime > Path(built).stat().st_mtime:
        reason = f"{Path(built).name} is older than {source.name}"
    else:
        return _xmlscan, f"compiled ({Path(built).name if built else '_xmlscan'})"
    warnings.warn(
        f"finishline's compiled XML scanner is stale ({reason}) and is not used: rebuild it "
        "with `make` or `python setup.py build_ext --inplace`; reading with numpy meanwhile",
        StaleScannerWarning,
        stacklevel=2,
    )
    return None, f"numpy (the compiled scanner is stale: {reason})"


_MODULE, _STATUS = _load()


def compiled() -> ModuleType | None:
    """The compiled scanner module, or ``None`` when the numpy path reads."""
    if os.environ.get(PURE_PYTHON_ENV) == "1":
        return None
    return _MODULE


def scanner_status() -> str:
    """Which scanner reads GPX/TCX files, and why (for the bench, tests and bug reports)."""
    if os.environ.get(PURE_PYTHON_ENV) == "1":
        return f"numpy ({PURE_PYTHON_ENV}=1)"
    return _STATUS
