"""Payload and installer pinning (issue 14), on moto in-process: the deployment fixes
its payload's SHA-256 at creation and the download serves exactly those bytes; the
installer is rendered from a per-deployment snapshot, so the SHA-256 its one-liners
pin holds for the deployment's whole life; a rotated token gets one-liners pinning
its own installer; a machine's integrity report fails its run and is logged.

The bash and PowerShell checks themselves: tests/unit/test_wrappers.py (structure,
ShellCheck) and tests/adversarial/test_agent_resilience.py (a byte flipped by a proxy).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from edgex import agents, deployments, enrollment, execution, feedback, installer, platform_settings, scripts, wrappers
from edgex.audit import Actor
from edgex.errors import ValidationFailed
from edgex.store import deployments as deployment_store
from edgex.vocabulary import INTEGRITY_STEP, TargetStatus

ADMIN = Actor(username="alice", role="admin")
RUN = "run-0123456789abcdef"
SHA = re.compile(r"[0-9a-f]{64}")


def new_deployment(content: str = "echo hi\n") -> dict[str, Any]:
    script = scripts.create({"name": "s", "type": "bash", "content": content}, ADMIN)
    return deployments.create({"script_id": script["id"], "name": "d", "expected_machines": 2}, ADMIN)


def pins_of(lines: dict[str, str]) -> dict[str, str]:
    """The installer SHA-256 each one-liner carries."""
    bash = re.search(r"case \$h in '([0-9a-f]{64}) '\*\)", lines["bash"])
    ps = re.search(r"if \(\$d -ne '([0-9a-f]{64})'\)", lines["powershell"])
    assert bash and ps, lines
    return {"bash": bash.group(1), "ps1": ps.group(1)}


def installer_sha(deployment_id: int, kind: str, token: str) -> str:
    text = installer.bootstrapper(deployment_store.get(deployment_id), kind, token)
    # What the bash one-liner hashes: the text as $(...) keeps it, plus one newline.
    return hashlib.sha256((text.rstrip("\n") + "\n").encode()).hexdigest()


def test_the_served_payload_hashes_to_the_pinned_sha256(aws: None) -> None:
    # Given a deployment (its payload SHA-256 fixed at creation and shown in its view)
    dep = new_deployment("echo 'zażółć'\n")
    pinned = dep["payload_sha256"]
    assert SHA.fullmatch(pinned) and deployments.view(deployment_store.get(dep["id"]))["payload_sha256"] == pinned
    # And the platform's wrapper changed after it was created
    wrapper = wrappers.default_wrapper("bash").replace("#!/usr/bin/env bash", "#!/usr/bin/env bash\n# changed", 1)
    platform_settings.set_wrapper("bash", wrapper, ADMIN.username)
    # When two machines download their payload
    payloads = []
    for name in ("m1", "m2"):
        master = enrollment.authenticate_master(dep["master_token"])
        answer, _ = enrollment.enroll(master, {"hostname": name, "machine_id": name}, {})
        payloads.append(execution.download(agents.authenticate(answer["agent_token"], with_wrapper=True), RUN))
    # Then both got the same bytes, whose SHA-256 is the pinned one
    assert payloads[0] == payloads[1]
    assert hashlib.sha256(payloads[0].encode()).hexdigest() == pinned
    # And the bootstrapper served to them pins that very hash
    assert f"'{pinned}'" in installer.bootstrapper(deployment_store.get(dep["id"]), "bash", dep["master_token"])


def test_the_one_liners_pin_the_installer_served_even_after_a_template_upgrade(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment and the installer SHA-256s its one-liners carry
    dep = new_deployment()
    pins = pins_of(dep["one_liners"])
    # When the platform is upgraded: its bootstrapper templates change
    upgraded = {kind: text + "# upgraded\n" for kind, text in wrappers.bootstrapper_templates().items()}
    monkeypatch.setattr(wrappers, "bootstrapper_templates", lambda: upgraded)
    monkeypatch.setattr(wrappers, "_bootstrapper_template", lambda kind: upgraded[kind])
    # Then the deployment's installer still hashes to what its one-liners pinned
    for kind in ("bash", "ps1"):
        assert installer_sha(dep["id"], kind, dep["master_token"]) == pins[kind], kind
    # And a deployment created after the upgrade pins the upgraded installer
    later = new_deployment()
    assert "# upgraded" in installer.bootstrapper(deployment_store.get(later["id"]), "bash", later["master_token"])
    assert installer_sha(later["id"], "bash", later["master_token"]) == pins_of(later["one_liners"])["bash"]


def test_a_rotated_master_token_gets_one_liners_pinning_its_own_installer(aws: None) -> None:
    # Given a deployment and its first one-liners
    dep = new_deployment()
    before = pins_of(dep["one_liners"])
    # When its master token is rotated
    rotated = deployments.rotate_master(dep["id"])
    after = pins_of(rotated["one_liners"])
    # Then the new lines pin the installer rendered for the new token, not the old one
    assert after != before
    for kind in ("bash", "ps1"):
        assert after[kind] == installer_sha(dep["id"], kind, rotated["master_token"])
    assert rotated["master_token"] in rotated["one_liners"]["bash"]


def test_the_placeholder_one_liners_say_they_pin_no_installer(aws: None) -> None:
    # Given a deployment / When its placeholder one-liners are asked for
    dep = new_deployment()
    answer = deployments.one_liner_templates(dep["id"])
    # Then they carry no hash check and the answer says why
    assert answer["installer_pinned"] is False and "SHA-256" in answer["note"]
    assert "sha256sum" not in answer["one_liners"]["bash"] and "SHA256" not in answer["one_liners"]["powershell"]


def test_an_integrity_report_fails_the_run_and_is_logged(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a machine that downloaded its payload
    dep = new_deployment()
    master = enrollment.authenticate_master(dep["master_token"])
    answer, _ = enrollment.enroll(master, {"hostname": "m1", "machine_id": "m1"}, {})
    token = answer["agent_token"]
    execution.download(agents.authenticate(token, with_wrapper=True), RUN)
    # When its bootstrapper reports what bootstrap.sh sends on a hash mismatch
    entries = [
        {"status": "error", "message": "the payload's SHA-256 (x) does not match", "step": INTEGRITY_STEP},
        {
            "status": "error",
            "message": "Payload integrity check failed: ...",
            "step": "complete",
            "exit_code": 94,
            "outcome": "failed",
        },
    ]
    capsys.readouterr()
    done = feedback.record(agents.authenticate(token, reporting=True), {"entries": entries}, RUN, "1-integrity")
    # Then the run is failed with 94, and the platform's log has one security line
    assert done["target_status"] == TargetStatus.FAILED
    (target,) = deployments.targets_page(deployment_store.get(dep["id"]), 10, None)[0]
    assert target["status"] == TargetStatus.FAILED and target["exit_code"] == 94
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    security = [line for line in lines if line.get("integrity") == "payload_mismatch"]
    assert len(security) == 1 and security[0]["level"] == "ERROR"
    assert security[0]["deployment_id"] == dep["id"] and security[0]["target_id"] == target["id"]


@pytest.mark.parametrize("digest", ["", "A" * 64, "0" * 63, "0" * 64 + "'", "g" * 64])
def test_a_malformed_sha256_is_refused_not_rendered(digest: str) -> None:
    # Given a SHA-256 that is not 64 lowercase hex digits / Then nothing is rendered with it
    with pytest.raises(ValidationFailed):
        wrappers.render_bootstrapper("bash", "https://api.example.com", "exm_1_abc", digest)
    with pytest.raises(ValidationFailed):
        wrappers.one_liners("https://api.example.com", "exm_1_abc", {"bash": digest, "ps1": "0" * 64})


def test_pinned_one_liners_match_the_documented_shape() -> None:
    # Given a URL, a token and the installer SHA-256s / When the one-liners are built
    pins = {"bash": "a" * 64, "ps1": "b" * 64}
    lines = wrappers.one_liners("https://api.example.com/", "exm_1_abc", pins)
    # Then the bash line fetches, hashes with the first tool there is, and runs only on a match
    assert lines["bash"] == (
        "(s=$(printf 'header = \"Authorization: Bearer %s\"\\n' 'exm_1_abc' |"
        " curl -fsS --retry 6 --retry-max-time 300 -K - 'https://api.example.com/v1/agent/installer?type=bash')"
        " || exit; h=$(printf '%s\\n' \"$s\" | (sha256sum || shasum -a 256 || openssl dgst -sha256 -r) 2>/dev/null);"
        f" case $h in '{'a' * 64} '*) printf '%s\\n' \"$s\" | bash ;;"
        " '') echo 'edgex: cannot check the installer: no sha256sum, shasum or openssl' >&2; exit 90 ;;"
        " *) echo 'edgex: the installer does not match the SHA-256 in this one-liner: nothing was run' >&2;"
        " exit 95 ;; esac)"
    )
    assert "\n" not in lines["bash"]
    # And the PowerShell line hashes the installer before Invoke-Expression
    ps = lines["powershell"]
    assert "\n" not in ps
    assert ps.index("ComputeHash") < ps.index(f"if ($d -ne '{'b' * 64}')") < ps.index("Invoke-Expression $s")


def test_a_deployment_from_before_the_pinning_still_gets_a_matching_installer(aws: None) -> None:
    # Given a deployment as created before the pinning: no bootstrapper snapshot, no payload hash
    from edgex.store import keys
    from edgex.store.tables import BootstrapperSnapshotModel, DeploymentModel

    dep = new_deployment()
    BootstrapperSnapshotModel(keys.bootstrapper_pk(dep["id"])).delete()
    stored = deployment_store.get(dep["id"])
    stored.update(actions=[DeploymentModel.payload_sha256.remove()])
    # When its installer is asked for
    text = installer.bootstrapper(deployment_store.get(dep["id"]), "bash", dep["master_token"])
    # Then it pins the hash of the payload its machines will download (worked out from the same bytes)
    assert f"'{dep['payload_sha256']}'" in text
    # And a rotation gives one-liners that check no installer hash (its bytes were never pinned)
    rotated = deployments.rotate_master(dep["id"])
    assert "sha256sum" not in rotated["one_liners"]["bash"]
    assert deployments.view(deployment_store.get(dep["id"]))["payload_sha256"] is None
