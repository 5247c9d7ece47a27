"""Reaching the people who must act: alert runs and the messages they send.

- :mod:`~cxgap.notify.alerting`: a recorded run of the ledger threshold
  alerts of a study, and what it posted.
- :mod:`~cxgap.notify.webhook`: posting JSON to a webhook, with a clear error.
- :mod:`~cxgap.notify.channels`: a notice delivered by e-mail, Slack, Teams
  or a signed webhook, retried with backoff (its parts: ``notice``,
  ``payloads``, ``signing``; docs/NOTIFICATIONS.md).
"""
