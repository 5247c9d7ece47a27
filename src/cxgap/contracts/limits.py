"""How much of an outside file cxgap reads: the limits, declared once.

A file's size on disk says little about what reading it costs. An XLSX
workbook is a zip: 182 KB of it can unzip to a 62 MB sheet of a million rows,
which took 36 s and 557 MiB to read through the dashboard, whose 1 MiB body
limit bounds only the zipped bytes. A study export or a backup is a zip too.
So every reader of outside files checks what a file *unzips to* and how many
rows it holds before it parses all of it, and refuses with an
:class:`~cxgap.errors.InputError` that names the file (and member), what it
found and the limit.

The limits are far above what a real file needs, so that they only ever
refuse a file made to hurt (or one that is not what it claims to be):

- A table file (CSV/TSV, or an XLSX workbook once unzipped, all its members
  together) holds at most :data:`MAX_TABLE_BYTES`, 50 MiB, and
  :data:`MAX_TABLE_ROWS` data rows, 1,000,000. A survey export of 100,000
  respondents with 60 questions is about 30 MB; a contacts file of 100,000
  people about 10 MB.
- A member of an XLSX workbook larger than :data:`RATIO_FREE_BYTES` (1 MiB)
  may unzip to at most :data:`MAX_XLSX_RATIO` (100) times its zipped size.
  Sheets written by Excel, LibreOffice or openpyxl unzip to 5 to 20 times
  their size; 100 is the default of Apache POI, whose "zip bomb" check is
  the model here. Small members are exempt: whatever their ratio, they cost
  little.
- A study export or backup unzips to at most :data:`MAX_ARCHIVE_BYTES`,
  10 GiB, all members together (a SQLite copy of a database of six million
  answers is about 2 GB). Its files compress far better than sheets (a fresh
  SQLite file is mostly empty pages), so no ratio applies; the bound can be
  raised per call (``max_unzipped``, ``--max-unzipped``) for a larger
  database. Its ``manifest.json`` is read whole, so it holds at most
  :data:`MAX_MANIFEST_BYTES`, 1 MiB (a real one is under 2 KB).
"""

from __future__ import annotations

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "MAX_XLSX_RATIO",
    "RATIO_FREE_BYTES",
]

#: Bytes of a CSV/TSV file, or of an XLSX workbook once unzipped (every member).
MAX_TABLE_BYTES = 50 * 2**20

#: Data rows of a table file (the header rows not counted).
MAX_TABLE_ROWS = 1_000_000

#: How many times its zipped size a large XLSX member may unzip to.
MAX_XLSX_RATIO = 100

#: XLSX members that unzip to at most this many bytes are not held to the ratio.
RATIO_FREE_BYTES = 2**20

#: Bytes a study export or backup unzips to, every member together.
MAX_ARCHIVE_BYTES = 10 * 2**30

#: Bytes of the manifest.json of an export or backup.
MAX_MANIFEST_BYTES = 2**20
