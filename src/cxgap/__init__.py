"""cxgap: find and close the customer-experience perception gap."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cxgap.errors import AnalysisError, CxgapError, InputError, NotFoundError

if TYPE_CHECKING:
    from cxgap.settings import Settings
    from cxgap.study import StudyDefinition, default_study

__version__ = "0.1.0"

__all__ = [
    "AnalysisError",
    "CxgapError",
    "InputError",
    "NotFoundError",
    "Settings",
    "StudyDefinition",
    "__version__",
    "default_study",
]

#: Names imported on first use: importing any part of cxgap (the ``cxgap``
#: command among them) would otherwise build the pydantic models of the
#: settings and of a study first.
_LAZY = {
    "Settings": "cxgap.settings",
    "StudyDefinition": "cxgap.study",
    "default_study": "cxgap.study",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # once: later look-ups skip this function
        return value
    raise AttributeError(f"module 'cxgap' has no attribute {name!r}")
