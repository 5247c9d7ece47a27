"""Shared building blocks of analysis results."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    """Base of every analysis result: immutable, JSON-serialisable.

    Undefined statistics (an interval at n = 1, a test with one group) are
    ``None``, never NaN, so that JSON output stays valid.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json_dict(self) -> dict[str, Any]:
        """The result as plain JSON types (what ``--json`` prints)."""
        return self.model_dump(mode="json")


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
