"""The installer a deployment's one-liners fetch with the master token (the agent path).

Apart from :mod:`edgex.deployments` on purpose: that module serves the admin routes and
imports their rules (scripts, settings, the audit trail), which the installer never
needs at its cold start.
"""

from __future__ import annotations

from edgex import config, wrappers
from edgex.errors import IntegrityViolation
from edgex.store import deployments as store
from edgex.store.tables import DeploymentModel


def bootstrapper(dep: DeploymentModel, kind: str, master_token: str) -> str:
    """The bootstrapper the one-liners of this deployment pinned: rendered from the
    templates and URL snapshotted at creation, with the payload's pinned SHA-256, so
    its bytes depend on the master token alone. A deployment from before the pinning
    gets this version's templates and its payload hash worked out from the same
    pinned bytes the download serves (its one-liners pin no installer hash)."""
    boot = store.bootstrapper_snapshot(dep)
    if boot is not None and dep.payload_sha256:
        return wrappers.render_bootstrapper(kind, boot.api_url, master_token, dep.payload_sha256, boot.templates[kind])
    from edgex import execution

    wrapper = store.wrapper_snapshot(dep)
    if wrapper is None:
        raise IntegrityViolation()  # a deployment always has its snapshot: missing is tampering
    payload = wrappers.render_payload(wrapper, dep.script_type, execution.verified_script(dep))
    return wrappers.render_bootstrapper(kind, config.public_url(), master_token, wrappers.payload_sha256(payload))
