"""cxgap: find and close the customer-experience perception gap."""

from cxgap.errors import AnalysisError, CxgapError, InputError, NotFoundError
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
