"""Derived event ids: the column-wise _with_derived_ids gives, byte for byte,
the ids the row-by-row version gave (stored events are keyed by them, so a
re-import after an upgrade must add nothing)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from benchmarks.reference_event_ids import row_by_row_ids

from cxgap.ingest.events import _with_derived_ids

TEXTS = [
    "A-1",
    "acc 2",
    "",
    " ",
    None,
    float("nan"),
    "Zoë Ça",
    "東京支店",
    "emoji 🎉",
    "tab\tand\nnewline",
    "unit\x1fseparator",
    "lone \ud800 surrogate",
    "nan",
    "None",
    "NaT",
]
STAMPS = pd.to_datetime(
    [
        "2026-01-05 00:00:00",
        "2026-01-05 23:59:59",
        "1970-01-01 00:00:00",
        "1969-12-31 23:59:59.999999",
        "1900-02-28 12:00:00",
        "2262-04-11 23:47:16",
        "1677-09-22 00:12:44",
        "2026-03-29 02:30:00",
        "2026-01-05 10:00:00.5",
        "2026-01-05 10:00:00.000001",
        "2026-01-05 10:00:00.000000001",
        "2026-01-05 10:00:00.123456789",
    ],
    format="ISO8601",
).as_unit("ns")
FLOATS = [1.0, 2.0, 3.0, float("nan"), 0.0, -0.0, 0.1, 1e20, 1e-7, 12345.678, float("inf")]


def _events(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values: list[object]) -> pd.Series:
        return pd.Series([values[i] for i in rng.integers(0, len(values), n)], dtype=object)

    stamps = pd.Series(STAMPS[rng.integers(0, len(STAMPS), n)])
    stamps[rng.random(n) < 0.05] = pd.NaT
    return pd.DataFrame(
        {
            "account_id": pick(TEXTS),
            "timestamp": stamps.astype("datetime64[ns]"),
            "touchpoint": pick(TEXTS),
            "moment": pick(["routine", "moment_of_truth", None]),
            "outcome": pick(["met", "exceeded", "failed"]),
            "severity": pd.Series([FLOATS[i] for i in rng.integers(0, 4, n)], dtype=float),
            "source_id": pick([None, None, None, "T-1", "row-x", float("nan")]),
            "source_system": pick(["crm", None]),
            "cost": pd.Series([FLOATS[i] for i in rng.integers(0, len(FLOATS), n)], dtype=float),
            "note": pick(TEXTS),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ids_are_those_of_the_row_by_row_version(seed: int) -> None:
    events = _events(3000, seed)
    new = _with_derived_ids(events)
    assert new.tolist() == row_by_row_ids(events).tolist()
    assert new.index.equals(events.index)


def test_ids_of_random_times_to_the_nanosecond() -> None:
    rng = np.random.default_rng(7)
    events = _events(2000, 3)
    nanos = rng.integers(-(2**62), 2**62, len(events))
    nanos[::3] -= nanos[::3] % 1_000_000_000  # a third on whole seconds
    events["timestamp"] = pd.Series(nanos.astype("datetime64[ns]"))
    assert _with_derived_ids(events).tolist() == row_by_row_ids(events).tolist()


def test_ids_after_rows_are_dropped_keep_their_index() -> None:
    events = _events(500, 4).iloc[::2]
    assert _with_derived_ids(events).equals(row_by_row_ids(events))


def test_ids_of_other_column_types_go_through_str() -> None:
    # Not what parse_events passes, but the same ids whatever the columns hold.
    events = _events(300, 5)
    events["account_id"] = np.arange(len(events))
    events["severity"] = events["severity"].astype("float32")
    events["timestamp"] = events["timestamp"].astype("datetime64[us]")
    events["note"] = events["note"].astype("string")
    assert _with_derived_ids(events).tolist() == row_by_row_ids(events).tolist()


def test_no_missing_id_returns_the_column() -> None:
    events = _events(50, 6).assign(source_id=[f"S-{i}" for i in range(50)])
    assert _with_derived_ids(events).tolist() == [f"S-{i}" for i in range(50)]
