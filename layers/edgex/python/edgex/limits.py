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

# One run's log (settings; pinned on the deployment at creation): entries and bytes of
# messages. Past either the run's reports are refused (429 LOG_QUOTA_EXCEEDED) and a
# "log truncated" entry marks the cut; the final report is still taken.
RUN_LOG_ENTRIES_DEFAULT = 1000
RUN_LOG_BYTES_DEFAULT = 1024 * 1024
# After its final report a target still takes late reports (a retried batch, the
# wrapper's last lines) for this long; a run in progress when its deployment is
# cancelled or expires may report for REPORT_GRACE_MINUTES_DEFAULT (a setting).
FINAL_REPORT_GRACE_SECONDS = 300
REPORT_GRACE_MINUTES_DEFAULT = 60
# A machine id whose target is running is not enrolled again (its token rotated) by
# another caller until the run has been silent this long.
TAKEOVER_AFTER_SECONDS = 900
RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
REQUEST_KEY_PATTERN = r"^[0-9A-Za-z._-]{1,64}$"  # sortable by the agent: time first
# A run's captured output (stdout / stderr chunks the wrapper ships with its reports):
# stored in S3 per run up to RUN_OUTPUT_BYTES_DEFAULT (a setting, pinned on the
# deployment); past half of it only the newest reports are kept, in rotating tail slots.
RUN_OUTPUT_BYTES_DEFAULT = 10 * 1024 * 1024
OUTPUT_REPORT_MAX_BYTES = 64 * 1024  # one report's output text (the wrapper ships <= 48 KiB)
OUTPUT_CHUNKS_MAX = 500  # chunks in one report
# The whole-output download answers in parts of this many stored reports (<= 3 MiB of
# text, 4 MiB once base64-encoded): a Lambda answer holds at most 6 MB, a run keeps up
# to its limit (10 MiB by default, 1 GiB at most).
DOWNLOAD_PART_REPORTS = (3 * 1024 * 1024) // OUTPUT_REPORT_MAX_BYTES
# A run's time limit (seconds): per deployment, capped by a setting; the wrapper kills
# the script there and reports timed_out.
TIMEOUT_SECONDS_DEFAULT = 3600
TIMEOUT_MAX_SECONDS_DEFAULT = 7 * 24 * 3600
# A running target with no report for this long is marked lost by the sweep (the
# wrapper reports at least every EDGEX_HEARTBEAT_SECONDS, 30 by default).
LOST_AFTER_SECONDS_DEFAULT = 120
