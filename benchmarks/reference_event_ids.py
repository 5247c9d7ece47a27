"""The derived event ids as cxgap computed them before issue 19, row by row.

Stored events are keyed by these ids, so the column-wise
:func:`cxgap.ingest.events._with_derived_ids` must give them byte for byte (a
re-import after an upgrade must add nothing). One copy, used by
tests/test_event_ids.py as the reference and by bench_ledger_file.py as the
version the shipped one is timed against.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def row_by_row_ids(events: pd.DataFrame) -> pd.Series:
    """_with_derived_ids before issue 19, verbatim."""
    ids = events["source_id"].astype(object)
    missing = ids.isna().to_numpy()
    if not missing.any():
        return ids
    content = (
        events.loc[
            missing,
            [
                "account_id",
                "timestamp",
                "touchpoint",
                "moment",
                "outcome",
                "severity",
                "cost",
                "note",
            ],
        ]
        .astype(object)
        .map(str)
    )
    rows = ("\x1f".join(r) for r in content.itertuples(index=False, name=None))
    ids = ids.copy()
    ids[missing] = [
        "row-" + hashlib.blake2b(r.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        for r in rows
    ]
    return ids
