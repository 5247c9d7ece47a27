"""Number formatting shared by the report's renderers (display only: no
statistic is computed here)."""

from __future__ import annotations

import math


def _ok(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def num(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals, an en dash when missing.

    Examples
    --------
    >>> num(3.14159), num(None), num(-0.004, 2)
    ('3.14', '–', '-0.00')
    """
    return f"{x:.{digits}f}" if _ok(x) else "–"


def signed(x: float | None, digits: int = 2) -> str:
    """A number with its sign (``+0.42``)."""
    return f"{x:+.{digits}f}" if _ok(x) else "–"


def pct(x: float | None, digits: int = 0) -> str:
    """A share as a percentage (``0.423`` → ``42%``)."""
    return f"{100 * x:.{digits}f}%" if x is not None and _ok(x) else "–"


def signed_pct(x: float | None, digits: int = 0) -> str:
    """A difference of shares in percentage points (``+12 pts``)."""
    return f"{100 * x:+.{digits}f} pts" if x is not None and _ok(x) else "–"


def ci(lo: float | None, hi: float | None, digits: int = 2, *, pct: bool = False) -> str:
    """An interval as ``[lo, hi]``; ``[–]`` when undefined.

    Examples
    --------
    >>> ci(0.1234, 0.5, pct=True), ci(1.0, 2.5), ci(None, 1.0)
    ('[12%, 50%]', '[1.00, 2.50]', '[–]')
    """
    if lo is None or hi is None or not (_ok(lo) and _ok(hi)):
        return "[–]"
    if pct:
        return f"[{100 * lo:.0f}%, {100 * hi:.0f}%]"
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def pval(p: float | None) -> str:
    """A p-value: three decimals, or ``< 0.001``."""
    if p is None or not _ok(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def money(x: float | None) -> str:
    """An amount with thousands separators and no decimals."""
    return f"{x:,.0f}" if _ok(x) else "–"


def raw(x: float | None, digits: int) -> str:
    """The value for a ``data-value`` attribute, rounded to the precision the
    page shows it at (``digits`` decimals: a share shown as ``42%`` has 2), so
    the attribute tells no more than the text; empty when missing.

    Examples
    --------
    >>> raw(0.4237, 2), raw(3.14159, 2), raw(-14.0625, 1), raw(None, 2)
    ('0.42', '3.14', '-14.1', '')
    """
    return repr(round(float(x), digits)) if x is not None and _ok(x) else ""
