"""How a cell withheld to protect anonymity is worded, wherever it is shown."""

from __future__ import annotations

__all__ = ["suppression_reason"]


def suppression_reason(group: str, threshold: int) -> str:
    """The reason shown in place of a withheld cell.

    >>> suppression_reason("staff team billing", 5)
    'fewer than 5 answers from staff team billing: withheld to protect anonymity (threshold 5)'
    """
    return (
        f"fewer than {threshold} answers from {group}: withheld to protect "
        f"anonymity (threshold {threshold})"
    )
