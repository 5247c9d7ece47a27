"""The action plan: what to do, tied to its evidence.

Candidate actions ranked from the gaps and the priorities, and the
progress of planned actions wave to wave. Method step 5.

Each module holds one method; the names below load their module on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from cxgap.analysis._lazy import lazy_exports

_EXPORTS = {
    "action_progress": "actions",
    "candidate_actions": "actions",
    "leadership_customer_gap": "actions",
    "priority_score": "actions",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
