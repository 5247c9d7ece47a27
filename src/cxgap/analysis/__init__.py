"""Pure analysis functions: tidy data in, typed serialisable results out.

No database access and no I/O here. Grouped by the question each part
answers, in the order of the method: :mod:`.perception` (what each audience
perceives and the gaps between them), :mod:`.drivers` (what drives
recommendation and staying, and what to fix first), :mod:`.voice` (what the
audiences say in their own words), :mod:`.ledger` (the relationship bank
account), :mod:`.plan` (the action plan); :mod:`.study` assembles them into
one study's analysis. One method per module; each public function documents
its formula and cites its source. Results are pydantic models
(:class:`cxgap.contracts.result.Result`) that the report, the web pages and
``--json`` all render.
"""
