"""Reaching the people who must act: alert runs and the messages they send.

- :mod:`~cxgap.notify.alerting`: a recorded run of the ledger threshold
  alerts of a study, and what it posted.
- :mod:`~cxgap.notify.webhook`: posting JSON to a webhook, with a clear error.
"""
