"""The mail-merge file of survey links: one row per link, every cell
neutralised against formula injection (names and e-mail addresses come
from contact lists anyone could have written).

The tokens exist only in what this writes: the database keeps their hashes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from cxgap.contracts.cells import neutralise_cell
from cxgap.store.invitations import IssuedLink

__all__ = ["CSV_COLUMNS", "links_csv"]

CSV_COLUMNS = ["respondent_id", "name", "email", "audience", "segment", "team", "wave", "link"]


def links_csv(links: Sequence[IssuedLink], base_url: str) -> str:
    r"""The links as CSV text (a header and one row per link, CRLF line ends),
    every cell neutralised against formula injection.

    Examples
    --------
    >>> link = IssuedLink(1, "tok", "customer", "w1", "c-1", "=HYPERLINK(1)", "a@b.co",
    ...                   "top", None)
    >>> rows = links_csv([link], "https://cx.example").split("\r\n")
    >>> rows[0]
    'respondent_id,name,email,audience,segment,team,wave,link'
    >>> rows[1]
    "c-1,'=HYPERLINK(1),a@b.co,customer,top,,w1,https://cx.example/s/tok"
    >>> rows[2]
    ''
    """
    buffer = io.StringIO()
    # CRLF rows (RFC 4180), so that a cell holding a line break is quoted.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for link in links:
        row = [
            link.respondent_id,
            link.name,
            link.email,
            link.audience,
            link.segment,
            link.team,
            link.wave,
            link.url(base_url),
        ]
        writer.writerow(["" if v is None else neutralise_cell(v) for v in row])
    return buffer.getvalue()
