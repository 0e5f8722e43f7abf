"""``make bench``: cold start, storage round trips, load, cost and scale on paper,
measured against ARCHITECTURE.md section 10 (``python -m bench.run``).

The handlers (``lambdas/``) and the domain package (``layers/edgex/python``) sit
outside the repo root's import path, as they sit in ``/var/task`` and ``/opt/python``
on Lambda; the bench puts them on ``sys.path`` the way the local server does, so
it measures the very modules that ship.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_PATHS = (ROOT / "lambdas", ROOT / "layers" / "edgex" / "python", ROOT)

for _path in reversed(CODE_PATHS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
