"""Small tidy records for tests, shaped as the store takes them."""

from __future__ import annotations

from typing import Any


def accounts_frame(ids: list[str], **columns: list[Any]) -> Any:
    """Accounts as :func:`cxgap.store.accounts.write_accounts` takes them: the
    ``ids`` (also the names unless given), the given columns, the rest empty."""
    import pandas as pd

    from cxgap.contracts.records import ACCOUNT_COLUMNS

    unknown = sorted(set(columns) - set(ACCOUNT_COLUMNS))
    if unknown:
        raise TypeError(f"not account columns: {', '.join(unknown)}")
    data = {name: columns.get(name, [None] * len(ids)) for name in ACCOUNT_COLUMNS}
    data["account_id"] = ids
    data["name"] = columns.get("name", ids)
    return pd.DataFrame(data)
