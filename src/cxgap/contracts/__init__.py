"""Contracts that several layers share, each written once.

- :mod:`~cxgap.contracts.result`: the base of every typed result (analysis,
  store status rows, archives), immutable and JSON-serialisable.
- :mod:`~cxgap.contracts.records`: the columns of the tidy records the layers
  pass each other: interaction events, accounts, interview notes.
- :mod:`~cxgap.contracts.disclosure`: how a withheld (suppressed) cell is
  worded, wherever it is shown.
- :mod:`~cxgap.contracts.cells`: the rule every CSV/XLSX cell cxgap writes
  follows (no formula injection), and the one CSV writer.
- :mod:`~cxgap.contracts.limits`: how much of an outside file cxgap reads
  (bytes once unzipped, rows), and :mod:`~cxgap.contracts.unzip`, which
  checks zip files against such limits before reading them.
- :mod:`~cxgap.contracts.numbers`: how every output writes a number (no
  ``-0``, ``p < 0.001``, differences of shares in points), and
  :mod:`~cxgap.contracts.levels`: which of two answers reads as yes.
- :mod:`~cxgap.contracts.choices`: the fixed choices a user picks from
  (action statuses, user roles, export formats, theme engines), so the command
  line can offer them without importing the code that acts on them.

This package imports nothing of cxgap but :mod:`cxgap.errors`, so every layer
may import it.
"""
