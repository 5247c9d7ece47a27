"""The library's entry points over a stored study: load it from the database,
hand the tidy data to :mod:`cxgap.analysis`, and return typed results.

The CLI, the web app, the report writers and scripts call these; each CLI
command and route calls one of them and formats its result.

- :mod:`~cxgap.service.studies`: analysis, priorities, the action plan's
  candidates, an account's ledger and the ledger alerts of a study.
- :mod:`~cxgap.service.search`: search over a study's open answers and
  interview notes, with the anonymity rules of the study.
- :mod:`~cxgap.service.accounts_view`: the accounts list an account manager
  triages (balance, trend, revenue, owner, last NPS; sort, search, filters,
  CSV) and one account's page (debits, suggested action).
"""
