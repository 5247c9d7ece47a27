"""Moving data in and out whole: one study as a portable archive
(:mod:`~cxgap.operations.transfer`) and the whole database as a backup that
restores all or nothing (:mod:`~cxgap.operations.backup`)."""
