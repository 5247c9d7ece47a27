"""The base of every typed result cxgap returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Result"]


class Result(BaseModel):
    """Base of every result: immutable, JSON-serialisable.

    Undefined statistics (an interval at n = 1, a test with one group) are
    ``None``, never NaN, so that JSON output stays valid.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json_dict(self) -> dict[str, Any]:
        """The result as plain JSON types (what ``--json`` prints)."""
        return self.model_dump(mode="json")
