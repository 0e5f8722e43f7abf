"""The storage seam: the only code that knows tables, keys, conditions, transactions,
retries, cursors and pynamodb's quirks.

Rules (``edgex.enrollment``, ``edgex.execution``, ``edgex.feedback``, ...) speak to the
modules here in the domain's words (claim a target, start a run, report, cancel a
target, a page of deployments) and get back rows to read and opaque cursors to pass
on. AWS errors become domain errors in :mod:`edgex.store.base`.

Modules: ``base`` (clients, errors, transactions, the optimistic loop), ``tables``
(pynamodb models), ``keys`` (every key format), ``cursors`` (opaque, checked
cursors), ``blobs`` (S3), ``counters`` (sharded run counters), ``targets`` (the
agent path's writes and logs), ``deployments``, ``scripts``, ``config``. Nothing is
imported here: a handler loads only the modules its route uses.
"""
