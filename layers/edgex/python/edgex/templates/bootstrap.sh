#!/usr/bin/env bash
# Edgex bootstrapper (bash 3.2+, Linux / macOS / BSD). Served by
# GET /v1/agent/installer?type=bash and meant to be piped into bash by the
# one-liner the dashboard shows (it fetches this text with curl, the master token
# fed on curl's stdin, and pipes it to `bash`).
#
# It enrolls this machine (POST /v1/agent/enroll, master token), downloads the
# payload (GET /v1/agent/download, agent token), checks it against the SHA-256
# pinned when the deployment was created (rendered below) and runs it in memory: the
# payload is piped into a child `bash -s`, never written to disk and never put on
# a command line (it can exceed ARG_MAX). Tokens never appear in any argv either:
# curl gets its Authorization header from a config on a file descriptor (-K <(...)).
# Everything runs inside one function called on the last line, so a download cut
# short executes nothing and nothing here reads the rest of the piped script.
#
# Environment overrides: EDGEX_MACHINE_ID, EDGEX_HOSTNAME (replace the detected
# values; set EDGEX_MACHINE_ID on machines cloned from one image that kept its
# /etc/machine-id), EDGEX_RETRY_BASE_DELAY, EDGEX_RETRY_ATTEMPTS,
# EDGEX_RETRY_MAX_WAIT (the retry policy, see _edgex_http), EDGEX_WAIT_MAX and
# EDGEX_WAIT_ATTEMPTS (the same policy for the download, which may wait for a rollout slot).
#
# Exit status:
#   the payload's own (= the script's exit status) once the payload has run;
#   90  a prerequisite is missing (bash itself, curl, a SHA-256 tool, a way to derive a machine id);
#   91  the API could not be reached (network errors until the retry policy gave up);
#   92  the API refused the request (HTTP error; its code and message go to stderr);
#   93  the API answered something unexpected (no agent_token, empty payload);
#   94  the payload's SHA-256 is not the pinned one: nothing ran, and the run is
#       reported failed with a step "integrity" entry when the API can be reached.

# Plain POSIX sh up to `fi`: dash, busybox sh, ksh and zsh stop here, before any
# request and before they meet a bash-only line.
if [ -z "${BASH_VERSION:-}" ]; then
    echo "edgex: this installer needs bash, not sh: end the one-liner with '| bash' (Alpine: apk add bash curl)" >&2
    exit 90
fi
# bash started as `sh` (macOS, RHEL /bin/sh) is in POSIX mode, without <(...).
set +o posix

_edgex_main() {
    local api_url='__EDGEX_API_URL__'
    local master_token='__EDGEX_MASTER_TOKEN__'
    local payload_sha256='__EDGEX_PAYLOAD_SHA256__'
    local machine_id host_name body agent_token payload payload_hash re timeout_seconds

    if [ "${BASH_VERSINFO[0]:-0}" -lt 3 ] || { [ "${BASH_VERSINFO[0]}" -eq 3 ] && [ "${BASH_VERSINFO[1]:-0}" -lt 2 ]; }; then
        _edgex_fail 90 "bash 3.2 or later is required (this is $BASH_VERSION)"
        return
    fi
    if ! command -v curl >/dev/null 2>&1; then
        _edgex_fail 90 "curl is required (Alpine: apk add bash curl)"
        return
    fi
    if ! command -v bash >/dev/null 2>&1; then
        _edgex_fail 90 "bash must be on PATH"
        return
    fi
    # The payload (about 35 kB) comes gzip-encoded when curl can decode it: nearly every
    # curl is built with zlib, and one that is not must not ask (its --compressed fails).
    case $(curl -V 2>/dev/null) in
        *libz*) _edgex_compressed=1 ;;
        *) _edgex_compressed= ;;
    esac
    if [ -z "$(printf '' | _edgex_sha256)" ]; then
        _edgex_fail 90 "a SHA-256 tool is required to check the payload: sha256sum, shasum, sha256 or openssl"
        return
    fi

    host_name=${EDGEX_HOSTNAME:-}
    if [ -z "$host_name" ]; then
        host_name=$(hostname 2>/dev/null) || host_name=
        [ -n "$host_name" ] || host_name=${HOSTNAME:-}
    fi
    if [ -z "$host_name" ]; then
        _edgex_fail 90 "cannot determine the hostname (set EDGEX_HOSTNAME)"
        return
    fi

    machine_id=${EDGEX_MACHINE_ID:-}
    [ -n "$machine_id" ] || machine_id=$(_edgex_machine_id "$host_name")
    if [ -z "$machine_id" ]; then
        _edgex_fail 90 "cannot determine a machine id (set EDGEX_MACHINE_ID)"
        return
    fi

    body="{\"hostname\":$(_edgex_json "$host_name"),\"machine_id\":$(_edgex_json "$machine_id")}"
    _edgex_request "$api_url" POST /v1/agent/enroll "$master_token" 60 "$body" || return
    re='"agent_token"[[:space:]]*:[[:space:]]*"([A-Za-z0-9_-]+)"'
    if [[ $_edgex_body =~ $re ]]; then
        agent_token=${BASH_REMATCH[1]}
    else
        _edgex_fail 93 "enroll: the answer carries no agent_token"
        return
    fi
    printf 'edgex: enrolled %s (machine id %s)\n' "$host_name" "$machine_id" >&2

    # The run's id: a download retried after a lost reply is the same run, not another.
    run_id=$(_edgex_run_id)
    _edgex_extra="header = \"X-Edgex-Run: $run_id\""$'\n'
    # A rollout with a max_concurrency answers 503 WAIT_FOR_SLOT (with Retry-After) until
    # a slot frees: the download may wait far longer than any other call, up to
    # EDGEX_WAIT_MAX seconds (default 3600) over up to EDGEX_WAIT_ATTEMPTS attempts (999).
    EDGEX_RETRY_ATTEMPTS=${EDGEX_WAIT_ATTEMPTS:-999} EDGEX_RETRY_MAX_WAIT=${EDGEX_WAIT_MAX:-3600} \
        _edgex_request "$api_url" GET /v1/agent/download "$agent_token" 300 || return
    _edgex_extra=
    payload=$_edgex_body
    # The run's time limit (seconds) comes as a header: the payload is the same bytes
    # for every machine of the deployment.
    re='[Xx]-[Ee][Dd][Gg][Ee][Xx]-[Tt][Ii][Mm][Ee][Oo][Uu][Tt]:[[:space:]]*([0-9]+)'
    timeout_seconds=0
    if [[ $_edgex_head =~ $re ]]; then
        timeout_seconds=${BASH_REMATCH[1]}
    fi
    _edgex_body=
    if [ -z "$payload" ]; then
        _edgex_fail 93 "download: empty payload"
        return
    fi
    # The payload is byte-identical for every machine of the deployment; anything
    # else (a proxy, a tampered cache) is refused before a single line of it runs.
    payload_hash=$(printf '%s' "$payload" | _edgex_sha256)
    if [ "$payload_hash" != "$payload_sha256" ]; then
        payload=
        _edgex_integrity "$api_url" "$agent_token" "$run_id" "$payload_sha256" "$payload_hash"
        return
    fi

    # The payload reads its inputs from the environment (assignments, not argv);
    # printf is a builtin, so the payload text never reaches an exec'd argv either.
    printf '%s\n' "$payload" |
        EDGEX_API_URL=$api_url EDGEX_AGENT_TOKEN=$agent_token EDGEX_RUN_ID=$run_id \
        EDGEX_MACHINE_ID=$machine_id EDGEX_HOSTNAME=$host_name EDGEX_TIMEOUT_SECONDS=$timeout_seconds bash -s
}

# _edgex_run_id: 32 random hex digits (the kernel's, else /dev/urandom's, else the
# clock, the pid and $RANDOM: unique enough to tell this run from this machine's others).
_edgex_run_id() {
    local id=
    if [ -r /proc/sys/kernel/random/uuid ]; then
        id=$(tr -d '-' </proc/sys/kernel/random/uuid 2>/dev/null) || id=
    fi
    if [ -z "$id" ] && [ -r /dev/urandom ]; then
        id=$(od -An -tx1 -N16 /dev/urandom 2>/dev/null | tr -d ' \n') || id=
    fi
    [ -n "$id" ] || id="$(date +%s)$$$RANDOM$RANDOM"
    printf '%s\n' "$id"
}

# _edgex_fail CODE MESSAGE: report on stderr and set the status the caller returns.
_edgex_fail() {
    printf 'edgex: %s\n' "$2" >&2
    return "$1"
}

# _edgex_integrity API_URL AGENT_TOKEN RUN_ID PINNED GOT: refuse a payload whose
# SHA-256 is not the pinned one. One line on stderr, and when the API can be reached
# a report that records the run as failed: a step "integrity" entry and the final
# entry (step "complete", exit code 94, outcome failed). Status 94.
_edgex_integrity() {
    local msg body
    msg="the payload's SHA-256 (${5:-none}) does not match the one pinned for this deployment ($4): nothing was run"
    printf 'edgex: %s\n' "$msg" >&2
    body="{\"entries\":[{\"status\":\"error\",\"message\":$(_edgex_json "$msg"),\"step\":\"integrity\"},"
    body="$body{\"status\":\"error\",\"message\":$(_edgex_json "Payload integrity check failed: $msg"),"
    body="$body\"step\":\"complete\",\"exit_code\":94,\"outcome\":\"failed\"}]}"
    _edgex_extra="header = \"X-Edgex-Run: $3\""$'\n'"header = \"X-Edgex-Request: $(date +%s)-integrity\""$'\n'
    if ! _edgex_http POST "$1/v1/agent/feedback" "$2" 30 "$body"; then
        printf 'edgex: the integrity report could not be delivered (HTTP %s)\n' "$_edgex_code" >&2
    fi
    _edgex_extra=
    return 94
}

# _edgex_json TEXT: TEXT as a JSON string (quotes, backslashes, control characters).
_edgex_json() {
    local s=$1 i hex ch
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    for i in 1 2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31; do
        printf -v hex '%02x' "$i"
        printf -v ch '%b' "\\x$hex"
        case $s in *"$ch"*) s=${s//"$ch"/\\u00$hex} ;; esac
    done
    printf '"%s"' "$s"
}

# _edgex_machine_id HOSTNAME: a stable id for this machine, on stdout.
# Linux: /etc/machine-id, joined with the firmware's product UUID when it is
# readable (root): machines cloned from one image share the first, not the second.
# macOS: IOPlatformUUID. FreeBSD: kenv smbios.system.uuid. Last resort: a hash of
# the hostname and the MAC addresses of physical interfaces (not veth, bridges,
# tunnels, which come and go).
_edgex_machine_id() {
    local id='' f uuid='' macs='' d addr
    for f in /etc/machine-id /var/lib/dbus/machine-id; do
        if [ -r "$f" ]; then
            IFS= read -r id <"$f" || true
            id=${id//[[:space:]]/}
            [ -n "$id" ] && break
        fi
    done
    if [ -r /sys/class/dmi/id/product_uuid ]; then
        IFS= read -r uuid </sys/class/dmi/id/product_uuid 2>/dev/null || true
        uuid=${uuid//[[:space:]]/}
    fi
    if [ -z "$uuid" ] && command -v kenv >/dev/null 2>&1; then
        uuid=$(kenv -q smbios.system.uuid 2>/dev/null) || uuid=
    fi
    case $uuid in
        # placeholders some firmware reports for every machine
        '' | 00000000-0000-0000-0000-000000000000 | [Ff][Ff][Ff][Ff][Ff][Ff][Ff][Ff]-* | 03000200-0400-0500-0006-000700080009) uuid= ;;
    esac
    if [ -n "$id" ] && [ -n "$uuid" ]; then
        id="$id:$uuid"
    elif [ -z "$id" ] && [ -n "$uuid" ] && [ ! -e /.dockerenv ] && [ ! -e /run/.containerenv ]; then
        id=$uuid
    fi
    if [ -z "$id" ] && command -v ioreg >/dev/null 2>&1; then
        id=$(ioreg -rd1 -c IOPlatformExpertDevice 2>/dev/null | awk -F'"' '/IOPlatformUUID/ { print $4; exit }')
    fi
    if [ -z "$id" ]; then
        if [ -d /sys/class/net ]; then
            for d in /sys/class/net/*; do
                # only interfaces backed by a device: physical NICs
                if [ -e "$d/device" ] && [ -r "$d/address" ]; then
                    IFS= read -r addr <"$d/address" || addr=
                    macs="$macs$addr"$'\n'
                fi
            done
            macs=$(printf '%s' "$macs" | sort -u)
        else
            macs=$(ifconfig -a 2>/dev/null | awk '/^[a-z]/ { name = $1 } /ether|HWaddr/ && name !~ /^(bridge|veth|tap|tun|vnet|docker|lo|utun|awdl|llw)/ { for (i = 1; i < NF; i++) if ($i == "ether" || $i == "HWaddr") print $(i + 1) }' | sort -u)
        fi
        id=$(printf '%s\n%s\n' "$1" "$macs" | _edgex_sha256)
        [ -n "$id" ] && id="fallback:$id"
    fi
    printf '%s' "$id"
}

_edgex_sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | awk '{ print $1 }'
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 | awk '{ print $1 }'
    elif command -v sha256 >/dev/null 2>&1; then
        sha256 -q
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 | awk '{ print $NF }'
    fi
}

# _edgex_request API_URL METHOD PATH TOKEN MAX_TIME [JSON_BODY]
# Sets _edgex_body to the answer. Returns 0 on 2xx, else the bootstrapper exit
# status (91 network, 92 HTTP error), with the reason on stderr.
_edgex_request() {
    local api_url=$1 method=$2 path=$3 token=$4 max_time=$5 body=${6-} err_code err_msg re
    if _edgex_http "$method" "$api_url$path" "$token" "$max_time" "$body"; then
        return 0
    fi
    if [ "$_edgex_code" = 000 ]; then
        _edgex_fail 91 "$method $path: cannot reach $api_url (curl exit $_edgex_rc after $_edgex_attempt attempt(s))"
        return
    fi
    err_code=UNKNOWN
    err_msg=
    re='"code"[[:space:]]*:[[:space:]]*"([^"]*)"'
    [[ $_edgex_body =~ $re ]] && err_code=${BASH_REMATCH[1]}
    re='"message"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)"'
    [[ $_edgex_body =~ $re ]] && err_msg=${BASH_REMATCH[1]}
    _edgex_fail 92 "$method $path: HTTP $_edgex_code $err_code: $err_msg (after $_edgex_attempt attempt(s))"
}

# @edgex-include retry_policy.sh

_edgex_main </dev/null
exit "$?"
