"""Number formatting shared by the report's renderers (display only: no
statistic is computed here). The rules (no ``-0``, ``p < 0.001``, differences
of shares and their intervals in points) live in :mod:`cxgap.contracts.numbers`;
this module adds what only the report needs."""

from __future__ import annotations

import math

from cxgap.contracts.numbers import DASH, ci, ci_pts, num, p_text, pct, pval, signed, signed_pts

__all__ = [
    "ci",
    "ci_pts",
    "money",
    "num",
    "p_text",
    "pct",
    "pval",
    "raw",
    "signed",
    "signed_pct",
    "signed_pts",
]

#: The older name of :func:`signed_pts`.
signed_pct = signed_pts


def _ok(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def money(x: float | None) -> str:
    """An amount with thousands separators and no decimals (never ``-0``).

    Examples
    --------
    >>> money(1234567.4), money(-0.3), money(None)
    ('1,234,567', '0', '–')
    """
    if not _ok(x):
        return DASH
    assert x is not None
    r = round(float(x))
    return f"{0 if r == 0 else r:,.0f}"


def raw(x: float | None, digits: int) -> str:
    """The value for a ``data-value`` attribute, rounded to the precision the
    page shows it at (``digits`` decimals: a share shown as ``42%`` has 2), so
    the attribute tells no more than the text; empty when missing.

    Examples
    --------
    >>> raw(0.4237, 2), raw(3.14159, 2), raw(-14.0625, 1), raw(-0.001, 2), raw(None, 2)
    ('0.42', '3.14', '-14.1', '0.0', '')
    """
    if not _ok(x):
        return ""
    assert x is not None
    r = round(float(x), digits)
    return repr(0.0 if r == 0 else r)
