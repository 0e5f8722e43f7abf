"""cdk-nag (AWS Solutions) and cfn-lint on the synthesized stack."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def test_cdk_nag_aws_solutions_reports_nothing_unacknowledged(synth: Any) -> None:
    from cdk_nag import AwsSolutionsChecks

    # When the AWS Solutions pack checks the synthesized tree (as `make synth` does)
    report = AwsSolutionsChecks().validate_scope(synth.app)
    # Then every finding was fixed or acknowledged
    findings = [
        f"{v.rule_name} ({v.severity}) at {[r.resource_logical_id for r in v.violating_resources]}"
        for v in report.violations
    ]
    assert report.success, "\n".join(findings)
    assert not findings, "\n".join(findings)


def test_every_acknowledgement_carries_a_reason(synth: Any) -> None:
    from aws_cdk import Validations

    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = []
    for construct in synth.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                acknowledged.append((construct.node.path, entry.data))
    assert acknowledged, "expected the documented acknowledgements"
    for path, rules in acknowledged:
        for rule, reason in rules.items():
            assert "AwsSolutions-" in rule, f"{path}: {rule}"
            assert len(reason.strip()) > 20, f"{path}: {rule} needs a real reason"


def test_cfn_lint_finds_no_errors(synth: Any) -> None:
    from cfnlint.api import ManualArgs, lint_file

    template = synth.outdir / synth.stack.template_file
    matches = lint_file(template, ManualArgs(regions=[synth.stack.region]))
    errors = [f"{m.rule.id} {m.message} at {m.path}" for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)
