"""Fleet-scale sizing: the arithmetic behind the agent throttle and reserved concurrency.

The product's goal is a one-liner pasted on 100,000 machines that all enroll and
run within 10 minutes. Every default of ``agentThrottle`` and ``agentConcurrency``
(infra/config.py) is computed here from that goal, docs/DEPLOY.md ("Fleet scale")
shows the same arithmetic, and the infra tests compare the synthesized template
with these numbers, so the three cannot drift apart.

Why the throttle and the concurrency are sized together: API Gateway answers a
throttled call with 429, which the agents retry with backoff; a Lambda function
out of reserved concurrency makes the HTTP API answer 500, which they do not.
So the gateway must say no first: a route's burst never exceeds its function's
reserved concurrency, and its steady rate times the handler's p99 duration fits
in it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# --- the goal ---
FLEET_MACHINES = 100_000
FLEET_WINDOW_SECONDS = 600
LIFECYCLES_PER_SECOND = FLEET_MACHINES / FLEET_WINDOW_SECONDS  # 166.7

# Calls one lifecycle makes of each agent route: the one-liner fetches the installer,
# the bootstrapper enrolls and downloads, and the wrapper posts feedback: a report every
# 30 s while the script runs, its entries riding with its output, then the final report
# (templates/wrapper.sh, wrapper.ps1); 3 posts cover a run of about a minute (a run
# within 30 s makes 1). Keyed by handler (lambdas/manifest.py).
FEEDBACK_POSTS_PER_RUN = 3
CALLS_PER_LIFECYCLE: Mapping[str, int] = {
    "agent_installer": 1,
    "agent_enroll": 1,
    "agent_download": 1,
    "agent_feedback": FEEDBACK_POSTS_PER_RUN,
}

# --- the margins ---
HEADROOM = 2  # steady rate allowed over the rate the goal needs
HANDLER_P99_SECONDS = 0.3  # assumed p99 duration of an agent handler (warm, DynamoDB in region)
RATE_STEP = 50  # rates are rounded up to a multiple of this, to read well in docs and consoles

# --- AWS limits the sizing must stay within (defaults of a region / a new account) ---
ACCOUNT_API_RPS = 10_000  # API Gateway: steady requests/s per account and region, all APIs
ACCOUNT_API_BURST = 5_000  # API Gateway: burst per account and region
ACCOUNT_LAMBDA_CONCURRENCY = 1_000  # Lambda concurrent executions (new accounts may get 10)
LAMBDA_UNRESERVED_MINIMUM = 100  # Lambda keeps this much unreserved: reservations fit in the rest

# --- the defaults, per call a lifecycle makes of a route ---
# 166.7 lifecycles/s x 2 = 333.3, rounded up to 350 requests/s.
AGENT_RATE_PER_CALL = math.ceil(LIFECYCLES_PER_SECOND * HEADROOM / RATE_STEP) * RATE_STEP
# 350 requests/s x 0.3 s = 105 concurrent executions.
AGENT_CONCURRENCY_PER_CALL = math.ceil(AGENT_RATE_PER_CALL * HANDLER_P99_SECONDS)
# A paste storm is absorbed up to what the function can run at once; beyond it the
# gateway answers 429 and the agents back off (never a Lambda throttle, i.e. a 500).
AGENT_BURST_PER_CALL = AGENT_CONCURRENCY_PER_CALL


def calls_per_lifecycle(handler: str) -> int:
    """How many requests one machine's lifecycle sends to ``handler``'s route."""
    return CALLS_PER_LIFECYCLE[handler]


def needed_rate(handler: str) -> float:
    """Requests/s ``handler``'s route must sustain for the goal, without headroom."""
    return LIFECYCLES_PER_SECOND * calls_per_lifecycle(handler)


# --- per-source limits of the optional web ACL (infra/waf.py), requests per source IP per 5 minutes ---
# Machines behind one NAT share an address: the agent limit lets a site of 1,000 machines
# run its whole lifecycle (6 requests each) within one 5-minute window, while one source
# sending junk tokens gets 6,000 / 300 s = 20 requests/s, a small share of one route's 350.
WAF_WINDOW_SECONDS = 300
MACHINES_PER_SOURCE_IP = 1_000
REQUESTS_PER_LIFECYCLE = sum(CALLS_PER_LIFECYCLE.values())  # 6
WAF_AGENT_REQUESTS_PER_5MIN = MACHINES_PER_SOURCE_IP * REQUESTS_PER_LIFECYCLE  # 6,000
# Every path (dashboard, admin API, agents): looser, above the agent limit.
WAF_REQUESTS_PER_5MIN = 20_000
