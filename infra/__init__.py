"""The CDK app of Edgex on AWS: one stack composed of one construct per concern.

``infra.stack.EdgexStack`` only composes; each concern (storage, identity, API,
edge, dashboard hosting, AI, observability) lives in its own module, every name in
``infra.constants`` and every setting is read once by ``infra.config.load_config``.
Lambda layers are built without Docker by ``python -m infra.build_assets``.

The stack is generated from the route manifest (``lambdas/manifest.py``) and the
``edgex`` package (``layers/edgex/python``), so both folders are put on the import
path here, once, for every entry point (``app.py``, the tests, ``python -m``).
"""

from __future__ import annotations

import sys

from infra import constants as _c

for _path in (_c.MANIFEST_DIR, _c.EDGEX_PACKAGE_PARENT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
