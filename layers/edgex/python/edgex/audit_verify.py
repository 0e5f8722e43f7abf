"""Check the audit trail's hash chain from a shell: ``python -m edgex.audit_verify``.

Reads the table named by ``EDGEX_TABLE_AUDIT`` (the audit table's physical name, the
value every admin function gets in that variable) with the caller's AWS credentials, walks every record of the last ``--months`` months
oldest first, prints the report as JSON and exits 1 at the first broken link.
Keep the printed head hash: a later run whose chain no longer reaches it shows
that the newest records were removed.
"""

from __future__ import annotations

import argparse
import json
import sys

from edgex import audit
from edgex.store import tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=audit.LOOKBACK_MONTHS, help="monthly streams to walk back")
    parser.add_argument("--expect-head", default=None, help="a head hash from an earlier run that must still be there")
    args = parser.parse_args(argv)
    tables.bind("audit")
    report = audit.verify(args.months)
    if report["ok"] and args.expect_head and not audit.chain_contains(args.expect_head, args.months):
        report = {**report, "ok": False, "missing_head": args.expect_head}
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
