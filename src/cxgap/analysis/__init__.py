"""Pure analysis functions: tidy data in, typed serialisable results out.

No database access and no I/O here. One module per method; each public
function documents its formula and cites its source. Results are pydantic
models (:class:`cxgap.analysis._base.Result`) that the report, the web pages
and ``--json`` all render.
"""
