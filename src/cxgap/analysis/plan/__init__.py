"""The action plan: what to do, tied to its evidence.

Candidate actions ranked from the gaps and the priorities, and the
progress of planned actions wave to wave. Method step 5. The case rules
that close the loop with one customer or account (:mod:`.cases`).

Each module holds one method; the names below load their module on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from cxgap.analysis._lazy import lazy_exports

_EXPORTS = {
    "AnswerRecord": "cases",
    "CaseCandidate": "cases",
    "account_cases": "cases",
    "answer_cases": "cases",
    "action_progress": "actions",
    "candidate_actions": "actions",
    "leadership_customer_gap": "actions",
    "priority_score": "actions",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
