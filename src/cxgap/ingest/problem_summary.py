"""Problems of one import grouped by kind, for a reader rather than a file.

A file whose columns map onto nothing has one problem per row (25,976 rows
give 25,976 "an answer to at least one mapped question"); the summary says
it once, with its count and the first rows, so that the cause shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["ProblemKind", "summarise_problems"]


class _ProblemLike(Protocol):
    @property
    def row(self) -> int | None: ...
    @property
    def column(self) -> str | None: ...
    @property
    def value(self) -> object: ...
    @property
    def expected(self) -> str: ...


@dataclass
class ProblemKind:
    """The problems of one column that expected the same thing."""

    column: str | None
    expected: str
    count: int = 0
    rows: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


def summarise_problems(problems: Iterable[_ProblemLike], *, first: int = 3) -> list[ProblemKind]:
    """Group ``problems`` by (column, expected), most frequent kind first
    (ties in the order first met), keeping the first ``first`` rows and
    distinct values of each.

    >>> from cxgap.errors import Problem
    >>> ps = [Problem("f", r, "Q1", "x", "a number") for r in (4, 5, 6, 7)]
    >>> ps.append(Problem("f", None, None, None, "a header row"))
    >>> [(k.column, k.expected, k.count, k.rows) for k in summarise_problems(ps)]
    [('Q1', 'a number', 4, [4, 5, 6]), (None, 'a header row', 1, [])]
    """
    kinds: dict[tuple[str | None, str], ProblemKind] = {}
    for p in problems:
        kind = kinds.setdefault((p.column, p.expected), ProblemKind(p.column, p.expected))
        kind.count += 1
        if p.row is not None and len(kind.rows) < first:
            kind.rows.append(p.row)
        if p.value is not None and len(kind.values) < first and str(p.value) not in kind.values:
            kind.values.append(str(p.value))
    order = {key: i for i, key in enumerate(kinds)}
    return sorted(kinds.values(), key=lambda k: (-k.count, order[(k.column, k.expected)]))
