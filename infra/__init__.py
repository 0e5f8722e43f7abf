"""The CDK app of Edgex on AWS: one stack composed of one construct per concern.

``infra.stack.EdgexStack`` only composes; each concern (storage, identity, API,
edge, dashboard hosting, AI, observability) lives in its own module, every name in
``infra.constants`` and every setting is read once by ``infra.config.load_config``.
Lambda layers are built without Docker by ``python -m infra.build_assets``.

The stack is generated from the route manifest (``lambdas/manifest.py``) and the
``edgex`` package (``layers/edgex/python``), both importable once the project is
installed (``pip install -e .``, done by ``make setup``).
"""
