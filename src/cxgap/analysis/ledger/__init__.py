"""The relationship bank account of each account.

Deposits and withdrawals with compounding failures and fading credit, the
threshold below which accounts defect, accounts at risk and revenue at
risk, threshold alerts, and how consistently the touchpoints deliver the
promise. Method steps 6 and 7.

Each module holds one method; the names below load their module on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from cxgap.analysis._lazy import lazy_exports

_EXPORTS = {
    "balance_change": "balance",
    "balance_history": "balance",
    "balances_at": "balance",
    "ledger": "balance",
    "score_events": "balance",
    "clustered_auc": "threshold",
    "delong_auc": "threshold",
    "landmark_dates": "landmark",
    "landmark_sample": "landmark",
    "calibrate_defection_model": "probability",
    "revenue_interval": "probability",
    "learn_threshold": "threshold",
    "survival_by_band": "threshold",
    "threshold_sample": "threshold",
    "account_at": "risk",
    "account_detail": "risk",
    "alerts_since": "risk",
    "fit_defection_model": "risk",
    "ledger_report": "risk",
    "threshold_alerts": "alerts",
    "touchpoint_consistency": "consistency",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
