"""What drives recommendation and staying, and what to fix first.

Key-driver analysis (exact Shapley/LMG, Johnson's relative weights), stated
vs derived importance on the importance-performance map, and what separates
defected and at-risk customers from top customers. Method step 4.

Each module holds one method; the names below load their module on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from cxgap.analysis._lazy import lazy_exports

_EXPORTS = {
    "all_subset_r2": "keydrivers",
    "key_drivers": "keydrivers",
    "lmg_from_r2": "keydrivers",
    "lmg_importance": "keydrivers",
    "relative_weights": "keydrivers",
    "analyze_drivers": "priorities",
    "analyze_priorities": "priorities",
    "audience_rows": "priorities",
    "column_values": "priorities",
    "quadrant": "priorities",
    "select_wave": "priorities",
    "analyze_defection_risks": "defection",
    "hedges_g_interval": "defection",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
