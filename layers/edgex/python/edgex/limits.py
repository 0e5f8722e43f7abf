"""Input limits, from the seed's validation table (and a few of our own)."""

from __future__ import annotations

HOSTNAME_MAX = 253
MACHINE_ID_MAX = 300
STEP_MAX = 100
MESSAGE_MAX = 4096
SCRIPT_MAX_BYTES = 1024 * 1024
PROMPT_MAX = 8000
NAME_MAX = 200
DESCRIPTION_MAX = 2000
EXPECTED_MACHINES_MAX = 100_000
EXPIRES_HOURS_MAX = 24 * 365
FEEDBACK_BATCH_MAX = 50  # one TransactWriteItems: entries + target + deployment <= 100
PAGE_DEFAULT = 50
PAGE_MAX = 100
ID_MAX = 2**53 - 1  # ids are JSON-safe integers
BODY_MAX_BYTES = SCRIPT_MAX_BYTES * 2  # JSON-escaped script content fits; beyond: 413
