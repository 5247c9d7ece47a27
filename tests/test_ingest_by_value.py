"""The ingest checks that look at each distinct value once give, cell for
cell, what the straightforward per-cell versions they replaced give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxgap.ingest.events import _text
from cxgap.ingest.tables import MISSING_TOKENS, unstorable, without_missing_tokens

CELLS = [" a", "a ", "", "  ", None, np.nan, pd.NA, "b\x00c", "x\ud800y", "é", "a", "\tz\n"]
CELLS += [" NA ", "N/A", "nan", "<NA>", "Nadia", "3.5", "4"]


def _straight_text(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.mask(text == "")


def _straight_unstorable(values: pd.Series) -> np.ndarray:
    out = []
    for v in values:
        if not isinstance(v, str):
            out.append(False)
            continue
        try:
            v.encode("utf-8")
            out.append("\x00" in v)
        except UnicodeEncodeError:
            out.append(True)
    return np.array(out, dtype=bool)


def _straight_missing(values: pd.Series) -> pd.Series:
    as_text = values.astype("string").str.strip()
    return values.mask(as_text.isin(MISSING_TOKENS).fillna(False).to_numpy(dtype=bool))


@pytest.mark.parametrize("dtype", [object, "string"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_by_value_checks_equal_the_per_cell_ones(dtype: object, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    cells = [CELLS[i] for i in rng.integers(0, len(CELLS), n)]
    series = pd.Series(cells, dtype=dtype, index=rng.permutation(n) + 10)  # type: ignore[call-overload]
    pd.testing.assert_series_equal(_text(series), _straight_text(series))
    assert np.array_equal(unstorable(series), _straight_unstorable(series))
    assert unstorable(series).sum() > 0  # the sample holds a NUL and a surrogate
    pd.testing.assert_series_equal(without_missing_tokens(series), _straight_missing(series))


def test_empty_and_numeric_columns() -> None:
    empty = pd.Series([], dtype=object)
    assert _text(empty).empty and unstorable(empty).size == 0
    numbers = pd.Series([1.0, np.nan, 2.5])
    pd.testing.assert_series_equal(without_missing_tokens(numbers), _straight_missing(numbers))
