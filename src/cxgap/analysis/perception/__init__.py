"""What each audience perceives, and the gaps between them.

Shares that call the service excellent, means and top-box shares, NPS and
predicted-vs-actual NPS, the factor x audience gap matrix, stated importance
and reasons to leave, customer segments and wave-to-wave change. Method
steps 3 and 4 (quantify expectations; insight generation).

Each module holds one method; the names below load their module on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from cxgap.analysis._lazy import lazy_exports

_EXPORTS = {
    "excellent_headline": "excellent",
    "newcombe_difference": "proportions",
    "proportion_estimate": "proportions",
    "wilson_bounds": "proportions",
    "wilson_interval": "proportions",
    "z_value": "proportions",
    "clean": "means",
    "cliffs_delta": "means",
    "hedges_g": "means",
    "holm": "means",
    "mann_whitney": "means",
    "mean_estimate": "means",
    "welch": "means",
    "welch_from_stats": "means",
    "nps_by_group": "nps",
    "nps_counts": "nps",
    "nps_difference": "nps",
    "nps_estimate": "nps",
    "nps_from_counts": "nps",
    "nps_scale_doubt": "nps",
    "predicted_vs_actual": "nps",
    "gap_matrix": "gaps",
    "suppression_reason": "gaps",
    "borda_points": "importance",
    "defection_factor_shares": "importance",
    "stated_importance": "importance",
    "segment_comparison": "segments",
    "attribute_breakdown": "attributes",
    "attribute_breakdowns": "attributes",
    "gap_change_from_stats": "waves",
    "wave_changes": "waves",
    "analyze_perception": "assembly",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
