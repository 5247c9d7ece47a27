"""How every output writes a number: the one set of display rules.

The report (HTML, XLSX, PPTX, charts), the dashboard and the command line
write numbers through these functions, so the rules hold everywhere:

* a value is rounded to the digits shown *before* its sign is chosen, so a
  tiny negative never shows as ``-0`` or ``-0.00`` (it shows ``0.00``), and a
  signed zero has no sign (``0.0``, not ``+0.0``);
* a p-value reads ``p < 0.001`` or ``p = 0.012`` (:func:`p_text`), never
  ``p = < 0.001``; in a column headed *p*, :func:`pval` gives the bare value;
* a difference of two shares is in percentage points, and so is its interval
  (:func:`signed_pts`, :func:`ci_pts`): ``+12 pts [+3, +21] pts``;
* a missing or undefined value is an en dash ``–``.

Display only: nothing here computes a statistic.
"""

from __future__ import annotations

import math

__all__ = [
    "DASH",
    "ci",
    "ci_pts",
    "num",
    "p_text",
    "pct",
    "pval",
    "signed",
    "signed_pts",
]

DASH = "–"


def _ok(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def _unsigned_zero(x: float, digits: int) -> float:
    """``x`` rounded to ``digits``, with the sign of zero dropped."""
    r = round(float(x), digits)
    return 0.0 if r == 0 else r


def num(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals; an en dash when missing.

    Examples
    --------
    >>> num(3.14159), num(None), num(-0.004), num(-0.4, 0), num(float("nan"))
    ('3.14', '–', '0.00', '0', '–')
    """
    if not _ok(x):
        return DASH
    assert x is not None
    return f"{_unsigned_zero(x, digits):.{digits}f}"


def signed(x: float | None, digits: int = 2) -> str:
    """A number with its sign (``+0.42``, ``-1.30``); zero has none.

    Examples
    --------
    >>> signed(0.421), signed(-1.3), signed(-0.0004), signed(0.0, 1), signed(None)
    ('+0.42', '-1.30', '0.00', '0.0', '–')
    """
    if not _ok(x):
        return DASH
    assert x is not None
    r = _unsigned_zero(x, digits)
    return f"{r:.{digits}f}" if r == 0 else f"{r:+.{digits}f}"


def pct(x: float | None, digits: int = 0) -> str:
    """A share as a percentage (``0.423`` → ``42%``).

    Examples
    --------
    >>> pct(0.423), pct(-0.0001), pct(None)
    ('42%', '0%', '–')
    """
    if not _ok(x):
        return DASH
    assert x is not None
    return f"{num(100 * x, digits)}%"


def signed_pts(x: float | None, digits: int = 0) -> str:
    """A difference of shares in percentage points (``+12 pts``, ``0 pts``).

    Examples
    --------
    >>> signed_pts(0.123), signed_pts(-0.004), signed_pts(-0.05), signed_pts(None)
    ('+12 pts', '0 pts', '-5 pts', '–')
    """
    if not _ok(x):
        return DASH
    assert x is not None
    return f"{signed(100 * x, digits)} pts"


def ci(lo: float | None, hi: float | None, digits: int = 2, *, pct: bool = False) -> str:
    """An interval as ``[lo, hi]`` (shares: ``[12%, 50%]``); ``[–]`` when undefined.

    Examples
    --------
    >>> ci(0.1234, 0.5, pct=True), ci(1.0, 2.5), ci(-0.001, 2.5), ci(None, 1.0)
    ('[12%, 50%]', '[1.00, 2.50]', '[0.00, 2.50]', '[–]')
    """
    if not (_ok(lo) and _ok(hi)):
        return f"[{DASH}]"
    assert lo is not None and hi is not None
    if pct:
        return f"[{num(100 * lo, 0)}%, {num(100 * hi, 0)}%]"
    return f"[{num(lo, digits)}, {num(hi, digits)}]"


def ci_pts(lo: float | None, hi: float | None, digits: int = 0) -> str:
    """The interval of a difference of shares, in signed percentage points.

    Examples
    --------
    >>> ci_pts(-0.031, 0.204), ci_pts(-0.001, 0.1), ci_pts(None, 0.2)
    ('[-3, +20] pts', '[0, +10] pts', '[–]')
    """
    if not (_ok(lo) and _ok(hi)):
        return f"[{DASH}]"
    assert lo is not None and hi is not None
    return f"[{signed(100 * lo, digits)}, {signed(100 * hi, digits)}] pts"


def pval(p: float | None) -> str:
    """A p-value for a column headed *p*: three decimals, or ``< 0.001``.

    Examples
    --------
    >>> pval(0.0123), pval(0.0004), pval(None)
    ('0.012', '< 0.001', '–')
    """
    if not _ok(p):
        return DASH
    assert p is not None
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """A p-value in a sentence: ``p = 0.012`` or ``p < 0.001`` (never ``p = < 0.001``).

    Examples
    --------
    >>> p_text(0.0123), p_text(0.00002), p_text(1.0), p_text(None)
    ('p = 0.012', 'p < 0.001', 'p = 1.000', 'p = –')
    """
    if not _ok(p):
        return f"p = {DASH}"
    assert p is not None
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
