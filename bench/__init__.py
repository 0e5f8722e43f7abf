"""``make bench``: cold start, storage round trips, load, cost and scale on paper,
measured against ARCHITECTURE.md section 10 (``python -m bench.run``).

The handlers (``lambdas/``) and the domain package (``layers/edgex/python``) are
importable through the project's install (``pip install -e .``); child processes that
measure a cold start get them as ``PYTHONPATH`` (``CODE_PATHS``), as Lambda has them
in ``/var/task`` and ``/opt/python``, so the bench measures the very modules that ship.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_PATHS = (ROOT / "lambdas", ROOT / "layers" / "edgex" / "python", ROOT)
