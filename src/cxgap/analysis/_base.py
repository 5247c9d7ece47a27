"""Shared building blocks of analysis results."""

from __future__ import annotations

import math

from cxgap.contracts.result import Result

__all__ = ["Result", "Suppressed", "finite"]


def finite(x: float | None) -> float | None:
    """``x`` as a float, or ``None`` when it is missing, NaN or infinite."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


class Suppressed(Result):
    """A cell withheld because its group is below the anonymity threshold."""

    suppressed: bool = True
    reason: str
