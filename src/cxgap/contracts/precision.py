"""Display precision: every number an output shows, rounded as the HTML
report shows it, so that no output tells more than the page.

Full-precision aggregates let a viewer difference out what suppression
withholds: with a total's mean to 15 digits and the shown groups' means, the
sum of a withheld group's answers follows to the last digit, and with
rounded means only to within the rounding error of every term (Hundepool,
A. et al. (2012). *Statistical Disclosure Control*. Wiley, section 5.4 on
rounding as a protection of magnitude tables). Complementary suppression
(:mod:`cxgap.contracts.disclosure`) is what keeps a withheld team's figures
out of reach; rounding to what a reader needs takes away the rest.

The rules, by the key a number sits under in the JSON form of a result
(the same numbers the XLSX workbook and the PPTX deck are built from):

- an NPS (``nps``), and the ``gap``, ``ci_low`` and ``ci_high`` beside an NPS
  or an expected NPS: 1 decimal (the report's "NPS 12.3");
- a p-value (``p``, ``p_...``, ``..._p``, ``p_value``): 2 significant
  digits, so a small p stays distinguishable from 0;
- every other number with a fraction: 2 decimals (means "3.42", shares
  "0.42" shown as 42%, intervals, weights, balances);
- whole numbers (counts, n) and text as they are.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["display_rounded", "round_significant"]

_P_VALUE = re.compile(r"^(?:p|p_.*|.*_p|p_value|pvalue)$")
_NPS_NEIGHBOURS = frozenset({"nps", "gap", "ci_low", "ci_high"})


def round_significant(x: float, digits: int = 2) -> float:
    """``x`` to ``digits`` significant digits.

    >>> round_significant(0.000123456), round_significant(0.04567), round_significant(0.0)
    (0.00012, 0.046, 0.0)
    """
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _digits(key: str, nps_context: bool) -> int | None:
    """Decimals for a number under ``key`` (``None``: significant digits)."""
    if _P_VALUE.match(key):
        return None
    if key == "nps" or (nps_context and key in _NPS_NEIGHBOURS):
        return 1
    return 2


def display_rounded(value: Any, *, key: str = "", nps_context: bool = False) -> Any:
    """A JSON value (dicts, lists, numbers, text) with every float rounded to
    display precision (the rules above); a new value, the input unchanged.

    >>> display_rounded({"mean": 3.14159, "n": 7, "p_holm": 0.000123456, "shares": [0.42371]})
    {'mean': 3.14, 'n': 7, 'p_holm': 0.00012, 'shares': [0.42]}
    >>> display_rounded({"customers": {"nps": 12.3456, "ci_low": -3.21987, "mean": 1.2345}})
    {'customers': {'nps': 12.3, 'ci_low': -3.2, 'mean': 1.23}}
    """
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return value
        digits = _digits(key, nps_context)
        return round_significant(value) if digits is None else round(value, digits)
    if isinstance(value, dict):
        inner = "nps" in value or (
            isinstance(value.get("expected"), dict) and "nps" in value["expected"]
        )
        return {k: display_rounded(v, key=str(k), nps_context=inner) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [display_rounded(v, key=key, nps_context=nps_context) for v in value]
    return value
