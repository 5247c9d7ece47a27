"""The mail-merge file of survey links: one row per link, every cell
neutralised against formula injection (names and e-mail addresses come
from contact lists anyone could have written).

The tokens exist only in what this writes: the database keeps their hashes.
"""

from __future__ import annotations

from collections.abc import Sequence

from cxgap.contracts.cells import safe_csv_text
from cxgap.store.invitations import IssuedLink

__all__ = ["CSV_COLUMNS", "links_csv"]

CSV_COLUMNS = ["respondent_id", "name", "email", "audience", "segment", "team", "wave", "link"]


def links_csv(links: Sequence[IssuedLink], base_url: str) -> str:
    r"""The links as CSV text (a header and one row per link, CRLF line ends),
    every cell neutralised against formula injection
    (:func:`cxgap.contracts.cells.safe_csv_text`).

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
    rows = (
        [
            link.respondent_id,
            link.name,
            link.email,
            link.audience,
            link.segment,
            link.team,
            link.wave,
            link.url(base_url),
        ]
        for link in links
    )
    return safe_csv_text(CSV_COLUMNS, rows)
